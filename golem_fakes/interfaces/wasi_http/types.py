"""Behaviour of ``wasi:http/types@0.2.3``: every function and method (see
:mod:`golem_fakes.interfaces.wasi_http` for the durability, and
:mod:`golem_fakes.state.http_fields` / :mod:`golem_fakes.state.http_resources` for the
rules each resource follows, with their wasmtime 33 sources).

Validation of the request's parts is the ``http`` crate's (1.x), as wasmtime uses it:

* ``set-method(other(m))``: ``m`` must be a token (``http::Method::from_str``),
  else ``err``;
* ``set-scheme(other(s))``: at most 64 bytes of letters, digits, ``+ - .``
  (``http::uri::Scheme::from_str``);
* ``set-authority(a)``: ``http::uri::Authority::from_str`` (no ``/ ? #``, no spaces or
  other bytes outside the URI set, balanced ``[...]``, at most one ``:`` outside
  brackets, no empty host after ``@``, no ``%``), and a ``:`` needs a port that is a
  ``u16`` (wasmtime's own check; Rust's ``u16::from_str`` also takes ``+80``);
* ``set-path-with-query(p)``: ``http::uri::PathAndQuery::from_str`` (the path bytes
  ``!``, ``$`` to ``;``, ``=``, ``@`` to ``_``, ``a`` to ``z``, ``|``, ``~``, ``"``,
  ``{``, ``}`` and every byte from 0x7F (UTF-8); the query the visible ASCII but ``"``,
  ``#``, ``<``, ``>``, and every byte from 0x7F; ``#`` starts a fragment that is not
  checked). The ``http`` crate is Golem's: 1.3.1 in Golem v1.3.0-dev.25's
  ``Cargo.lock`` (wasmtime 33's own lock has 1.0.0, which refused bytes from 0x7F);
* ``outgoing-response.set-status-code(s)``: ``100 <= s <= 999``.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap, case_name, dropped_by_collector
from golem_fakes.interfaces.wasi_http import (GET_NAME, REPLAYED_BODY_FAILURE, TYPES, HttpCall,
                                              persist_nothing)
from golem_fakes.state.http import DEFAULT_TIMEOUT_NS, ErrorCode
from golem_fakes.state.http_fields import FORBIDDEN_HEADERS, FieldMap, FieldsRep, header_name, valid_value
from golem_fakes.state.http_resources import (BodyInputStreamRep, BodyOutputStreamRep,
                                              FutureResponseRep, FutureTrailersRep,
                                              HttpStreamError, IncomingBodyRep,
                                              IncomingRequestRep, IncomingResponseRep,
                                              OutgoingBodyRep, OutgoingRequestRep,
                                              OutgoingResponseRep, RequestOptionsRep,
                                              ResponseOutparamRep)
from golem_fakes.state.streams import PollableRep

__all__ = ["method_text", "scheme_text", "valid_authority", "valid_path_with_query"]

INVALID = "invalid-syntax"
FORBIDDEN = "forbidden"
IMMUTABLE = "immutable"


def _trap(message: str, function: str) -> Trap:
    return Trap(message, interface=TYPES, function=function)


def _children_trap(rep: Any, function: str) -> None:
    """wasmtime ``ResourceTable::delete`` of a resource with live children."""
    if getattr(rep, "children", 0) and not dropped_by_collector():
        raise _trap(f"resource has children: {getattr(rep, 'name', rep)} is dropped or "
                    f"consumed while {rep.children} child resource(s) of it (a headers view, "
                    f"a body stream, a pollable made by subscribe) are alive; drop them first",
                    function)


# --- method, scheme, authority, path ------------------------------------------------

_TOKEN = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                   b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_SCHEME = frozenset(b"+-.0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_URI = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                 b"-._~!$&'()*+,;=:/?#[]@")
# http 1.3.1 (Golem's Cargo.lock; wasmtime 33's own lock has 1.0.0, which refused bytes
# from 0x7F): the bytes of a valid UTF-8 string from 0x7F up are allowed in both parts
_PATH = frozenset([0x21, *range(0x24, 0x3C), 0x3D, *range(0x40, 0x60), *range(0x61, 0x7B),
                   0x7C, 0x7E, 0x22, 0x7B, 0x7D, *range(0x7F, 0x100)])
_QUERY = frozenset([0x21, *range(0x24, 0x3C), 0x3D, *range(0x3F, 0x7F), *range(0x7F, 0x100)])
_STANDARD = {"get": "GET", "head": "HEAD", "post": "POST", "put": "PUT", "delete": "DELETE",
             "connect": "CONNECT", "options": "OPTIONS", "trace": "TRACE", "patch": "PATCH"}


def _method_value(method: Any) -> Any:
    """A lowered ``method`` argument as stored: the case name or ``("other", text)``."""
    name = case_name(method)
    return ("other", method.value) if name == "other" else name


def method_text(method: Any) -> str:
    """``GET``, ... or the other method's text (Golem's ``SerializableHttpMethod`` display)."""
    if isinstance(method, tuple):
        return str(method[1])
    return _STANDARD[method]


def _scheme_value(scheme: Any) -> Any:
    if scheme is None:
        return None
    name = case_name(scheme)
    if name == "other":
        return ("other", scheme.value)
    return "HTTP" if name == "http" else "HTTPS"


def scheme_text(scheme: Any) -> str:
    """``http``/``https``/the other scheme's text (``None``: https, wasmtime's default)."""
    if scheme is None or scheme == "HTTPS":
        return "https"
    if scheme == "HTTP":
        return "http"
    return str(scheme[1])


def _valid_method(text: str) -> bool:
    raw = text.encode("utf-8", "surrogatepass")
    return bool(raw) and _TOKEN.issuperset(raw)


def _valid_scheme(text: str) -> bool:
    raw = text.encode("utf-8", "surrogatepass")
    if raw in (b"http", b"https"):
        return True
    return len(raw) <= 64 and _SCHEME.issuperset(raw)


def valid_authority(text: str) -> bool:
    """``http::uri::Authority::from_str`` plus wasmtime's port check."""
    raw = text.encode("utf-8", "surrogatepass")
    if not raw:
        return False
    colons = 0
    start = end = percent = False
    at: int | None = None
    for i, b in enumerate(raw):
        if b in b"/?#":
            return False  # the authority must be the whole string
        if b == 0x3A:  # ':'
            if colons >= 8:
                return False
            colons += 1
        elif b == 0x5B:  # '['
            if percent or start:
                return False
            start = True
        elif b == 0x5D:  # ']'
            if not start or end:
                return False
            end = True
            colons = 0
            percent = False
        elif b == 0x40:  # '@'
            at = i
            colons = 0
            percent = False
        elif b == 0x25:  # '%'
            percent = True
        elif b not in _URI:
            return False
    if start != end or colons > 1 or (at is not None and at == len(raw) - 1) or percent:
        return False
    if ":" in text:
        host_port = text.rsplit("@", 1)[-1]
        tail = host_port[host_port.rfind("]") + 1:] if "]" in host_port else host_port
        if ":" not in tail:
            return False
        port = tail.rsplit(":", 1)[1]
        digits = port[1:] if port.startswith("+") else port  # Rust's u16::from_str
        if not digits or not digits.isdigit() or not digits.isascii() or int(digits) > 65535:
            return False
    return True


