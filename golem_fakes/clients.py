"""The HTTP clients worker code uses — ``urllib3`` (and so ``requests``), ``httpx`` (sync
and async) and ``urllib.request`` — routed onto the fake ``wasi:http``.

Inside a component CPython has no sockets to the network: Golem's Python templates use
Golem's urllib3 fork, whose WASI backend (``urllib3.contrib.wasi.enable_wasi_backend``,
golemcloud/urllib3) replaces urllib3's connection classes by ones that send each request
through the component's ``wasi:http/outgoing-handler`` bindings. golem-fakes does what
that backend does: :func:`route_http_clients` installs :class:`GolemHTTPConnection` /
:class:`GolemHTTPSConnection` as the connection classes of urllib3's pools (as urllib3's
own Emscripten backend installs its ``inject_into_urllib3``). While worker code runs — an
invocation of a :class:`~golem_fakes.Golem` is current in the thread or task, and the
installed world imports ``wasi:http/outgoing-handler`` — a connection sends its request
through the generated bindings (so ``golem.http``'s stubs answer it and Golem's
durability records and replays it, :mod:`golem_fakes.interfaces.wasi_http`); otherwise
(test code outside any invocation) it is urllib3's own connection.

What the WASI backend does with a request (:func:`exchange`, shared by every client):

* the method, scheme, authority and path go to the ``outgoing-request``; headers that
  ``wasi:http`` forbids (``host``, ``connection`` — which ``requests`` and httpx set,
  ``urllib.request`` too —, ``keep-alive``, ``transfer-encoding``, ...) are left out, as
  the host sets them;
* the body (bytes, text, an iterable or a file) is written whole to the request body
  after ``handle``, then finished;
* the client's connect timeout becomes the request's ``connect-timeout``, its read
  timeout the ``first-byte-timeout`` and ``between-bytes-timeout`` (both on the Golem's
  virtual clock);
* the response is read whole (``blocking-read`` to the end) and handed to the client as
  its own response object; ``error-code`` results become the client's exceptions.

urllib3: ``connection-refused`` / ``DNS-error`` → ``NewConnectionError`` /
``NameResolutionError`` (``requests.ConnectionError``), ``connection-timeout`` →
``ConnectTimeoutError``, ``connection-read-timeout`` → a socket timeout
(``ReadTimeoutError``, ``requests.ReadTimeout``), any other → ``ProtocolError``.

httpx: httpx has no WASI backend of its own (httpcore opens sockets), so worker code
that uses it in a real component needs a transport over ``wasi:http``; under the fake,
:func:`route_http_clients` wraps ``httpx.HTTPTransport.handle_request``
and ``httpx.AsyncHTTPTransport.handle_async_request`` (the methods pytest-httpx patches),
so every client's default transport — made before or during the invocation, with or
without ``proxy=`` (the host has no proxy) — sends through ``wasi:http`` while an
invocation runs. A transport of the worker's own (``transport=``, ``MockTransport``) is
not touched. ``httpx.Timeout``'s ``connect`` and ``read`` become the request options
(``write`` and ``pool`` have no ``wasi:http`` counterpart). ``error-code``s as httpcore's
errors reach httpx (:func:`_httpx_error`): ``connection-refused``, ``DNS-error``,
``destination-*``, ``TLS-*`` → ``ConnectError``; ``connection-timeout``,
``DNS-timeout`` → ``ConnectTimeout``; ``connection-read-timeout`` → ``ReadTimeout``;
``connection-terminated`` and ``HTTP-response-*`` → ``RemoteProtocolError``;
``HTTP-request-*`` → ``LocalProtocolError``. The async transport awaits the response's
pollable (:func:`wait_pollable`: componentize-py's ``PollLoop`` wakers, or a poller
per asyncio loop over ``wasi:io/poll.poll``), so gathered requests wait together and
the virtual clock jumps instead of the loop sleeping.

``urllib.request``: ``HTTPHandler.http_open`` and ``HTTPSHandler.https_open`` are
wrapped (every ``OpenerDirector``, ``urlopen``'s included, uses them) to send through
``wasi:http`` while an invocation runs (:func:`_urllib_open`); its errors are those
``AbstractHTTPHandler.do_open`` raises. It can be routed faithfully because its handler
gets the whole request (method, URL, headers, body, timeout) and may return any
response object with ``status``/``reason``/``headers``/``read``.
"""

from __future__ import annotations

import socket
import typing
from typing import Any

