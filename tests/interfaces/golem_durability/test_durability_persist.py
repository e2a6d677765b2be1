"""golem:durability/durability@1.2.1: persist-(typed-)durable-function-invocation, their
entries through golem:api/oplog, and read-persisted-(typed-)... in (simulated) replay
(golem-host-semantics.md §13, §11)."""

from __future__ import annotations

from contextlib import nullcontext
from types import ModuleType
from typing import Any

import pytest
from durability_replay import replaying

from golem_fakes import Golem, NotFaked, Trap
from golem_fakes.state.durability import RawPayload, TypedPayload

DUR = "golem:durability/durability@1.2.1"


def _record_vat(t: ModuleType, a: int, b: str) -> Any:
    """``record r { a: u32, b: string }`` (owner ``pkg``) with ``{a, b}``; the value's
    nodes are deliberately *not* in pre-order (the first field is the last node)."""
    value = t.WitValue([t.WitNode_RecordValue([2, 1]), t.WitNode_PrimU32(a),
                        t.WitNode_PrimString(b)])
    typ = t.WitType([
        t.NamedWitTypeNode("r", "pkg", t.WitTypeNode_RecordType([("b", 1), ("a", 2)])),
        t.NamedWitTypeNode("ignored", "ignored", t.WitTypeNode_PrimStringType()),
        t.NamedWitTypeNode(None, None, t.WitTypeNode_PrimU32Type())])
    return t.ValueAndType(value, typ)


def _me(host: ModuleType) -> Any:
    return host.get_self_metadata().worker_id


def _all(op: ModuleType, wid: Any) -> list[Any]:
    it = op.GetOplog(wid, 1)
    out: list[Any] = []
    while (page := it.get_next()) is not None:
        out.extend(page)
    return out


# --- persist ------------------------------------------------------------------------------


def test_persist_appends_raw_bytes_without_committing(dur: ModuleType, op: ModuleType) -> None:
    g = Golem()
    with g:
        oplog = g.runtime().oplog
        dur.persist_durable_function_invocation("lib::get", b"\x01req", b"resp",
                                                op.WrappedFunctionType_ReadRemote())
        e = oplog[oplog.current_index]
        assert e.kind == "imported-function-invoked"
        assert e["function_name"] == "lib::get"
        assert e["request"] == RawPayload(b"\x01req") and e["response"] == RawPayload(b"resp")
        assert e["durable_function_type"] == "read-remote"
        assert oplog.committed_index < e.index


def test_persist_appends_in_replay_too(dur: ModuleType, op: ModuleType) -> None:
    """Golem does not look at is-live here: the guest must."""
    g = Golem()
    with g:
        with replaying(g, []):
            before = g.oplog().current_index
            dur.persist_durable_function_invocation("lib::x", b"", b"",
                                                    op.WrappedFunctionType_WriteLocal())
            assert g.oplog().current_index == before + 1


