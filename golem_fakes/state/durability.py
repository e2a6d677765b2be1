"""State and value conversions of ``golem:durability/durability@1.2.1``.

What ``persist-*`` writes and ``read-persisted-*`` reads back (``golem-host-semantics.md``
§13; ``golem-worker-executor/src/durable_host/durability.rs`` at v1.3.0-dev.25):

* ``persist-durable-function-invocation`` stores the guest's request and response bytes
  as they are (``add_raw_imported_function_invoked``,
  ``golem-worker-executor/src/services/oplog/mod.rs``): :class:`RawPayload`.
* ``persist-typed-durable-function-invocation`` converts each ``value-and-type`` to
  Golem's ``ValueAndType`` (``From<WitValue> for Value``, ``wasm-rpc/src/lib.rs``;
  ``From<WitType> for AnalysedType``, ``wasm-rpc/src/value_and_type.rs``) and stores its
  bincode serialisation: :class:`TypedPayload` (the converted value and type, not the
  bytes). Reading it back converts again (``From<Value> for WitValue``,
  ``From<AnalysedType> for WitType``), so the guest gets the *normal form*: nodes in
  pre-order (a node, then its children's subtrees, left to right), names kept on
  composite types and handles, ``owner`` kept only on enums and flags, primitives
  without name or owner.

The conversions panic in Golem (an executor abort, the whole process dies) on an empty
node list, a node index outside the list (a negative ``s32`` index too: it is cast to
``usize``), a cycle of indices (unbounded recursion) and a ``result-type`` with neither
an ok nor an err type; here they raise :class:`Abort` with the panic's text, which the
interface turns into a :class:`golem_fakes.Trap` saying so.

Golem's public oplog decodes an ``imported-function-invoked`` payload of a function name
it does not know as a bincode ``ValueAndType`` (``encode_host_function_request_as_value``
/ ``..._response_as_value``, ``golem-worker-executor/src/model/public_oplog/mod.rs``):
typed payloads show their value (:meth:`TypedPayload.public_val`); raw bytes that are not
such a serialisation make ``get-oplog``/``search-oplog``'s ``get-next`` fail with the
decoder's message (:meth:`RawPayload.public_val` raises :class:`PayloadDecodeError`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golem_fakes.state.public_oplog import PayloadDecodeError, Val

__all__ = ["Abort", "TypeTree", "RawPayload", "TypedPayload", "value_from_wit",
           "type_from_wit", "type_to_wit", "value_to_wit", "normal_type", "ObservedCall"]

#: Nodes one conversion may build: node indices may share subtrees (a DAG), which Golem
#: expands into a tree; past this the fake stops instead of exhausting memory.
MAX_EXPANDED_NODES = 100_000

_U64 = (1 << 64) - 1


class Abort(Exception):
    """A Rust panic in Golem's conversion code: the real executor process aborts
    (``panic = "abort"``, semantics §0.3)."""


@dataclass(frozen=True, slots=True)
class ObservedCall:
    """One ``observe-function-call`` (Golem's ``record_host_function_call`` metric,
    ``golem-worker-executor/src/metrics.rs``): ``iface`` and ``function`` as given."""

    iface: str
    function: str


# --- types ---------------------------------------------------------------------------

#: WIT ``wit-type-node`` case → kind of a :class:`TypeTree` for the primitive cases.
_PRIM_TYPES = {"prim-u8-type": "u8", "prim-u16-type": "u16", "prim-u32-type": "u32",
               "prim-u64-type": "u64", "prim-s8-type": "s8", "prim-s16-type": "s16",
               "prim-s32-type": "s32", "prim-s64-type": "s64", "prim-f32-type": "f32",
               "prim-f64-type": "f64", "prim-char-type": "char", "prim-bool-type": "bool",
               "prim-string-type": "string"}
_PRIM_TYPE_CASES = {v: k for k, v in _PRIM_TYPES.items()}

#: Kinds whose ``owner`` survives Golem's ``WitType → AnalysedType`` conversion.
_KEEPS_OWNER = frozenset({"enum", "flags"})


@dataclass(frozen=True, slots=True)
class TypeTree:
    """An ``AnalysedType``: ``kind`` (``record``, ``variant``, ``enum``, ``flags``,
    ``tuple``, ``list``, ``option``, ``result``, ``handle`` or a primitive ``u8`` ..
    ``string``), ``name``/``owner`` and ``items``: record ``((field, TypeTree), ...)``,
    variant ``((case, TypeTree | None), ...)``, enum/flags ``(name, ...)``, tuple
    ``(TypeTree, ...)``, list/option ``(TypeTree,)``, result ``(ok | None, err |
    None)``, handle ``(resource-id, "owned" | "borrowed")``."""

    kind: str
    items: tuple[Any, ...] = ()
    name: str | None = None
    owner: str | None = None


def _case(node: Any) -> str:
    from golem_fakes.bindings.runtime import case_name

    return case_name(node)


class _Builder:
    """Shared walk over a node list: index checks, cycle detection, expansion bound."""

    def __init__(self, nodes: list[Any], what: str) -> None:
        self.nodes = nodes
        self.what = what
        self.visiting: set[int] = set()
        self.built = 0
        if not nodes:
            raise Abort(f"assertion failed: !value.nodes.is_empty() (an empty {what})")

    def node(self, index: int) -> Any:
        n = len(self.nodes)
        if not 0 <= index < n:
            raise Abort(f"index out of bounds: the len is {n} but the index is "
                        f"{index & _U64} (node index {index} of the {self.what})")
        if index in self.visiting:
            raise Abort(f"stack overflow: node {index} of the {self.what} contains itself "
                        f"(a cycle of node indices recurses without end)")
        self.built += 1
        if self.built > MAX_EXPANDED_NODES:
            raise Abort(f"the {self.what} expands to more than {MAX_EXPANDED_NODES} nodes "
                        f"(shared node indices are copied into a tree); golem-fakes stops "
                        f"here, the real executor builds it or runs out of memory")
        return self.nodes[index]


def type_from_wit(wit_type: Any) -> TypeTree:
    """``From<WitType> for AnalysedType`` (``build_tree``): the tree below node 0, already
    in Golem's normal form (:func:`normal_type`). Raises :class:`Abort` where Golem
    panics."""
    b = _Builder(list(wit_type.nodes), "wit-type")

    def build(i: int) -> TypeTree:
        named = b.node(i)
        b.visiting.add(i)
        try:
            node = named.type
            k = _case(node)
            name = named.name
            if k in _PRIM_TYPES:
                return TypeTree(_PRIM_TYPES[k])
            v = node.value
            if k == "record-type":
                return TypeTree("record", tuple((f, build(j)) for f, j in v), name)
            if k == "variant-type":
                return TypeTree("variant", tuple((c, None if j is None else build(j))
                                                 for c, j in v), name)
            if k == "enum-type":
                return TypeTree("enum", tuple(v), name, named.owner)
            if k == "flags-type":
                return TypeTree("flags", tuple(v), name, named.owner)
            if k == "tuple-type":
                return TypeTree("tuple", tuple(build(j) for j in v), name)
            if k in ("list-type", "option-type"):
                return TypeTree(k[:-5], (build(v),), name)
            if k == "result-type":
                ok, err = v
                if ok is None and err is None:
                    raise Abort("ResultType with no ok_type or err_type")
                return TypeTree("result", (None if ok is None else build(ok),
                                           None if err is None else build(err)), name)
            if k == "handle-type":
                rid, mode = v
                return TypeTree("handle", (rid, mode.name.lower()), name)
            raise AssertionError(k)  # pragma: no cover - every case is handled
        finally:
            b.visiting.discard(i)

    return build(0)


def normal_type(t: TypeTree) -> TypeTree:
    """``t`` as Golem's conversions leave it (see :func:`type_from_wit`): the identity
    for trees made by :func:`type_from_wit`."""
    owner = t.owner if t.kind in _KEEPS_OWNER else None
    return TypeTree(t.kind, t.items, t.name, owner) if owner != t.owner else t


def type_to_wit(t: TypeTree) -> dict[str, Any]:
    """``From<AnalysedType> for WitType`` (``WitTypeBuilder``): nodes in pre-order, a
    node's slot reserved before its children are added."""
    nodes: list[Any] = []

    def add(x: TypeTree) -> int:
        idx = len(nodes)
        nodes.append(None)
        k, items = x.kind, x.items
        if k in _PRIM_TYPE_CASES:
            node: Any = (_PRIM_TYPE_CASES[k], None)
        elif k == "record":
            node = ("record-type", [(f, add(c)) for f, c in items])
        elif k == "variant":
            node = ("variant-type", [(c, None if ct is None else add(ct)) for c, ct in items])
        elif k in ("enum", "flags"):
            node = (f"{k}-type", list(items))
        elif k == "tuple":
            node = ("tuple-type", [add(c) for c in items])
        elif k in ("list", "option"):
            node = (f"{k}-type", add(items[0]))
        elif k == "result":
            ok, err = items
            node = ("result-type", (None if ok is None else add(ok),
                                    None if err is None else add(err)))
        elif k == "handle":
            node = ("handle-type", (items[0], items[1]))
        else:  # pragma: no cover - every kind is handled
            raise AssertionError(k)
        nodes[idx] = {"name": None if k in _PRIM_TYPE_CASES else x.name,
                      "owner": x.owner if k in _KEEPS_OWNER else None, "type": node}
        return idx

    add(t)
    return {"nodes": nodes}


