"""``golem.http`` as a product (issue 15 §2): matching on every part of a request,
static and computed answers, sequences for retries, recorded calls, pass-through to a
real (loopback) server, and the strict checks the pytest plugin runs at teardown."""

from __future__ import annotations

import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.state.http import HttpRequest, Response, UnmatchedRequest

from helpers import read_all, send


def status(r: object) -> int:
    assert isinstance(r, Ok) and isinstance(r.value, Ok), r
    return r.value.value.status()


def test_match_on_method_scheme_authority_path_query_headers_body(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    h = g.http
    h.route("POST", scheme="http", authority="svc.test:8080", path="/a",
            query={"x": "1", "y": ["2", "3"]}, headers={"X-Key": re.compile(r"k-\d+")},
            body=re.compile(r".*secret.*"), name="full").respond(201)
    h.route(path=re.compile(r"/items/\d+"), name="items").respond(202)
    h.route(match=lambda r: r.params.get("flag") == ["on"], name="pred").respond(203)
    h.route(authority=lambda a: a.endswith(".internal"), name="internal").respond(204)
    assert status(send(http, "http://svc.test:8080/a?x=1&y=2&y=3", method=http.t.Method_Post(),
                       headers=[("x-key", b"k-42")], body=b"my secret")) == 201
    assert status(send(http, "https://other.test/items/77")) == 202
    assert status(send(http, "https://other.test/z?flag=on")) == 203
    assert status(send(http, "https://db.internal/")) == 204
    assert [r.call_count for r in h.routes] == [1, 1, 1, 1]
    # the same request, one part off: the full route no longer matches
    r = send(http, "http://svc.test:8080/a?x=1&y=2", method=http.t.Method_Post(),
             headers=[("x-key", b"k-42")], body=b"my secret")
    assert r == Ok(Err(http.t.ErrorCode_ConnectionRefused()))
    why = h.unmatched[-1][1][0]
    assert "query parameters" in why and "route 'full'" in why
    h.strict = False


def test_a_url_route_and_the_first_match_wins(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    first = g.http.get("https://a.test/x?q=1").respond(200)
    second = g.http.get("https://a.test/x", optional=True).respond(500)
    assert status(send(http, "https://a.test/x?q=1")) == 200
    assert first.called and not second.called
    assert status(send(http, "https://a.test/x")) == 500  # no query: only the second


def test_a_callable_answer_sees_the_request(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    def echo(req: HttpRequest) -> Response:
        return Response(200, json={"path": req.path, "n": len(req.body)})

    g.http.post("https://echo.test/e").mock(side_effect=echo)
    r = send(http, "https://echo.test/e", method=http.t.Method_Post(), body=b"12345")
    assert read_all(http, r.value.value) == b'{"path": "/e", "n": 5}'


def test_a_sequence_answers_retries_and_repeats_its_last(http: SimpleNamespace,
                                                         g: golem_fakes.Golem) -> None:
    route = g.http.get("https://flaky.test/").mock(
        side_effect=[503, ConnectionRefusedError, Response(200, text="ok")])
    assert status(send(http, "https://flaky.test/")) == 503
    assert send(http, "https://flaky.test/") == Ok(Err(http.t.ErrorCode_ConnectionRefused()))
    assert status(send(http, "https://flaky.test/")) == 200
    assert status(send(http, "https://flaky.test/")) == 200
    assert route.call_count == 4
    assert isinstance(route.calls[1].response, golem_fakes.state.http.ErrorCode)


def test_error_helper_and_named_routes(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/", name="x").error("DNS-timeout")
    assert send(http, "https://x.test/") == Ok(Err(http.t.ErrorCode_DnsTimeout()))
    assert g.http["x"].called
    with pytest.raises(KeyError, match="no route named 'y'"):
        g.http["y"]
    with pytest.raises(ValueError, match="already has a route named"):
        g.http.get("https://x.test/", name="x")


def test_a_callback_bug_propagates(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    def broken(req: HttpRequest) -> Response:
        raise KeyError("oops")

    g.http.get("https://x.test/").mock(side_effect=broken)
    with pytest.raises(KeyError, match="oops"):
        send(http, "https://x.test/")


def test_recorded_requests_and_reset(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.get("https://x.test/").respond(200)
    send(http, "https://x.test/")
    assert [r.url for r in g.http.requests] == ["https://x.test/"]
    assert g.http.calls[0].request is route.calls.last.request
    route.calls.assert_called_once()
    g.http.reset()
    route.calls.assert_not_called()
    assert not route.called and g.http.requests == []
    g.http.assert_all_called = False


def test_verify_lists_every_problem(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/a", name="a").respond(200)
    g.http.get("https://x.test/opt", optional=True).respond(200)
    send(http, "https://x.test/b")
    with pytest.raises(UnmatchedRequest) as e:
        g.http.verify()
    text = str(e.value)
    assert "GET https://x.test/b matched no route" in text
    assert "route 'a'(method='GET', scheme='https', authority='x.test', path='/a'): path '/b' is not '/a'" in text
    assert "route 'a'" in text and "was never called" in text
    assert "opt" not in text.split("never called")[0].split("\n")[-1]
    g.http.strict = g.http.assert_all_called = False


# --- pass-through to a real server (loopback, started here) ------------------------------


@pytest.fixture
def server() -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802
            chunked = self.headers.get("transfer-encoding") == "chunked"
            if chunked:  # hyper's framing of a body the guest gave no content-length
                data = b""
                while (size := int(self.rfile.readline().strip(), 16)):
                    data += self.rfile.read(size)
                    self.rfile.readline()
                self.rfile.readline()
            else:
                data = self.rfile.read(int(self.headers.get("content-length", 0)))
            reply = b"real:" + data + b":" + self.headers.get("x-test", "").encode()
            self.send_response(207)
            self.send_header("content-length", str(len(reply)))
            self.send_header("x-server", "loopback")
            self.send_header("x-chunked", str(chunked))
            self.end_headers()
            self.wfile.write(reply)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/stall":  # one chunk, then nothing for half a second
                self.protocol_version = "HTTP/1.1"
                self.send_response(200)
                self.send_header("transfer-encoding", "chunked")
                self.end_headers()
                self.wfile.write(b"3\r\nabc\r\n")
                self.wfile.flush()
                time.sleep(0.5)
                self.wfile.write(b"2\r\nde\r\n0\r\n\r\n")
                return
            if self.path == "/slow":
                time.sleep(0.5)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            # /trailers: a chunked body of two chunks and two trailers
            self.protocol_version = "HTTP/1.1"
            self.send_response(200)
            self.send_header("transfer-encoding", "chunked")
            self.send_header("connection", "close")
            self.end_headers()
            self.wfile.write(b"3\r\nabc\r\n2\r\nde\r\n0\r\nx-t1: one\r\nx-t2: two\r\n\r\n")

        def log_message(self, *args: object) -> None:
            pass

    srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        yield f"127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()
        srv.server_close()


def test_pass_through_reaches_the_real_server(http: SimpleNamespace, g: golem_fakes.Golem,
                                              server: str) -> None:
    g.http.pass_through(server)
    r = send(http, f"http://{server}/x", method=http.t.Method_Post(), headers=[("x-test", b"t")],
             body=b"hello")
    resp = r.value.value
    assert resp.status() == 207
    h = resp.headers()
    assert h.get("x-server") == [b"loopback"]
    assert h.get("x-chunked") == [b"True"]  # no content-length from the guest: chunked
    del h
    assert read_all(http, resp) == b"real:hello:t"
    assert g.http.requests[-1].url == f"http://{server}/x"
    r2 = send(http, f"http://{server}/x", method=http.t.Method_Post(),
              headers=[("content-length", b"2")], body=b"hi")
    resp2 = r2.value.value
    h2 = resp2.headers()
    assert h2.get("x-chunked") == [b"False"]
    del h2
    assert read_all(http, resp2) == b"real:hi:"


def test_pass_through_keeps_chunks_and_trailers(http: SimpleNamespace, g: golem_fakes.Golem,
                                                server: str) -> None:
    """As hyper gives them to wasmtime 33: one body frame per chunk, the trailers in
    ``future-trailers`` (differential probe ``http.response_trailers``)."""
    g.http.pass_through(server)
    resp = send(http, f"http://{server}/trailers").value.value
    body = resp.consume()
    s = body.stream()
    assert s.blocking_read(100) == b"abc"
    assert s.blocking_read(100) == b"de"
    with pytest.raises(Err):
        s.blocking_read(100)
    del s
    trailers = http.t.IncomingBody.finish(body)
    got = trailers.get()
    assert got.value.value.entries() == [("x-t1", b"one"), ("x-t2", b"two")]


def test_pass_through_first_byte_timeout(http: SimpleNamespace, g: golem_fakes.Golem,
                                         server: str) -> None:
    """wasmtime 33 ``default_send_request_handler``: no response head within
    ``first-byte-timeout`` → ``connection-read-timeout`` (probe ``http.first_byte_timeout``).
    A pass-through request waits in real time (100 ms here)."""
    g.http.pass_through(server)
    t = http.t
    opts = t.RequestOptions()
    opts.set_first_byte_timeout(100_000_000)
    r = send(http, f"http://{server}/slow", options=opts)
    assert r == Ok(Err(t.ErrorCode_ConnectionReadTimeout()))


def read_until_error(http: SimpleNamespace, resp: object) -> tuple[bytes, object, object]:
    """Read the whole body: (its bytes, the stream error's ``http-error-code``, the body)."""
    body = resp.consume()  # type: ignore[attr-defined]
    s = body.stream()
    data = b""
    while True:
        try:
            data += s.blocking_read(100)
        except Err as e:
            code = http.t.http_error_code(e.value.value)
            del s, e
            return data, code, body


def test_pass_through_between_bytes_timeout(http: SimpleNamespace, g: golem_fakes.Golem,
                                            server: str) -> None:
    """wasmtime 33 ``BodyWithTimeout`` (``crates/wasi-http/src/body.rs``): a gap between
    two body frames longer than ``between-bytes-timeout`` ends the body after what came
    with ``connection-read-timeout`` (probe ``http.between_bytes_timeout``)."""
    g.http.pass_through(server)
    t = http.t
    opts = t.RequestOptions()
    opts.set_between_bytes_timeout(100_000_000)
    resp = send(http, f"http://{server}/stall", options=opts).value.value
    assert resp.status() == 200
    data, code, body = read_until_error(http, resp)
    assert (data, code) == (b"abc", t.ErrorCode_ConnectionReadTimeout())
    # with the default timeout (600 s) the same body arrives whole
    resp2 = send(http, f"http://{server}/stall").value.value
    body2 = resp2.consume()
    s2 = body2.stream()
    assert s2.blocking_read(100) == b"abc"
    assert s2.blocking_read(100) == b"de"


def test_a_stub_body_can_end_with_an_error(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    """``Response(body_error=...)``: a connection broken in the middle of the body."""
    g.http.get("https://x.test/broken").respond(chunks=[b"ab", b"cd"],
                                                body_error="connection-terminated")
    resp = send(http, "https://x.test/broken").value.value
    data, code, body = read_until_error(http, resp)
    assert (data, code) == (b"abcd", http.t.ErrorCode_ConnectionTerminated())
    with pytest.raises(ValueError, match="not an error-code case"):
        Response(body_error="no-such-code")
    with pytest.raises(ValueError, match="not both"):
        Response(trailers={"x": "1"}, body_error="connection-terminated")
    with pytest.raises(TypeError, match="give a str as text="):
        Response(body="not bytes")  # type: ignore[arg-type]


def test_a_stub_body_error_reaches_future_trailers_when_the_body_is_not_read(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/broken").respond(body=b"x", body_error="connection-terminated")
    resp = send(http, "https://x.test/broken").value.value
    trailers = http.t.IncomingBody.finish(resp.consume())
    assert trailers.get().value == Err(http.t.ErrorCode_ConnectionTerminated())


def test_pass_through_to_a_closed_port_is_connection_refused(http: SimpleNamespace,
                                                             g: golem_fakes.Golem) -> None:
    import socket

    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    g.http.pass_through(f"127.0.0.1:{port}")
    assert send(http, f"http://127.0.0.1:{port}/") == Ok(Err(http.t.ErrorCode_ConnectionRefused()))


# --- the plugin's strict checks ---------------------------------------------------------------

PLUGIN_TEST = '''
import pytest
from wit_world.imports import wasi_http_types as t, outgoing_handler as oh


def get(url):
    from urllib.parse import urlsplit
    p = urlsplit(url)
    req = t.OutgoingRequest(t.Fields())
    req.set_authority(p.netloc)
    req.set_path_with_query(p.path)
    fut = oh.handle(req, None)
    return fut.get()


def test_unmatched(golem):
    golem.http.get("https://api.test/a").respond(200)
    get("https://api.test/a")
    get("https://api.test/b")


def test_never_called(golem):
    golem.http.get("https://api.test/a", name="unused").respond(200)


@pytest.mark.golem(http_strict=False)
def test_relaxed_unmatched(golem):
    get("https://api.test/b")


@pytest.mark.golem(http_assert_all_called=False)
def test_relaxed_never_called(golem):
    golem.http.get("https://api.test/a").respond(200)


def test_all_good(golem):
    golem.http.get("https://api.test/a").respond(200)
    get("https://api.test/a")
'''


def test_the_plugin_fails_unmatched_and_uncalled_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_strict=PLUGIN_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=5, errors=2)
    out = result.stdout.str()
    assert "ERROR at teardown of test_unmatched" in out
    assert "request GET https://api.test/b matched no route" in out
    assert "path '/b' is not '/a'" in out
    assert "ERROR at teardown of test_never_called" in out
    assert "route 'unused'" in out and "was never called" in out
