"""The public oplog: golem-fakes' :class:`~golem_fakes.state.oplog.OplogEntry` values as
``golem:api/oplog@1.1.7`` ``oplog-entry`` cases, paging and search.

Golem's pipeline (tag v1.3.0-dev.25; ``golem-host-semantics.md`` §11):
``OplogEntry`` → ``PublicOplogEntry`` (``PublicOplogEntryOps::from_oplog_entry``,
``golem-worker-executor/src/model/public_oplog/mod.rs``: host-call requests/responses
decoded per function name into ``ValueAndType``\\s, ``encode_host_function_request_as_value``
/ ``..._response_as_value``) → the WIT record (``From<PublicOplogEntry> for
oplog::OplogEntry``, ``.../public_oplog/wit.rs``: timestamps as ``datetime`` of the
millisecond timestamp, ``ValueAndType`` → ``wit-value`` keeping only the value).
Search matches the *public* entry (``PublicOplogEntry::matches``,
``golem-common/src/model/public_oplog/mod.rs``).

Typed values are :class:`Val` trees (a ``ValueAndType`` stand-in: kind, value and the
names the type gives: record field names, variant case names, enum case names), built
from the Python values the fake records (:func:`typed`), turned into ``wit-value`` node
lists in Golem's pre-order (``build_wit_value``, ``wasm-rpc/src/lib.rs``: a compound's node
first, then each child subtree) by :func:`wit_value`.

What is approximate, because the fake does not record the data Golem has:

* ``imported-function-invoked``: request and response are typed from the recorded Python
  values (ints ≥ 0 as ``u64``, negative as ``s64``, ``str`` as ``string``, tuples as
  tuples, dicts and objects as records, ``Ok``/``Err`` as ``result``, ``None`` as Golem's
  ``no_payload`` ``option<string>`` none), not from Golem's per-function serialised types
  (for example ``wall_clock::now``'s response is ``Ok(datetime record)`` here too; a
  recorded ``Err(message)`` is ``err(string)``, as Golem encodes a ``SerializableError``:
  its display string, ``impl IntoValue for SerializableError`` in
  ``golem-worker-executor/src/durable_host/serialized.rs``).
* ``exported-function-invoked``: ``request`` is ``[]`` (the fake does not keep the
  invocation's arguments); ``exported-function-completed``: ``response`` none and
  ``consumed-fuel`` 0 (no result value, no fuel).
* ``create``: ``created-by`` is the account id ``golem-fakes`` and ``project-id`` a UUID
  derived from the environment's seed (the fake has no accounts or projects);
  ``component-size``, ``initial-total-linear-memory-size`` are 0, no plugins.
* ``successful-update``: ``new-component-size`` 0, no plugins; a snapshot-based
  ``pending-update``'s payload is the bytes ``save-snapshot`` returned
  (:mod:`golem_fakes.worker.admin`).
* ``golem:durability`` payloads (:mod:`golem_fakes.state.durability`): a typed one
  (``persist-typed-durable-function-invocation``) is its value, exactly; raw bytes
  (``persist-durable-function-invocation``) raise :class:`PayloadDecodeError` with the
  message of Golem's decoder (its get-next traps), since Golem decodes a payload of a
  function name it does not know as a bincode ``ValueAndType`` and the fake implements no
  bincode.
* ``error``: the fake's error text (Golem's is ``WorkerError::to_string("")``, the bare
  message, ``golem-common/src/model/oplog.rs``; for a Python exception the fake's message
  is ``<Type>: <text>``).
"""

from __future__ import annotations

import dataclasses
import enum
import hashlib
import math
import uuid
from dataclasses import dataclass
from typing import Any

from golem_fakes.state.oplog import Oplog, OplogEntry
from golem_fakes.state.oplog_query import And, Field, Not, Or, Query, leaf_matches

__all__ = ["Val", "typed", "wit_value", "PublicEntry", "public_entry", "read_chunk",
           "search_chunk", "matches", "PAGE_SIZE", "project_uuid", "ACCOUNT_ID",
           "PayloadDecodeError"]

#: Page size of both resources (``GetOplogEntry::new(.., 100)``, ``SearchOplogEntry::new``
#: in ``golem-worker-executor/src/durable_host/golem/v1x.rs``).
PAGE_SIZE = 100