def valid_path_with_query(text: str) -> bool:
    """``http::uri::PathAndQuery::from_str``."""
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: not UTF-8 (ByteStr::from_utf8 fails)
        return False
    i, n = 0, len(raw)
    while i < n:
        b = raw[i]
        if b == 0x3F:  # '?'
            i += 1
            while i < n:
                c = raw[i]
                if c == 0x23:
                    return True
                if c not in _QUERY:
                    return False
                i += 1
            return True
        if b == 0x23:  # '#'
            return True
        if b not in _PATH:
            return False
        i += 1
    return True


# --- fields ---------------------------------------------------------------------------


def _fields(rep: Any, function: str) -> FieldsRep:
    if not isinstance(rep, FieldsRep):
        raise _trap(f"fields rep {rep!r} is not a golem_fakes.state.http_fields.FieldsRep", function)
    return rep


@implements(TYPES, "[constructor]fields")
def fields_new(env: Any) -> FieldsRep:
    """An empty, mutable ``fields``."""
    return FieldsRep()


@implements(TYPES, "[static]fields.from-list")
def fields_from_list(env: Any, entries: list[tuple[str, bytes]]) -> Any:
    """Mutable fields of ``entries`` in order; the first invalid name or value gives
    ``invalid-syntax``, a forbidden name ``forbidden`` (checked entry by entry: name,
    forbidden, value)."""
    fmap = FieldMap()
    for name, value in entries:
        lower = header_name(name)
        if lower is None:
            return Err(INVALID)
        if lower in FORBIDDEN_HEADERS:
            return Err(FORBIDDEN)
        if not valid_value(value):
            return Err(INVALID)
        fmap.append(lower, bytes(value))
    return Ok(FieldsRep(fmap))


