"""``urllib3`` (and so ``requests``) from worker code, routed onto the fake ``wasi:http``.

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

What the WASI backend does with a request:

* the method, scheme, authority and path go to the ``outgoing-request``; headers that
  ``wasi:http`` forbids (``host``, ``connection`` — which ``requests`` sets —,
  ``keep-alive``, ``transfer-encoding``, ...) are left out, as the host sets them;
* the body (bytes, text, an iterable or a file) is written whole to the request body
  after ``handle``, then finished;
* urllib3's connect timeout becomes the request's ``connect-timeout``, its read timeout
  the ``first-byte-timeout`` and ``between-bytes-timeout`` (both on the Golem's virtual
  clock);
* the response is read whole (``blocking-read`` to the end) and handed to urllib3 as an
  ``HTTPResponse``; ``error-code`` results become urllib3's exceptions:
  ``connection-refused`` / ``DNS-error`` → ``NewConnectionError`` /
  ``NameResolutionError`` (``requests.ConnectionError``), ``connection-timeout`` →
  ``ConnectTimeoutError``, ``connection-read-timeout`` → a socket timeout
  (``ReadTimeoutError``, ``requests.ReadTimeout``), any other → ``ProtocolError``.

``urllib.request`` is not routed: it opens sockets itself; :func:`route_http_clients`
leaves it alone (worker code using it inside a component fails at the socket).
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
            mods = _modules()
            if mods is None:
                from golem_fakes.bindings.runtime import NotFaked

                raise NotFaked(
                    f"worker code sent {method} {url} with urllib3 (requests), but the "
                    f"installed world does not import {_HANDLER} and {_HTTP_TYPES}: add "
                    f"them to the component's world, as Golem's urllib3 fork needs them",
                    interface=_HANDLER, function="handle")
            t, oh, streams = mods
            from componentize_py_types import Err

            from golem_fakes.state.http_fields import FORBIDDEN_HEADERS

            port = self.port
            https = self.wasi_scheme == "https"
            default = 443 if https else 80
            authority = self.host if not port or port == default else f"{self.host}:{port}"
            path = url
            if "://" in url:
                rest = url.split("://", 1)[1]
                path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
            pairs = [(k, v.encode("latin-1") if isinstance(v, str) else bytes(v))
                     for k, v in headers.items() if k.lower() not in FORBIDDEN_HEADERS]
            data = _body_bytes(body)
            if data and not any(k.lower() == "content-length" for k, _ in pairs):
                pairs.append(("content-length", str(len(data)).encode()))
            req = t.OutgoingRequest(t.Fields.from_list(pairs))
            req.set_method(_method(t, method))
            req.set_scheme(t.Scheme_Https() if https else t.Scheme_Http())
            req.set_authority(authority)
            req.set_path_with_query(path)
            opts = t.RequestOptions()
            ct = _ns(connect_timeout)
            rt = _ns(self.timeout)
            if ct is not None:
                opts.set_connect_timeout(ct)
            if rt is not None:
                opts.set_first_byte_timeout(rt)
                opts.set_between_bytes_timeout(rt)
            out = req.body() if data else None
            try:
                future = oh.handle(req, opts)
            except Err as e:
                raise self._wasi_error(e.value, url, NewConnectionError, ConnectTimeoutError,
                                       NameResolutionError, ProtocolError) from None
            if out is not None:
                s = out.write()
                for i in range(0, len(data), 4096):
                    s.blocking_write_and_flush(data[i:i + 4096])
                del s
                t.OutgoingBody.finish(out, None)
            while True:
                got = future.get()
                if got is not None:
                    break
                p = future.subscribe()
                p.block()
                del p
            del future
            result = got.value
            if isinstance(result, Err):
                raise self._wasi_error(result.value, url, NewConnectionError,
                                       ConnectTimeoutError, NameResolutionError, ProtocolError)
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
                    raise ProtocolError(f"reading the response body of {method} {url} "
                                        f"failed: {e.value.value.to_debug_string()}") from None
            del stream
            t.IncomingBody.finish(body_res)
            del resp
            from urllib3._collections import HTTPHeaderDict

            hd = HTTPHeaderDict()
            for k, v in entries:
                hd.add(k, v.decode("latin-1"))
            import io

            return HTTPResponse(body=io.BytesIO(b"".join(chunks)), headers=hd, status=status,
                                version=11, version_string="HTTP/1.1", reason=None,
                                preload_content=False, decode_content=decode_content,
                                connection=self, enforce_content_length=enforce_content_length,
                                request_method=method, request_url=url)

        def _wasi_error(self, code: Any, url: str, new_conn: Any, connect_timeout: Any,
                        name_resolution: Any, protocol: Any) -> BaseException:
            name = type(code).__name__.rsplit("_", 1)[-1]
            text = f"wasi:http error-code {name} for {url}"
            if name == "ConnectionRefused":
                return new_conn(self, f"Failed to establish a new connection: {text}")
            if name in ("DnsError", "DnsTimeout"):
                return name_resolution(self.host, self, socket.gaierror(text))
            if name == "ConnectionTimeout":
                return connect_timeout(self, f"Connection timed out: {text}")
            if name == "ConnectionReadTimeout":
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


def _ns(timeout: Any) -> int | None:
    if isinstance(timeout, (int, float)) and not isinstance(timeout, bool) and timeout > 0:
        return int(timeout * 1_000_000_000)
    return None


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


def route_http_clients() -> bool:
    """Install the routing connection classes into urllib3's pools (once; ``False`` if
    urllib3 is not installed). The pytest plugin calls it at start-up."""
    try:
        import urllib3.connection as uconn
        from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
    except ImportError:
        return False
    _make_classes()
    if not _saved:
        _saved.update(http=HTTPConnectionPool.ConnectionCls,
                      https=HTTPSConnectionPool.ConnectionCls)
    HTTPConnectionPool.ConnectionCls = GolemHTTPConnection
    HTTPSConnectionPool.ConnectionCls = GolemHTTPSConnection
    del uconn
    return True


def unroute_http_clients() -> None:
    """Put urllib3's own connection classes back."""
    if not _saved:
        return
    from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

    HTTPConnectionPool.ConnectionCls = _saved["http"]
    HTTPSConnectionPool.ConnectionCls = _saved["https"]
    _saved.clear()
