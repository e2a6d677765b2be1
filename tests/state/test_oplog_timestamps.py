"""Oplog entry timestamps come from the Golem's virtual wall clock (``g.clock``), as
Golem stamps entries with the executor's clock; a stand-alone ``Oplog`` uses real time."""

from __future__ import annotations

import datetime as dt
import time

import golem_fakes
from golem_fakes.state.clock import DEFAULT_START_NS
from golem_fakes.state.oplog import Oplog

MS = 1_000_000


def test_entries_are_stamped_with_the_virtual_clock() -> None:
    golem_fakes.install()
    from wit_world.imports import host

    with golem_fakes.Golem(seed=1) as g:
        host.get_oplog_index()
        g.clock.advance(dt.timedelta(seconds=90))
        host.get_oplog_index()
        oplog = g.oplog()
    stamps = [e.timestamp for e in oplog]
    start_ms = DEFAULT_START_NS // MS
    assert oplog[1].kind == "create" and oplog[1].timestamp == start_ms
    no_ops = [e for e in oplog if e.kind == "no-op"]
    assert [e.timestamp for e in no_ops] == [start_ms, start_ms + 90_000]
    assert oplog[len(oplog)].kind == "exported-function-completed"
    assert oplog[len(oplog)].timestamp == start_ms + 90_000
    assert stamps == sorted(stamps)


def test_unfrozen_clock_ticks_into_the_timestamps() -> None:
    with golem_fakes.Golem(seed=1) as g:
        g.clock.frozen = False
        g.clock.advance(3600)
        entry = g.oplog().append("no-op")
    assert entry.timestamp >= DEFAULT_START_NS // MS + 3_600_000


def test_standalone_oplog_uses_real_time_and_a_given_clock() -> None:
    before = time.time_ns() // MS
    e = Oplog().append("no-op")
    assert before <= e.timestamp <= time.time_ns() // MS
    ticks = iter([5, 7])
    log = Oplog(lambda: next(ticks))
    assert [log.append("no-op").timestamp, log.append("no-op").timestamp] == [5, 7]