@implements(TYPES, "[method]fields.get")
def fields_get(env: Any, rep: Any, name: str) -> list[bytes]:
    """Every value of ``name`` (case-insensitive), in order; ``[]`` for an invalid name."""
    f = _fields(rep, "[method]fields.get")
    lower = header_name(name)
    return [] if lower is None else f.map.get_all(lower)


@implements(TYPES, "[method]fields.has")
def fields_has(env: Any, rep: Any, name: str) -> bool:
    """Whether ``name`` has a value (``false`` for an invalid name)."""
    f = _fields(rep, "[method]fields.has")
    lower = header_name(name)
    return lower is not None and lower in f.map


@implements(TYPES, "[method]fields.set")
def fields_set(env: Any, rep: Any, name: str, value: list[bytes]) -> Any:
    """Replace the values of ``name`` (it moves to the end, ``HeaderMap`` remove +
    append)."""
    f = _fields(rep, "[method]fields.set")
    lower = header_name(name)
    if lower is None:
        return Err(INVALID)
    if lower in FORBIDDEN_HEADERS:
        return Err(FORBIDDEN)
    if not all(valid_value(v) for v in value):
        return Err(INVALID)
    if f.immutable:
        return Err(IMMUTABLE)
    f.map.remove(lower)
    for v in value:
        f.map.append(lower, bytes(v))
    return Ok(None)


@implements(TYPES, "[method]fields.delete")
def fields_delete(env: Any, rep: Any, name: str) -> Any:
    """Remove every value of ``name`` (the last name takes its place in the order)."""
    f = _fields(rep, "[method]fields.delete")
    lower = header_name(name)
    if lower is None:
        return Err(INVALID)
    if lower in FORBIDDEN_HEADERS:
        return Err(FORBIDDEN)
    if f.immutable:
        return Err(IMMUTABLE)
    f.map.remove(lower)
    return Ok(None)


@implements(TYPES, "[method]fields.append")
def fields_append(env: Any, rep: Any, name: str, value: bytes) -> Any:
    """Add a value to ``name``."""
    f = _fields(rep, "[method]fields.append")
    lower = header_name(name)
    if lower is None:
        return Err(INVALID)
    if lower in FORBIDDEN_HEADERS:
        return Err(FORBIDDEN)
    if not valid_value(value):
        return Err(INVALID)
    if f.immutable:
        return Err(IMMUTABLE)
    f.map.append(lower, bytes(value))
    return Ok(None)


@implements(TYPES, "[method]fields.entries")
def fields_entries(env: Any, rep: Any) -> list[tuple[str, bytes]]:
    """``(name, value)`` pairs, the values of one name together (``HeaderMap::iter``)."""
    return _fields(rep, "[method]fields.entries").map.entries()


@implements(TYPES, "[method]fields.clone")
def fields_clone(env: Any, rep: Any) -> FieldsRep:
    """A mutable copy (also of an immutable view)."""
    return FieldsRep(_fields(rep, "[method]fields.clone").map.copy())


@implements(TYPES, "[resource-drop]fields")
def fields_drop(env: Any, rep: Any) -> None:
    """A view stops being a child of its request/response."""
    if isinstance(rep, FieldsRep):
        rep.release()


# --- outgoing-request ------------------------------------------------------------------


def _request(rep: Any, function: str) -> OutgoingRequestRep:
    if not isinstance(rep, OutgoingRequestRep):
        raise _trap(f"outgoing-request rep {rep!r} is not an OutgoingRequestRep", function)
    return rep


def _content_length(fmap: FieldMap) -> tuple[bool, int | None]:
    """``get_content_length``: ``(ok, length)``; a value that is not a ``u64`` is not ok."""
    raw = fmap.first("content-length")
    if raw is None:
        return True, None
    try:
        text = raw.decode("ascii")
    except UnicodeDecodeError:
        return False, None
    if not text.isdigit() or int(text) >= 2**64:
        return False, None
    return True, int(text)


@implements(TYPES, "[constructor]outgoing-request")
def outgoing_request_new(env: Any, headers: Any) -> OutgoingRequestRep:
    """A ``GET`` request with no scheme, authority or path; ``headers`` is moved in."""
    return OutgoingRequestRep(_fields(headers, "[constructor]outgoing-request").take())


