"""``outgoing-handler.handle`` and what follows: the future and its pollable, the
incoming response, its body and trailers, error codes, timeouts on the virtual clock
(wasmtime 33 ``http_impl.rs`` / ``types.rs`` ``default_send_request_handler``;
Golem's ``durable_host/http/``)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.state.http import ConnectionRefused, DnsError, HttpError, Response

from helpers import build, read_all, send

S = 1_000_000_000


def test_a_stubbed_get_end_to_end(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.example.com/items/1").respond(
        201, json={"id": 1}, headers={"X-Id": "1"})
    r = send(http, "https://api.example.com/items/1", headers=[("Accept", b"application/json")])
    resp = r.value.value
    assert resp.status() == 201
    h = resp.headers()
    assert h.get("x-id") == [b"1"] and h.get("content-type") == [b"application/json"]
    del h
    assert read_all(http, resp) == b'{"id": 1}'
    req = route.calls.last.request
    assert req.method == "GET" and req.url == "https://api.example.com/items/1"
    assert req.headers["accept"] == "application/json"
    assert req.headers["host"] == "api.example.com"
    route.calls.assert_called_once()


def test_golem_adds_an_idempotency_key_and_traceparent(http: SimpleNamespace,
                                                      g: golem_fakes.Golem) -> None:
    from golem_fakes.interfaces.golem_api.host import derived_idempotency_key

    route = g.http.get("https://a.test/").respond(204)
    send(http, "https://a.test/")
    req = route.calls.last.request
    begin = next(e.index for e in g.oplog() if e.kind == "begin-remote-write")
    inv = g.current_invocation
    assert req.headers["idempotency-key"] == str(derived_idempotency_key(inv.idempotency_key, begin))
    span = next(e for e in g.oplog() if e.kind == "start-span")
    trace_id = next(e for e in g.oplog() if e.kind == "exported-function-invoked")["trace_id"]
    assert req.headers["traceparent"] == f"00-{trace_id}-{span['span_id']}-00"
    assert span["attributes"] == {"name": "outgoing-http-request", "request.uri": "a.test/",
                                  "request.method": "GET"}


def test_a_guest_idempotency_key_is_kept(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.get("https://a.test/").respond(200)
    send(http, "https://a.test/", headers=[("Idempotency-Key", b"mine")])
    assert route.calls.last.request.headers.get_all("idempotency-key") == ["mine"]


def test_get_before_ready_twice_and_after_consumption(http: SimpleNamespace,
                                                     g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/").respond(200, delay=2.5)
    fut = http.oh.handle(build(http, "https://slow.test/"), None)
    assert fut.get() is None  # pending
    p = fut.subscribe()
    assert not p.ready()
    before = g.clock.monotonic_ns()
    p.block()                  # the virtual clock jumps; no real waiting
    assert g.clock.monotonic_ns() - before == int(2.5 * S)
    first = fut.get()
    assert isinstance(first, Ok) and isinstance(first.value, Ok)
    second = fut.get()
    assert isinstance(second, Err) and second.value is None  # some(err): already taken
    assert not g.clock.skips[-1].suspended  # waiting for a response is no Golem sleep
    del p, first


def test_first_byte_timeout_on_the_virtual_clock(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.get("https://slow.test/").respond(200, delay=30)
    opts = http.t.RequestOptions()
    opts.set_first_byte_timeout(1 * S)
    before = g.clock.monotonic_ns()
    r = send(http, "https://slow.test/", options=opts)
    assert r == Ok(Err(http.t.ErrorCode_ConnectionReadTimeout()))
    assert g.clock.monotonic_ns() - before == 1 * S
    assert route.called


def test_connect_timeout(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://far.test/").respond(200, connect_delay=5)
    opts = http.t.RequestOptions()
    opts.set_connect_timeout(2 * S)
    assert send(http, "https://far.test/", options=opts) == Ok(
        Err(http.t.ErrorCode_ConnectionTimeout()))


def test_the_default_timeout_is_600_s(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/").respond(200, delay=601)
    assert send(http, "https://slow.test/") == Ok(Err(http.t.ErrorCode_ConnectionReadTimeout()))


@pytest.mark.parametrize("effect,expected", [
    (ConnectionRefused(), "ErrorCode_ConnectionRefused"),
    (ConnectionRefusedError(), "ErrorCode_ConnectionRefused"),
    (DnsError(), "ErrorCode_DnsError"),
    (TimeoutError(), "ErrorCode_ConnectionTimeout"),
    (HttpError("internal-error", "boom"), "ErrorCode_InternalError"),
    (HttpError("TLS-alert-received", {"alert_id": 40, "alert_message": "handshake"}),
     "ErrorCode_TlsAlertReceived"),
])
def test_exceptions_become_error_codes(http: SimpleNamespace, g: golem_fakes.Golem, effect: object,
                                       expected: str) -> None:
    g.http.get("https://x.test/").mock(side_effect=effect)
    r = send(http, "https://x.test/")
    assert isinstance(r, Ok) and isinstance(r.value, Err)
    code = r.value.value
    assert type(code).__name__ == expected
    if expected == "ErrorCode_DnsError":
        assert code.value == http.t.DnsErrorPayload("address not available", 0)
    if expected == "ErrorCode_InternalError":
        assert code.value == "boom"


def test_a_post_body_reaches_the_stub(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.post("https://api.test/pay", json={"amount": 5}).respond(200, text="ok")
    r = send(http, "https://api.test/pay", method=http.t.Method_Post(),
             headers=[("content-type", b"application/json")], body=b'{"amount": 5}')
    assert read_all(http, r.value.value) == b"ok"
    assert route.calls.last.request.json() == {"amount": 5}


def test_the_future_waits_for_the_body(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    route = g.http.post("https://api.test/up").respond(200)
    req = build(http, "https://api.test/up", http.t.Method_Post())
    body = req.body()
    fut = http.oh.handle(req, None)
    p = fut.subscribe()
    assert not p.ready() and not route.called
    with pytest.raises(golem_fakes.Deadlock):
        p.block()          # nothing else will finish the body
    s = body.write()
    for i in range(5):     # after handle the server reads the channel: no limit
        s.write(b"x" * 10)
    del s
    http.t.OutgoingBody.finish(body, http.t.Fields.from_list([("x-trailer", b"t")]))
    assert p.ready() and route.called
    assert route.calls.last.request.body == b"x" * 50
    assert route.calls.last.request.trailers["x-trailer"] == "t"
    del p


def test_an_aborted_body_fails_the_request(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.post("https://api.test/up", optional=True).respond(200)
    req = build(http, "https://api.test/up", http.t.Method_Post())
    body = req.body()
    fut = http.oh.handle(req, None)
    body.__exit__(None, None, None)        # dropped without finish
    assert fut.get() == Ok(Err(http.t.ErrorCode_HttpProtocolError()))


def test_an_other_scheme_is_a_protocol_error_and_no_authority_an_invalid_uri(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    t = http.t
    req = t.OutgoingRequest(t.Fields())
    req.set_scheme(t.Scheme_Other("ftp"))
    req.set_authority("x.test")
    with pytest.raises(Err) as e:
        http.oh.handle(req, None)
    assert isinstance(e.value.value, t.ErrorCode_HttpProtocolError)
    req2 = t.OutgoingRequest(t.Fields())
    with pytest.raises(Err) as e2:
        http.oh.handle(req2, None)
    assert isinstance(e2.value.value, t.ErrorCode_HttpRequestUriInvalid)
    kinds = [x.kind for x in g.oplog()]
    assert kinds.count("begin-remote-write") == 2 and kinds.count("end-remote-write") == 2
    assert g.http.requests == []


def test_handle_traps_while_a_view_of_the_headers_is_alive(http: SimpleNamespace,
                                                          g: golem_fakes.Golem) -> None:
    req = build(http, "https://x.test/")
    view = req.headers()
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        http.oh.handle(req, None)
    del view


def test_body_frames_reads_and_trailers(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/").respond(200, chunks=[b"abc", b"defg"],
                                          trailers={"x-sum": "7", "connection": "close"})
    resp = send(http, "https://x.test/").value.value
    body = resp.consume()
    with pytest.raises(Err):
        resp.consume()
    s = body.stream()
    with pytest.raises(Err):
        body.stream()
    assert s.read(2) == b"ab"     # a read splits a frame
    assert s.read(100) == b"c"    # but never joins two
    assert s.skip(1) == 1
    assert s.blocking_read(100) == b"efg"
    with pytest.raises(Err) as end:
        s.read(1)
    assert isinstance(end.value.value, http.streams.StreamError_Closed)
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        http.t.IncomingBody.finish(body)


def test_trailers_once_with_forbidden_names_removed(http: SimpleNamespace,
                                                    g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/").respond(200, body=b"x",
                                          trailers={"x-sum": "7", "connection": "close"})
    resp = send(http, "https://x.test/").value.value
    body = resp.consume()
    ft = http.t.IncomingBody.finish(body)
    p = ft.subscribe()
    p.block()
    del p
    got = ft.get()
    assert got.value.value.entries() == [("x-sum", b"7")]
    assert ft.get() == Err(None)


def test_no_trailers(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/").respond(200)
    resp = send(http, "https://x.test/").value.value
    ft = http.t.IncomingBody.finish(resp.consume())
    assert ft.get() == Ok(Ok(None))


def test_forbidden_response_headers_are_removed_and_the_view_is_immutable(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/").respond(200, headers=[("Connection", "close"), ("a", "1"),
                                                        ("a", "2")])
    resp = send(http, "https://x.test/").value.value
    h = resp.headers()
    assert h.entries() == [("a", b"1"), ("a", b"2")]
    with pytest.raises(Err):
        h.append("b", b"1")
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        resp.__exit__(None, None, None)


def test_no_route_is_connection_refused_and_listed(http: SimpleNamespace,
                                                  g: golem_fakes.Golem) -> None:
    g.http.get("https://x.test/a", name="a").respond(200)
    r = send(http, "https://x.test/b")
    assert r == Ok(Err(http.t.ErrorCode_ConnectionRefused()))
    (req, reasons), = g.http.unmatched
    assert req.path == "/b" and "path '/b' is not '/a'" in reasons[0]
    problems = g.http.problems()
    assert "matched no route" in problems[0] and "was never called" in problems[1]
    g.http.strict = False
    g.http.assert_all_called = False
    assert g.http.problems() == []


def test_concurrent_requests_ending_in_order_leave_the_current_span_alone(
        http: Any, g: golem_fakes.Golem) -> None:
    """v1.3.1 starts an outgoing request's span without making it current
    (``durable_host/http/outgoing_http.rs``: ``start_span(..., false)``): two requests in
    flight that end in the order they started leave the invocation's span current, and
    a third request starts (dev.25 made each current, so the second's end made the
    first's finished span current and the next span trapped ``Span not found``)."""
    t, oh = http.t, http.oh
    for host in ("a.test", "b.test", "c.test"):
        g.http.get(f"https://{host}/").respond(200)

    def start(host: str) -> Any:
        r = t.OutgoingRequest(t.Fields())
        r.set_authority(host)
        return oh.handle(r, None)

    fa, fb = start("a.test"), start("b.test")
    ra, rb = fa.get().value.value, fb.get().value.value
    del fa, fb
    del ra
    del rb
    fc = start("c.test")
    assert fc.get().value.value.status() == 200
    starts = [e for e in g.oplog() if e.kind == "start-span"]
    assert len({e["parent"] for e in starts}) == 1, starts  # all children of one span