# --- values --------------------------------------------------------------------------

_PRIM_VALUES = {"prim-u8": "u8", "prim-u16": "u16", "prim-u32": "u32", "prim-u64": "u64",
                "prim-s8": "s8", "prim-s16": "s16", "prim-s32": "s32", "prim-s64": "s64",
                "prim-float32": "f32", "prim-float64": "f64", "prim-char": "char",
                "prim-bool": "bool", "prim-string": "string"}


def value_from_wit(wit_value: Any, typ: TypeTree | None = None) -> Val:
    """``From<WitValue> for Value`` (``build_tree``, ``wasm-rpc/src/lib.rs``) as a
    :class:`~golem_fakes.state.public_oplog.Val`; record field, variant case and enum
    case names are taken from ``typ`` where it has them (Golem keeps the pair as a
    ``ValueAndType`` and never checks that they agree; a name the type lacks is the
    index). Raises :class:`Abort` where Golem panics."""
    from golem_fakes.bindings.result import Ok

    b = _Builder(list(wit_value.nodes), "wit-value")

    def sub(t: TypeTree | None, kind: str, i: int) -> TypeTree | None:
        if t is None or t.kind != kind or i >= len(t.items):
            return None
        item = t.items[i]
        return item[1] if kind in ("record", "variant") else item

    def build(i: int, t: TypeTree | None) -> Val:
        node = b.node(i)
        b.visiting.add(i)
        try:
            k = _case(node)
            v = node.value
            if k in _PRIM_VALUES:
                return Val(_PRIM_VALUES[k], v)
            if k == "record-value":
                names = [f for f, _ in t.items] if t is not None and t.kind == "record" else []
                return Val("record", [(names[n] if n < len(names) else str(n),
                                       build(j, sub(t, "record", n))) for n, j in enumerate(v)])
            if k in ("tuple-value", "list-value"):
                kind = k[:-6]
                if kind == "list":
                    el = t.items[0] if t is not None and t.kind == "list" else None
                    return Val("list", [build(j, el) for j in v])
                return Val("tuple", [build(j, sub(t, "tuple", n)) for n, j in enumerate(v)])
            if k == "variant-value":
                case_idx, inner = v
                cases = t.items if t is not None and t.kind == "variant" else ()
                cname = cases[case_idx][0] if case_idx < len(cases) else str(case_idx)
                inner_t = cases[case_idx][1] if case_idx < len(cases) else None
                return Val("variant", (case_idx, cname,
                                       None if inner is None else build(inner, inner_t)))
            if k == "enum-value":
                cases = t.items if t is not None and t.kind == "enum" else ()
                return Val("enum", (v, cases[v] if v < len(cases) else str(v)))
            if k == "flags-value":
                return Val("flags", list(v))
            if k == "option-value":
                el = t.items[0] if t is not None and t.kind == "option" else None
                return Val("option", None if v is None else build(v, el))
            if k == "result-value":
                ok = isinstance(v, Ok)
                inner = v.value
                rt = None
                if t is not None and t.kind == "result":
                    rt = t.items[0] if ok else t.items[1]
                return Val("result", (ok, None if inner is None else build(inner, rt)))
            if k == "handle":
                uri, rid = v
                return Val("handle", (uri.value, rid))
            raise AssertionError(k)  # pragma: no cover - every case is handled
        finally:
            b.visiting.discard(i)

    return build(0, typ)


