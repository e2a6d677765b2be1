"""Outgoing HTTP of a :class:`~golem_fakes.Golem`: the stub router behind ``wasi:http``.

Worker code sends requests through ``wasi:http/outgoing-handler.handle``
(:mod:`golem_fakes.interfaces.wasi_http`); they reach ``golem.http``, an
:class:`HttpStubs` router the test configures as it would respx or pytest-httpx::

    route = golem.http.get("https://api.example.com/items/1").respond(200, json={"id": 1})
    golem.invoke("shop", "w1", "fetch-item", 1)
    assert route.called and route.calls[-1].request.headers["accept"] == "application/json"

* **Routes** match on method, scheme, authority, path, query, headers and body (each an
  exact value, a compiled regex that must match the whole value, or a predicate); the
  first route (in registration order) that matches answers. :meth:`HttpStubs.route`
  takes them one by one, the method helpers (:meth:`HttpStubs.get`, ...) take a URL.
* **Answers**: :meth:`Route.respond` (a static :class:`Response`), :meth:`Route.mock`
  with ``side_effect`` = a callable ``request -> Response | status | exception``, a
  sequence (one item per call, the last one repeated: retries), or an exception; an
  :class:`HttpError` (or ``ConnectionRefusedError``, ``TimeoutError``,
  ``socket.gaierror``) becomes the ``error-code`` the worker sees (:func:`error_code_of`).
* **Time** is the Golem's virtual clock: a :class:`Response` with ``delay=`` arrives
  that many seconds after the request was sent, ``connect_delay=`` delays the
  connection. Waiting for it (``pollable.block``, ``poll``) jumps the clock; a delay
  longer than the request's ``first-byte-timeout`` gives ``connection-read-timeout``
  (wasmtime's ``default_send_request_handler`` maps the first-byte timeout to it), a
  ``connect_delay`` longer than ``connect-timeout`` gives ``connection-timeout``;
  wasmtime's defaults are 600 s each.
* **Strict by default** (as pytest-httpx): a request no route matches gets
  ``connection-refused`` in the worker *and* is kept in :attr:`HttpStubs.unmatched`;
  the pytest plugin fails the test at teardown listing every route and why it did not
  match (:meth:`HttpStubs.verify`). Routes never called fail it too, unless
  ``optional=True``. ``@pytest.mark.golem(http_strict=False,
  http_assert_all_called=False)`` relaxes each.
* **Pass-through**: :meth:`HttpStubs.pass_through` sends requests for an authority to a
  real server (``http.client``), e.g. one the test started on loopback.

Every request the router saw is in :attr:`HttpStubs.requests` (an :class:`HttpRequest`
each, with ``method``, ``url``, ``headers``, ``body``, ``json()``); each route keeps
its :attr:`Route.calls` (``request``, ``response``).
"""

from __future__ import annotations

import http.client
import json as _json
import re
import socket
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence
from urllib.parse import parse_qsl, urlsplit

__all__ = ["HttpStubs", "Route", "Call", "HttpRequest", "Response", "HttpError",
           "ErrorCode", "error_code_of", "ERROR_CODES", "DEFAULT_TIMEOUT_NS",
           "ConnectionRefused", "ConnectionTimeout", "ReadTimeout", "DnsError",
           "ConnectionTerminated", "UnmatchedRequest"]

#: wasmtime's default connect / first-byte / between-bytes timeout (``http_impl.rs``
#: ``handle``: ``unwrap_or(Duration::from_secs(600))``).
DEFAULT_TIMEOUT_NS = 600 * 1_000_000_000

#: The ``error-code`` cases of ``wasi:http/types@0.2.3`` (WIT spelling) and whether each
#: has a payload.
ERROR_CODES: dict[str, bool] = {
    "DNS-timeout": False, "DNS-error": True, "destination-not-found": False,
    "destination-unavailable": False, "destination-IP-prohibited": False,
    "destination-IP-unroutable": False, "connection-refused": False,
    "connection-terminated": False, "connection-timeout": False,
    "connection-read-timeout": False, "connection-write-timeout": False,
    "connection-limit-reached": False, "TLS-protocol-error": False,
    "TLS-certificate-error": False, "TLS-alert-received": True,
    "HTTP-request-denied": False, "HTTP-request-length-required": False,
    "HTTP-request-body-size": True, "HTTP-request-method-invalid": False,
    "HTTP-request-URI-invalid": False, "HTTP-request-URI-too-long": False,
    "HTTP-request-header-section-size": True, "HTTP-request-header-size": True,
    "HTTP-request-trailer-section-size": True, "HTTP-request-trailer-size": True,
    "HTTP-response-incomplete": False, "HTTP-response-header-section-size": True,
    "HTTP-response-header-size": True, "HTTP-response-body-size": True,
    "HTTP-response-trailer-section-size": True, "HTTP-response-trailer-size": True,
    "HTTP-response-transfer-coding": True, "HTTP-response-content-coding": True,
    "HTTP-response-timeout": False, "HTTP-upgrade-failed": False,
    "HTTP-protocol-error": False, "loop-detected": False, "configuration-error": False,
    "internal-error": True,
}
_BY_LOWER = {k.lower(): k for k in ERROR_CODES}