@implements(TYPES, "[method]outgoing-request.body")
def outgoing_request_body(env: Any, rep: Any) -> Any:
    """The body, once (``err`` the second time, or when ``content-length`` is not a
    number)."""
    r = _request(rep, "[method]outgoing-request.body")
    if r.body is not None:
        return Err(None)
    ok, size = _content_length(r.headers)
    if not ok:
        return Err(None)
    r.body = OutgoingBodyRep("request", size, r.name)
    return Ok(r.body)


@implements(TYPES, "[method]outgoing-request.method")
def outgoing_request_method(env: Any, rep: Any) -> Any:
    return _request(rep, "[method]outgoing-request.method").method


@implements(TYPES, "[method]outgoing-request.set-method")
def outgoing_request_set_method(env: Any, rep: Any, method: Any) -> Any:
    """``err`` for an ``other`` method that is not a token."""
    r = _request(rep, "[method]outgoing-request.set-method")
    value = _method_value(method)
    if isinstance(value, tuple) and not _valid_method(value[1]):
        return Err(None)
    r.method = value
    return Ok(None)


@implements(TYPES, "[method]outgoing-request.path-with-query")
def outgoing_request_path_with_query(env: Any, rep: Any) -> str | None:
    return _request(rep, "[method]outgoing-request.path-with-query").path_with_query


@implements(TYPES, "[method]outgoing-request.set-path-with-query")
def outgoing_request_set_path_with_query(env: Any, rep: Any, value: str | None) -> Any:
    r = _request(rep, "[method]outgoing-request.set-path-with-query")
    if value is not None and not valid_path_with_query(value):
        return Err(None)
    r.path_with_query = value
    return Ok(None)


@implements(TYPES, "[method]outgoing-request.scheme")
def outgoing_request_scheme(env: Any, rep: Any) -> Any:
    return _request(rep, "[method]outgoing-request.scheme").scheme


@implements(TYPES, "[method]outgoing-request.set-scheme")
def outgoing_request_set_scheme(env: Any, rep: Any, scheme: Any) -> Any:
    r = _request(rep, "[method]outgoing-request.set-scheme")
    value = _scheme_value(scheme)
    if isinstance(value, tuple) and not _valid_scheme(value[1]):
        return Err(None)
    r.scheme = value
    return Ok(None)


@implements(TYPES, "[method]outgoing-request.authority")
def outgoing_request_authority(env: Any, rep: Any) -> str | None:
    return _request(rep, "[method]outgoing-request.authority").authority


@implements(TYPES, "[method]outgoing-request.set-authority")
def outgoing_request_set_authority(env: Any, rep: Any, value: str | None) -> Any:
    r = _request(rep, "[method]outgoing-request.set-authority")
    if value is not None and not valid_authority(value):
        return Err(None)
    r.authority = value
    return Ok(None)


@implements(TYPES, "[method]outgoing-request.headers")
def outgoing_request_headers(env: Any, rep: Any) -> FieldsRep:
    """An immutable view of the request's headers (a child of the request)."""
    r = _request(rep, "[method]outgoing-request.headers")
    return FieldsRep(r.headers, parent=r, name=f"headers of {r.name}")


@implements(TYPES, "[resource-drop]outgoing-request")
def outgoing_request_drop(env: Any, rep: Any) -> None:
    """Dropped unsent: its body's stream is closed from now on
    (:meth:`OutgoingBodyRep.owner_dropped`)."""
    _children_trap(rep, "[resource-drop]outgoing-request")
    body = getattr(rep, "body", None)
    if body is not None:
        body.owner_dropped()


# --- request-options -------------------------------------------------------------------


def _options(rep: Any, function: str) -> RequestOptionsRep:
    if not isinstance(rep, RequestOptionsRep):
        raise _trap(f"request-options rep {rep!r} is not a RequestOptionsRep", function)
    return rep


@implements(TYPES, "[constructor]request-options")
def request_options_new(env: Any) -> RequestOptionsRep:
    """No timeout set (the request then uses wasmtime's 600 s)."""
    return RequestOptionsRep()


@implements(TYPES, "[method]request-options.connect-timeout")
def request_options_connect_timeout(env: Any, rep: Any) -> int | None:
    return _options(rep, "[method]request-options.connect-timeout").connect


@implements(TYPES, "[method]request-options.set-connect-timeout")
def request_options_set_connect_timeout(env: Any, rep: Any, value: int | None) -> Any:
    _options(rep, "[method]request-options.set-connect-timeout").connect = value
    return Ok(None)


