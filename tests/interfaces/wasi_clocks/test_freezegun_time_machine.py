"""freezegun and time-machine own the wall clock while they are active; the monotonic
clock never goes backwards whatever they do."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import time
from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.state.clock import DEFAULT_START_NS, external_time_active

freezegun = pytest.importorskip("freezegun")
time_machine = pytest.importorskip("time_machine")

S = 1_000_000_000
UTC = dt.timezone.utc


def wall_ns(wasi: SimpleNamespace) -> int:
    now = wasi.wall_clock.now()
    return now.seconds * S + now.nanoseconds


def test_freeze_time_sets_wall_clock_now(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    target = dt.datetime(2031, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)
    with freezegun.freeze_time(target) as frozen:
        assert external_time_active()
        # exactly what time.time_ns() says under freezegun (which goes through a float,
        # so it can be a few ns off the target)
        assert wall_ns(wasi) == time.time_ns()
        assert abs(wall_ns(wasi) - (int(target.timestamp()) * S + 890_123_000)) < 1_000
        frozen.tick(dt.timedelta(seconds=5))
        assert abs(wall_ns(wasi) - ((int(target.timestamp()) + 5) * S + 890_123_000)) < 1_000
    assert not external_time_active()
    assert wall_ns(wasi) == DEFAULT_START_NS  # back to the virtual clock


def test_time_machine_travel_sets_wall_clock_now(wasi: SimpleNamespace,
                                                 g: golem_fakes.Golem) -> None:
    target = dt.datetime(2029, 12, 31, 23, 59, 59, tzinfo=UTC)
    with time_machine.travel(target, tick=False) as traveller:
        assert external_time_active()
        assert wall_ns(wasi) == int(target.timestamp()) * S
        traveller.shift(dt.timedelta(hours=1))
        assert wall_ns(wasi) == (int(target.timestamp()) + 3600) * S
    assert wall_ns(wasi) == DEFAULT_START_NS


def test_wall_clock_reads_under_freezegun_are_recorded(wasi: SimpleNamespace,
                                                       g: golem_fakes.Golem) -> None:
    with freezegun.freeze_time("2030-01-01"):
        wasi.wall_clock.now()
    from golem_fakes.bindings.result import Ok

    e = list(g.oplog())[-1]
    assert e["function_name"] == "wall_clock::now"
    assert e["response"] == Ok({"seconds": 1_893_456_000, "nanoseconds": 0})


def test_monotonic_never_goes_back_when_freezegun_travels_back(
        wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    mc = wasi.monotonic_clock
    before = mc.now()
    with freezegun.freeze_time("2001-01-01") as frozen:
        assert wall_ns(wasi) < before
        assert mc.now() == before
        frozen.tick(dt.timedelta(days=1))
        assert mc.now() == before
    with freezegun.freeze_time("2040-01-01"):  # forwards: monotonic follows
        assert mc.now() == wall_ns(wasi) > before
        later = mc.now()
    assert mc.now() == later  # leaving 2040 for the 2025 virtual clock: no step back
    reads = [r["response"].value for r in g.oplog()
             if r.kind == "imported-function-invoked" and r["function_name"] == "monotonic_clock::now"]
    assert reads == sorted(reads)


def test_monotonic_never_goes_back_under_time_machine(wasi: SimpleNamespace,
                                                      g: golem_fakes.Golem) -> None:
    before = wasi.monotonic_clock.now()
    with time_machine.travel(dt.datetime(1999, 1, 1, tzinfo=UTC), tick=False):
        assert wasi.monotonic_clock.now() == before


def test_sleeping_under_freezegun_skips_the_monotonic_clock(wasi: SimpleNamespace,
                                                            g: golem_fakes.Golem) -> None:
    with freezegun.freeze_time("2030-01-01"):
        start = wasi.monotonic_clock.now()
        wasi.monotonic_clock.subscribe_duration(3600 * S).block()
        assert wasi.monotonic_clock.now() == start + 3600 * S
        assert wall_ns(wasi) == 1_893_456_000 * S  # freezegun's wall clock is untouched


def test_wall_clock_before_the_epoch_traps(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    with freezegun.freeze_time("1960-01-01"):
        with pytest.raises(golem_fakes.Trap, match="before 1970"):
            wasi.wall_clock.now()


def test_golem_fakes_never_imports_freezegun_time_machine_or_hypothesis() -> None:
    code = (
        "import sys, golem_fakes; golem_fakes.install()\n"
        "from wit_world.imports import wall_clock, monotonic_clock, random\n"
        "with golem_fakes.Golem():\n"
        "    wall_clock.now(); monotonic_clock.now(); monotonic_clock.subscribe_duration(10**12).block()\n"
        "    random.get_random_bytes(4)\n"
        "bad = [m for m in ('freezegun', 'time_machine', 'hypothesis') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