@dataclass(frozen=True)
class ErrorCode:
    """An ``error-code`` value: ``case`` in WIT spelling (``"connection-refused"``,
    ``"DNS-error"``, any case accepted) and its payload (``None`` for the cases without
    one; ``DNS-error``: ``{"rcode": ..., "info_code": ...}``; ``internal-error``: a
    message or ``None``; the size cases: a number or ``None``)."""

    case: str
    payload: Any = None

    def __post_init__(self) -> None:
        wit = _BY_LOWER.get(self.case.lower())
        if wit is None:
            raise ValueError(f"{self.case!r} is not an error-code case of wasi:http/types@0.2.3; "
                             f"one of {', '.join(ERROR_CODES)}")
        object.__setattr__(self, "case", wit)
        if not ERROR_CODES[wit] and self.payload is not None:
            raise ValueError(f"error-code {wit} has no payload, got {self.payload!r}")

    def wit(self) -> Any:
        """The value a behaviour returns for the WIT variant."""
        return (self.case, self.payload) if ERROR_CODES[self.case] else self.case

    @classmethod
    def from_wit(cls, value: Any) -> "ErrorCode":
        """An ``error-code`` argument (a generated case instance) as an :class:`ErrorCode`."""
        from golem_fakes.bindings.runtime import case_name

        if isinstance(value, ErrorCode):
            return value
        if isinstance(value, tuple):
            return cls(value[0], value[1] if len(value) > 1 else None)
        if isinstance(value, str):
            return cls(value)
        name = case_name(value)
        payload = getattr(value, "value", None)
        if payload is not None and hasattr(payload, "__dataclass_fields__"):
            payload = {k: getattr(payload, k) for k in payload.__dataclass_fields__}
        return cls(name, payload)

    def __str__(self) -> str:
        return self.case if self.payload is None else f"{self.case}({self.payload!r})"


class HttpError(Exception):
    """Raise (or give as a side effect) to make the request fail with ``error-code``
    ``code`` in the worker: ``HttpError("connection-refused")``,
    ``HttpError(ErrorCode("internal-error", "boom"))``."""

    def __init__(self, code: str | ErrorCode = "internal-error", payload: Any = None) -> None:
        self.code = code if isinstance(code, ErrorCode) else ErrorCode(code, payload)
        super().__init__(str(self.code))


class ConnectionRefused(HttpError):
    """``connection-refused`` (what wasmtime returns when the TCP connect fails)."""

    def __init__(self) -> None:
        super().__init__("connection-refused")


class ConnectionTimeout(HttpError):
    """``connection-timeout`` (the connect did not finish within ``connect-timeout``)."""

    def __init__(self) -> None:
        super().__init__("connection-timeout")


class ReadTimeout(HttpError):
    """``connection-read-timeout`` (no response within ``first-byte-timeout``)."""

    def __init__(self) -> None:
        super().__init__("connection-read-timeout")


class ConnectionTerminated(HttpError):
    """``connection-terminated``."""

    def __init__(self) -> None:
        super().__init__("connection-terminated")


class DnsError(HttpError):
    """``DNS-error``; wasmtime reports a failed lookup as
    ``DNS-error{rcode: "address not available", info-code: 0}`` (``dns_error``)."""

    def __init__(self, rcode: str | None = "address not available", info_code: int | None = 0) -> None:
        super().__init__("DNS-error", {"rcode": rcode, "info_code": info_code})


