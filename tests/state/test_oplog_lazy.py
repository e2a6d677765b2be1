"""Durable host calls are recorded lazily (``Oplog.record`` / ``record_ok`` append a raw
tuple; the :class:`OplogEntry` is built when the oplog is read): every reader sees
exactly the entries ``Oplog.append`` would have made — same index, kind, timestamp
(taken at the call, not at the read) and payload, in order with eagerly appended
entries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import golem_fakes
from golem_fakes.bindings.result import Ok
from golem_fakes.state.oplog import Oplog, OplogEntry


def _ticks() -> Any:
    t = iter(range(100, 10_000, 10))
    return lambda: next(t)


def _pair() -> tuple[Oplog, Oplog]:
    """The same sequence written eagerly and lazily."""
    eager, lazy = Oplog(_ticks()), Oplog(_ticks())
    eager.append("create", worker_id="w")
    lazy.append("create", worker_id="w")
    for log in (eager, lazy):
        log.commit()
    eager.append("imported-function-invoked", function_name="f", request=("b", "k"),
                 response=Ok(b"v"), durable_function_type="read-remote")
    lazy.record_ok("f", ("b", "k"), b"v", "read-remote")
    eager.append("begin-remote-write")
    lazy.append("begin-remote-write")
    eager.append("imported-function-invoked", function_name="g", request=None,
                 response=None, durable_function_type="write-remote")
    lazy.record("g", None, None, "write-remote")
    return eager, lazy


def _same(a: OplogEntry, b: OplogEntry) -> bool:
    return (type(a), a.index, a.kind, a.timestamp, a.payload) == \
        (type(b), b.index, b.kind, b.timestamp, b.payload) and \
        list(a.payload) == list(b.payload)


def test_recorded_entries_read_as_appended_ones() -> None:
    eager, lazy = _pair()
    assert len(lazy) == lazy.current_index == 4
    lazy.commit()
    assert lazy.committed_index == 4
    assert lazy.kinds() == eager.kinds()
    assert all(_same(a, b) for a, b in zip(eager.entries, lazy.entries, strict=True))
    assert _same(lazy[2], eager[2]) and lazy[2]["response"] == Ok(b"v")
    assert lazy[4].get("durable_function_type") == "write-remote"
    assert repr(lazy) == repr(eager)
    assert [e.index for e in lazy.replayable()] == [e.index for e in eager.replayable()]


def test_each_reader_materialises() -> None:
    for read in (lambda log: list(log), lambda log: log[3], lambda log: log.kinds(),
                 lambda log: repr(log), lambda log: list(log.replayable())):
        _, lazy = _pair()
        read(lazy)
        assert all(type(e) is OplogEntry for e in lazy.entries)


def test_iterating_sees_records_made_while_iterating() -> None:
    _, lazy = _pair()
    seen = []
    for e in lazy:
        seen.append(e)
        if e.index == 4:
            lazy.record("h", 1, 2, "read-local")
    assert [e.index for e in seen] == [1, 2, 3, 4, 5]
    assert type(seen[-1]) is OplogEntry and seen[-1]["function_name"] == "h"


def test_the_timestamp_is_the_calls_not_the_reads() -> None:
    golem_fakes.install()
    from wit_world.imports import monotonic_clock

    with golem_fakes.Golem(seed=1) as g:
        monotonic_clock.now()
        at_call = g.clock.wall_ms()
        g.clock.advance(dt.timedelta(hours=1))
        entry = [e for e in g.oplog() if e.kind == "imported-function-invoked"][-1]
    assert entry["function_name"] == "monotonic_clock::now"
    assert entry.timestamp == at_call
    assert entry["response"] == Ok(entry["response"].value)


def test_a_pending_invocation_is_replaced_by_the_begun_one_in_its_context() -> None:
    from golem_fakes.state.invocation import Invocation, PendingInvocation, current_invocation

    with golem_fakes.Golem(seed=1) as g:
        pending = current_invocation.get()
        assert type(pending) is PendingInvocation
        inv = pending.resolve()
        assert current_invocation.get() is inv and type(inv) is Invocation
        assert pending.resolve() is inv
    assert current_invocation.get() is None
    assert g.invocations()[-1].outcome == "completed"


def test_append_lazy_builds_the_payload_once_with_index_and_call_time() -> None:
    calls: list[tuple[int, int]] = []

    def build(index: int, ts: int) -> dict[str, Any]:
        calls.append((index, ts))
        return {"at": index, "ts": ts}

    log = Oplog(_ticks())
    log.append("create", worker_id="w")
    assert log.append_lazy("exported-function-invoked", build) == 2
    log.append("no-op")
    assert calls == []                                   # nothing built before a read
    e = log[2]
    assert (e.index, e.kind, e.timestamp, e.payload) == (2, "exported-function-invoked", 110,
                                                         {"at": 2, "ts": 110})
    assert log[3].timestamp == 120 and log.kinds()[1] == "exported-function-invoked"
    assert calls == [(2, 110)]                           # built once


def test_a_record_committed_with_it_commits_the_oplog_up_to_it() -> None:
    """``record_ok_commit`` (and the hot path's ``append_raw((RAW_OK_COMMIT, ...))``)
    carries its commit in the record: ``committed_index`` sees it before anything
    materialised the oplog, a crash's ``truncate(committed_index)`` keeps it, and the
    entry reads as ``record_ok``'s."""
    from golem_fakes.state.oplog import RAW_OK_COMMIT

    log = Oplog(_ticks())
    log.append("create", worker_id="w")
    log.commit()
    log.record_ok("get", ("b", "k"), None, "read-remote")
    log.record_ok_commit("set", ("b", "k", 1), None, "write-remote")
    assert log.committed_index == 3
    log.record_ok("get", ("b", "k"), None, "read-remote")          # not committed
    log.append_raw((RAW_OK_COMMIT, log.now(), "set", ("b", "j", 2), None, "write-remote",
                    None))
    log.record_ok("get", ("b", "j"), None, "read-remote")          # not committed
    assert log.committed_index == 5
    log.truncate(log.committed_index)
    assert [e.payload["function_name"] for e in log.entries[1:]] == ["get", "set", "get", "set"]
    assert log.entries[2].payload["response"] == Ok(None)
    assert log.committed_index == 5
    log.record_ok("get", ("b", "k"), None, "read-remote")
    log.truncate(log.committed_index)                              # nothing new committed
    assert len(log) == 5


def test_a_copied_golems_oplog_records_into_the_copy() -> None:
    """``Oplog.append_raw`` is the oplog's own list's ``append``: a copied Golem's
    worker records its hot host calls (keyvalue, clocks) into the copy's oplog only."""
    golem_fakes.install()
    from wit_world.imports import eventual, monotonic_clock, wasi_keyvalue_types as types

    g = golem_fakes.Golem(seed=3)
    with g:
        monotonic_clock.now()
    copy = g.copy()
    before = len(g.oplog())
    with copy:
        out = types.OutgoingValue.new_outgoing_value()
        out.outgoing_value_write_body_sync(b"v")
        eventual.set(types.Bucket.open_bucket("b"), "k", out)
        eventual.get(types.Bucket.open_bucket("b"), "k")
        monotonic_clock.now()
    assert len(g.oplog()) == before
    names = [e.payload.get("function_name") for e in copy.oplog().entries]
    assert names.count("golem keyvalue::eventual::set") == 1
    assert names.count("golem keyvalue::eventual::get") == 1
    assert names.count("monotonic_clock::now") == 2
    assert copy.keyvalue["b"]["k"] == b"v" and "b" not in g.keyvalue