__all__ = ["route_http_clients", "unroute_http_clients", "routed", "GolemHTTPConnection",
           "GolemHTTPSConnection"]

_HTTP_TYPES = "wasi:http/types@0.2.3"
_HANDLER = "wasi:http/outgoing-handler@0.2.3"
_STREAMS = "wasi:io/streams@0.2.3"
_POLL = "wasi:io/poll@0.2.3"

_saved: dict[str, Any] = {}
GolemHTTPConnection: Any = None
GolemHTTPSConnection: Any = None


def _modules() -> tuple[Any, Any, Any] | None:
    """The generated ``wasi:http/types``, ``outgoing-handler`` and ``wasi:io/streams``
    modules of the installed world (``None`` if it does not import them)."""
    import importlib

    from golem_fakes.bindings.install import installed

    inst = installed()
    hit = _cache.get("modules")
    if hit is not None and hit[0] is inst:
        return hit[1]  # type: ignore[no-any-return]
    mods: Any = None
    if inst is not None:
        found = _find_modules(inst, (_HTTP_TYPES, _HANDLER, _STREAMS))
        if None not in found:
            mods = tuple(importlib.import_module(n) for n in found)  # type: ignore[arg-type]
    _cache["modules"] = (inst, mods)
    return mods  # type: ignore[no-any-return]


def _find_modules(inst: Any, interfaces: tuple[str, ...]) -> list[str | None]:
    """The generated module of each interface: the one whose sites name it (a text
    scan of the cached sources, so nothing is imported to find them)."""
    key = ("find", id(inst), interfaces)
    hit = _cache.get(key)  # type: ignore[call-overload]
    if hit is not None and hit[0] is inst:
        return list(hit[1])
    out: list[str | None] = [None] * len(interfaces)
    for name in inst.modules:
        if ".imports." not in name:
            continue
        path = inst.cache_path.joinpath(*name.split(".")).with_suffix(".py")
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        for i, iface in enumerate(interfaces):
            if out[i] is None and f"_golem_rt.Site({iface!r}" in text:
                out[i] = name
    _cache[key] = (inst, tuple(out))  # type: ignore[index]
    return out


#: the generated modules per installation: ``{"modules": (installed bindings, modules)}``
_cache: dict[Any, Any] = {}


def routed() -> bool:
    """Whether an urllib3 connection made now goes through the fake ``wasi:http``: a
    Golem invocation is current (worker code, or a test's ``with golem:`` block)."""
    from golem_fakes.state.invocation import current_invocation

    inv = current_invocation.get()
    return inv is not None and getattr(inv, "golem", None) is not None


class WasiHttpFailure(Exception):
    """The ``error-code`` a routed request got — from ``outgoing-handler.handle``, from
    ``future-incoming-response.get``, or while the response body was read — with its
    WIT case (:attr:`case`, e.g. ``"connection-refused"``) and the phase it came in
    (``"handle"``, ``"response"``, ``"body"``). Each client turns it into its own
    exception (:func:`route_http_clients`)."""

    def __init__(self, code: Any, phase: str, method: str, url: str) -> None:
        from golem_fakes.state.http import ErrorCode

        self.code = ErrorCode.from_wit(code) if code is not None else None
        self.phase = phase
        self.case = self.code.case if self.code is not None else "internal-error"
        where = {"handle": "outgoing-handler.handle returned",
                 "response": "the response was", "body": "reading the response body gave"}
        super().__init__(f"{where[phase]} wasi:http error-code "
                         f"{self.code if self.code is not None else 'internal-error'} "
                         f"for {method} {url}")


def _world(client: str, method: str, url: str) -> tuple[Any, Any, Any]:
    mods = _modules()
    if mods is None:
        from golem_fakes.bindings.runtime import NotFaked

        raise NotFaked(
            f"worker code sent {method} {url} with {client}, which golem-fakes routes "
            f"through the fake wasi:http while an invocation runs, but the installed "
            f"world does not import {_HANDLER} and {_HTTP_TYPES}: add them to the "
            f"component's world (Golem's Python HTTP clients need them)",
            interface=_HANDLER, function="handle")
    return mods  # type: ignore[no-any-return]