def error_code_of(exc: BaseException) -> ErrorCode | None:
    """The ``error-code`` a stub's exception stands for: an :class:`HttpError`'s code;
    ``ConnectionRefusedError`` → ``connection-refused``; ``socket.gaierror`` →
    ``DNS-error`` (as wasmtime maps a failed lookup); ``TimeoutError`` /
    ``socket.timeout`` → ``connection-timeout``; ``ConnectionResetError`` /
    ``ConnectionAbortedError`` → ``connection-terminated``. ``None`` for anything else
    (a bug in the test's callback: it propagates)."""
    if isinstance(exc, HttpError):
        return exc.code
    if isinstance(exc, ConnectionRefusedError):
        return ErrorCode("connection-refused")
    if isinstance(exc, socket.gaierror):
        return ErrorCode("DNS-error", {"rcode": "address not available", "info_code": 0})
    if isinstance(exc, TimeoutError):
        return ErrorCode("connection-timeout")
    if isinstance(exc, (ConnectionResetError, ConnectionAbortedError, BrokenPipeError)):
        return ErrorCode("connection-terminated")
    return None


# --- requests and responses ------------------------------------------------------------


class Headers(Mapping[str, str]):
    """Request or response headers as received: ordered ``(name, value)`` pairs, names
    lower case. ``headers["Accept"]`` is case-insensitive and gives the values of a
    name joined with ``", "``; :meth:`get_all` gives them as a list; :attr:`raw` the
    pairs with ``bytes`` values."""

    __slots__ = ("raw",)

    def __init__(self, pairs: Iterable[tuple[str, bytes]] = ()) -> None:
        self.raw: list[tuple[str, bytes]] = [(n.lower(), bytes(v)) for n, v in pairs]

    def get_all(self, name: str) -> list[str]:
        name = name.lower()
        return [v.decode("latin-1") for n, v in self.raw if n == name]

    def __getitem__(self, name: str) -> str:
        values = self.get_all(name)
        if not values:
            raise KeyError(name)
        return ", ".join(values)

    def __iter__(self) -> Iterator[str]:
        seen: dict[str, None] = {}
        for n, _ in self.raw:
            seen.setdefault(n, None)
        return iter(seen)

    def __len__(self) -> int:
        return len({n for n, _ in self.raw})

    def __repr__(self) -> str:
        return f"Headers({[(n, v.decode('latin-1')) for n, v in self.raw]!r})"


@dataclass(eq=False)
class HttpRequest:
    """A request as it left the worker (after Golem added its headers): ``method``
    (``"GET"``, ...), ``scheme`` (``"http"``/``"https"``), ``authority`` (``host[:port]``),
    ``path_with_query``, ``headers`` (:class:`Headers`), ``body`` (bytes), ``trailers``
    (:class:`Headers` or ``None``) and the request options' timeouts in ns
    (``connect_timeout_ns``, ``first_byte_timeout_ns``, ``between_bytes_timeout_ns``,
    ``None``: not set). ``sent_at_ns``: the virtual monotonic clock when it was sent."""

    method: str
    scheme: str
    authority: str
    path_with_query: str
    headers: Headers
    body: bytes = b""
    trailers: Headers | None = None
    connect_timeout_ns: int | None = None
    first_byte_timeout_ns: int | None = None
    between_bytes_timeout_ns: int | None = None
    sent_at_ns: int = 0
    worker: str | None = None

    @property
    def path(self) -> str:
        return self.path_with_query.split("?", 1)[0] or "/"

    @property
    def query(self) -> str:
        return self.path_with_query.split("?", 1)[1] if "?" in self.path_with_query else ""

    @property
    def params(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for k, v in parse_qsl(self.query, keep_blank_values=True):
            out.setdefault(k, []).append(v)
        return out

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.authority}{self.path_with_query or '/'}"

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return _json.loads(self.body)

    def __repr__(self) -> str:
        return f"<HttpRequest {self.method} {self.url}>"


