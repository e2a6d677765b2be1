"""Driving a worker's exported ``wasi:http/incoming-handler@0.2.3`` from a test
(``golem.http.incoming(...)``), and making ``incoming-request`` /
``response-outparam`` resources for the current environment.

What the real host does: Golem's worker executor (its HTTP API gateway route to a
worker) builds an ``incoming-request`` (wasmtime 33 ``WasiHttpView::new_incoming_request``:
the authority from the URI, else the ``host`` header; forbidden headers removed; the
body a stream with a 600 s between-bytes timeout) and a ``response-outparam``, calls
the export's ``handle``, and reads what the guest passed to ``response-outparam.set``:
status, headers and the body written to the outgoing-response's body stream until
``outgoing-body.finish`` (an unfinished body is aborted: the caller's body ends with an
error).

Here the export is run inside an invocation of the worker (``golem.invoke`` with a
callable, so the worker's own instance runs it and durable calls are recorded and
replayed as for any invocation); the result is an :class:`IncomingResult`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from golem_fakes.bindings.runtime import current_environment, resource_site, wrap
from golem_fakes.interfaces.wasi_http import TYPES
from golem_fakes.state.http import ErrorCode, Headers
from golem_fakes.state.http_fields import FieldMap, header_name
from golem_fakes.state.http_resources import (IncomingBodyRep, IncomingRequestRep,
                                              OutgoingResponseRep, ResponseOutparamRep)

__all__ = ["IncomingResult", "new_incoming_request", "new_response_outparam", "incoming",
           "HANDLER"]

HANDLER = "wasi:http/incoming-handler@0.2.3"
_STANDARD = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}


@dataclass
class IncomingResult:
    """What the worker answered: ``status``, ``headers`` (:class:`Headers`), ``body``,
    ``trailers`` (or ``None``); ``error`` is the ``error-code`` it passed to
    ``response-outparam.set`` instead of a response (then status is 0), ``body_error``
    says the body was not finished (aborted)."""

    status: int
    headers: Headers
    body: bytes
    trailers: Headers | None = None
    error: ErrorCode | None = None
    body_error: str | None = None

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        import json

        return json.loads(self.body)


def _class(resource: str) -> type:
    """The generated class of a ``wasi:http/types`` resource in the installed world."""
    import importlib

    from golem_fakes.bindings.install import installed
    from golem_fakes.bindings.naming import escape, upper_camel
    from golem_fakes.clients import _find_modules

    inst = installed()
    module = _find_modules(inst, (TYPES,))[0] if inst is not None else None
    if module is None:
        raise LookupError(f"the installed world does not import {TYPES}: golem.http.incoming "
                          f"needs it (a world exporting {HANDLER} imports it)")
    return getattr(importlib.import_module(module), escape(upper_camel(resource)))  # type: ignore[no-any-return]


def _method(method: str) -> Any:
    upper = method.upper()
    return upper.lower() if upper in _STANDARD else ("other", method)


def _scheme(scheme: str) -> Any:
    s = scheme.lower()
    return "HTTPS" if s == "https" else "HTTP" if s == "http" else ("other", scheme)


def new_incoming_request(env: Any, method: str = "GET", path_with_query: str = "/", *,
                         scheme: str = "https", authority: str | None = None,
                         headers: Iterable[tuple[str, Any]] = (), body: bytes = b"",
                         trailers: Iterable[tuple[str, Any]] | None = None) -> Any:
    """An ``incoming-request`` object (the generated class) with a new handle in
    ``env``. Headers with invalid names raise ``ValueError``; forbidden ones are removed
    (``remove_forbidden_headers``); the authority is ``authority``, else the ``host``
    header (``ValueError`` if neither, as wasmtime's ``bail!``)."""
    fmap = FieldMap()
    host = None
    for name, value in headers:
        lower = header_name(name)
        if lower is None:
            raise ValueError(f"invalid header name {name!r}")
        raw = value.encode("latin-1") if isinstance(value, str) else bytes(value)
        if lower == "host" and host is None:
            host = raw.decode("latin-1")
        fmap.append(lower, raw)
    if authority is None:
        if host is None:
            raise ValueError("invalid HTTP request missing authority in URI and host header "
                             "(give authority= or a host header)")
        authority = host
    tmap = None
    if trailers is not None:
        tmap = FieldMap.of((n.lower(), v.encode("latin-1") if isinstance(v, str) else bytes(v))
                           for n, v in trailers)
    rep = IncomingRequestRep(_method(method), _scheme(scheme), authority, path_with_query,
                             fmap.without_forbidden(),
                             IncomingBodyRep([bytes(body)] if body else [], tmap))
    return wrap(env, _class("incoming-request"),
                resource_site(TYPES, "incoming-request", "golem.http.incoming"), rep)


def new_response_outparam(env: Any) -> tuple[Any, ResponseOutparamRep]:
    """A ``response-outparam`` object with a new handle in ``env``, and its rep (where
    the response lands)."""
    rep = ResponseOutparamRep()
    obj = wrap(env, _class("response-outparam"),
               resource_site(TYPES, "response-outparam", "golem.http.incoming"), rep)
    return obj, rep


def _result(out: ResponseOutparamRep) -> IncomingResult:
    from golem_fakes.bindings.runtime import Trap

    if not out.set:
        raise Trap(f"{HANDLER}.{{handle}} returned without calling response-outparam.set: "
                   f"Golem's caller gets no response (wasmtime: the oneshot sender is dropped, "
                   f"the request fails)", interface=HANDLER, function="handle")
    if isinstance(out.result, ErrorCode):
        return IncomingResult(0, Headers(), b"", error=out.result)
    resp: OutgoingResponseRep = out.result
    body = resp.body
    data, trailers, body_error = b"", None, None
    if body is not None:
        data = body.content
        if body.trailers is not None:
            trailers = Headers(body.trailers.entries())
        if body.state != "finished":
            body_error = ("the response body was not finished (outgoing-body.finish): "
                          "wasmtime aborts it and the caller's body ends with an error")
    return IncomingResult(resp.status, Headers(resp.headers.entries()), data, trailers,
                          body_error=body_error)


def incoming(golem: Any, method: str = "GET", path: str = "/", *, headers: Any = (),
             body: bytes | str = b"", component: str | None = None, worker: str | None = None,
             scheme: str = "https", authority: str | None = "localhost",
             trailers: Any = None) -> IncomingResult:
    """Call the worker's exported ``incoming-handler.handle`` with a request and return
    what it answered (see the module docstring). The worker defaults to the Golem's
    default worker."""
    from golem_fakes.worker.executor import export_table_or_error

    export = export_table_or_error().lookup(f"{HANDLER}.{{handle}}")
    if component is None or worker is None:
        w = golem.default_worker
        component = component or w.component.name
        worker = worker or w.name
    data = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    pairs = list(headers.items()) if hasattr(headers, "items") else list(headers)
    cname, wname = component, worker

    def handle() -> IncomingResult:
        env = current_environment.get()
        inst = golem._instance_for(cname, wname)
        obj = inst.loaded.export_object(export.class_module, export.class_name, export.function)
        request = new_incoming_request(env, method, path, scheme=scheme, authority=authority,
                                       headers=pairs, body=data, trailers=trailers)
        out_obj, out = new_response_outparam(env)
        getattr(obj, export.method_name)(request, out_obj)
        del request, out_obj
        return _result(out)

    handle.__name__ = handle.__qualname__ = f"{HANDLER}.{{handle}}"
    return golem.invoke(cname, wname, handle)  # type: ignore[no-any-return]
