"""golem:durability/durability@1.2.1: observe-function-call, current-durable-execution-state,
begin-/end-durable-function, live and in (simulated) replay (golem-host-semantics.md §13,
§0.4, §5)."""

from __future__ import annotations

from types import ModuleType

import pytest
from durability_replay import replaying

from golem_fakes import Golem, Trap
from golem_fakes.state.durability import ObservedCall


def _kinds_after(g: Golem, index: int) -> list[str]:
    return [e.kind for e in g.oplog().entries[index:]]


# --- observe-function-call --------------------------------------------------------------


def test_observe_function_call_is_kept_and_writes_nothing(dur: ModuleType) -> None:
    g = Golem()
    with g:
        before = g.runtime().oplog.current_index
        dur.observe_function_call("my-lib::http", "get")
        dur.observe_function_call("", "\u00e9")
        assert g.runtime().oplog.current_index == before
        calls = g.runtime().observed_calls
    assert calls == [ObservedCall("my-lib::http", "get"), ObservedCall("", "\u00e9")]


def test_observe_function_call_in_replay_writes_nothing_either(dur: ModuleType) -> None:
    g = Golem()
    with g:
        with replaying(g, []):
            before = g.runtime().oplog.current_index
            dur.observe_function_call("a", "b")
            assert g.runtime().oplog.current_index == before
        assert g.runtime().observed_calls == [ObservedCall("a", "b")]


# --- current-durable-execution-state ----------------------------------------------------


def test_state_follows_live_flag_and_persistence_level(dur: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        s = dur.current_durable_execution_state()
        assert s.is_live is True
        assert s.persistence_level == host.PersistenceLevel_Smart()
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        assert dur.current_durable_execution_state().persistence_level == \
            host.PersistenceLevel_PersistNothing()
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistRemoteSideEffects())
        with replaying(g, []):
            s = dur.current_durable_execution_state()
            assert s.is_live is False
            assert s.persistence_level == host.PersistenceLevel_PersistRemoteSideEffects()
        assert dur.current_durable_execution_state().is_live is True


# --- begin/end, live ----------------------------------------------------------------------


@pytest.mark.parametrize("case", ["ReadLocal", "WriteLocal", "ReadRemote", "WriteRemote"])
def test_unbracketed_types_return_the_last_index_and_write_nothing(
        dur: ModuleType, op: ModuleType, case: str) -> None:
    """Idempotence on (the default): no begin/end-remote-write for any of these."""
    g = Golem()
    ft = getattr(op, f"WrappedFunctionType_{case}")()
    with g:
        oplog = g.runtime().oplog
        oplog.append("set-span-attribute", span_id="x", key="k", value="v")  # buffered
        last = oplog.current_index
        assert dur.begin_durable_function(ft) == last
        dur.end_durable_function(ft, last, False)
        assert oplog.current_index == last
        committed = oplog.committed_index
    assert committed == (last if case == "WriteRemote" else last - 1)


