"""wasi:http@0.2.3 probes: ``types`` (fields, requests, responses, bodies, options) and
``outgoing-handler`` against the loopback HTTP server the test session starts
(``tests/wasmtime/http_server.py``).

The server's address reaches the probe as the environment variable
``PROBE_HTTP_AUTHORITY`` (``127.0.0.1:PORT``), a closed loopback port as
``PROBE_HTTP_CLOSED``; both hosts add them to the worker's environment for this area
only (``probe_wasmtime.http_env``). On wasmtime the requests really go to the server
(``Linker.add_wasi_http()``); on golem-fakes through ``golem.http.pass_through`` to the
same server. The server answers only from what the probe sent (method, path, body and
its own ``x-*`` headers), so the headers Golem adds (``idempotency-key``,
``traceparent``) never show.
"""

from __future__ import annotations

from typing import Any

from componentize_py_types import Err, Ok
from wit_world.imports import environment, outgoing_handler
from wit_world.imports import wasi_http_types as t

from ._util import err_name, render, try_

__all__: list[str] = []


def _env(name: str) -> str:
    for k, v in environment.get_environment():
        if k == name:
            return v
    raise LookupError(f"{name} is not in the environment (probe_wasmtime.http_env)")


def _drop(resource: Any) -> None:
    resource.__exit__(None, None, None)


def _request(path: str, method: Any = None, headers: list[tuple[str, bytes]] | None = None,
             authority: str | None = None) -> Any:
    req = t.OutgoingRequest(t.Fields.from_list(headers or []))
    req.set_scheme(t.Scheme_Http())
    req.set_authority(authority if authority is not None else _env("PROBE_HTTP_AUTHORITY"))
    req.set_path_with_query(path)
    if method is not None:
        req.set_method(method)
    return req


def _wait(fut: Any) -> Any:
    p = fut.subscribe()
    p.block()
    _drop(p)
    return fut.get()


def _show_get(v: Any) -> str:
    """A ``future-incoming-response.get`` answer, the response as its status."""
    if v is None:
        return "none"
    if isinstance(v, Err):
        return "err(already taken)"
    inner = v.value
    if isinstance(inner, Ok):
        return f"ok(status {inner.value.status()})"
    return f"ok(err {err_name(inner)})"


def _read_body(resp: Any, out: list[str], label: str = "body", code: bool = False) -> Any:
    """Read the whole body; print its bytes and how the stream ended (``code``: with the
    stream error's ``http-error-code``); returns the future-trailers (the body
    finished)."""
    body = resp.consume()
    s = body.stream()
    data = bytearray()
    while True:
        try:
            data += s.blocking_read(65536)
        except Err as e:
            end = f"{label}: {render(bytes(data))} end {err_name(e)}"
            if code:
                failed = t.http_error_code(e.value.value) if hasattr(e.value, "value") else None
                end += f" code {render(failed)}"
            out.append(end)
            break
    _drop(s)
    return t.IncomingBody.finish(body)


def _send(req: Any, body: bytes | None = None, trailers: Any = None) -> Any:
    out_body = req.body() if body is not None else None
    fut = outgoing_handler.handle(req, None)
    if out_body is not None:
        s = out_body.write()
        s.blocking_write_and_flush(body)
        _drop(s)
        t.OutgoingBody.finish(out_body, trailers)
    return _wait(fut)


# --- fields -----------------------------------------------------------------------

def probe_fields_basics(out: list[str]) -> None:
    f = t.Fields.from_list([("b", b"1"), ("A", b"2"), ("b", b"3"), ("c", b"")])
    out.append(f"entries: {render(f.entries())}")
    out.append(f"get b: {render(f.get('b'))} get B: {render(f.get('B'))}")
    out.append(f"get missing: {render(f.get('zz'))} has a: {f.has('a')} has A: {f.has('A')}")
    try_(out, "append B", lambda: f.append("B", b"4"))
    try_(out, "set c", lambda: f.set("c", [b"x", b"y"]))
    out.append(f"entries: {render(f.entries())}")
    try_(out, "delete A", lambda: f.delete("a"))
    try_(out, "delete missing", lambda: f.delete("nope"))
    try_(out, "set empty list", lambda: f.set("b", []))
    out.append(f"entries: {render(f.entries())} has b: {f.has('b')}")
    empty = t.Fields()
    out.append(f"new: {render(empty.entries())}")