def _start(client: str, method: str, https: bool, authority: str, path: str,
           headers: typing.Iterable[tuple[str, bytes]], data: bytes,
           connect_timeout: float | None, read_timeout: float | None) -> tuple[Any, Any, str]:
    """Send a request through the world's ``wasi:http`` bindings, as Golem's urllib3
    fork does: forbidden headers left out (the host sets them), a ``content-length``
    for a body, the timeouts as request options, the body written whole after
    ``handle`` and finished. Returns the modules, the ``future-incoming-response`` and
    the URL (for messages)."""
    url = f"{'https' if https else 'http'}://{authority}{path}"
    t, oh, _streams = _world(client, method, url)
    from componentize_py_types import Err

    from golem_fakes.state.http_fields import FORBIDDEN_HEADERS

    pairs = [(k, v) for k, v in headers if k.lower() not in FORBIDDEN_HEADERS]
    if data and not any(k.lower() == "content-length" for k, _ in pairs):
        pairs.append(("content-length", str(len(data)).encode()))
    req = t.OutgoingRequest(t.Fields.from_list(pairs))
    req.set_method(_method(t, method))
    req.set_scheme(t.Scheme_Https() if https else t.Scheme_Http())
    req.set_authority(authority)
    req.set_path_with_query(path)
    opts = t.RequestOptions()
    ct, rt = _ns(connect_timeout), _ns(read_timeout)
    if ct is not None:
        opts.set_connect_timeout(ct)
    if rt is not None:
        opts.set_first_byte_timeout(rt)
        opts.set_between_bytes_timeout(rt)
    out = req.body() if data else None
    try:
        future = oh.handle(req, opts)
    except Err as e:
        raise WasiHttpFailure(e.value, "handle", method, url) from None
    if out is not None:
        s = out.write()
        for i in range(0, len(data), 4096):
            s.blocking_write_and_flush(data[i:i + 4096])
        del s
        t.OutgoingBody.finish(out, None)
    return (t, oh, _streams), future, url


def _collect(mods: tuple[Any, Any, Any], got: Any, method: str,
             url: str) -> tuple[int, list[tuple[str, bytes]], bytes]:
    """The status, header entries and whole body of the response ``got``
    (``future-incoming-response.get``'s ``some``), the body read to its end with
    ``blocking-read`` and finished; an ``error-code`` raises :class:`WasiHttpFailure`."""
    t, _oh, streams = mods
    from componentize_py_types import Err

    result = got.value
    if isinstance(result, Err):
        raise WasiHttpFailure(result.value, "response", method, url)
    resp = result.value
    status = resp.status()
    h = resp.headers()
    entries = h.entries()
    del h
    body_res = resp.consume()
    stream = body_res.stream()
    chunks = []
    while True:
        try:
            chunks.append(stream.blocking_read(65536))
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            code = None
            to_code = getattr(t, "http_error_code", None)
            if to_code is not None:
                code = to_code(e.value.value)
            raise WasiHttpFailure(code, "body", method, url) from None
    del stream
    t.IncomingBody.finish(body_res)
    del resp
    return status, list(entries), b"".join(chunks)


def exchange(client: str, method: str, https: bool, authority: str, path: str,
             headers: typing.Iterable[tuple[str, bytes]], data: bytes,
             connect_timeout: float | None,
             read_timeout: float | None) -> tuple[int, list[tuple[str, bytes]], bytes]:
    """One request through the world's ``wasi:http`` bindings, waited for with
    ``pollable.block`` (on the Golem's virtual clock): ``(status, header entries,
    body)``, or :class:`WasiHttpFailure`. ``client`` names the library for messages."""
    mods, future, url = _start(client, method, https, authority, path, headers, data,
                               connect_timeout, read_timeout)
    while True:
        got = future.get()
        if got is not None:
            break
        p = future.subscribe()
        p.block()
        del p
    del future
    return _collect(mods, got, method, url)


async def exchange_async(client: str, method: str, https: bool, authority: str, path: str,
                         headers: typing.Iterable[tuple[str, bytes]], data: bytes,
                         connect_timeout: float | None,
                         read_timeout: float | None) -> tuple[int, list[tuple[str, bytes]],
                                                              bytes]:
    """:func:`exchange` for a coroutine: while the response is pending the task awaits
    the future's pollable (:func:`wait_pollable`), so other tasks run and several
    requests wait together — ``asyncio.gather`` of two stubs waits for the slower one's
    delay, not their sum. The body is read with ``blocking-read`` once the response
    has come (the stubs' bodies are there with it)."""
    mods, future, url = _start(client, method, https, authority, path, headers, data,
                               connect_timeout, read_timeout)
    while True:
        got = future.get()
        if got is not None:
            break
        await wait_pollable(future.subscribe())
    del future
    return _collect(mods, got, method, url)