@implements(TYPES, "[method]request-options.first-byte-timeout")
def request_options_first_byte_timeout(env: Any, rep: Any) -> int | None:
    return _options(rep, "[method]request-options.first-byte-timeout").first_byte


@implements(TYPES, "[method]request-options.set-first-byte-timeout")
def request_options_set_first_byte_timeout(env: Any, rep: Any, value: int | None) -> Any:
    _options(rep, "[method]request-options.set-first-byte-timeout").first_byte = value
    return Ok(None)


@implements(TYPES, "[method]request-options.between-bytes-timeout")
def request_options_between_bytes_timeout(env: Any, rep: Any) -> int | None:
    return _options(rep, "[method]request-options.between-bytes-timeout").between_bytes


@implements(TYPES, "[method]request-options.set-between-bytes-timeout")
def request_options_set_between_bytes_timeout(env: Any, rep: Any, value: int | None) -> Any:
    _options(rep, "[method]request-options.set-between-bytes-timeout").between_bytes = value
    return Ok(None)


# --- outgoing-body -----------------------------------------------------------------------


def _body(rep: Any, function: str) -> OutgoingBodyRep:
    if not isinstance(rep, OutgoingBodyRep):
        raise _trap(f"outgoing-body rep {rep!r} is not an OutgoingBodyRep", function)
    return rep


@implements(TYPES, "[method]outgoing-body.write")
def outgoing_body_write(env: Any, rep: Any) -> Any:
    """The body's output stream, once (a child of the body)."""
    b = _body(rep, "[method]outgoing-body.write")
    if b.stream_taken:
        return Err(None)
    b.stream_taken = True
    stream = b.stream = BodyOutputStreamRep(b)
    stream._parent = b
    b.children += 1
    return Ok(stream)


@implements(TYPES, "[static]outgoing-body.finish")
def outgoing_body_finish(env: Any, rep: Any, trailers: Any) -> Any:
    """Finish the body (with trailers, moved in). Traps while its stream is alive;
    ``HTTP-request-body-size(written)`` if a ``content-length`` was not met (the body
    is then aborted)."""
    function = "[static]outgoing-body.finish"
    b = _body(rep, function)
    _children_trap(b, function)
    if trailers is not None:
        b.trailers = _fields(trailers, function).take()
    err = b.size_error()
    if err is not None:
        b.done("aborted")
        return Err(err.wit())
    b.done("finished")
    return Ok(None)


@implements(TYPES, "[resource-drop]outgoing-body")
def outgoing_body_drop(env: Any, rep: Any) -> None:
    """Dropping an unfinished body aborts it: the request fails with
    ``HTTP-protocol-error``."""
    b = _body(rep, "[resource-drop]outgoing-body")
    _children_trap(b, "[resource-drop]outgoing-body")
    if b.state is None:
        b.done("aborted")


# --- future-incoming-response ------------------------------------------------------------


class FuturePollable(PollableRep):
    """The pollable of ``future-incoming-response.subscribe``: ready with the response;
    while the response is due at a known instant it stands for a clock deadline
    (:attr:`delegate`), so ``poll``/``block`` jump the virtual clock to it."""

    def __init__(self, future: FutureResponseRep) -> None:
        super().__init__(future.is_ready, name=f"subscribe({future.name})", parent=future)
        self.future = future

    @property
    def delegate(self) -> Any:
        f = self.future
        if f.state != "sent" or f.is_ready():
            return None
        from golem_fakes.state.clock import ClockPollable

        p = ClockPollable(f.clock, f.ready_at_ns, f"response of {f.name}")
        p.suspends = False  # type: ignore[attr-defined]  # waiting for HTTP is no sleep
        return p


def _future(rep: Any, function: str) -> FutureResponseRep:
    if not isinstance(rep, FutureResponseRep):
        raise _trap(f"future-incoming-response rep {rep!r} is not a FutureResponseRep", function)
    return rep


@implements(TYPES, "[method]future-incoming-response.subscribe")
def future_incoming_response_subscribe(env: Any, rep: Any) -> PollableRep:
    return FuturePollable(_future(rep, "[method]future-incoming-response.subscribe"))


def _serial_headers(fmap: FieldMap) -> dict[str, bytes]:
    """Golem's ``HashMap<String, Vec<u8>>`` of headers: one (the last) value per name."""
    out: dict[str, bytes] = {}
    for n, v in fmap.entries():
        out[n] = v
    return out