def test_forced_commit_commits_any_type(dur: ModuleType, op: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteLocal()
    with g:
        oplog = g.runtime().oplog
        oplog.append("set-span-attribute", span_id="x", key="k", value="v")
        begin = dur.begin_durable_function(ft)
        dur.end_durable_function(ft, begin, False)
        assert oplog.committed_index < oplog.current_index
        dur.end_durable_function(ft, begin, True)
        assert oplog.committed_index == oplog.current_index


def test_write_remote_without_idempotence_is_bracketed(dur: ModuleType, op: ModuleType,
                                                       host: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        host.set_idempotence_mode(False)
        oplog = g.runtime().oplog
        begin = dur.begin_durable_function(ft)
        entry = oplog[begin]
        assert entry.kind == "begin-remote-write" and begin == oplog.current_index
        assert oplog.committed_index == begin          # committed at once
        oplog.append("set-span-attribute", span_id="x", key="k", value="v")
        dur.end_durable_function(ft, begin, False)
        end = oplog[oplog.current_index]
        assert end.kind == "end-remote-write" and end["begin_index"] == begin
        assert oplog.committed_index == end.index      # write-remote commits


def test_end_records_the_begin_index_it_is_given(dur: ModuleType, op: ModuleType,
                                                 host: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        host.set_idempotence_mode(False)
        dur.end_durable_function(ft, 2**64 - 1, False)   # not checked, as in Golem
        assert g.oplog()[g.oplog().current_index]["begin_index"] == 2**64 - 1


def test_batched_none_is_bracketed_even_when_idempotent(dur: ModuleType, op: ModuleType) -> None:
    g = Golem()
    with g:
        oplog = g.runtime().oplog
        ft = op.WrappedFunctionType_WriteRemoteBatched(None)
        begin = dur.begin_durable_function(ft)
        assert oplog[begin].kind == "begin-remote-write"
        # the batch's own calls then say which batch they belong to: no bracket, commit
        inner = op.WrappedFunctionType_WriteRemoteBatched(begin)
        assert dur.begin_durable_function(inner) == begin
        oplog.append("set-span-attribute", span_id="x", key="k", value="v")
        dur.end_durable_function(inner, begin, False)
        assert oplog.committed_index == oplog.current_index
        assert oplog[oplog.current_index].kind == "set-span-attribute"
        dur.end_durable_function(ft, begin, False)
        assert oplog[oplog.current_index].kind == "end-remote-write"
        assert _kinds_after(g, begin - 1).count("begin-remote-write") == 1


# --- begin/end, replay --------------------------------------------------------------------


def test_replay_unbracketed_returns_last_replayed_non_hint_index(dur: ModuleType,
                                                                 op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        host.get_oplog_index()
        host.get_oplog_index()
        entries = g.oplog().entries[2:4]        # the two no-ops
        with replaying(g, entries) as r:
            before = g.oplog().current_index
            r.next_entry()
            assert dur.begin_durable_function(op.WrappedFunctionType_ReadRemote()) == entries[0].index
            r.next_entry()
            assert dur.begin_durable_function(op.WrappedFunctionType_WriteRemote()) == entries[1].index
            assert g.oplog().current_index == before          # nothing written in replay


def test_replay_reads_begin_and_end_remote_write(dur: ModuleType, op: ModuleType,
                                                 host: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        host.set_idempotence_mode(False)
        begin = dur.begin_durable_function(ft)
        dur.end_durable_function(ft, begin, False)
        recorded = g.oplog().entries[begin - 1:]
        with replaying(g, recorded) as r:
            before = g.oplog().current_index
            assert dur.begin_durable_function(ft) == begin
            dur.end_durable_function(ft, begin, False)
            assert r.position == 2 and g.oplog().current_index == before


def test_replay_wrong_entry_is_unexpected(dur: ModuleType, op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        host.set_idempotence_mode(False)
        host.get_oplog_index()
        noop = g.oplog().entries[-1]
        with replaying(g, [noop]):
            with pytest.raises(Trap, match=r"^Unexpected oplog entry: expected "
                               r"OplogEntry::BeginRemoteWrite \|, got NoOp") as ei:
                dur.begin_durable_function(ft)
        assert ei.value.interface == "golem:durability/durability@1.2.1"
        assert ei.value.function == "begin-durable-function"
        with replaying(g, [noop]):
            with pytest.raises(Trap, match=r"expected OplogEntry::EndRemoteWrite \|, got NoOp"):
                dur.end_durable_function(ft, 1, False)


def test_replay_of_an_unfinished_non_idempotent_write_traps_and_goes_live(
        dur: ModuleType, op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        host.set_idempotence_mode(False)
        begin = dur.begin_durable_function(ft)           # the executor "died" here
        with replaying(g, g.oplog().entries[begin - 1:]) as r:
            with pytest.raises(Trap, match="^Runtime error: Non-idempotent remote write "
                               "operation was not completed, cannot retry$"):
                dur.begin_durable_function(ft)
            assert r.switched_to_live and g.runtime().replay is None


def test_replay_of_an_unfinished_batch_jumps_over_it(dur: ModuleType, op: ModuleType) -> None:
    """Idempotence on: the batch is done again live, and a jump deletes the first try."""
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemoteBatched(None)
    with g:
        oplog = g.runtime().oplog
        begin = dur.begin_durable_function(ft)
        dur.persist_durable_function_invocation(
            "lib::part", b"", b"", op.WrappedFunctionType_WriteRemoteBatched(begin))
        target = oplog.current_index
        with replaying(g, oplog.entries[begin - 1:]) as r:
            assert dur.begin_durable_function(ft) == begin
            assert r.switched_to_live
        jump = oplog[oplog.current_index]
        assert jump.kind == "jump" and (jump["start"], jump["end"]) == (begin + 1, target + 1)
        assert oplog.committed_index == jump.index
        assert oplog.is_deleted(begin + 1) and oplog.is_deleted(target + 1)


def test_replay_of_a_finished_batch_stays_in_replay(dur: ModuleType, op: ModuleType) -> None:
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemoteBatched(None)
    with g:
        oplog = g.runtime().oplog
        begin = dur.begin_durable_function(ft)
        dur.persist_durable_function_invocation(
            "lib::part", b"", b"", op.WrappedFunctionType_WriteRemoteBatched(begin))
        dur.end_durable_function(ft, begin, False)
        before = oplog.current_index
        with replaying(g, oplog.entries[begin - 1:]) as r:
            assert dur.begin_durable_function(ft) == begin
            assert not r.switched_to_live
            assert oplog.current_index == before


def test_a_concurrent_side_effect_breaks_a_batch(dur: ModuleType, op: ModuleType,
                                                 host: ModuleType) -> None:
    """``no_concurrent_side_effect``: a write-remote call inside the batch means the end
    is not looked for further: the batch is treated as unfinished."""
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemoteBatched(None)
    with g:
        oplog = g.runtime().oplog
        begin = dur.begin_durable_function(ft)
        host.generate_idempotency_key()                  # write-remote, not part of it
        dur.end_durable_function(ft, begin, False)
        with replaying(g, oplog.entries[begin - 1:]) as r:
            dur.begin_durable_function(ft)
            assert r.switched_to_live
        assert oplog[oplog.current_index].kind == "jump"


def test_calls_outside_an_invocation_say_how_to_enter_one(dur: ModuleType) -> None:
    from golem_fakes import Environment, NotFaked

    with Environment():
        with pytest.raises(NotFaked, match="needs a golem_fakes.Golem environment"):
            dur.current_durable_execution_state()


class _MinimalReplay:
    """Only the required part of the contract: ``next_entry()``."""

    def __init__(self, entries: list) -> None:
        self.entries = list(entries)

    def next_entry(self):  # type: ignore[no-untyped-def]
        if not self.entries:
            raise Trap("no entry left")
        return self.entries.pop(0)


def test_a_replay_with_only_next_entry(dur: ModuleType, op: ModuleType, host: ModuleType) -> None:
    """Without ``switch_to_live`` the runtime is made live directly; without
    ``last_replayed_non_hint_index`` begin-durable-function says what is missing."""
    g = Golem()
    ft = op.WrappedFunctionType_WriteRemote()
    with g:
        rt = g.runtime()
        host.set_idempotence_mode(False)
        begin = dur.begin_durable_function(ft)
        rt.live, rt.replay = False, _MinimalReplay([g.oplog()[begin]])
        with pytest.raises(Trap, match="Non-idempotent remote write"):
            dur.begin_durable_function(ft)
        assert rt.replay is None and rt.live is True
        rt.live, rt.replay = False, _MinimalReplay([])
        try:
            with pytest.raises(Trap, match="does not provide last_replayed_non_hint_index"):
                dur.begin_durable_function(op.WrappedFunctionType_ReadLocal())
            with pytest.raises(Trap, match="^no entry left$"):
                dur.read_persisted_durable_function_invocation()
        finally:
            rt.live, rt.replay = True, None