async def wait_pollable(pollable: Any) -> None:
    """Await a ``wasi:io/poll`` pollable in the running event loop.

    * componentize-py's ``poll_loop.PollLoop`` (what Golem's Python templates run): as
      its own ``poll_loop.register`` does — the pollable and a future go to the loop's
      ``wakers``, which it polls with ``wasi:io/poll.poll`` when no handle is ready;
    * any other asyncio loop (``asyncio.run`` in worker code or a test): the same
      through a poller per loop (:class:`_LoopPoller`) that calls ``poll`` on every
      waiting pollable once the loop has no ready callback, so the virtual clock jumps
      to the earliest stub instead of the loop sleeping;
    * no asyncio loop (trio): ``pollable.block()``.
    """
    import asyncio

    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        pollable.block()
        return
    wakers = getattr(loop, "wakers", None)
    if isinstance(wakers, list):
        waker = loop.create_future()
        wakers.append((pollable, waker))
        await waker
        return
    await _LoopPoller.of(loop).wait(pollable)


class _LoopPoller:
    """Waits for the pollables the tasks of one asyncio loop are blocked on, as
    ``poll_loop.PollLoop`` does: when the loop has nothing else ready it calls
    ``wasi:io/poll.poll`` (recorded in the oplog and replayed, so a recovered worker
    waits the same way) with all of them and wakes the tasks whose pollable is ready.
    ``pollable.ready()`` is not used to decide: it is not recorded, a replay could
    decide otherwise."""

    _by_loop: "typing.ClassVar[Any]" = None

    def __init__(self, loop: Any) -> None:
        self.loop = loop
        self.waiting: list[tuple[Any, Any]] = []
        self.scheduled = False

    @classmethod
    def of(cls, loop: Any) -> "_LoopPoller":
        import weakref

        if cls._by_loop is None:
            cls._by_loop = weakref.WeakKeyDictionary()
        poller = cls._by_loop.get(loop)
        if poller is None:
            poller = cls._by_loop[loop] = cls(loop)
        return poller  # type: ignore[no-any-return]

    async def wait(self, pollable: Any) -> None:
        fut = self.loop.create_future()
        self.waiting.append((pollable, fut))
        if not self.scheduled:
            self.scheduled = True
            self.loop.call_soon(self._step)
        await fut

    def _step(self) -> None:
        self.waiting = [(p, f) for p, f in self.waiting if not f.done()]  # cancelled
        if not self.waiting:
            self.scheduled = False
            return
        if getattr(self.loop, "_ready", None):  # BaseEventLoop's ready callbacks: run
            self.loop.call_soon(self._step)     # them first (PollLoop runs its handles)
            return
        pollables = [p for p, _ in self.waiting]
        try:
            poll = _poll_function()
            if poll is None:  # the world has no wasi:io/poll module: the first one
                pollables[0].block()
                ready = {0}
            else:
                ready = set(poll(pollables))
        except BaseException as e:  # a trap or Deadlock: every waiting task raises it
            waiting, self.waiting, self.scheduled = self.waiting, [], False
            for _p, f in waiting:
                f.set_exception(e)
            return
        rest = []
        for i, (p, f) in enumerate(self.waiting):
            if i in ready:
                f.set_result(None)
            else:
                rest.append((p, f))
        self.waiting = rest
        if rest:
            self.loop.call_soon(self._step)
        else:
            self.scheduled = False


def _poll_function() -> Any:
    """The world's generated ``wasi:io/poll.poll`` (``None`` if it has no module)."""
    import importlib

    from golem_fakes.bindings.install import installed

    inst = installed()
    if inst is None:
        return None
    name = _find_modules(inst, (_POLL,))[0]
    return None if name is None else importlib.import_module(name).poll


