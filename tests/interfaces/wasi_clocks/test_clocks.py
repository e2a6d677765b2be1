"""wasi:clocks on the virtual clock: values, recording, moving the clock by hand."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.bindings.result import Ok
from golem_fakes.state.clock import DEFAULT_START, DEFAULT_START_NS, U64_MAX, VirtualClock

S = 1_000_000_000
WALL = "wasi:clocks/wall-clock@0.2.3"


def imported(g: golem_fakes.Golem) -> list[tuple[str, object, object]]:
    return [(e["function_name"], e["request"], e["response"]) for e in g.oplog()
            if e.kind == "imported-function-invoked"]


def test_default_start_is_2025_01_01_utc(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert DEFAULT_START_NS == int(DEFAULT_START.timestamp()) * S
    now = wasi.wall_clock.now()
    assert (now.seconds, now.nanoseconds) == (DEFAULT_START_NS // S, 0)
    assert wasi.monotonic_clock.now() == DEFAULT_START_NS  # ns since the epoch (Golem §5.2)
    assert g.clock.start == DEFAULT_START and g.clock.now() == DEFAULT_START


def test_frozen_by_default(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    reads = [wasi.monotonic_clock.now() for _ in range(3)]
    walls = [wasi.wall_clock.now() for _ in range(3)]
    assert len(set(reads)) == 1 and walls[0] == walls[1] == walls[2]
    assert g.clock.frozen


def test_resolutions_are_one_nanosecond(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    r = wasi.wall_clock.resolution()
    assert (r.seconds, r.nanoseconds) == (0, 1)
    assert wasi.monotonic_clock.resolution() == 1


def test_every_read_is_recorded_read_local(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    wasi.wall_clock.now()
    wasi.wall_clock.resolution()
    wasi.monotonic_clock.now()
    wasi.monotonic_clock.resolution()
    sec = DEFAULT_START_NS // S
    assert imported(g) == [
        ("wall_clock::now", None, Ok({"seconds": sec, "nanoseconds": 0})),
        ("wall_clock::resolution", None, Ok({"seconds": 0, "nanoseconds": 1})),
        ("monotonic_clock::now", None, Ok(DEFAULT_START_NS)),
        ("monotonic_clock::resolution", None, Ok(1)),
    ]
    assert {e["durable_function_type"] for e in g.oplog()
            if e.kind == "imported-function-invoked"} == {"read-local"}


def test_advance_moves_both_clocks(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.clock.advance(dt.timedelta(minutes=2))
    g.clock.advance(1.5)
    assert wasi.monotonic_clock.now() == DEFAULT_START_NS + 121_500_000_000
    now = wasi.wall_clock.now()
    assert (now.seconds, now.nanoseconds) == (DEFAULT_START_NS // S + 121, 500_000_000)


def test_advance_refuses_going_back(g: golem_fakes.Golem) -> None:
    with pytest.raises(ValueError, match="only move forward"):
        g.clock.advance(-1)
    with pytest.raises(TypeError):
        g.clock.advance("1s")


def test_set_moves_the_wall_clock_back_but_not_the_monotonic_one(
        wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    before = wasi.monotonic_clock.now()
    g.clock.set(dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc))
    assert wasi.wall_clock.now().seconds == int(dt.datetime(2020, 6, 1, tzinfo=dt.timezone.utc).timestamp())
    assert wasi.monotonic_clock.now() == before
    g.clock.advance(10)  # monotonic moves by the same amount from where it was
    assert wasi.monotonic_clock.now() == before + 10 * S
    g.clock.set(DEFAULT_START_NS + 3600 * S)  # past the monotonic clock: it follows
    assert wasi.monotonic_clock.now() == DEFAULT_START_NS + 3600 * S


def test_set_accepts_naive_datetimes_as_utc(g: golem_fakes.Golem) -> None:
    g.clock.set(dt.datetime(2030, 1, 2, 3, 4, 5, 6))
    assert g.clock.wall_ns() == int(dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)
                                    .timestamp()) * S + 6_000


def test_set_before_the_epoch_is_refused(g: golem_fakes.Golem) -> None:
    with pytest.raises(ValueError, match="before the Unix epoch"):
        g.clock.set(dt.datetime(1969, 12, 31, tzinfo=dt.timezone.utc))


def test_advance_past_u64_is_refused(g: golem_fakes.Golem) -> None:
    with pytest.raises(OverflowError):
        g.clock.advance(dt.timedelta(days=365 * 600))


def test_unfrozen_clock_ticks_and_freezes_again(g: golem_fakes.Golem) -> None:
    c = g.clock
    c.frozen = False
    a = c.monotonic_ns()
    while c.monotonic_ns() == a:  # real time passes; only the direction is asserted
        pass
    c.frozen = True
    b = c.wall_ns()
    assert b > a and c.wall_ns() == b


def test_each_golem_has_its_own_clock(wasi: SimpleNamespace) -> None:
    with golem_fakes.Golem() as a:
        a.clock.advance(60)
        with golem_fakes.Golem() as b:
            assert wasi.monotonic_clock.now() == DEFAULT_START_NS
        assert wasi.monotonic_clock.now() == DEFAULT_START_NS + 60 * S
    assert b.clock is not a.clock


def test_worker_created_at_comes_from_the_virtual_clock(g: golem_fakes.Golem) -> None:
    w1 = g.add_worker("comp", "w1")
    g.clock.advance(dt.timedelta(hours=1))
    w2 = g.add_worker("comp", "w2")
    assert w1.created_at == DEFAULT_START_NS // 1_000_000
    assert w2.created_at - w1.created_at == 3_600_000


def test_a_bare_environment_is_not_faked(wasi: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="golem.clock"):
            wasi.wall_clock.now()
        with pytest.raises(golem_fakes.NotFaked):
            wasi.monotonic_clock.subscribe_duration(1)


def test_stand_alone_clock_with_custom_start() -> None:
    c = VirtualClock(start=dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc))
    assert c.wall_ns() == c.monotonic_ns() == 946_684_800 * S
    assert "2000-01-01T00:00:00" in repr(c)
    assert VirtualClock().wall_resolution_ns == VirtualClock().monotonic_resolution_ns == 1
    with pytest.raises(ValueError):
        VirtualClock(start=-1)
    c.skip_to(U64_MAX + 5)  # clamped to what a WASI instant can hold
    assert c.monotonic_ns() == U64_MAX