@dataclass
class Response:
    """A stubbed response: ``status``, ``headers`` (mapping or pairs; values ``str`` or
    ``bytes``), the body as ``body`` (bytes), ``text`` or ``json``, or ``chunks`` (a list
    of byte strings, each one body frame: reads return at most one chunk), ``trailers``,
    ``delay`` (seconds until the response headers arrive, on the virtual clock),
    ``connect_delay`` (seconds the connection takes) and ``chunk_delay`` (seconds
    between two body frames: the first arrives with the headers, each next one that
    long after the one before; a gap longer than the request's
    ``between-bytes-timeout`` — wasmtime's default 600 s — ends the body with
    ``connection-read-timeout``, as wasmtime 33's ``BodyWithTimeout`` does), and
    ``body_error``: an ``error-code`` (``"connection-terminated"``, an
    :class:`ErrorCode`) the body ends with after its frames, as a connection broken in
    the middle of the body: the guest's read fails with ``last-operation-failed``
    whose ``http-error-code`` is that code, and the trailers are not there."""

    status: int = 200
    headers: Any = None
    body: bytes | None = None
    text: str | None = None
    json: Any = None
    chunks: Sequence[bytes] | None = None
    trailers: Any = None
    delay: float = 0.0
    connect_delay: float = 0.0
    chunk_delay: float = 0.0
    body_error: "str | ErrorCode | None" = None

    def __post_init__(self) -> None:
        if self.body_error is not None and not isinstance(self.body_error, ErrorCode):
            if not isinstance(self.body_error, str):
                raise ValueError(f"Response(body_error={self.body_error!r}): an error-code "
                                 f"case name such as 'connection-terminated', or an ErrorCode")
            self.body_error = ErrorCode(self.body_error)
        if self.body_error is not None and self.trailers is not None:
            raise ValueError("give trailers= or body_error= for a Response, not both: a body "
                             "that ends with an error has no trailers")
        for name in ("delay", "connect_delay", "chunk_delay"):
            v = getattr(self, name)
            if not isinstance(v, (int, float)) or not 0 <= v < float("inf"):
                raise ValueError(f"Response({name}={v!r}): seconds on the virtual clock, a "
                                 f"finite number >= 0")
        if not (100 <= int(self.status) <= 999):
            raise ValueError(f"HTTP status {self.status} is not in 100..999 (http::StatusCode)")
        if self.body is not None and not isinstance(self.body, (bytes, bytearray, memoryview)):
            raise TypeError(f"Response(body=...) takes bytes, got {type(self.body).__name__}"
                            f"{' (give a str as text=...)' if isinstance(self.body, str) else ''}")
        given = [n for n in ("body", "text", "json", "chunks") if getattr(self, n) is not None]
        if len(given) > 1:
            raise ValueError(f"give one of body=, text=, json=, chunks= for a Response, not {given}")

    def header_pairs(self) -> list[tuple[str, bytes]]:
        pairs = _pairs(self.headers)
        names = {n for n, _ in pairs}
        if self.json is not None and "content-type" not in names:
            pairs.append(("content-type", b"application/json"))
        elif self.text is not None and "content-type" not in names:
            pairs.append(("content-type", b"text/plain; charset=utf-8"))
        return pairs

    def frames(self) -> list[bytes]:
        if self.chunks is not None:
            return [bytes(c) for c in self.chunks if len(c)]
        if self.json is not None:
            data = _json.dumps(self.json).encode()
        elif self.text is not None:
            data = self.text.encode("utf-8")
        else:
            data = bytes(self.body or b"")
        return [data] if data else []

    @property
    def content(self) -> bytes:
        return b"".join(self.frames())


def _pairs(headers: Any) -> list[tuple[str, bytes]]:
    if headers is None:
        return []
    items = headers.items() if isinstance(headers, Mapping) else headers
    out = []
    for name, value in items:
        if isinstance(value, str):
            value = value.encode("latin-1")
        out.append((str(name).lower(), bytes(value)))
    return out


@dataclass(eq=False)
class Call:
    """One request a route answered: ``request`` and ``response`` (the
    :class:`Response`, or the :class:`ErrorCode` the worker got)."""

    request: HttpRequest
    response: Response | ErrorCode


class CallList:
    """A route's calls, oldest first (indexable, iterable), with mock-style helpers."""

    def __init__(self) -> None:
        self._calls: list[Call] = []

    def append(self, call: Call) -> None:
        self._calls.append(call)

    def clear(self) -> None:
        self._calls.clear()

    def __getitem__(self, i: Any) -> Any:
        return self._calls[i]

    def __iter__(self) -> Iterator[Call]:
        return iter(self._calls)

    def __len__(self) -> int:
        return len(self._calls)

    def __bool__(self) -> bool:
        return bool(self._calls)

    def __repr__(self) -> str:
        return f"CallList({self._calls!r})"

    @property
    def last(self) -> Call:
        if not self._calls:
            raise AssertionError("the route was never called")
        return self._calls[-1]

    def assert_called_once(self) -> None:
        if len(self._calls) != 1:
            raise AssertionError(f"expected one call, got {len(self._calls)}: "
                                 f"{[c.request for c in self._calls]}")

    def assert_not_called(self) -> None:
        if self._calls:
            raise AssertionError(f"expected no call, got {len(self._calls)}: "
                                 f"{[c.request for c in self._calls]}")


# --- matching ----------------------------------------------------------------------------

_Pattern = type(re.compile(""))


def _describe(v: Any) -> str:
    if isinstance(v, _Pattern):
        return f"re {v.pattern!r}"
    if callable(v):
        return getattr(v, "__name__", repr(v))
    return repr(v)