def _live_get(env: Any, f: FutureResponseRep) -> Any:
    """wasmtime's ``get``: ``None`` while pending, the response or error once, then
    ``err``. A deferred request (made in replay) is sent now and is pending."""
    if f.state == "deferred":
        f.state = "waiting"
        if f.send is not None:
            f.send(f)
        return None
    if f.state == "consumed":
        return Err(None)
    if not f.is_ready():
        return None
    f.state = "consumed"
    out = f.outcome
    if isinstance(out, ErrorCode):
        return Ok(Err(out.wit()))
    assert out is not None
    headers = FieldMap.of(out.header_pairs()).without_forbidden()
    trailers = FieldMap.of(_pairs(out.trailers)).without_forbidden() \
        if out.trailers is not None else None
    body = IncomingBodyRep(out.frames(), trailers, error=out.body_error)
    if out.chunk_delay:  # frames arriving over time, bounded by the between-bytes timeout
        req = f.request
        timeout = req.between_bytes_timeout_ns if req is not None else None
        body.timed(f.clock, int(out.chunk_delay * 1_000_000_000),
                   DEFAULT_TIMEOUT_NS if timeout is None else timeout)
    return Ok(Ok(IncomingResponseRep(int(out.status), headers, body)))


def _pairs(v: Any) -> list[tuple[str, bytes]]:
    from golem_fakes.state.http import _pairs as pairs

    return pairs(v)


def _serialize(result: Any) -> tuple[str, Any]:
    """``SerializableResponse`` of a live ``get`` result."""
    if result is None:
        return ("pending", None)
    if isinstance(result, Err):
        return ("internal-error", None)
    inner = result.value
    if isinstance(inner, Err):
        return ("http-error", ErrorCode.from_wit(inner.value))
    resp = inner.value
    return ("headers-received", {"status": resp.status, "headers": _serial_headers(resp.headers)})


def _replayed_get(serial: tuple[str, Any], call: HttpCall) -> Any:
    kind, payload = serial
    if kind == "pending":
        return None
    if kind == "internal-error":
        return Err(None)
    if kind == "http-error":
        return Ok(Err(payload.wit()))
    headers = FieldMap.of(payload["headers"].items())
    body = IncomingBodyRep([], None, failure=REPLAYED_BODY_FAILURE)
    resp = IncomingResponseRep(payload["status"], headers, body)
    return Ok(Ok(resp))


@implements(TYPES, "[method]future-incoming-response.get")
def future_incoming_response_get(env: Any, rep: Any) -> Any:
    """``none`` while pending; ``some(ok(ok(response)))`` / ``some(ok(err(code)))``
    once; ``some(err)`` afterwards. Recorded on every call (see the package docstring);
    in replay the recorded answer is returned."""
    function = "[method]future-incoming-response.get"
    f = _future(rep, function)
    call: HttpCall | None = f.call
    if call is None:
        return _live_get(env, f)
    rt = call.rt
    replaying = rt.replay is not None
    if replaying:
        if persist_nothing(rt):
            raise _trap("Runtime error: Trying to replay an http request in a PersistNothing "
                        "block", function)
        e = rt.replay.take_call(GET_NAME, call.request)
        result = _replayed_get(e.payload["response"], call)
    else:
        result = _live_get(env, f)
        serial = _serialize(result)
        call.record(GET_NAME, serial, serial)
    if isinstance(result, Ok) and isinstance(result.value, Ok):
        resp = result.value.value
        resp.call = call
        call.hand_over("response")
    if not replaying:
        call.tick()
    return result


@implements(TYPES, "[resource-drop]future-incoming-response")
def future_incoming_response_drop(env: Any, rep: Any) -> None:
    f = _future(rep, "[resource-drop]future-incoming-response")
    _children_trap(f, "[resource-drop]future-incoming-response")
    if f.call is not None:
        f.call.close("future")


# --- incoming-response / incoming-body / future-trailers -------------------------------


def _response(rep: Any, function: str) -> IncomingResponseRep:
    if not isinstance(rep, IncomingResponseRep):
        raise _trap(f"incoming-response rep {rep!r} is not an IncomingResponseRep", function)
    return rep


@implements(TYPES, "[method]incoming-response.status")
def incoming_response_status(env: Any, rep: Any) -> int:
    return _response(rep, "[method]incoming-response.status").status


@implements(TYPES, "[method]incoming-response.headers")
def incoming_response_headers(env: Any, rep: Any) -> FieldsRep:
    """An immutable view of the response headers (a child of the response)."""
    r = _response(rep, "[method]incoming-response.headers")
    return FieldsRep(r.headers, parent=r, name=f"headers of {r.name}")