def _make_classes() -> None:
    global GolemHTTPConnection, GolemHTTPSConnection
    if GolemHTTPConnection is not None:
        return
    import urllib3.connection as uconn
    from urllib3.exceptions import (ConnectTimeoutError, NameResolutionError,
                                    NewConnectionError, ProtocolError)
    from urllib3.response import HTTPResponse

    class _Wasi:
        """The WASI-backend half shared by both connection classes."""

        _wasi_pending: Any = None
        _wasi_response: Any = None

        def _wasi_on(self) -> bool:
            return routed()

        #: ``"http"`` / ``"https"``
        wasi_scheme = "http"

        def connect(self) -> None:
            if not self._wasi_on():
                super().connect()  # type: ignore[misc]
            elif self.wasi_scheme == "https":
                self.is_verified = True  # the host does TLS (and verifies)

        def request(self, method: str, url: str, body: Any = None,
                    headers: typing.Mapping[str, str] | None = None, *,
                    chunked: bool = False, preload_content: bool = True,
                    decode_content: bool = True, enforce_content_length: bool = True) -> None:
            if not self._wasi_on():
                return super().request(  # type: ignore[misc,no-any-return]
                    method, url, body, headers, chunked=chunked,
                    preload_content=preload_content, decode_content=decode_content,
                    enforce_content_length=enforce_content_length)
            self._wasi_pending = (method, url, body, dict(headers or {}), decode_content,
                                  enforce_content_length, self.timeout)
            self._wasi_response = None

        def getresponse(self) -> Any:
            pending, self._wasi_pending = self._wasi_pending, None
            if pending is None:
                return super().getresponse()  # type: ignore[misc]
            return self._wasi_send(*pending)

        def close(self) -> None:
            self._wasi_pending = None
            if getattr(self, "sock", None) is not None or not routed():
                super().close()  # type: ignore[misc]

        def _wasi_send(self, method: str, url: str, body: Any, headers: dict[str, str],
                       decode_content: bool, enforce_content_length: bool,
                       connect_timeout: Any) -> Any:
            https = self.wasi_scheme == "https"
            port = self.port
            default = 443 if https else 80
            authority = self.host if not port or port == default else f"{self.host}:{port}"
            path = url
            if "://" in url:
                rest = url.split("://", 1)[1]
                path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
            pairs = [(k, v.encode("latin-1") if isinstance(v, str) else bytes(v))
                     for k, v in headers.items()]
            try:
                status, entries, data = exchange(
                    "urllib3 (requests)", method, https, authority, path, pairs,
                    _body_bytes(body), _seconds(connect_timeout), _seconds(self.timeout))
            except WasiHttpFailure as e:
                raise self._wasi_error(e, url, NewConnectionError, ConnectTimeoutError,
                                       NameResolutionError, ProtocolError) from None
            from urllib3._collections import HTTPHeaderDict

            hd = HTTPHeaderDict()
            for k, v in entries:
                hd.add(k, v.decode("latin-1"))
            import io

            return HTTPResponse(body=io.BytesIO(data), headers=hd, status=status,
                                version=11, version_string="HTTP/1.1", reason=None,
                                preload_content=False, decode_content=decode_content,
                                connection=self, enforce_content_length=enforce_content_length,
                                request_method=method, request_url=url)

        def _wasi_error(self, failure: "WasiHttpFailure", url: str, new_conn: Any,
                        connect_timeout: Any, name_resolution: Any,
                        protocol: Any) -> BaseException:
            case = failure.case
            text = str(failure)
            if case == "connection-refused":
                return new_conn(self, f"Failed to establish a new connection: {text}")
            if case in ("DNS-error", "DNS-timeout"):
                return name_resolution(self.host, self, socket.gaierror(text))
            if case == "connection-timeout":
                return connect_timeout(self, f"Connection timed out: {text}")
            if case == "connection-read-timeout":
                return socket.timeout(f"Read timed out: {text}")
            return protocol(text)

    class GolemHTTP(_Wasi, uconn.HTTPConnection):  # type: ignore[misc]
        """urllib3's ``HTTPConnection``, sent over the fake ``wasi:http`` while worker
        code runs."""

        @property
        def is_closed(self) -> bool:
            if routed():  # open from request() to getresponse(): the pool then sets
                return self._wasi_pending is None  # the read timeout
            return bool(super().is_closed)

        @property
        def is_connected(self) -> bool:
            if routed():
                return False
            return bool(super().is_connected)

    class GolemHTTPS(_Wasi, uconn.HTTPSConnection):  # type: ignore[misc]
        """urllib3's ``HTTPSConnection``, sent over the fake ``wasi:http`` (TLS is the
        host's) while worker code runs."""

        wasi_scheme = "https"

        @property
        def is_closed(self) -> bool:
            if routed():  # open from request() to getresponse(): the pool then sets
                return self._wasi_pending is None  # the read timeout
            return bool(super().is_closed)

        @property
        def is_connected(self) -> bool:
            if routed():
                return False
            return bool(super().is_connected)

    GolemHTTP.__name__ = GolemHTTP.__qualname__ = "GolemHTTPConnection"
    GolemHTTPS.__name__ = GolemHTTPS.__qualname__ = "GolemHTTPSConnection"
    GolemHTTPConnection, GolemHTTPSConnection = GolemHTTP, GolemHTTPS


