"""Body frames arriving over time (``Response(chunk_delay=...)``) and the request's
``between-bytes-timeout`` on the virtual clock, as wasmtime 33's ``BodyWithTimeout``
(``crates/wasi-http/src/body.rs``) bounds them: the timer starts at the first read or
poll after a frame and, once it elapses before the next frame, the body ends with
``connection-read-timeout`` (a stream error whose ``http-error-code`` is that case)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err
from golem_fakes.state.http import Response

from helpers import read_all, send

S = 1_000_000_000


def _stream(http: SimpleNamespace, url: str, options: object = None) -> tuple[object, object]:
    got = send(http, url, options=options)
    resp = got.value.value
    body = resp.consume()
    return body, body.stream()


def test_frames_arrive_chunk_delay_apart_and_blocking_reads_wait_on_the_clock(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/feed").respond(200, chunks=[b"a", b"bb", b"ccc"],
                                                 chunk_delay=3, trailers={"x-end": "1"})
    start = g.clock.monotonic_ns()
    body, s = _stream(http, "https://slow.test/feed")
    assert s.read(10) == b"a"                  # the first frame came with the headers
    assert s.read(10) == b""                   # the next one is 3 s away: would block
    assert s.blocking_read(10) == b"bb"        # waits: the clock jumps 3 s
    assert g.clock.monotonic_ns() - start == 3 * S
    p = s.subscribe()
    assert not p.ready()
    p.block()                                   # jumps to the third frame
    assert p.ready()
    del p
    assert g.clock.monotonic_ns() - start == 6 * S
    assert s.read(10) == b"ccc"
    with pytest.raises(Err) as e:
        s.read(10)
    assert type(e.value.value).__name__ == "StreamError_Closed"
    del s, e
    ft = http.t.IncomingBody.finish(body)
    assert ft.get().value.value.get("x-end") == [b"1"]


def test_a_gap_longer_than_between_bytes_timeout_ends_the_body_with_a_read_timeout(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://stall.test/").respond(200, chunks=[b"head", b"tail"], chunk_delay=30)
    opts = http.t.RequestOptions()
    opts.set_between_bytes_timeout(2 * S)
    body, s = _stream(http, "https://stall.test/", opts)
    assert s.blocking_read(100) == b"head"
    start = g.clock.monotonic_ns()
    with pytest.raises(Err) as e:
        s.blocking_read(100)                    # the timer runs out after 2 s, not 30
    assert g.clock.monotonic_ns() - start == 2 * S
    err = e.value.value
    assert isinstance(err, http.streams.StreamError_LastOperationFailed)
    assert http.t.http_error_code(err.value) == http.t.ErrorCode_ConnectionReadTimeout()
    with pytest.raises(Err) as e2:              # then the stream is closed
        s.read(1)
    assert type(e2.value.value).__name__ == "StreamError_Closed"
    del s, e, e2, err


def test_a_late_read_times_out_even_if_the_frame_arrived_meanwhile(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    """wasmtime checks the timer before the frame: a read that found nothing started it,
    and the next read after the deadline fails although the frame is due by then."""
    g.http.get("https://late.test/").respond(200, chunks=[b"1", b"2"], chunk_delay=1)
    opts = http.t.RequestOptions()
    opts.set_between_bytes_timeout(5 * S)
    body, s = _stream(http, "https://late.test/", opts)
    assert s.read(1) == b"1"
    assert s.read(1) == b""                     # starts the 5 s timer
    g.clock.advance(6)                          # the worker does something else for 6 s
    with pytest.raises(Err) as e:
        s.read(1)
    assert http.t.http_error_code(e.value.value.value) == http.t.ErrorCode_ConnectionReadTimeout()
    del s, e


def test_wasmtime_s_default_between_bytes_timeout_is_600_s(http: SimpleNamespace,
                                                          g: golem_fakes.Golem) -> None:
    g.http.get("https://glacial.test/").respond(200, chunks=[b"x", b"y"], chunk_delay=601)
    body, s = _stream(http, "https://glacial.test/")
    assert s.blocking_read(1) == b"x"
    start = g.clock.monotonic_ns()
    with pytest.raises(Err):
        s.blocking_read(1)
    assert g.clock.monotonic_ns() - start == 600 * S
    del s


def test_read_all_of_a_timed_body_within_the_timeout(http: SimpleNamespace,
                                                     g: golem_fakes.Golem) -> None:
    g.http.get("https://ok.test/").respond(200, chunks=[b"ab", b"cd", b"ef"], chunk_delay=0.5)
    resp = send(http, "https://ok.test/").value.value
    assert read_all(http, resp) == b"abcdef"


@pytest.mark.parametrize("bad", [-1, float("inf"), float("nan"), "1"])
def test_chunk_delay_is_validated(bad: object) -> None:
    with pytest.raises(ValueError, match="chunk_delay"):
        Response(200, chunks=[b"a"], chunk_delay=bad)  # type: ignore[arg-type]


def test_requests_and_httpx_read_timeouts_apply_between_chunks(g: golem_fakes.Golem) -> None:
    """The clients' read timeout is the request's between-bytes timeout too: a stalled
    body raises their ReadTimeout after it, on the virtual clock."""
    httpx = pytest.importorskip("httpx")
    requests = pytest.importorskip("requests")
    from golem_fakes.clients import route_http_clients

    route_http_clients()
    g.http.get("https://s.test/").respond(200, chunks=[b"a", b"b"], chunk_delay=30)
    for call, error in ((lambda: httpx.get("https://s.test/", timeout=5), httpx.ReadTimeout),
                        (lambda: requests.get("https://s.test/", timeout=5),
                         requests.ReadTimeout)):
        start = g.clock.monotonic_ns()
        with pytest.raises(error):
            call()
        assert g.clock.monotonic_ns() - start == 5 * S