#: ``created-by`` of every ``create`` entry (the fake has no accounts).
ACCOUNT_ID = "golem-fakes"

_U64 = (1 << 64) - 1


class PayloadDecodeError(Exception):
    """An entry's payload cannot be decoded into its public form; Golem's ``get-next``
    traps with this message (``get_public_oplog_chunk`` returns the decoder's error,
    ``.map_err(|msg| anyhow!(msg))?`` in ``v1x.rs``). Raised for ``golem:durability``
    raw payloads (:class:`golem_fakes.state.durability.RawPayload`)."""


def project_uuid(seed: int) -> uuid.UUID:
    """The project id golem-fakes reports for an environment with ``seed`` (stable)."""
    digest = hashlib.sha256(f"golem-fakes/project/{seed}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


# --- typed values --------------------------------------------------------------------


@dataclass(slots=True)
class Val:
    """A ``ValueAndType`` (``golem_wasm_rpc``): ``kind`` is the value's case (``bool``,
    ``u8`` .. ``s64``, ``f64``, ``char``, ``string``, ``list``, ``tuple``, ``record``,
    ``variant``, ``enum``, ``option``, ``result``); ``value``: the primitive, a list of
    :class:`Val` (list/tuple), ``[(name, Val)]`` (record), ``(case_index, case_name,
    Val | None)`` (variant), ``(case_index, case_name)`` (enum), ``Val | None`` (option),
    ``(is_ok, Val | None)`` (result), ``[bool, ...]`` (flags), ``(uri, resource_id)``
    (handle)."""

    kind: str
    value: Any


def _field_name(name: str) -> str:
    return name.replace("_", "-")


def typed(v: Any) -> Val:
    """A :class:`Val` for a recorded Python value (the fake's stand-in for the value
    Golem decodes from the entry's bincode payload; see the module docstring)."""
    from golem_fakes.bindings.result import Err, Ok

    if v is None:
        return Val("option", None)  # no_payload(): option<string> none
    t = type(v)
    if t is bool:
        return Val("bool", v)
    if t is int or isinstance(v, int) and not isinstance(v, enum.Enum):
        n = int(v)
        return Val("u64", n) if 0 <= n <= _U64 else Val("s64", n)
    if t is float:
        return Val("f64", v)
    if t is str:
        return Val("string", v)
    if isinstance(v, (bytes, bytearray, memoryview)):
        return Val("list", [Val("u8", b) for b in bytes(v)])
    if isinstance(v, Ok):
        return Val("result", (True, None if v.value is None else typed(v.value)))
    if isinstance(v, Err):
        return Val("result", (False, None if v.value is None else typed(v.value)))
    if isinstance(v, uuid.UUID):
        n = v.int
        return Val("record", [("high-bits", Val("u64", n >> 64)),
                              ("low-bits", Val("u64", n & _U64))])
    if isinstance(v, enum.Enum):
        members = list(type(v))
        return Val("enum", (members.index(v), v.name.lower().replace("_", "-")))
    if isinstance(v, tuple):
        return Val("tuple", [typed(x) for x in v])
    if isinstance(v, (list, set, frozenset)):
        return Val("list", [typed(x) for x in v])
    if isinstance(v, dict):
        return Val("record", [(_field_name(str(k)), typed(x)) for k, x in v.items()])
    public = getattr(v, "public_val", None)
    if public is not None:  # golem:durability payloads (golem_fakes.state.durability)
        return public()
    if dataclasses.is_dataclass(v):
        fields = dataclasses.fields(v)
        if len(fields) == 1 and fields[0].name == "value" and "_" in t.__name__:
            # a binding variant case class (``Type_CaseName``)
            from golem_fakes.bindings.runtime import case_name

            return Val("variant", (0, case_name(v), typed(v.value)))
        if not fields and "_" in t.__name__:
            from golem_fakes.bindings.runtime import case_name

            return Val("variant", (0, case_name(v), None))
        return Val("record", [(_field_name(f.name), typed(getattr(v, f.name))) for f in fields])
    # Anything else (a resource handle, an object of the fake's own) is rendered as its
    # string form, as Golem records handles by their display form (approximate).
    return Val("string", str(v))


_PRIM_NODE = {"bool": "prim-bool", "u8": "prim-u8", "u16": "prim-u16", "u32": "prim-u32",
              "u64": "prim-u64", "s8": "prim-s8", "s16": "prim-s16", "s32": "prim-s32",
              "s64": "prim-s64", "f32": "prim-float32", "f64": "prim-float64",
              "char": "prim-char", "string": "prim-string"}


def wit_value(v: Val) -> dict[str, Any]:
    """The ``wit-value`` record (``{"nodes": [...]}``, nodes as ``(case, payload)``) of
    ``v``, nodes in ``build_wit_value``'s order (root at index 0, pre-order)."""
    from golem_fakes.bindings.result import Err, Ok

    nodes: list[Any] = []

    def build(x: Val) -> int:
        k = x.kind
        prim = _PRIM_NODE.get(k)
        if prim is not None:
            nodes.append((prim, x.value))
            return len(nodes) - 1
        idx = len(nodes)
        nodes.append(None)
        if k in ("list", "tuple", "record"):
            items = x.value if k != "record" else [f for _, f in x.value]
            children = [build(c) for c in items]
            nodes[idx] = ({"list": "list-value", "tuple": "tuple-value",
                           "record": "record-value"}[k], children)
        elif k == "variant":
            case_idx, _, inner = x.value
            nodes[idx] = ("variant-value", (case_idx, None if inner is None else build(inner)))
        elif k == "enum":
            nodes[idx] = ("enum-value", x.value[0])
        elif k == "flags":
            nodes[idx] = ("flags-value", list(x.value))
        elif k == "handle":
            uri, rid = x.value
            nodes[idx] = ("handle", ({"value": uri}, rid))
        elif k == "option":
            nodes[idx] = ("option-value", None if x.value is None else build(x.value))
        elif k == "result":
            ok, inner = x.value
            child = None if inner is None else build(inner)
            nodes[idx] = ("result-value", Ok(child) if ok else Err(child))
        else:  # pragma: no cover - every kind is handled above
            raise AssertionError(k)
        return idx

    build(v)
    return {"nodes": nodes}


# --- public entries ------------------------------------------------------------------


def _datetime(ms: int) -> dict[str, int]:
    """``From<Timestamp> for Datetime`` (wit.rs): millisecond precision."""
    return {"seconds": ms // 1000, "nanoseconds": (ms % 1000) * 1_000_000}


def _uuid_rec(u: uuid.UUID) -> dict[str, int]:
    n = u.int
    return {"high_bits": n >> 64, "low_bits": n & _U64}


def _worker_id_rec(text: str) -> dict[str, Any]:
    comp, _, name = text.partition("/")
    return {"component_id": {"uuid": _uuid_rec(uuid.UUID(comp))}, "worker_name": name}


@dataclass(slots=True)
class PublicEntry:
    """One converted entry: ``wit`` (the ``oplog-entry`` case as ``(case, record)`` for
    the bindings) and what search matches on (``strings``: the kind names and string
    fields; ``values``: typed request/response values; ``attributes``: span attributes)."""

    wit: tuple[str, Any]
    strings: tuple[str, ...]
    values: tuple[Val, ...] = ()
    attributes: tuple[tuple[str, str], ...] = ()


#: Kind names each case matches on (``matches_leaf_query``), besides its string fields.
_NAMES: dict[str, tuple[str, ...]] = {
    "create": ("create",),
    "imported-function-invoked": ("importedfunctioninvoked", "imported-function-invoked",
                                  "imported-function"),
    "exported-function-invoked": ("exportedfunctioninvoked", "exported-function-invoked",
                                  "exported-function"),
    "exported-function-completed": ("exportedfunctioncompleted",
                                    "exported-function-completed", "exported-function"),
    "suspend": ("suspend",), "error": ("error",), "no-op": ("noop",), "jump": ("jump",),
    "interrupted": ("interrupted",), "exited": ("exited",),
    "change-retry-policy": ("changeretrypolicy", "change-retry-policy"),
    "begin-atomic-region": ("beginatomicregion", "begin-atomic-region"),
    "end-atomic-region": ("endatomicregion", "end-atomic-region"),
    "begin-remote-write": ("beginremotewrite", "begin-remote-write"),
    "end-remote-write": ("endremotewrite", "end-remote-write"),
    "pending-worker-invocation": ("pendingworkerinvocation", "pending-worker-invocation"),
    "pending-update": ("pendingupdate", "pending-update", "update"),
    "successful-update": ("successfulupdate", "successful-update", "update"),
    "failed-update": ("failedupdate", "failed-update", "update"),
    "grow-memory": ("growmemory", "grow-memory"),
    "create-resource": ("createresource", "create-resource"),
    "drop-resource": ("dropresource", "drop-resource"),
    "describe-resource": ("describeresource", "describe-resource"),
    "log": ("log",), "restart": ("restart",),
    "activate-plugin": ("activateplugin", "activate-plugin"),
    "deactivate-plugin": ("deactivateplugin", "deactivate-plugin"),
    "revert": ("revert",), "cancel-invocation": ("cancel", "cancel-invocation"),
    "start-span": ("startspan", "start-span"),
    "finish-span": ("finishspan", "finish-span"),
    "set-span-attribute": ("setspanattribute", "set-span-attribute"),
    "change-persistence-level": ("changepersistencelevel", "change-persistence-level",
                                 "persistence-level"),
}

#: Cases whose WIT payload is a bare ``datetime``.
_TIMESTAMP_ONLY = frozenset({"suspend", "no-op", "interrupted", "exited", "begin-atomic-region",
                             "begin-remote-write", "restart"})


def _span_data(span: dict[str, Any]) -> tuple[str, Any]:
    return ("local-span", {
        "span_id": span["span_id"], "start": _datetime(span["start"]),
        "parent": span.get("parent"), "linked_context": span.get("linked_context"),
        "attributes": [{"key": k, "value": ("string", v)}
                       for k, v in span.get("attributes", {}).items()],
        "inherited": bool(span.get("inherited", False)),
    })


#: golem:rdbms's transaction markers (Golem v1.3.1, ``golem-rpc-rdbms-semantics.md`` §3.9)
#: have no case in golem:api/oplog@1.1.7 (the dev.25 WIT predates them): the public view
#: shows them as ``no-op`` at their index (indices stay those of the oplog).
_TRANSACTION_MARKERS = frozenset({
    "begin-remote-transaction", "pre-commit-remote-transaction",
    "committed-remote-transaction", "pre-rollback-remote-transaction",
    "rolled-back-remote-transaction"})


def _dtype(d: Any) -> Any:
    """``wrapped-function-type``: a case name, or ``("write-remote-batched", index)``;
    v1.3.1's ``write-remote-transaction(begin)`` (golem:rdbms), which 1.1.7 lacks, is
    shown as ``write-remote-batched(begin)``."""
    if isinstance(d, tuple):
        if d[0] == "write-remote-transaction":
            return ("write-remote-batched", d[1])
        return d
    if d == "write-remote-batched":
        return ("write-remote-batched", None)
    return d


def public_entry(e: OplogEntry, seed: int) -> PublicEntry:
    """The public form of ``e`` (see the module docstring for what is approximate)."""
    k, p, ts = e.kind, e.payload, _datetime(e.timestamp)
    names = _NAMES.get(k, (k,))
    if k in _TIMESTAMP_ONLY:
        return PublicEntry((k, ts), names)
    if k in _TRANSACTION_MARKERS:
        return PublicEntry(("no-op", ts), names)
    if k == "create":
        version = p.get("component_version")
        parent = p.get("parent")
        rec = {"timestamp": ts, "worker_id": _worker_id_rec(p["worker_id"]),
               "component_version": version or 0, "args": list(p.get("args", ())),
               "env": [tuple(x) for x in p.get("env", ())],
               "created_by": {"value": p.get("created_by") or ACCOUNT_ID},
               "project_id": {"uuid": _uuid_rec(project_uuid(seed))},
               "parent": None if parent is None else _worker_id_rec(str(parent)),
               "component_size": 0, "initial_total_linear_memory_size": 0,
               "initial_active_plugins": []}
        return PublicEntry((k, rec), names)
    if k == "imported-function-invoked":
        req, resp = typed(p.get("request")), typed(p.get("response"))
        rec = {"timestamp": ts, "function_name": p["function_name"],
               "request": wit_value(req), "response": wit_value(resp),
               "wrapped_function_type": _dtype(p.get("durable_function_type"))}
        return PublicEntry((k, rec), names + (p["function_name"],), (req, resp))
    if k == "exported-function-invoked":
        ctx = p.get("invocation_context", [])
        rec = {"timestamp": ts, "function_name": p["function_name"], "request": [],
               "idempotency_key": p["idempotency_key"], "trace_id": p["trace_id"],
               "trace_states": list(p.get("trace_states", ())),
               "invocation_context": [[_span_data(s) for s in ctx]]}
        return PublicEntry((k, rec), names + (p["function_name"], p["idempotency_key"]))
    if k == "exported-function-completed":
        resp = p.get("response")
        rec = {"timestamp": ts, "response": None if resp is None else wit_value(typed(resp)),
               "consumed_fuel": p.get("consumed_fuel", 0)}
        return PublicEntry((k, rec), names, () if resp is None else (typed(resp),))
    if k == "error":
        return PublicEntry((k, {"timestamp": ts, "error": p["error"]}), names + (p["error"],))
    if k in ("jump",):
        return PublicEntry((k, {"timestamp": ts, "start": p["start"], "end": p["end"]}), names)
    if k == "revert":
        start, end = p["dropped_region"]
        return PublicEntry((k, {"timestamp": ts, "start": start, "end": end}), names)
    if k == "change-retry-policy":
        return PublicEntry((k, {"timestamp": ts, "retry_policy": p["policy"].to_wit()}), names)
    if k in ("end-atomic-region", "end-remote-write"):
        return PublicEntry((k, {"timestamp": ts, "begin_index": p["begin_index"]}), names)
    if k == "pending-update":
        desc: Any = ("snapshot-based", bytes(p.get("snapshot", b""))) \
            if p.get("mode") == "snapshot-based" else "auto-update"
        v = p["target_version"]
        return PublicEntry((k, {"timestamp": ts, "target_version": v,
                                "update_description": desc}), names + (str(v),))
    if k == "successful-update":
        v = p["target_version"]
        return PublicEntry((k, {"timestamp": ts, "target_version": v, "new_component_size": 0,
                                "new_active_plugins": []}), names + (str(v),))
    if k == "failed-update":
        v, details = p["target_version"], p.get("details")
        extra = (str(v),) if details is None else (str(v), details)
        return PublicEntry((k, {"timestamp": ts, "target_version": v, "details": details}),
                           names + extra)
    if k == "log":
        return PublicEntry((k, {"timestamp": ts, "level": p["level"], "context": p["context"],
                                "message": p["message"]}), names + (p["context"], p["message"]))
    if k == "start-span":
        attrs = tuple((key, val) for key, val in p.get("attributes", {}).items())
        parent, linked = p.get("parent"), p.get("linked_context")
        rec = {"timestamp": ts, "span_id": p["span_id"], "parent": parent,
               "linked_context": linked,
               "attributes": [{"key": key, "value": ("string", val)} for key, val in attrs]}
        return PublicEntry((k, rec), names + (p["span_id"], parent or "", linked or ""),
                           attributes=attrs)
    if k == "finish-span":
        return PublicEntry((k, {"timestamp": ts, "span_id": p["span_id"]}),
                           names + (p["span_id"],))
    if k == "set-span-attribute":
        rec = {"timestamp": ts, "span_id": p["span_id"], "key": p["key"],
               "value": ("string", p["value"])}
        return PublicEntry((k, rec), names + (p["key"],), attributes=((p["key"], p["value"]),))
    if k == "change-persistence-level":
        return PublicEntry((k, {"timestamp": ts, "persistence_level": p["level"]}), names)
    if k == "cancel-invocation":
        key = p["idempotency_key"]
        return PublicEntry((k, {"timestamp": ts, "idempotency_key": key}), names + (key,))
    if k == "grow-memory":
        return PublicEntry((k, {"timestamp": ts, "delta": p["delta"]}), names)
    if k in ("create-resource", "drop-resource"):
        return PublicEntry((k, {"timestamp": ts, "resource_id": p["resource_id"]}), names)
    raise ValueError(f"oplog entry {e.index} of kind {k!r} has no golem:api/oplog@1.1.7 form")


# --- matching (PublicOplogEntry::matches) --------------------------------------------


def _rust_display(v: Val) -> str:
    x = v.value
    if v.kind == "bool":
        return "true" if x else "false"
    if v.kind in ("f32", "f64"):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "inf" if x > 0 else "-inf"
        return str(int(x)) if x == int(x) and abs(x) < 1e16 else repr(x)
    return str(x)


def _string_match(s: str, path: list[str], query_path: list[str], leaf: Any) -> bool:
    """``string_match``: the leaf applies if the paths are equal ignoring case, or the
    query has no field path."""
    if not query_path or [x.lower() for x in path] == [x.lower() for x in query_path]:
        return leaf_matches(leaf, s)
    return False


def _match_value(v: Val, path: list[str], query_path: list[str], leaf: Any) -> bool:
    """``match_value``, including its record quirk: a record's fields are matched with
    the *record's* path as the query path (so at top level every field matches whatever
    the field prefix, and nested records never match)."""
    k, x = v.kind, v.value
    if k in _PRIM_NODE:
        return _string_match(_rust_display(v), path, query_path, leaf)
    if k == "list":
        return any(_match_value(c, path, query_path, leaf) for c in x)
    if k == "tuple":
        return any(_match_value(c, path + [str(i)], query_path, leaf) for i, c in enumerate(x))
    if k == "record":
        return any(_match_value(c, path + [name], path, leaf) for name, c in x)
    if k == "variant":
        _, name, inner = x
        return inner is not None and _match_value(inner, path + [name], query_path, leaf)
    if k == "enum":
        return _string_match(x[1], path, query_path, leaf)
    if k == "option":
        return x is not None and _match_value(x, path, query_path, leaf)
    if k == "result":
        ok, inner = x
        return inner is not None and _match_value(inner, path + ["ok" if ok else "err"],
                                                  query_path, leaf)
    return False


def _leaf(entry: PublicEntry, query_path: list[str], leaf: Any) -> bool:
    if any(_string_match(s, [], query_path, leaf) for s in entry.strings):
        return True
    if any(_match_value(v, [], query_path, leaf) for v in entry.values):
        return True
    return any(_string_match(val, [key], query_path, leaf) for key, val in entry.attributes)


def matches(entry: PublicEntry, query: Query, field_stack: list[str] | None = None) -> bool:
    """``PublicOplogEntry::matches``: AND/OR/NOT combine, ``field:`` prefixes (split at
    ``.``) extend the path the leaves must be found at."""
    stack = field_stack or []
    t = type(query)
    if t is Or:
        return any(matches(entry, q, stack) for q in query.queries)  # type: ignore[union-attr]
    if t is And:
        return all(matches(entry, q, stack) for q in query.queries)  # type: ignore[union-attr]
    if t is Not:
        return not matches(entry, query.query, stack)  # type: ignore[union-attr]
    if t is Field:
        return matches(entry, query.query, stack + query.field.split("."))  # type: ignore[union-attr]
    return _leaf(entry, stack, query)


# --- paging (get_public_oplog_chunk, search_public_oplog) ------------------------------


def read_chunk(oplog: Oplog, start: int, count: int, seed: int) -> tuple[list[tuple[int, PublicEntry]], int]:
    """``get_public_oplog_chunk``: the committed entries with indices ``start ..
    start + count - 1`` (``OplogService::read``'s inclusive range, so ``start = 0`` yields
    at most ``count - 1`` entries), converted; and the next index (the last read + 1, or
    ``start`` if nothing was read)."""
    last = oplog.committed_index
    entries = oplog.entries
    out: list[tuple[int, PublicEntry]] = []
    nxt = start
    for i in range(max(start, 1), min(start + count - 1, last) + 1):
        out.append((i, public_entry(entries[i - 1], seed)))
        nxt = i + 1
    return out, nxt


def search_chunk(oplog: Oplog, start: int, count: int, query: Query,
                 seed: int) -> tuple[list[tuple[int, PublicEntry]], int]:
    """``search_public_oplog``: reads chunks of ``count`` from ``start`` and collects the
    matching entries with their indices until the read reaches the last committed index
    (``current >= last_index``) or at least ``count`` matches were collected; returns them
    and the next index."""
    results: list[tuple[int, PublicEntry]] = []
    current = start
    while True:
        chunk, nxt = read_chunk(oplog, current, count, seed)
        for offset, (_, entry) in enumerate(chunk):
            if matches(entry, query):
                results.append((current + offset, entry))
        current = nxt
        if current >= oplog.committed_index or len(results) >= count:
            break
    return results, current