def _seconds(timeout: Any) -> float | None:
    """A client's timeout in seconds (``None``: none, or urllib3's default sentinel)."""
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return float(timeout)
    return None


def _ns(seconds: float | None) -> int | None:
    return None if seconds is None else int(seconds * 1_000_000_000)


def _method(t: Any, method: str) -> Any:
    m = method.upper()
    cls = getattr(t, f"Method_{m.capitalize()}", None)
    if m in ("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE",
             "PATCH") and cls is not None:
        return cls()
    return t.Method_Other(method)


def _body_bytes(body: Any) -> bytes:
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, (bytes, bytearray, memoryview)):
        return bytes(body)
    if hasattr(body, "read"):
        data = body.read()
        return data.encode("utf-8") if isinstance(data, str) else bytes(data)
    return b"".join(c.encode("utf-8") if isinstance(c, str) else bytes(c) for c in body)


# -- httpx ------------------------------------------------------------------------------

#: httpx exception class per error-code case (the rest: by phase, see _httpx_error)
_HTTPX_ERRORS = {
    "DNS-timeout": "ConnectTimeout", "connection-timeout": "ConnectTimeout",
    "DNS-error": "ConnectError", "destination-not-found": "ConnectError",
    "destination-unavailable": "ConnectError", "destination-IP-prohibited": "ConnectError",
    "destination-IP-unroutable": "ConnectError", "connection-refused": "ConnectError",
    "connection-limit-reached": "ConnectError", "TLS-protocol-error": "ConnectError",
    "TLS-certificate-error": "ConnectError", "TLS-alert-received": "ConnectError",
    "connection-read-timeout": "ReadTimeout", "HTTP-response-timeout": "ReadTimeout",
    "connection-write-timeout": "WriteTimeout",
    "connection-terminated": "RemoteProtocolError",
    "HTTP-response-incomplete": "RemoteProtocolError",
    "HTTP-protocol-error": "RemoteProtocolError", "HTTP-upgrade-failed": "RemoteProtocolError",
}


def _httpx_error(httpx: Any, failure: WasiHttpFailure, request: Any) -> BaseException:
    """The exception httpx's own transport raises for what the ``error-code`` says
    (httpcore's errors as ``httpx._transports.default.map_httpcore_exceptions`` maps
    them): connect failures ``ConnectError`` / ``ConnectTimeout``, read timeout
    ``ReadTimeout``, a dropped connection or bad response ``RemoteProtocolError``, a
    request the host refused (``HTTP-request-*``) ``LocalProtocolError``, a failure
    while the body was read ``ReadError``, anything else ``TransportError``."""
    name = _HTTPX_ERRORS.get(failure.case)
    if name is None:
        if failure.case.startswith("HTTP-request-"):
            name = "LocalProtocolError"
        elif failure.case.startswith("HTTP-response-"):
            name = "RemoteProtocolError"
        elif failure.phase == "body":
            name = "ReadError"
        else:
            name = "TransportError"
    return getattr(httpx, name)(str(failure), request=request)  # type: ignore[no-any-return]


def _httpx_parts(httpx: Any, request: Any) -> tuple[bool, str, str, list[tuple[str, bytes]],
                                                    float | None, float | None]:
    url = request.url
    if url.scheme not in ("http", "https"):
        raise httpx.UnsupportedProtocol(
            f"Request URL has an unsupported protocol '{url.scheme}://' (wasi:http "
            f"sends http and https only).", request=request)
    authority = url.netloc.decode("ascii")
    path = url.raw_path.decode("ascii") or "/"
    headers = [(k.decode("latin-1"), bytes(v)) for k, v in request.headers.raw]
    timeout = request.extensions.get("timeout") or {}
    return (url.scheme == "https", authority, path, headers,
            _seconds(timeout.get("connect")), _seconds(timeout.get("read")))


def _httpx_response(httpx: Any, request: Any, status: int,
                    entries: list[tuple[str, bytes]], data: bytes) -> Any:
    return httpx.Response(status_code=status, headers=[(k.encode("latin-1"), v)
                                                       for k, v in entries],
                          stream=httpx.ByteStream(data), request=request,
                          extensions={"http_version": b"HTTP/1.1"})


