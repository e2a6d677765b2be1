"""Blocking on clock pollables skips time instead of sleeping (like trio's MockClock /
temporal's test server); blocking on nothing that can ever be ready is a Deadlock."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

import golem_fakes
from golem_fakes.bindings.result import Ok
from golem_fakes.state.clock import DEFAULT_START_NS, U64_MAX, Skip

S = 1_000_000_000
HOUR = 3600 * S


def kinds_and_names(g: golem_fakes.Golem) -> list[str]:
    return [e["function_name"] if e.kind == "imported-function-invoked" else e.kind
            for e in g.oplog()][2:]


def test_sleeping_an_hour_returns_at_once_an_hour_later(wasi: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    start = wasi.monotonic_clock.now()
    wall = wasi.wall_clock.now()
    wasi.monotonic_clock.subscribe_duration(HOUR).block()
    assert wasi.monotonic_clock.now() == start + HOUR
    assert wasi.wall_clock.now().seconds == wall.seconds + 3600
    w = g.current_worker
    assert g.clock.skips == [Skip(start, start + HOUR, True, f"{w.component.name}/{w.name}")]
    assert g.clock.skips[0].seconds == 3600.0


def test_long_sleep_is_a_golem_suspension_in_the_oplog(wasi: SimpleNamespace,
                                                       g: golem_fakes.Golem) -> None:
    p = wasi.monotonic_clock.subscribe_duration(HOUR)
    assert wasi.poll.poll([p]) == [0]
    assert kinds_and_names(g) == ["monotonic_clock::subscribe_duration", "suspend",
                                  "golem io::poll::poll"]
    entries = list(g.oplog())
    sub = entries[2]
    assert (sub["request"], sub["response"], sub["durable_function_type"]) == (
        HOUR, Ok(DEFAULT_START_NS), "read-local")
    assert g.oplog().committed_index >= sub.index  # subscribe-duration commits
    assert entries[-1]["response"] == Ok([0]) and entries[-1]["request"] == 1
    assert g.current_worker.status.name == "RUNNING"  # resumed after the wake-up


def test_short_sleep_blocks_without_suspending(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    wasi.monotonic_clock.subscribe_duration(9 * S).block()
    assert kinds_and_names(g) == ["monotonic_clock::subscribe_duration", "golem io::poll::poll"]
    assert g.clock.skips[-1].suspended is False
    assert wasi.monotonic_clock.now() == DEFAULT_START_NS + 9 * S


def test_suspend_threshold_is_ten_seconds_and_configurable(wasi: SimpleNamespace,
                                                           g: golem_fakes.Golem) -> None:
    wasi.monotonic_clock.subscribe_duration(10 * S).block()
    assert g.clock.skips[-1].suspended is True
    g.clock.suspend_after_ns = 60 * S
    wasi.monotonic_clock.subscribe_duration(30 * S).block()
    assert g.clock.skips[-1].suspended is False


def test_poll_jumps_to_the_earliest_deadline_only(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    mc = wasi.monotonic_clock
    late, early, early2 = mc.subscribe_duration(HOUR), mc.subscribe_duration(5 * S), \
        mc.subscribe_instant(DEFAULT_START_NS + 5 * S)
    assert wasi.poll.poll([late, early, early2]) == [1, 2]
    assert mc.now() == DEFAULT_START_NS + 5 * S
    assert not late.ready()
    assert wasi.poll.poll([late, early]) == [1]  # ready ones: no jump
    assert len(g.clock.skips) == 1


def test_poll_with_a_stream_that_never_gets_ready_returns_the_timer(
        wasi: SimpleNamespace, g: golem_fakes.Golem, never_ready: Any) -> None:
    timer = wasi.monotonic_clock.subscribe_duration(2 * S)
    assert wasi.poll.poll([never_ready, timer]) == [1]
    assert wasi.monotonic_clock.now() == DEFAULT_START_NS + 2 * S


def test_a_ready_pollable_means_no_time_passes(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    mc = wasi.monotonic_clock
    assert wasi.poll.poll([mc.subscribe_duration(HOUR), mc.subscribe_duration(0)]) == [1]
    assert mc.now() == DEFAULT_START_NS and g.clock.skips == []


def test_subscribe_instant_in_the_past_is_ready_and_not_recorded(
        wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    p = wasi.monotonic_clock.subscribe_instant(0)
    assert p.ready()
    p.block()
    assert kinds_and_names(g) == ["golem io::poll::poll"]
    assert g.clock.skips == []


def test_subscribe_instant_in_the_future(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    t = DEFAULT_START_NS + 42 * S
    p = wasi.monotonic_clock.subscribe_instant(t)
    assert not p.ready()
    g.clock.advance(41)
    assert not p.ready()
    g.clock.advance(1)
    assert p.ready()


def test_test_code_advancing_the_clock_makes_timers_ready(wasi: SimpleNamespace,
                                                          g: golem_fakes.Golem) -> None:
    p = wasi.monotonic_clock.subscribe_duration(HOUR)
    g.clock.advance(3600)
    p.block()
    assert g.clock.skips == []


def test_subscribe_duration_saturates(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    p = wasi.monotonic_clock.subscribe_duration(U64_MAX)
    assert not p.ready()
    g.clock.skip_to(U64_MAX - 1)
    assert not p.ready()
    g.clock.advance(1e-9)
    assert p.ready()


def test_blocked_on_something_never_ready_is_a_deadlock(wasi: SimpleNamespace,
                                                        g: golem_fakes.Golem,
                                                        never_ready: Any) -> None:
    with pytest.raises(golem_fakes.Deadlock, match="silent-stream"):
        never_ready.block()
    with pytest.raises(golem_fakes.Deadlock, match="silent-stream"):
        wasi.poll.poll([never_ready])
    assert g.clock.skips == []
    assert "golem io::poll::poll" not in kinds_and_names(g)  # a poll that never ends: no entry


def test_deadlock_is_not_catchable_by_worker_code(g: golem_fakes.Golem, never_ready: Any) -> None:
    with pytest.raises(golem_fakes.Deadlock):
        try:
            never_ready.block()
        except Exception:  # noqa: BLE001 - what worker code might do
            pytest.fail("Deadlock must not be an Exception")


def test_sleep_outside_an_invocation_still_skips(wasi: SimpleNamespace) -> None:
    g = golem_fakes.Golem()  # not entered: no invocation, no oplog
    from golem_fakes.interfaces.wasi_clocks import skip_time

    p = g.clock.subscribe(DEFAULT_START_NS + HOUR)
    s = skip_time(g, [p])
    assert s is not None and s.worker is None and s.suspended and p.ready()
    assert skip_time(g, [object()]) is None
    assert g._registry is None  # the jump created no worker state