@implements(TYPES, "[method]incoming-response.consume")
def incoming_response_consume(env: Any, rep: Any) -> Any:
    """The body, once."""
    r = _response(rep, "[method]incoming-response.consume")
    body, r.body = r.body, None
    if body is None:
        return Err(None)
    if r.call is not None:
        body.call = r.call
        r.call.hand_over("body")
    return Ok(body)


@implements(TYPES, "[resource-drop]incoming-response")
def incoming_response_drop(env: Any, rep: Any) -> None:
    r = _response(rep, "[resource-drop]incoming-response")
    _children_trap(r, "[resource-drop]incoming-response")
    if r.call is not None:
        r.call.close("response")


def _incoming_body(rep: Any, function: str) -> IncomingBodyRep:
    if not isinstance(rep, IncomingBodyRep):
        raise _trap(f"incoming-body rep {rep!r} is not an IncomingBodyRep", function)
    return rep


@implements(TYPES, "[method]incoming-body.stream")
def incoming_body_stream(env: Any, rep: Any) -> Any:
    """The body's input stream, once (a child of the body)."""
    b = _incoming_body(rep, "[method]incoming-body.stream")
    if b.stream_taken:
        return Err(None)
    b.stream_taken = True
    s = b.stream = BodyInputStreamRep(b)
    if b.call is not None:
        s.call = b.call
        b.call.hand_over("stream")
        s.intercept = _durable_read
    return Ok(s)


def _durable_read(rep: BodyInputStreamRep, kind: str, compute: Any) -> Any:
    from golem_fakes.interfaces.wasi_http import body_read

    return body_read(rep.call, kind, compute, persist_nothing(rep.call.rt))


@implements(TYPES, "[static]incoming-body.finish")
def incoming_body_finish(env: Any, rep: Any) -> FutureTrailersRep:
    """The trailers' future; traps while the body's stream is alive."""
    function = "[static]incoming-body.finish"
    b = _incoming_body(rep, function)
    _children_trap(b, function)
    if b.call is not None:
        b.call.close("body")
    return FutureTrailersRep(b)


@implements(TYPES, "[resource-drop]incoming-body")
def incoming_body_drop(env: Any, rep: Any) -> None:
    b = _incoming_body(rep, "[resource-drop]incoming-body")
    _children_trap(b, "[resource-drop]incoming-body")
    if b.call is not None:
        b.call.close("body")


def _trailers(rep: Any, function: str) -> FutureTrailersRep:
    if not isinstance(rep, FutureTrailersRep):
        raise _trap(f"future-trailers rep {rep!r} is not a FutureTrailersRep", function)
    return rep


@implements(TYPES, "[method]future-trailers.subscribe")
def future_trailers_subscribe(env: Any, rep: Any) -> PollableRep:
    t = _trailers(rep, "[method]future-trailers.subscribe")
    return PollableRep(t.is_ready, name=f"subscribe({t.name})", parent=t)


@implements(TYPES, "[method]future-trailers.get")
def future_trailers_get(env: Any, rep: Any) -> Any:
    """``some(ok(ok(trailers?)))`` once (forbidden names removed), ``some(err)``
    afterwards; ``some(ok(err(code)))`` if the body ended with an error."""
    t = _trailers(rep, "[method]future-trailers.get")
    if t.consumed:
        return Err(None)
    t.consumed = True
    body = t.body
    if body.error is not None:
        return Ok(Err(body.error.wit()))
    if body.trailers is None:
        return Ok(Ok(None))
    return Ok(Ok(FieldsRep(body.trailers.without_forbidden())))


@implements(TYPES, "[resource-drop]future-trailers")
def future_trailers_drop(env: Any, rep: Any) -> None:
    _children_trap(rep, "[resource-drop]future-trailers")


# --- http-error-code ---------------------------------------------------------------------


@implements(TYPES, "http-error-code")
def http_error_code(env: Any, err: Any) -> Any:
    """The ``error-code`` an io error carries (a body stream's error), else ``none``."""
    if isinstance(err, HttpStreamError):
        return err.code.wit()
    return None


# --- incoming-request / response-outparam / outgoing-response -----------------------


def _incoming_request(rep: Any, function: str) -> IncomingRequestRep:
    if not isinstance(rep, IncomingRequestRep):
        raise _trap(f"incoming-request rep {rep!r} is not an IncomingRequestRep", function)
    return rep


@implements(TYPES, "[method]incoming-request.method")
def incoming_request_method(env: Any, rep: Any) -> Any:
    return _incoming_request(rep, "[method]incoming-request.method").method