def _httpx_handle_request(request: Any) -> Any:
    """``httpx.HTTPTransport.handle_request`` while an invocation runs: the request
    through the fake ``wasi:http`` (:func:`exchange`)."""
    import httpx

    https, authority, path, headers, ct, rt = _httpx_parts(httpx, request)
    try:
        status, entries, data = exchange("httpx", request.method, https, authority, path,
                                         headers, request.read(), ct, rt)
    except WasiHttpFailure as e:
        raise _httpx_error(httpx, e, request) from None
    return _httpx_response(httpx, request, status, entries, data)


async def _httpx_handle_async_request(request: Any) -> Any:
    """``httpx.AsyncHTTPTransport.handle_async_request`` while an invocation runs
    (:func:`exchange_async`: the task awaits the response's pollable)."""
    import httpx

    https, authority, path, headers, ct, rt = _httpx_parts(httpx, request)
    data = await request.aread()
    try:
        status, entries, body = await exchange_async(
            "httpx", request.method, https, authority, path, headers, data, ct, rt)
    except WasiHttpFailure as e:
        raise _httpx_error(httpx, e, request) from None
    return _httpx_response(httpx, request, status, entries, body)


def _route_httpx() -> bool:
    try:
        import httpx
    except ImportError:
        return False
    import functools

    sync_cls, async_cls = httpx.HTTPTransport, httpx.AsyncHTTPTransport
    if "httpx" in _saved:
        return True
    orig_sync = sync_cls.handle_request
    orig_async = async_cls.handle_async_request

    @functools.wraps(orig_sync)
    def handle_request(self: Any, request: Any) -> Any:
        if not routed():
            return orig_sync(self, request)
        return _httpx_handle_request(request)

    @functools.wraps(orig_async)
    async def handle_async_request(self: Any, request: Any) -> Any:
        if not routed():
            return await orig_async(self, request)
        return await _httpx_handle_async_request(request)

    handle_request.golem_fakes_routed = True  # type: ignore[attr-defined]
    handle_async_request.golem_fakes_routed = True  # type: ignore[attr-defined]
    _saved["httpx"] = (orig_sync, orig_async)
    sync_cls.handle_request = handle_request  # type: ignore[method-assign]
    async_cls.handle_async_request = handle_async_request  # type: ignore[method-assign]
    return True


# -- urllib.request ---------------------------------------------------------------------