def probe_fields_clone(out: list[str]) -> None:
    f = t.Fields.from_list([("x", b"1")])
    c = f.clone()
    try_(out, "append to clone", lambda: c.append("y", b"2"))
    out.append(f"original: {render(f.entries())} clone: {render(c.entries())}")
    req = t.OutgoingRequest(t.Fields.from_list([("x-a", b"1")]))
    h = req.headers()
    c2 = h.clone()
    try_(out, "append to clone of immutable", lambda: c2.append("x-b", b"2"))
    out.append(f"clone: {render(c2.entries())} request headers: {render(h.entries())}")


def probe_fields_invalid(out: list[str]) -> None:
    for name, value in (("bad name", b"v"), ("", b"v"), ("ok", b"line\nbreak"),
                        ("ok", b"nul\x00"), ("ok", b"tab\tok"), ("ok", b"\xff\xfe"),
                        ("colon:", b"v"), ("UPPER", b"v"), ("ok", b" lead")):
        try_(out, f"from-list {name!r}={value!r}", lambda: t.Fields.from_list([(name, value)]),
             lambda f: render(f.entries()))
    f = t.Fields()
    try_(out, "set bad name", lambda: f.set("a b", [b"v"]))
    try_(out, "set bad value", lambda: f.set("a", [b"ok", b"\r"]))
    try_(out, "append bad value", lambda: f.append("a", b"\n"))
    try_(out, "delete bad name", lambda: f.delete("a b"))
    out.append(f"get bad name: {render(f.get('a b'))} has: {f.has('a b')}")
    out.append(f"after: {render(f.entries())}")


def probe_fields_forbidden(out: list[str]) -> None:
    for name in ("connection", "Keep-Alive", "proxy-authenticate", "proxy-authorization",
                 "proxy-connection", "transfer-encoding", "upgrade", "host",
                 "http2-settings", "cookie", "x-ok"):
        try_(out, f"from-list {name}", lambda: t.Fields.from_list([(name, b"v")]),
             lambda f: render(f.entries()))
        f = t.Fields()
        try_(out, f"  append {name}", lambda: f.append(name, b"v"))
        try_(out, f"  set {name}", lambda: f.set(name, [b"v"]))
        try_(out, f"  delete {name}", lambda: f.delete(name))


def probe_fields_forbidden_te(out: list[str]) -> None:
    f = t.Fields()
    try_(out, "from-list te", lambda: t.Fields.from_list([("te", b"trailers")]),
         lambda v: render(v.entries()))
    try_(out, "append te", lambda: f.append("TE", b"trailers"))
    out.append(f"entries: {render(f.entries())}")


def probe_fields_content_length_value(out: list[str]) -> None:
    for value in (b"12", b"v", b"+1", b" 1", b""):
        try_(out, f"from-list content-length {value!r}",
             lambda: t.Fields.from_list([("content-length", value)]),
             lambda v: render(v.entries()))


def probe_fields_immutable(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields.from_list([("x-a", b"1")]))
    h = req.headers()
    try_(out, "request headers append", lambda: h.append("x-b", b"2"))
    try_(out, "request headers set", lambda: h.set("x-a", [b"2"]))
    try_(out, "request headers delete", lambda: h.delete("x-a"))
    out.append(f"request headers: {render(h.entries())}")
    resp = t.OutgoingResponse(t.Fields.from_list([("x-r", b"1")]))
    rh = resp.headers()
    try_(out, "response headers append", lambda: rh.append("x-b", b"2"))
    out.append(f"response headers: {render(rh.entries())}")
    # the fields given to a constructor are moved: a second handle is a new resource
    out.append(f"request headers again: {render(req.headers().entries())}")


# --- requests, responses, options ------------------------------------------------------