def test_typed_entries_read_back_through_get_oplog(dur: ModuleType, op: ModuleType,
                                                   t: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        dur.persist_typed_durable_function_invocation(
            "lib::put", _record_vat(t, 7, "req"), _record_vat(t, 8, "resp"),
            op.WrappedFunctionType_WriteRemoteBatched(5))
        index = g.oplog().current_index
        host.generate_idempotency_key()                 # commits
        entry = [e.value for e in _all(op, _me(host))
                 if isinstance(e, op.OplogEntry_ImportedFunctionInvoked)
                 and e.value.function_name == "lib::put"][0]
        hits = op.SearchOplog(_me(host), "resp").get_next()
    assert entry.wrapped_function_type == op.WrappedFunctionType_WriteRemoteBatched(5)
    # the value only, re-encoded in pre-order: record, then its fields in order
    assert entry.request.nodes == [t.WitNode_RecordValue([1, 2]), t.WitNode_PrimString("req"),
                                   t.WitNode_PrimU32(7)]
    assert entry.response.nodes == [t.WitNode_RecordValue([1, 2]), t.WitNode_PrimString("resp"),
                                    t.WitNode_PrimU32(8)]
    assert [i for i, _ in hits] == [index]              # search sees the values


def test_raw_entries_make_get_oplog_trap_as_in_golem(dur: ModuleType, op: ModuleType,
                                                     host: ModuleType) -> None:
    """Golem decodes an unknown function's payload as a serialised ValueAndType."""
    g = Golem()
    with g:
        dur.persist_durable_function_invocation("lib::get", b"hello", b"",
                                                op.WrappedFunctionType_ReadRemote())
        host.generate_idempotency_key()
        with pytest.raises(Trap, match="^Unexpected oplog payload, cannot deserialize$") as ei:
            _all(op, _me(host))
        assert ei.value.function == "[method]get-oplog.get-next"
        with pytest.raises(Trap, match="cannot deserialize"):
            op.SearchOplog(_me(host), "x").get_next()
        dur.persist_durable_function_invocation("lib::v2", b"\x02\x00", b"\x02",
                                                op.WrappedFunctionType_ReadRemote())
        host.generate_idempotency_key()
        it = op.GetOplog(_me(host), g.oplog().current_index - 1)
        with pytest.raises(Trap, match="^Failed to deserialize value: "):
            it.get_next()


def test_typed_payload_is_normalised(dur: ModuleType, op: ModuleType, t: ModuleType) -> None:
    """Golem keeps record names but drops their owner, keeps enum owners, drops
    primitive names."""
    g = Golem()
    with g:
        dur.persist_typed_durable_function_invocation(
            "lib::n", _record_vat(t, 1, "a"), _record_vat(t, 2, "b"),
            op.WrappedFunctionType_WriteLocal())
        p = g.oplog()[g.oplog().current_index]["response"]
    assert isinstance(p, TypedPayload)
    assert p.typ.name == "r" and p.typ.owner is None
    assert [f for f, _ in p.typ.items] == ["b", "a"]
    assert p.typ.items[0][1].name is None


@pytest.mark.parametrize("nodes, message", [
    ("empty", r"assertion failed: !value.nodes.is_empty\(\)"),
    ("out", r"index out of bounds: the len is 1 but the index is 5"),
    ("negative", r"index out of bounds: the len is 1 but the index is 18446744073709551615"),
    ("cycle", r"stack overflow: node 0 of the wit-value contains itself"),
])
def test_malformed_values_are_an_executor_abort(dur: ModuleType, op: ModuleType, t: ModuleType,
                                                nodes: str, message: str) -> None:
    good = _record_vat(t, 1, "a")
    bad_nodes = {"empty": [], "out": [t.WitNode_ListValue([5])], "negative": [t.WitNode_OptionValue(-1)],
                 "cycle": [t.WitNode_TupleValue([0])]}[nodes]
    bad = t.ValueAndType(t.WitValue(bad_nodes), good.typ)
    g = Golem()
    with g:
        before = g.oplog().current_index
        with pytest.raises(Trap, match=f"^argument response: {message}.*real executor aborts") as ei:
            dur.persist_typed_durable_function_invocation(
                "lib::x", good, bad, op.WrappedFunctionType_WriteLocal())
        assert ei.value.interface == DUR
        assert ei.value.function == "persist-typed-durable-function-invocation"
        assert g.oplog().current_index == before


def test_a_result_type_with_neither_side_is_an_abort(dur: ModuleType, op: ModuleType,
                                                    t: ModuleType) -> None:
    vat = t.ValueAndType(t.WitValue([t.WitNode_ResultValue(t.Ok(None))]),
                         t.WitType([t.NamedWitTypeNode(None, None,
                                                       t.WitTypeNode_ResultType((None, None)))]))
    with Golem():
        with pytest.raises(Trap, match="^argument request: ResultType with no ok_type or err_type"):
            dur.persist_typed_durable_function_invocation(
                "lib::x", vat, vat, op.WrappedFunctionType_WriteLocal())


# --- read-persisted -------------------------------------------------------------------


def test_read_persisted_returns_the_next_invocation(dur: ModuleType, op: ModuleType,
                                                    host: ModuleType) -> None:
    g = Golem()
    with g:
        g.clock.advance(1.2345)
        dur.persist_durable_function_invocation("lib::get", b"q", b"\x00\xffbytes",
                                                op.WrappedFunctionType_WriteRemoteBatched(None))
        host.get_oplog_index()
        e = g.oplog().entries[-2]
        with replaying(g, g.oplog().entries[-2:]) as r:
            p = dur.read_persisted_durable_function_invocation()
            assert r.position == 1
            with pytest.raises(Trap, match=r"^Unexpected oplog entry: expected "
                               r"OplogEntry::ImportedFunctionInvoked \|, got NoOp"):
                dur.read_persisted_durable_function_invocation()
    assert p.function_name == "lib::get" and p.response == b"\x00\xffbytes"
    assert p.function_type == op.WrappedFunctionType_WriteRemoteBatched(None)
    assert p.entry_version == dur.OplogEntryVersion.V2
    assert (p.timestamp.seconds, p.timestamp.nanoseconds) == (
        e.timestamp // 1000, e.timestamp % 1000 * 1_000_000)


def test_read_persisted_in_a_persist_nothing_block_traps(dur: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        for live in (True, False):
            with (nullcontext() if live else replaying(g, [])):
                with pytest.raises(Trap, match="^Runtime error: Trying to replay an durable "
                                   "invocation in a PersistNothing block$"):
                    dur.read_persisted_typed_durable_function_invocation()


def test_read_persisted_while_live_is_a_trap_saying_not_determined(dur: ModuleType) -> None:
    with Golem():
        for read in (dur.read_persisted_durable_function_invocation,
                     dur.read_persisted_typed_durable_function_invocation):
            with pytest.raises(Trap, match="while the worker is live.*not determined") as ei:
                read()
            assert ei.value.interface == DUR


def test_read_persisted_typed_returns_golem_normal_form(dur: ModuleType, op: ModuleType,
                                                        t: ModuleType) -> None:
    enum_t = t.WitType([t.NamedWitTypeNode("color", "pkg", t.WitTypeNode_EnumType(["red", "green"]))])
    enum_vat = t.ValueAndType(t.WitValue([t.WitNode_EnumValue(1)]), enum_t)
    g = Golem()
    with g:
        dur.persist_typed_durable_function_invocation(
            "lib::a", enum_vat, _record_vat(t, 3, "x"), op.WrappedFunctionType_ReadLocal())
        dur.persist_typed_durable_function_invocation(
            "lib::b", enum_vat, enum_vat, op.WrappedFunctionType_ReadLocal())
        with replaying(g, g.oplog().entries[-2:]):
            a = dur.read_persisted_typed_durable_function_invocation()
            b = dur.read_persisted_typed_durable_function_invocation()
    assert a.function_name == "lib::a" and a.function_type == op.WrappedFunctionType_ReadLocal()
    assert a.response.value.nodes == [t.WitNode_RecordValue([1, 2]), t.WitNode_PrimString("x"),
                                      t.WitNode_PrimU32(3)]
    assert a.response.typ.nodes == [
        t.NamedWitTypeNode("r", None, t.WitTypeNode_RecordType([("b", 1), ("a", 2)])),
        t.NamedWitTypeNode(None, None, t.WitTypeNode_PrimStringType()),
        t.NamedWitTypeNode(None, None, t.WitTypeNode_PrimU32Type())]
    assert b.response == enum_vat                       # enums keep name and owner


@pytest.mark.parametrize("data, message", [
    (b"\x02junk", "^Runtime error: Failed to deserialize payload: Failed to deserialize value"),
    (b"plain text", "^invalid serialization version: 112 .*real executor aborts"),
    (b"", "empty payload.*real executor aborts"),
    (b"\x01old", "^Support for v1 serialization format has been dropped"),
])
def test_read_typed_of_an_untyped_payload(dur: ModuleType, op: ModuleType, data: bytes,
                                          message: str) -> None:
    g = Golem()
    with g:
        dur.persist_durable_function_invocation("lib::raw", b"", data,
                                                op.WrappedFunctionType_ReadLocal())
        with replaying(g, g.oplog().entries[-1:]):
            with pytest.raises(Trap, match=message) as ei:
                dur.read_persisted_typed_durable_function_invocation()
    assert ei.value.function == "read-persisted-typed-durable-function-invocation"


def test_read_untyped_of_values_golem_would_bincode_is_not_faked(
        dur: ModuleType, op: ModuleType, t: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        dur.persist_typed_durable_function_invocation(
            "lib::t", _record_vat(t, 1, "a"), _record_vat(t, 1, "a"),
            op.WrappedFunctionType_ReadLocal())
        host.generate_idempotency_key()
        with replaying(g, g.oplog().entries[-2:]):
            with pytest.raises(NotFaked, match="bincode serialisation"):
                dur.read_persisted_durable_function_invocation()
            with pytest.raises(NotFaked, match="result of a host call"):
                dur.read_persisted_typed_durable_function_invocation()