def value_to_wit(v: Val) -> dict[str, Any]:
    """``From<Value> for WitValue`` (``build_wit_value``): pre-order nodes."""
    from golem_fakes.state.public_oplog import wit_value

    return wit_value(v)


# --- persisted payloads --------------------------------------------------------------


class RawPayload:
    """A payload stored as the guest gave it (``persist-durable-function-invocation``)."""

    __slots__ = ("data",)

    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)

    def public_val(self) -> Val:
        """What Golem's public oplog makes of it: bincode ``ValueAndType`` decoding
        (``try_deserialize``, ``golem-common/src/serialization.rs``): empty bytes or a
        first byte other than a serialisation version give ``Unexpected oplog payload,
        cannot deserialize``; version byte 1 is a panic (v1 support dropped); version 2
        is decoded by bincode, which golem-fakes does not implement (raw payloads never
        hold Golem's serialisation here unless the guest built it byte by byte)."""
        d = self.data
        if not d or d[0] not in (1, 2):
            raise PayloadDecodeError("Unexpected oplog payload, cannot deserialize")
        if d[0] == 1:
            raise PayloadDecodeError(
                "Support for v1 serialization format has been dropped (a panic: the real "
                "executor aborts)")
        raise PayloadDecodeError(
            "Failed to deserialize value: the bytes start with Golem's serialization version "
            "2, and Golem would now bincode-decode them as a ValueAndType; golem-fakes does "
            "not implement bincode, so it cannot tell whether they decode (persist typed "
            "values with persist-typed-durable-function-invocation to read them here)")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, RawPayload) and other.data == self.data

    def __hash__(self) -> int:
        return hash(self.data)

    def __repr__(self) -> str:
        return f"RawPayload({self.data!r})"


class TypedPayload:
    """A ``ValueAndType`` (``persist-typed-durable-function-invocation``): ``value`` and
    ``typ`` in Golem's normal form."""

    __slots__ = ("value", "typ")

    def __init__(self, value: Val, typ: TypeTree) -> None:
        self.value = value
        self.typ = typ

    def public_val(self) -> Val:
        """The value (the public oplog's ``wit-value`` keeps only the value)."""
        return self.value

    def to_wit(self) -> dict[str, Any]:
        """The WIT ``value-and-type`` record Golem's read gives back."""
        return {"value": value_to_wit(self.value), "typ": type_to_wit(self.typ)}

    def __eq__(self, other: object) -> bool:
        return (isinstance(other, TypedPayload) and other.value == self.value
                and other.typ == self.typ)

    def __hash__(self) -> int:
        return hash(self.typ)

    def __repr__(self) -> str:
        return f"TypedPayload({self.value!r}, {self.typ!r})"