def probe_request_defaults(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    out.append(f"method: {render(req.method())} path: {render(req.path_with_query())}")
    out.append(f"scheme: {render(req.scheme())} authority: {render(req.authority())}")


def probe_request_setters(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    for m in (t.Method_Post(), t.Method_Other("PURGE"), t.Method_Other("bad method"),
              t.Method_Other(""), t.Method_Other("GET")):
        try_(out, f"set-method {render(m)}", lambda: req.set_method(m))
        out.append(f"  now {render(req.method())}")
    for s in (t.Scheme_Https(), t.Scheme_Other("ftp"), t.Scheme_Other("bad scheme"),
              t.Scheme_Other(""), None):
        try_(out, f"set-scheme {render(s)}", lambda: req.set_scheme(s))
        out.append(f"  now {render(req.scheme())}")
    for a in ("example.com", "example.com:8080", "user@host", "bad host", "", "h:99999",
              "[::1]:80", None):
        try_(out, f"set-authority {a!r}", lambda: req.set_authority(a))
        out.append(f"  now {render(req.authority())}")
    for p in ("/a?b=c", "/", "/with space", "/%zz", "", None):
        try_(out, f"set-path-with-query {p!r}", lambda: req.set_path_with_query(p))
        out.append(f"  now {render(req.path_with_query())}")


def probe_request_path_without_slash(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    for p in ("no-slash", "*", "?q"):
        try_(out, f"set-path-with-query {p!r}", lambda: req.set_path_with_query(p))
        out.append(f"  now {render(req.path_with_query())}")


def probe_request_body_once(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    b = try_(out, "body", req.body, lambda v: render(v))
    try_(out, "body again", req.body, lambda v: render(v))
    s = try_(out, "write", b.write, lambda v: render(v))
    try_(out, "write again", b.write, lambda v: render(v))
    _drop(s)
    try_(out, "finish", lambda: t.OutgoingBody.finish(b, None))


def probe_response_construction(out: list[str]) -> None:
    resp = t.OutgoingResponse(t.Fields.from_list([("x-r", b"1")]))
    out.append(f"status: {resp.status_code()}")
    for code in (204, 99, 100, 599, 600, 999, 1000, 0):
        try_(out, f"set-status-code {code}", lambda: resp.set_status_code(code))
        out.append(f"  now {resp.status_code()}")
    b = try_(out, "body", resp.body, lambda v: render(v))
    try_(out, "body again", resp.body, lambda v: render(v))
    s = b.write()
    s.blocking_write_and_flush(b"abc")
    _drop(s)
    try_(out, "finish with trailers",
         lambda: t.OutgoingBody.finish(b, t.Fields.from_list([("x-t", b"1")])))


def probe_request_options(out: list[str]) -> None:
    o = t.RequestOptions()
    out.append(f"defaults: {render(o.connect_timeout())} {render(o.first_byte_timeout())} "
               f"{render(o.between_bytes_timeout())}")
    for v in (0, 1, 10**9, 2**64 - 1, None):
        try_(out, f"connect {v}", lambda: o.set_connect_timeout(v))
        try_(out, f"first-byte {v}", lambda: o.set_first_byte_timeout(v))
        try_(out, f"between-bytes {v}", lambda: o.set_between_bytes_timeout(v))
        out.append(f"  now {render(o.connect_timeout())} {render(o.first_byte_timeout())} "
                   f"{render(o.between_bytes_timeout())}")


def _response_body_probe(out: list[str], length: bytes, writes: list[bytes],
                         keep_response: bool) -> None:
    """An outgoing-response with ``content-length: length``; its body written with
    ``write`` (after ``check-write``) and finished. With ``keep_response`` false the
    response is dropped first: the body channel's receiver goes with it."""
    resp = t.OutgoingResponse(t.Fields.from_list([("content-length", length)]))
    b = resp.body()
    if not keep_response:
        _drop(resp)
    s = b.write()
    for data in writes:
        try_(out, "check-write > 0", lambda: s.check_write() > 0)
        try_(out, f"write {len(data)} (content-length {length.decode()})",
             lambda: s.write(data))
    try_(out, "flush", s.flush)
    _drop(s)
    try_(out, "finish", lambda: t.OutgoingBody.finish(b, None))


def probe_content_length_short(out: list[str]) -> None:
    _response_body_probe(out, b"5", [b"abc"], keep_response=True)


def probe_content_length_long(out: list[str]) -> None:
    # nothing reads the channel (2 chunks): each write past the length fails anew
    _response_body_probe(out, b"2", [b"abc", b"d"], keep_response=True)


def probe_content_length_exact(out: list[str]) -> None:
    _response_body_probe(out, b"3", [b"a", b"bc"], keep_response=True)


def probe_content_length_response_dropped(out: list[str]) -> None:
    _response_body_probe(out, b"3", [b"abc"], keep_response=False)


def probe_request_dropped_before_handle(out: list[str]) -> None:
    req = _request("/echo", method=t.Method_Post())
    b = req.body()
    s = b.write()
    try_(out, "write before drop", lambda: s.write(b"ab"))
    _drop(req)
    try_(out, "check-write after drop", s.check_write)
    try_(out, "write after drop", lambda: s.write(b"cd"))
    _drop(s)
    try_(out, "finish", lambda: t.OutgoingBody.finish(b, None))


# --- outgoing-handler ----------------------------------------------------------------

def probe_get_echo(out: list[str]) -> None:
    req = _request("/echo?q=1", headers=[("x-probe", b"a"), ("X-Probe", b"b"),
                                         ("x-other", b"c")])
    v = _send(req)
    out.append(f"get: {_show_get(v)}")
    resp = v.value.value
    h = resp.headers()
    out.append(f"x- headers: {render([e for e in h.entries() if e[0].startswith('x-')])}")
    out.append(f"content-length: {render(h.get('content-length'))}")
    try_(out, "response headers append", lambda: h.append("x-new", b"1"))
    trailers = _read_body(resp, out)
    p = trailers.subscribe()
    p.block()
    _drop(p)
    out.append(f"trailers: {render(trailers.get())}")
    out.append(f"trailers again: {render(trailers.get())}")


def probe_post_body(out: list[str]) -> None:
    req = _request("/echo", method=t.Method_Post(), headers=[("content-length", b"11")])
    v = _send(req, b"hello world")
    resp = v.value.value
    out.append(f"status {resp.status()} x-method {render(resp.headers().get('x-method'))} "
               f"x-body-len {render(resp.headers().get('x-body-len'))}")
    _read_body(resp, out)


def probe_status_codes(out: list[str]) -> None:
    for code in (201, 204, 404, 500):
        v = _send(_request(f"/status/{code}"))
        resp = v.value.value
        out.append(f"{code}: status {resp.status()}")
        _read_body(resp, out, "  body")


def probe_duplicate_response_headers(out: list[str]) -> None:
    resp = _send(_request("/dup")).value.value
    h = resp.headers()
    out.append(f"x-multi: {render(h.get('x-multi'))} X-MULTI: {render(h.get('X-MULTI'))}")
    out.append(f"x- entries: {render([e for e in h.entries() if e[0].startswith('x-')])}")
    _read_body(resp, out)


def probe_large_body(out: list[str]) -> None:
    resp = _send(_request("/big")).value.value
    body = resp.consume()
    s = body.stream()
    total, ends = 0, ""
    while True:
        try:
            total += len(s.blocking_read(1 << 20))
        except Err as e:
            ends = err_name(e)
            break
    out.append(f"read {total} bytes then {ends}")
    _drop(s)
    t.IncomingBody.finish(body)


def probe_future_get_twice(out: list[str]) -> None:
    fut = outgoing_handler.handle(_request("/echo"), None)
    first = _wait(fut)
    out.append(f"first: {_show_get(first)}")
    out.append(f"second: {_show_get(fut.get())}")
    out.append(f"third: {_show_get(fut.get())}")
    resp = first.value.value
    try_(out, "consume", resp.consume, lambda v: render(v))
    try_(out, "consume again", resp.consume, lambda v: render(v))


def probe_body_stream_once(out: list[str]) -> None:
    resp = _send(_request("/echo")).value.value
    body = resp.consume()
    s = try_(out, "stream", body.stream, lambda v: render(v))
    try_(out, "stream again", body.stream, lambda v: render(v))
    _drop(s)
    t.IncomingBody.finish(body)


def probe_connection_refused(out: list[str]) -> None:
    v = _send(_request("/", authority=_env("PROBE_HTTP_CLOSED")))
    out.append(f"closed port: {_show_get(v)}")


def probe_handle_errors(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    req.set_scheme(t.Scheme_Http())
    try_(out, "no authority", lambda: outgoing_handler.handle(req, None),
         lambda f: _show_get(_wait(f)))
    req = _request("/")
    req.set_method(t.Method_Other("PURGE"))
    try_(out, "other method", lambda: outgoing_handler.handle(req, None),
         lambda f: _show_get(_wait(f)))
    req = _request("/")
    req.set_scheme(t.Scheme_Other("ftp"))
    try_(out, "ftp scheme", lambda: outgoing_handler.handle(req, None),
         lambda f: _show_get(_wait(f)))


def _request_body_probe(out: list[str], length: bytes, writes: list[bytes],
                        wait: bool) -> None:
    req = _request("/echo", method=t.Method_Post(), headers=[("content-length", length)])
    b = req.body()
    fut = outgoing_handler.handle(req, None)
    s = b.write()
    for data in writes:
        p = s.subscribe()
        p.block()
        _drop(p)
        try_(out, f"write {len(data)} (content-length {length.decode()})",
             lambda: s.write(data))
    _drop(s)
    try_(out, "finish", lambda: t.OutgoingBody.finish(b, None))
    if wait:
        out.append(f"response: {_show_get(_wait(fut))}")


def probe_request_content_length_short(out: list[str]) -> None:
    _request_body_probe(out, b"5", [b"abc"], wait=False)


def probe_request_content_length_long(out: list[str]) -> None:
    # one write only: after it hyper rejects the body and drops the channel, so a later
    # write reports closed as soon as hyper got there (a race on the real host)
    _request_body_probe(out, b"2", [b"abc"], wait=False)


def probe_request_content_length_exact(out: list[str]) -> None:
    _request_body_probe(out, b"3", [b"a", b"bc"], wait=True)


def probe_request_trailers(out: list[str]) -> None:
    req = _request("/echo", method=t.Method_Post())
    v = _send(req, b"body", t.Fields.from_list([("x-trail", b"tv")]))
    resp = v.value.value
    h = resp.headers()
    out.append(f"x- headers: {render([e for e in h.entries() if e[0].startswith('x-')])}")
    _read_body(resp, out)


def probe_response_trailers(out: list[str]) -> None:
    resp = _send(_request("/trailers")).value.value
    out.append(f"status {resp.status()} trailer: {render(resp.headers().get('trailer'))}")
    trailers = _read_body(resp, out)
    p = trailers.subscribe()
    p.block()
    _drop(p)
    got = trailers.get()
    if isinstance(got, Ok) and isinstance(got.value, Ok) and got.value.value is not None:
        out.append(f"trailers: {render(got.value.value.entries())}")
    else:
        out.append(f"trailers: {render(got)}")


def probe_first_byte_timeout(out: list[str]) -> None:
    o = t.RequestOptions()
    o.set_first_byte_timeout(100_000_000)  # 100 ms; /slow answers after a second
    fut = outgoing_handler.handle(_request("/slow"), o)
    out.append(f"slow: {_show_get(_wait(fut))}")


def probe_between_bytes_timeout(out: list[str]) -> None:
    """``/stall`` sends ``abc``, then waits a second: with a 100 ms between-bytes
    timeout the body ends after ``abc`` with ``connection-read-timeout`` (wasmtime 33
    ``crates/wasi-http/src/body.rs`` ``BodyWithTimeout``)."""
    o = t.RequestOptions()
    o.set_between_bytes_timeout(100_000_000)
    resp = _wait(outgoing_handler.handle(_request("/stall"), o)).value.value
    out.append(f"status {resp.status()}")
    _read_body(resp, out, code=True)


def probe_dns_error(out: list[str]) -> None:
    # RFC 2606: .invalid never resolves
    v = _send(_request("/", authority="no-such-host.invalid:80"))
    out.append(f"unknown host: {_show_get(v)}")


def probe_head_request(out: list[str]) -> None:
    resp = _send(_request("/echo", method=t.Method_Head())).value.value
    h = resp.headers()
    out.append(f"status {resp.status()} x-method {render(h.get('x-method'))} "
               f"content-length {render(h.get('content-length'))}")
    _drop(h)
    _read_body(resp, out)


def probe_finish_with_live_stream_traps(out: list[str]) -> None:
    req = t.OutgoingRequest(t.Fields())
    b = req.body()
    s = b.write()
    out.append("before")
    t.OutgoingBody.finish(b, None)  # the stream is a child of the body: trap
    out.append(f"not reached {render(s)}")


def probe_response_dropped_with_live_headers_traps(out: list[str]) -> None:
    resp = _send(_request("/echo")).value.value
    h = resp.headers()
    out.append("before")
    _drop(resp)  # the headers are a child of the response: trap
    out.append(f"not reached {render(h)}")


def probe_incoming_body_finish_with_live_stream_traps(out: list[str]) -> None:
    resp = _send(_request("/echo")).value.value
    body = resp.consume()
    s = body.stream()
    out.append("before")
    t.IncomingBody.finish(body)  # the stream is a child of the body: trap
    out.append(f"not reached {render(s)}")


def probe_request_handled_with_live_headers_traps(out: list[str]) -> None:
    req = _request("/echo")
    h = req.headers()
    out.append("before")
    fut = outgoing_handler.handle(req, None)  # consumes the request: its headers are a child
    out.append(f"handled {_show_get(_wait(fut))} headers {render(h.entries())}")