def _urllib_open(handler: Any, req: Any, https: bool) -> Any:
    """``urllib.request.HTTPHandler.http_open`` / ``HTTPSHandler.https_open`` while an
    invocation runs: what ``AbstractHTTPHandler.do_open`` sends (the request's
    unredirected headers, then its headers, title-cased; ``Connection: close``, left
    out as forbidden), through the fake ``wasi:http``; the response as
    ``do_open`` returns it (``status``, ``reason``/``msg``, ``headers``, ``url``,
    ``read()``), so ``HTTPErrorProcessor`` and ``HTTPRedirectHandler`` work on it as on
    a real one. The URL is the request's own (``full_url``): a proxy set on it
    (``ProxyHandler``, from ``http_proxy``) is not used — the host sends the request.
    Errors as ``do_open`` raises them: ``URLError`` wrapping ``ConnectionRefusedError``,
    ``socket.gaierror`` or ``TimeoutError`` for the connect phase, ``TimeoutError``
    itself for a read timeout, ``http.client.RemoteDisconnected`` for a connection
    closed without a response, ``URLError(OSError)`` for the rest."""
    import http.client
    import io
    import urllib.error
    import urllib.response
    from urllib.parse import urlsplit

    parts = urlsplit(req.full_url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    headers = dict(req.unredirected_hdrs)
    headers.update({k: v for k, v in req.headers.items() if k not in headers})
    headers["Connection"] = "close"
    pairs = [(k.title(), v.encode("latin-1") if isinstance(v, str) else bytes(v))
             for k, v in headers.items()]
    timeout = req.timeout if isinstance(req.timeout, (int, float)) else None
    method = req.get_method()
    try:
        status, entries, data = exchange("urllib.request", method, https,
                                         parts.netloc.rpartition("@")[2], path,
                                         pairs, _body_bytes(req.data), _seconds(timeout),
                                         _seconds(timeout))
    except WasiHttpFailure as e:
        raise _urllib_error(urllib.error, http.client, e) from None
    msg = http.client.HTTPMessage()
    for k, v in entries:
        msg[k] = v.decode("latin-1")
    resp = urllib.response.addinfourl(io.BytesIO(data), msg, req.full_url, status)
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    resp.msg = resp.reason = reason  # type: ignore[attr-defined]
    return resp


def _urllib_error(error: Any, client: Any, failure: WasiHttpFailure) -> BaseException:
    case, text = failure.case, str(failure)
    if case == "connection-refused":
        return error.URLError(ConnectionRefusedError(111, f"Connection refused ({text})"))
    if case == "DNS-error":
        return error.URLError(socket.gaierror(socket.EAI_NONAME, text))
    if case in ("connection-timeout", "DNS-timeout"):
        return error.URLError(TimeoutError(f"timed out ({text})"))
    if case in ("connection-read-timeout", "HTTP-response-timeout"):
        return TimeoutError(f"timed out ({text})")
    if case == "connection-terminated":
        return client.RemoteDisconnected(f"Remote end closed connection without response "
                                         f"({text})")
    return error.URLError(OSError(text))


def _route_urllib() -> bool:
    import functools
    import urllib.request as ur

    if "urllib" in _saved:
        return True
    saved: dict[str, Any] = {"http": ur.HTTPHandler.http_open}
    https_cls = getattr(ur, "HTTPSHandler", None)  # absent without ssl

    @functools.wraps(ur.HTTPHandler.http_open)
    def http_open(self: Any, req: Any) -> Any:
        if not routed():
            return saved["http"](self, req)
        return _urllib_open(self, req, False)

    http_open.golem_fakes_routed = True  # type: ignore[attr-defined]
    ur.HTTPHandler.http_open = http_open  # type: ignore[method-assign]
    if https_cls is not None:
        saved["https"] = https_cls.https_open

        @functools.wraps(https_cls.https_open)
        def https_open(self: Any, req: Any) -> Any:
            if not routed():
                return saved["https"](self, req)
            return _urllib_open(self, req, True)

        https_open.golem_fakes_routed = True  # type: ignore[attr-defined]
        https_cls.https_open = https_open
    _saved["urllib"] = saved
    return True


# -- installing -------------------------------------------------------------------------

def route_http_clients() -> tuple[str, ...]:
    """Route the HTTP clients worker code uses onto the fake ``wasi:http`` while an
    invocation runs (once; each only if it is installed): urllib3's pools get the
    routing connection classes (so ``requests`` too), httpx's default transports
    (``HTTPTransport.handle_request``, ``AsyncHTTPTransport.handle_async_request``, as
    pytest-httpx patches them) and ``urllib.request``'s ``HTTPHandler.http_open`` /
    ``HTTPSHandler.https_open`` (every opener, ``urlopen`` included) check
    :func:`routed` and, outside an invocation, do what they did. Returns the names of
    the clients routed (``("urllib3", "httpx", "urllib.request")``). The pytest plugin
    calls it at start-up."""
    done = []
    if _route_urllib3():
        done.append("urllib3")
    if _route_httpx():
        done.append("httpx")
    if _route_urllib():
        done.append("urllib.request")
    return tuple(done)


def _route_urllib3() -> bool:
    try:
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    except ImportError:
        return False
    _make_classes()
    if "http" not in _saved:
        _saved.update(http=HTTPConnectionPool.ConnectionCls,
                      https=HTTPSConnectionPool.ConnectionCls)
    HTTPConnectionPool.ConnectionCls = GolemHTTPConnection
    HTTPSConnectionPool.ConnectionCls = GolemHTTPSConnection
    return True


def unroute_http_clients() -> None:
    """Put the clients' own connection classes, transports and handlers back."""
    if "http" in _saved:
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

        HTTPConnectionPool.ConnectionCls = _saved.pop("http")
        HTTPSConnectionPool.ConnectionCls = _saved.pop("https")
    if "httpx" in _saved:
        import httpx

        orig_sync, orig_async = _saved.pop("httpx")
        httpx.HTTPTransport.handle_request = orig_sync  # type: ignore[method-assign]
        httpx.AsyncHTTPTransport.handle_async_request = orig_async  # type: ignore[method-assign]
    if "urllib" in _saved:
        import urllib.request as ur

        saved = _saved.pop("urllib")
        ur.HTTPHandler.http_open = saved["http"]  # type: ignore[method-assign]
        if "https" in saved:
            ur.HTTPSHandler.https_open = saved["https"]  # type: ignore[method-assign]