@implements(TYPES, "[method]incoming-request.path-with-query")
def incoming_request_path_with_query(env: Any, rep: Any) -> str | None:
    return _incoming_request(rep, "[method]incoming-request.path-with-query").path_with_query


@implements(TYPES, "[method]incoming-request.scheme")
def incoming_request_scheme(env: Any, rep: Any) -> Any:
    return _incoming_request(rep, "[method]incoming-request.scheme").scheme


@implements(TYPES, "[method]incoming-request.authority")
def incoming_request_authority(env: Any, rep: Any) -> str | None:
    return _incoming_request(rep, "[method]incoming-request.authority").authority


@implements(TYPES, "[method]incoming-request.headers")
def incoming_request_headers(env: Any, rep: Any) -> FieldsRep:
    r = _incoming_request(rep, "[method]incoming-request.headers")
    return FieldsRep(r.headers, parent=r, name=f"headers of {r.name}")


@implements(TYPES, "[method]incoming-request.consume")
def incoming_request_consume(env: Any, rep: Any) -> Any:
    r = _incoming_request(rep, "[method]incoming-request.consume")
    body, r.body = r.body, None
    return Err(None) if body is None else Ok(body)


@implements(TYPES, "[resource-drop]incoming-request")
def incoming_request_drop(env: Any, rep: Any) -> None:
    _children_trap(rep, "[resource-drop]incoming-request")


@implements(TYPES, "[static]response-outparam.set")
def response_outparam_set(env: Any, param: Any, response: Any) -> None:
    """Hand the response (or error) to the caller of the export (the test)."""
    if not isinstance(param, ResponseOutparamRep):
        raise _trap(f"response-outparam rep {param!r} is not a ResponseOutparamRep",
                    "[static]response-outparam.set")
    if isinstance(response, Ok):
        resp = response.value
        _children_trap(resp, "[static]response-outparam.set")
        if getattr(resp, "body", None) is not None:
            resp.body.sent = True
        param.result = resp
    else:
        param.result = ErrorCode.from_wit(response.value)
    param.set = True


def _outgoing_response(rep: Any, function: str) -> OutgoingResponseRep:
    if not isinstance(rep, OutgoingResponseRep):
        raise _trap(f"outgoing-response rep {rep!r} is not an OutgoingResponseRep", function)
    return rep


@implements(TYPES, "[constructor]outgoing-response")
def outgoing_response_new(env: Any, headers: Any) -> OutgoingResponseRep:
    """Status 200; ``headers`` moved in."""
    return OutgoingResponseRep(_fields(headers, "[constructor]outgoing-response").take())


@implements(TYPES, "[method]outgoing-response.status-code")
def outgoing_response_status_code(env: Any, rep: Any) -> int:
    return _outgoing_response(rep, "[method]outgoing-response.status-code").status


@implements(TYPES, "[method]outgoing-response.set-status-code")
def outgoing_response_set_status_code(env: Any, rep: Any, status: int) -> Any:
    """``err`` outside 100..=999 (``http::StatusCode::from_u16``)."""
    r = _outgoing_response(rep, "[method]outgoing-response.set-status-code")
    if not 100 <= status <= 999:
        return Err(None)
    r.status = status
    return Ok(None)


@implements(TYPES, "[method]outgoing-response.headers")
def outgoing_response_headers(env: Any, rep: Any) -> FieldsRep:
    r = _outgoing_response(rep, "[method]outgoing-response.headers")
    return FieldsRep(r.headers, parent=r, name=f"headers of {r.name}")


@implements(TYPES, "[method]outgoing-response.body")
def outgoing_response_body(env: Any, rep: Any) -> Any:
    r = _outgoing_response(rep, "[method]outgoing-response.body")
    if r.body is not None:
        return Err(None)
    ok, size = _content_length(r.headers)
    if not ok:
        return Err(None)
    r.body = OutgoingBodyRep("response", size, r.name)
    r.body.start_reading()  # the caller of the export reads the response body
    return Ok(r.body)


@implements(TYPES, "[resource-drop]outgoing-response")
def outgoing_response_drop(env: Any, rep: Any) -> None:
    """Dropped without being set in a response-outparam: its body's stream is closed
    from now on (:meth:`OutgoingBodyRep.owner_dropped`)."""
    _children_trap(rep, "[resource-drop]outgoing-response")
    body = getattr(rep, "body", None)
    if body is not None:
        body.owner_dropped()