def _match_value(expected: Any, actual: Any) -> bool:
    if isinstance(expected, _Pattern):
        return isinstance(actual, (str, bytes)) and expected.fullmatch(actual) is not None
    if callable(expected):
        return bool(expected(actual))
    return bool(expected == actual)


@dataclass(eq=False)
class Route:
    """A stub: what requests it matches (``None``: anything) and how it answers.
    ``calls`` (:class:`CallList`), ``called``, ``call_count`` as in respx; ``name``
    finds it again (``golem.http["payment"]``), e.g. on a ``golem.copy()``.

    Matchers: ``method`` (``"GET"``), ``scheme`` (``"https"``), ``authority``
    (``"api.example.com"``; a port is part of it: ``"127.0.0.1:8080"``), ``path``
    (``"/items/1"``), ``query`` (the raw query string, or a mapping that must equal
    the parsed parameters: values a string or a list of strings), ``headers`` (a mapping
    whose every name must be present with a matching value: values joined with ``", "``),
    ``body`` (``bytes``/``str``), ``json`` (equal to the parsed body). Each value may be
    a compiled regex (matched against the whole value) or a predicate; ``match`` is a
    predicate on the whole :class:`HttpRequest`."""

    method: Any = None
    scheme: Any = None
    authority: Any = None
    path: Any = None
    query: Any = None
    headers: Mapping[str, Any] | None = None
    body: Any = None
    json: Any = None
    match: Callable[[HttpRequest], bool] | None = None
    name: str | None = None
    optional: bool = False
    side_effect: Any = None
    calls: CallList = field(default_factory=CallList)
    _next: int = 0

    # --- answers ------------------------------------------------------------------

    def respond(self, status: int = 200, *, headers: Any = None, body: bytes | None = None,
                text: str | None = None, json: Any = None, chunks: Sequence[bytes] | None = None,
                trailers: Any = None, delay: float = 0.0, connect_delay: float = 0.0,
                chunk_delay: float = 0.0, body_error: "str | ErrorCode | None" = None
                ) -> "Route":
        """Answer every matching request with this :class:`Response`."""
        self.side_effect = Response(status, headers, body, text, json, chunks, trailers,
                                    delay, connect_delay, chunk_delay, body_error)
        return self

    def mock(self, side_effect: Any = None, *, return_value: Any = None) -> "Route":
        """``side_effect``: a callable ``(request) -> Response | int | HttpError`` (or
        raising one), an exception (class or instance), or a sequence of such answers
        (one per call; the last is repeated). ``return_value``: a :class:`Response`."""
        if side_effect is None:
            side_effect = return_value
        if isinstance(side_effect, (list, tuple)):
            if not side_effect:
                raise ValueError("a sequence side effect needs at least one answer")
            side_effect = list(side_effect)
        self.side_effect = side_effect
        return self

    def error(self, code: str | ErrorCode, payload: Any = None) -> "Route":
        """Fail every matching request with ``error-code`` ``code``."""
        self.side_effect = HttpError(code, payload)
        return self

    # --- inspection ---------------------------------------------------------------

    @property
    def called(self) -> bool:
        return bool(self.calls)

    @property
    def call_count(self) -> int:
        return len(self.calls)

    def reset(self) -> None:
        """Forget the calls and restart a sequence side effect."""
        self.calls.clear()
        self._next = 0

    def describe(self) -> str:
        parts = [f"{k}={_describe(getattr(self, k))}" for k in
                 ("method", "scheme", "authority", "path", "query", "headers", "body",
                  "json", "match") if getattr(self, k) is not None]
        label = f"route {self.name!r}" if self.name else "route"
        return f"{label}({', '.join(parts) or 'any request'})"

    def mismatch(self, req: HttpRequest) -> str | None:
        """Why ``req`` does not match this route (``None``: it matches)."""
        if self.method is not None and not _match_value(
                self.method.upper() if isinstance(self.method, str) else self.method, req.method):
            return f"method {req.method} is not {_describe(self.method)}"
        if self.scheme is not None and not _match_value(self.scheme, req.scheme):
            return f"scheme {req.scheme!r} is not {_describe(self.scheme)}"
        if self.authority is not None and not _match_value(self.authority, req.authority):
            return f"authority {req.authority!r} is not {_describe(self.authority)}"
        if self.path is not None and not _match_value(self.path, req.path):
            return f"path {req.path!r} is not {_describe(self.path)}"
        if self.query is not None:
            if isinstance(self.query, Mapping):
                want = {k: (list(v) if isinstance(v, (list, tuple)) else [str(v)])
                        for k, v in self.query.items()}
                if req.params != want:
                    return f"query parameters {req.params!r} are not {want!r}"
            elif not _match_value(self.query, req.query):
                return f"query {req.query!r} is not {_describe(self.query)}"
        for name, expected in (self.headers or {}).items():
            got = req.headers.get_all(name)
            if not got:
                return f"header {name.lower()!r} is missing"
            value = ", ".join(got)
            if isinstance(expected, bytes):
                expected = expected.decode("latin-1")
            if not _match_value(expected, value):
                return f"header {name.lower()!r} is {value!r}, not {_describe(expected)}"
        if self.body is not None:
            expected = self.body.encode() if isinstance(self.body, str) else self.body
            if isinstance(expected, _Pattern) and isinstance(expected.pattern, str):
                actual: Any = req.body.decode("utf-8", "replace")
            else:
                actual = req.body
            if not _match_value(expected, actual):
                return f"body {req.body[:80]!r} is not {_describe(self.body)}"
        if self.json is not None:
            try:
                parsed = req.json()
            except ValueError:
                return f"body {req.body[:80]!r} is not JSON"
            if not _match_value(self.json, parsed):
                return f"JSON body {parsed!r} is not {_describe(self.json)}"
        if self.match is not None and not self.match(req):
            return f"predicate {_describe(self.match)} is false"
        return None

    def answer(self, req: HttpRequest) -> Response | ErrorCode:
        """The answer to ``req`` (recorded in :attr:`calls`)."""
        effect = self.side_effect
        if isinstance(effect, list):
            i = min(self._next, len(effect) - 1)
            self._next += 1
            effect = effect[i]
        outcome = _resolve(effect, req, self)
        self.calls.append(Call(req, outcome))
        return outcome

    def __repr__(self) -> str:
        return f"<{self.describe()} calls={len(self.calls)}>"


