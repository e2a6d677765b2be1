"""Worker-side helpers for the wasi:http tests: what a guest does with the WIT."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any


def build(http: SimpleNamespace, url: str, method: Any = None,
          headers: list[tuple[str, bytes]] = (), body: bytes | None = None) -> Any:
    """An outgoing-request for ``url`` (``scheme://authority/path?query``), with a body
    written and finished if given; returns ``(request, body)`` (body not finished when
    ``body`` is ``...``)."""
    from urllib.parse import urlsplit

    t = http.t
    parts = urlsplit(url)
    req = t.OutgoingRequest(t.Fields.from_list(list(headers)))
    req.set_scheme(t.Scheme_Https() if parts.scheme == "https" else t.Scheme_Http())
    req.set_authority(parts.netloc)
    req.set_path_with_query(parts.path + (f"?{parts.query}" if parts.query else ""))
    if method is not None:
        req.set_method(method)
    return req


def send(http: SimpleNamespace, url: str, method: Any = None,
         headers: list[tuple[str, bytes]] = (), body: bytes | None = None,
         options: Any = None) -> Any:
    """Send and wait (subscribe + block) for the response: the ``get`` result."""
    t = http.t
    req = build(http, url, method, headers)
    out = req.body() if body is not None else None
    fut = http.oh.handle(req, options)
    if out is not None:
        s = out.write()
        s.blocking_write_and_flush(body)
        del s
        t.OutgoingBody.finish(out, None)
    p = fut.subscribe()
    p.block()
    del p
    return fut.get()


def read_all(http: SimpleNamespace, resp: Any) -> bytes:
    body = resp.consume()
    s = body.stream()
    out = b""
    while True:
        try:
            out += s.blocking_read(65536)
        except Exception as e:  # Err(closed)
            if type(getattr(e, "value", None)).__name__ == "StreamError_Closed":
                break
            raise
    del s
    http.t.IncomingBody.finish(body)
    return out
