"""HTTP fields (headers and trailers) with the rules of wasmtime 33's wasi-http host.

What the real host does (``crates/wasi-http/src/types_impl.rs`` and ``types.rs`` of
bytecodealliance/wasmtime v33.0.0, the version Golem v1.3.0-dev.25 links; Golem's
``durable_host/http/types.rs`` only forwards to it):

* a ``fields`` is a ``hyper::HeaderMap``: names are lower-cased
  (``HeaderName::from_bytes``), values are kept as bytes. The map keeps one entry per
  distinct name in insertion order, each with its values in order, so ``entries``
  lists the values of a name together, at the place the name first appeared
  (``a: 1``, ``b: 2``, ``a: 3`` → ``a: 1, a: 3, b: 2``). Removing a name
  (``delete``, and ``set``, which removes then appends) is ``swap_remove`` on the
  entries: the *last* name moves into the removed name's place (:class:`FieldMap`).
* a name that is not an HTTP token (RFC 9110 ``tchar``: letters, digits and
  ``!#$%&'*+-.^_`|~``), is empty or longer than 65535 bytes is ``invalid-syntax``
  for ``from-list``/``set``/``append``/``delete``; ``get`` returns ``[]`` and ``has``
  ``false`` for it. A value with a byte below 0x20 (tab excepted) or 0x7F is
  ``invalid-syntax`` (``HeaderValue::from_bytes``; bytes 0x80-0xFF are accepted).
* forbidden names (``is_forbidden_header``): ``connection``, ``keep-alive``,
  ``proxy-authenticate``, ``proxy-authorization``, ``proxy-connection``, ``te``,
  ``transfer-encoding``, ``upgrade``, ``host``, ``http2-settings``: ``forbidden`` for
  ``from-list``/``set``/``append``/``delete`` (checked after the name's syntax, before
  the values'); Golem adds none (its ``WasiHttpView`` keeps the default
  ``is_forbidden_header``). Forbidden headers of a received response or trailers are
  removed (``remove_forbidden_headers``).
* a ``fields`` given by ``outgoing-request.headers``, ``outgoing-response.headers``,
  ``incoming-request.headers`` or ``incoming-response.headers`` is a *view* of its
  parent's map (``HostFields::Ref``): reading sees the parent's headers, ``set`` /
  ``append`` / ``delete`` fail with ``immutable``, and it is a child of the parent in
  the resource table (dropping the parent while the view is alive traps
  ``resource has children``). Fields made by the constructor, ``from-list`` or
  ``clone`` are mutable; passing one to ``outgoing-request``'s constructor moves its
  map into the request (``move_fields``; a view is copied).
"""

from __future__ import annotations

from typing import Iterable, Iterator

__all__ = ["FORBIDDEN_HEADERS", "FieldMap", "FieldsRep", "header_name", "valid_value",
           "MAX_HEADER_NAME_LEN"]

#: ``is_forbidden_header``'s list (wasmtime 33 ``crates/wasi-http/src/types.rs``).
FORBIDDEN_HEADERS = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
    "proxy-connection", "te", "transfer-encoding", "upgrade", "host", "http2-settings",
})

#: ``http::header::name::MAX_HEADER_NAME_LEN`` (http 1.x): 64 KiB - 1.
MAX_HEADER_NAME_LEN = (1 << 16) - 1

_TCHAR = frozenset(b"!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz"
                   b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")


def header_name(name: str) -> str | None:
    """``HeaderName::from_bytes``: the lower-cased name, or ``None`` if it is not a
    valid header name (empty, too long, a byte that is no ``tchar``)."""
    raw = name.encode("utf-8", "surrogatepass")
    if not raw or len(raw) > MAX_HEADER_NAME_LEN:
        return None
    if not _TCHAR.issuperset(raw):
        return None
    return raw.decode("ascii").lower()


def valid_value(value: bytes) -> bool:
    """``HeaderValue::from_bytes``: every byte is a tab, or 0x20..0xFF except 0x7F."""
    for b in value:
        if (b < 0x20 and b != 0x09) or b == 0x7F:
            return False
    return True


class FieldMap:
    """A ``hyper::HeaderMap``: distinct lower-case names in entry order, each with its
    values (bytes) in order. :meth:`remove` is ``swap_remove`` (the last name takes
    the removed one's place), as ``HeaderMap::remove`` does."""

    __slots__ = ("_names", "_values")

    def __init__(self) -> None:
        self._names: list[str] = []
        self._values: dict[str, list[bytes]] = {}

    @classmethod
    def of(cls, pairs: Iterable[tuple[str, bytes]]) -> "FieldMap":
        """A map of already-valid ``(lower-case name, value)`` pairs, appended in order."""
        m = cls()
        for name, value in pairs:
            m.append(name, value)
        return m

    def append(self, name: str, value: bytes) -> None:
        values = self._values.get(name)
        if values is None:
            self._names.append(name)
            self._values[name] = [value]
        else:
            values.append(value)

    def remove(self, name: str) -> None:
        if name not in self._values:
            return
        del self._values[name]
        names = self._names
        i = names.index(name)
        last = names.pop()
        if i < len(names):
            names[i] = last

    def get_all(self, name: str) -> list[bytes]:
        return list(self._values.get(name, ()))

    def first(self, name: str) -> bytes | None:
        values = self._values.get(name)
        return values[0] if values else None

    def __contains__(self, name: object) -> bool:
        return name in self._values

    def entries(self) -> list[tuple[str, bytes]]:
        return [(n, v) for n in self._names for v in self._values[n]]

    def __iter__(self) -> Iterator[tuple[str, bytes]]:
        return iter(self.entries())

    def __len__(self) -> int:
        return sum(len(v) for v in self._values.values())

    def names(self) -> list[str]:
        return list(self._names)

    def copy(self) -> "FieldMap":
        m = FieldMap()
        m._names = list(self._names)
        m._values = {k: list(v) for k, v in self._values.items()}
        return m

    def without_forbidden(self) -> "FieldMap":
        """``remove_forbidden_headers`` applied to a copy (names removed in key order)."""
        m = self.copy()
        for name in [n for n in self._names if n in FORBIDDEN_HEADERS]:
            m.remove(name)
        return m

    def __repr__(self) -> str:
        return f"FieldMap({self.entries()!r})"


class FieldsRep:
    """Rep of ``wasi:http/types@0.2.3`` ``fields``: a :class:`FieldMap` that is either
    owned (mutable) or a view of a parent resource's map (``immutable``, a child of
    ``parent`` until dropped)."""

    __slots__ = ("map", "immutable", "parent", "children", "name", "__weakref__")

    def __init__(self, fmap: FieldMap | None = None, *, parent: object | None = None,
                 name: str = "fields") -> None:
        self.map = FieldMap() if fmap is None else fmap
        #: A view of a request's/response's headers: ``set``/``append``/``delete`` fail.
        self.immutable = parent is not None
        self.parent = parent
        if parent is not None:
            parent.children += 1  # type: ignore[attr-defined]
        self.children = 0
        self.name = name

    def release(self) -> None:
        """The view was dropped or moved: no longer a child of its parent (once)."""
        parent = self.parent
        if parent is not None:
            self.parent = None
            parent.children -= 1  # type: ignore[attr-defined]

    def take(self) -> FieldMap:
        """``move_fields``: the map (a copy for a view) for a new owner; this rep is
        gone from the table afterwards."""
        if self.immutable:
            self.release()
            return self.map.copy()
        return self.map

    def __repr__(self) -> str:
        kind = "view" if self.immutable else "owned"
        return f"FieldsRep({kind}, {self.map.entries()!r})"
