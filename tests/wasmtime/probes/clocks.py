"""wasi:clocks probes: relations only (never timestamps). The fake's clock is virtual
and skips time when a worker blocks; wasmtime's is real; the relations hold on both."""

from __future__ import annotations

from wit_world.imports import monotonic_clock, poll, wall_clock

from ._util import try_

MS = 1_000_000


def probe_monotonic_non_decreasing(out: list[str]) -> None:
    values = [monotonic_clock.now() for _ in range(50)]
    out.append(f"type: {type(values[0]).__name__}")
    out.append(f"non-decreasing: {all(a <= b for a, b in zip(values, values[1:]))}")
    out.append(f"in u64: {all(0 <= v < 2**64 for v in values)}")


def probe_monotonic_resolution(out: list[str]) -> None:
    r = monotonic_clock.resolution()
    out.append(f"type: {type(r).__name__}")
    out.append(f"positive: {r > 0}")
    out.append(f"at most 1 ms: {r <= MS}")


def probe_wall_now(out: list[str]) -> None:
    a = wall_clock.now()
    out.append(f"type: {type(a).__name__}")
    out.append(f"fields: {sorted(vars(a))}")
    out.append(f"after 2001: {a.seconds > 1_000_000_000}")
    out.append(f"before 2100: {a.seconds < 4_102_444_800}")
    out.append(f"nanoseconds in range: {0 <= a.nanoseconds < 1_000_000_000}")
    b = wall_clock.now()
    out.append(f"second call not earlier: {(b.seconds, b.nanoseconds) >= (a.seconds, a.nanoseconds)}")


def probe_wall_resolution(out: list[str]) -> None:
    r = wall_clock.resolution()
    out.append(f"type: {type(r).__name__}")
    out.append(f"positive: {(r.seconds, r.nanoseconds) > (0, 0)}")
    out.append(f"below one second: {r.seconds == 0}")
    out.append(f"nanoseconds in range: {0 <= r.nanoseconds < 1_000_000_000}")


def probe_subscribe_duration_zero_ready(out: list[str]) -> None:
    # (``ready()`` right after subscribing is not printed: wasmtime's timer rounds the
    # deadline up to the next millisecond, so it depends on timing)
    p = monotonic_clock.subscribe_duration(0)
    try_(out, "block", lambda: p.block())
    out.append(f"ready after block: {p.ready()}")


def probe_subscribe_duration_block(out: list[str]) -> None:
    before = monotonic_clock.now()
    p = monotonic_clock.subscribe_duration(5 * MS)
    p.block()
    after = monotonic_clock.now()
    out.append(f"ready after block: {p.ready()}")
    out.append(f"elapsed >= 5 ms: {after - before >= 5 * MS}")


def probe_subscribe_instant_past(out: list[str]) -> None:
    for when in (0, 1, monotonic_clock.now()):
        p = monotonic_clock.subscribe_instant(when)
        out.append(f"poll: {poll.poll([p])}")
        p.block()
        out.append(f"ready after block: {p.ready()}")


def probe_subscribe_instant_block(out: list[str]) -> None:
    target = monotonic_clock.now() + 3 * MS
    p = monotonic_clock.subscribe_instant(target)
    p.block()
    out.append(f"now >= target after block: {monotonic_clock.now() >= target}")
    out.append(f"ready: {p.ready()}")


def probe_poll_picks_ready(out: list[str]) -> None:
    far = monotonic_clock.subscribe_duration(3600 * 1_000_000_000)
    now = monotonic_clock.subscribe_duration(0)
    out.append(f"poll [far, now]: {poll.poll([far, now])}")
    out.append(f"far ready: {far.ready()}")


def probe_poll_same_pollable_twice(out: list[str]) -> None:
    p = monotonic_clock.subscribe_duration(0)
    out.append(f"poll [p, p]: {poll.poll([p, p])}")


def probe_poll_waits_for_earliest(out: list[str]) -> None:
    far = monotonic_clock.subscribe_duration(3600 * 1_000_000_000)
    soon = monotonic_clock.subscribe_duration(2 * MS)
    before = monotonic_clock.now()
    ready = poll.poll([far, soon])
    out.append(f"ready: {ready}")
    out.append(f"waited >= 2 ms: {monotonic_clock.now() - before >= 2 * MS}")


def probe_poll_empty_list_traps(out: list[str]) -> None:
    # golem-io-semantics.md §5.2: an empty poll list traps (wasmtime's "empty poll list")
    out.append("before")
    poll.poll([])
    out.append("not reached")


def probe_monotonic_not_behind_after_sleep(out: list[str]) -> None:
    a = monotonic_clock.now()
    monotonic_clock.subscribe_duration(1 * MS).block()
    b = monotonic_clock.now()
    monotonic_clock.subscribe_duration(0).block()
    c = monotonic_clock.now()
    out.append(f"a < b <= c: {a < b <= c}")


def probe_zero_wait_ready_at_once(out: list[str]) -> None:
    # a deadline already passed is wasmtime's Deadline::Past: ready at once in wasmtime
    # 33; wasmtime 45+ yields to tokio on its first poll, so the first ready() is false
    for label, p in (("instant 0", monotonic_clock.subscribe_instant(0)),
                     ("duration 0", monotonic_clock.subscribe_duration(0))):
        first = p.ready()
        out.append(f"{label}: ready {first} then {p.ready()}")