def _resolve(effect: Any, req: HttpRequest, route: Route) -> Response | ErrorCode:
    if effect is None:
        return Response(200)
    if isinstance(effect, type) and issubclass(effect, BaseException):
        effect = effect()
    if isinstance(effect, BaseException):
        code = error_code_of(effect)
        if code is None:
            raise effect
        return code
    if isinstance(effect, (Response, ErrorCode)):
        return effect
    if isinstance(effect, int):
        return Response(effect)
    if callable(effect):
        try:
            result = effect(req)
        except Exception as e:
            code = error_code_of(e)
            if code is None:
                raise
            return code
        return _resolve(result, req, route) if result is not None else Response(200)
    raise TypeError(f"{route.describe()}: cannot answer with {effect!r}; give a Response, a "
                    f"status, an HttpError or a callable")


class UnmatchedRequest(AssertionError):
    """Raised by :meth:`HttpStubs.verify` (via the pytest plugin at teardown)."""


_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH")


class HttpStubs:
    """The router ``golem.http``: see the module docstring. ``strict`` (default true):
    unmatched requests fail the test at teardown; ``assert_all_called`` (default true):
    routes never called fail it too."""

    def __init__(self, strict: bool = True, assert_all_called: bool = True) -> None:
        self.routes: list[Route] = []
        #: Every request that reached the router (matched, passed through or not).
        self.requests: list[HttpRequest] = []
        #: ``(request, why each route did not match)`` of the unmatched requests.
        self.unmatched: list[tuple[HttpRequest, list[str]]] = []
        self.strict = strict
        self.assert_all_called = assert_all_called
        #: Authorities (``host:port``) sent to a real server.
        self.passthrough: set[str] = set()

    # --- registration ----------------------------------------------------------------

    def route(self, method: Any = None, url: str | None = None, *, scheme: Any = None,
              authority: Any = None, path: Any = None, query: Any = None,
              headers: Mapping[str, Any] | None = None, body: Any = None, json: Any = None,
              match: Callable[[HttpRequest], bool] | None = None, name: str | None = None,
              optional: bool = False) -> Route:
        """Register a route (checked after those registered before it). ``url``
        (``"https://api.example.com/items?id=1"``) sets scheme, authority, path and (if
        it has one) query at once."""
        if url is not None:
            parts = urlsplit(url)
            if not parts.scheme or not parts.netloc:
                raise ValueError(f"route url {url!r} needs a scheme and an authority "
                                 f"(https://host/path)")
            scheme = parts.scheme if scheme is None else scheme
            authority = parts.netloc if authority is None else authority
            path = (parts.path or "/") if path is None else path
            if parts.query and query is None:
                query = parts.query
        if name is not None and any(r.name == name for r in self.routes):
            raise ValueError(f"golem.http already has a route named {name!r}")
        r = Route(method=method, scheme=scheme, authority=authority, path=path, query=query,
                  headers=headers, body=body, json=json, match=match, name=name,
                  optional=optional)
        self.routes.append(r)
        return r

    def get(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("GET", url, **kw)

    def post(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("POST", url, **kw)

    def put(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("PUT", url, **kw)

    def patch(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("PATCH", url, **kw)

    def delete(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("DELETE", url, **kw)

    def head(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("HEAD", url, **kw)

    def options(self, url: str | None = None, **kw: Any) -> Route:
        return self.route("OPTIONS", url, **kw)

    def incoming(self, method: str = "GET", path: str = "/", **kw: Any) -> Any:
        """Call the worker's exported ``wasi:http/incoming-handler`` with a request and
        return what it answered (an
        :class:`~golem_fakes.interfaces.wasi_http.incoming.IncomingResult`: ``status``,
        ``headers``, ``body``, ``text``, ``json()``). Keywords: ``headers``, ``body``,
        ``component`` / ``worker`` (default: the Golem's default worker), ``scheme``,
        ``authority``, ``trailers``."""
        from golem_fakes.interfaces.wasi_http.incoming import incoming

        if self._golem is None:
            raise RuntimeError("this HttpStubs belongs to no Golem; use golem.http.incoming")
        return incoming(self._golem, method, path, **kw)

    #: the Golem this router belongs to (set by ``Golem.http``)
    _golem: Any = None

    def pass_through(self, authority: str) -> None:
        """Send requests for ``authority`` (``"127.0.0.1:8080"``) to the real server
        there (``http.client``, with the request's timeouts in real time)."""
        self.passthrough.add(authority)

    def __getitem__(self, name: str) -> Route:
        for r in self.routes:
            if r.name == name:
                return r
        raise KeyError(f"golem.http has no route named {name!r}; named routes: "
                       f"{[r.name for r in self.routes if r.name]}")

    @property
    def calls(self) -> list[Call]:
        """Every call of every route, in the order they happened."""
        out = [c for r in self.routes for c in r.calls]
        out.sort(key=lambda c: self.requests.index(c.request) if c.request in self.requests else 0)
        return out

    def reset(self) -> None:
        """Forget every request and call (routes stay)."""
        self.requests.clear()
        self.unmatched.clear()
        for r in self.routes:
            r.reset()

    # --- dispatch ----------------------------------------------------------------------

    def dispatch(self, req: HttpRequest) -> Response | ErrorCode:
        """The answer to a request the worker sent."""
        self.requests.append(req)
        if req.authority in self.passthrough:
            return _send_real(req)
        reasons = []
        for r in self.routes:
            why = r.mismatch(req)
            if why is None:
                return r.answer(req)
            reasons.append(f"{r.describe()}: {why}")
        self.unmatched.append((req, reasons))
        return ErrorCode("connection-refused")

    # --- verification --------------------------------------------------------------------

    def problems(self) -> list[str]:
        """What :meth:`verify` complains about (empty: nothing)."""
        out = []
        if self.strict:
            for req, reasons in self.unmatched:
                lines = "\n".join(f"    - {x}" for x in reasons) or \
                    "    (no route registered: add one with golem.http.get(url).respond(...))"
                out.append(f"request {req.method} {req.url} matched no route (the worker got "
                           f"error-code connection-refused):\n{lines}")
        if self.assert_all_called:
            for r in self.routes:
                if not r.calls and not r.optional:
                    out.append(f"{r.describe()} was never called (register it with "
                               f"optional=True, or relax with "
                               f"@pytest.mark.golem(http_assert_all_called=False))")
        return out

    def verify(self) -> None:
        """Raise :class:`UnmatchedRequest` listing unmatched requests (if ``strict``) and
        routes never called (if ``assert_all_called``)."""
        problems = self.problems()
        if problems:
            raise UnmatchedRequest(
                "golem.http: " + "\n".join(problems) +
                "\n(relax with @pytest.mark.golem(http_strict=False) / "
                "http_assert_all_called=False)")

    def __repr__(self) -> str:
        return f"<HttpStubs routes={len(self.routes)} requests={len(self.requests)}>"


def _send_real(req: HttpRequest) -> Response | ErrorCode:
    """Pass-through: send ``req`` with ``http.client`` and read the whole response, as
    wasmtime 33's ``default_send_request_handler`` (``crates/wasi-http/src/types.rs``,
    v33.0.0) does with hyper's HTTP/1.1 client:

    * the connection within ``connect-timeout`` (default 600 s) → else
      ``connection-timeout``; a refused connection → ``connection-refused``; a failed
      lookup → ``DNS-error`` (:func:`error_code_of`);
    * the body as the guest framed it: with its own ``content-length``, else
      ``transfer-encoding: chunked`` when it wrote a body (hyper's framing of a body of
      unknown length), else none. Request trailers are not sent (hyper's HTTP/1.1
      client drops them; observed with wasmtime-py 50);
    * the response head within ``first-byte-timeout`` (default 600 s) → else
      ``connection-read-timeout``;
    * a chunked response body keeps its chunks (one body frame each) and its trailers
      (``future-trailers``), which ``http.client`` would discard;
    * the body read with ``between-bytes-timeout`` (default 600 s) between two reads of
      the socket (``BodyWithTimeout``, ``crates/wasi-http/src/body.rs``): a gap longer
      ends the body after what arrived with ``connection-read-timeout``. The whole body
      is read here, before the guest reads it, so the wait happens in the request's
      ``get`` rather than in the guest's stream reads.
    """
    host, _, port = req.authority.rpartition(":") if ":" in req.authority else (req.authority, "", "")
    if not host:
        host = req.authority
    connect_s = (req.connect_timeout_ns or DEFAULT_TIMEOUT_NS) / 1e9
    first_byte_s = (req.first_byte_timeout_ns or DEFAULT_TIMEOUT_NS) / 1e9
    between_s = (req.between_bytes_timeout_ns or DEFAULT_TIMEOUT_NS) / 1e9
    conn_cls = http.client.HTTPSConnection if req.scheme == "https" else http.client.HTTPConnection
    try:
        conn = conn_cls(host, int(port) if port else None, timeout=connect_s)
        try:
            conn.connect()
        except TimeoutError:
            return ErrorCode("connection-timeout")
        try:
            conn.putrequest(req.method, req.path_with_query or "/", skip_host=True,
                            skip_accept_encoding=True)
            conn.putheader("host", req.authority)
            names = set()
            for n, v in req.headers.raw:
                conn.putheader(n, v)
                names.add(n.lower())
            chunked = bool(req.body) and "content-length" not in names
            if chunked:
                conn.putheader("transfer-encoding", "chunked")
                conn.endheaders()
                conn.send(b"%x\r\n%s\r\n0\r\n\r\n" % (len(req.body), req.body))
            else:
                if "content-length" not in names and req.method in ("POST", "PUT", "PATCH"):
                    conn.putheader("content-length", str(len(req.body)))
                conn.endheaders(req.body or None)
            if conn.sock is not None:
                conn.sock.settimeout(first_byte_s)
            try:
                resp = conn.getresponse()
            except TimeoutError:
                return ErrorCode("connection-read-timeout")
            if conn.sock is not None:
                conn.sock.settimeout(between_s)
            headers = [(n.lower(), v.encode("latin-1")) for n, v in resp.getheaders()]
            headers = [(n, v) for n, v in headers if n != "transfer-encoding"]
            chunks: list[bytes] = []
            try:
                if resp.chunked:
                    trailers = _read_chunked(resp, chunks)
                    return Response(resp.status, headers, chunks=chunks,
                                    trailers=trailers or None)
                while data := resp.read1(65536):
                    chunks.append(data)
            except TimeoutError:  # BodyWithTimeout: the body ends with the error
                return Response(resp.status, headers, chunks=chunks,
                                body_error="connection-read-timeout")
            return Response(resp.status, headers, body=b"".join(chunks))
        finally:
            conn.close()
    except OSError as e:
        code = error_code_of(e)
        return code if code is not None else ErrorCode("internal-error", str(e))


def _read_chunked(resp: http.client.HTTPResponse, chunks: list[bytes]) -> list[tuple[str, bytes]]:
    """Read the chunks of a chunked response from the raw connection into ``chunks``
    (so the ones read before a timeout are kept) and return its trailers."""
    fp = resp.fp
    assert fp is not None
    trailers: list[tuple[str, bytes]] = []
    while True:
        size = int(fp.readline().split(b";", 1)[0].strip() or b"0", 16)
        if size == 0:
            break
        chunks.append(fp.read(size))
        fp.readline()
    while True:
        line = fp.readline()
        if line in (b"\r\n", b"\n", b""):
            break
        name, _, value = line.partition(b":")
        trailers.append((name.strip().decode("latin-1").lower(), value.strip()))
    resp.close()
    return trailers
