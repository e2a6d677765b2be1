"""Behaviour of ``wasi:clocks@0.2.3``: ``wall-clock`` and ``monotonic-clock``.

Both read the :class:`~golem_fakes.state.clock.VirtualClock` of the current Golem
(``g.clock``). What Golem does (``docs/golem-io-semantics.md`` §5.1, §5.2, §6 rule 19;
``golem-worker-executor/src/durable_host/clocks/*.rs`` at v1.3.0-dev.25): ``now`` and
``resolution`` of both clocks are durable ``read-local`` calls named
``wall_clock::now``, ``wall_clock::resolution``, ``monotonic_clock::now``,
``monotonic_clock::resolution``; ``subscribe-duration`` records the current instant it
adds the duration to (``monotonic_clock::subscribe_duration``, request = the duration)
and commits the oplog; ``subscribe-instant`` is not recorded. ``wasi:clocks/timezone``
is not linked by Golem (rule 26), so it has no behaviour here.

:func:`skip_time` is the time-skipping step ``wasi:io/poll`` takes when worker code
blocks with nothing ready but clock pollables among its arguments.
"""

from __future__ import annotations

from typing import Any, Sequence

from golem_fakes.interfaces import golem_state
from golem_fakes.state.clock import ClockPollable, Skip, VirtualClock

__all__ = ["WALL_CLOCK", "MONOTONIC_CLOCK", "READ_LOCAL", "clock_of", "skip_time"]

WALL_CLOCK = "wasi:clocks/wall-clock@0.2.3"
MONOTONIC_CLOCK = "wasi:clocks/monotonic-clock@0.2.3"
READ_LOCAL = "read-local"


def clock_of(env: Any, interface: str, function: str) -> VirtualClock:
    """The virtual clock of the current Golem (``NotFaked`` for a bare Environment)."""
    c = env.__dict__.get("_clock")
    if c is not None:
        return c  # type: ignore[no-any-return]
    return golem_state(env, "clock", VirtualClock, interface, function)


def skip_time(env: Any, pollables: Sequence[Any]) -> Skip | None:
    """Worker code blocks in ``poll``/``block`` and none of ``pollables`` is ready: if
    some are clock pollables, jump the clock to the earliest of their deadlines and
    return the :class:`~golem_fakes.state.clock.Skip` (``None`` if there is no clock
    pollable, so the caller goes on waiting / reports a deadlock).

    A jump of the clock's ``suspend_after`` (10 s) or more is what Golem turns into a
    suspension (§5.2): inside an invocation, a ``suspend`` hint entry is appended and
    committed, the worker is ``suspended`` during the jump and ``running`` again after
    it (Golem resumes it at the deadline, replays, and re-runs the poll live — which is
    then recorded as usual by the caller)."""
    clocks = [p for p in map(_delegated, pollables) if type(p) is ClockPollable]
    if not clocks:
        return None
    clock: VirtualClock = clocks[0].clock
    target = min(p.deadline_ns for p in clocks if p.clock is clock)
    now = clock.monotonic_ns()
    # a deadline that is no sleep (a wasi:http response due then) never suspends
    suspend = target - now >= clock.suspend_after_ns and any(
        getattr(p, "suspends", True) for p in clocks if p.deadline_ns == target)
    inv = _invocation(env)
    worker = None
    if inv is not None:
        w = inv.worker
        worker = f"{w.component.name}/{w.name}"
        if suspend:
            from golem_fakes.state.registry import WorkerStatus

            rt = inv.runtime
            rt.oplog.append("suspend")
            rt.oplog.commit()
            w.status = WorkerStatus.SUSPENDED
            try:
                return clock.skip_to(target, worker=worker, suspended=True)
            finally:
                w.status = WorkerStatus.RUNNING
    return clock.skip_to(target, worker=worker, suspended=suspend)


def _delegated(p: Any) -> Any:
    """The pollable ``p`` stands for: a pollable that forwards to another (``delegate``,
    ``golem:durability``'s lazy-initialized-pollable subscription) is followed."""
    for _ in range(64):
        nxt = getattr(p, "delegate", None)
        if nxt is None:
            return p
        p = nxt
    return p


def _invocation(env: Any) -> Any:
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or getattr(inv, "golem", None) is not env:
        return None
    return inv if type(inv) is Invocation else inv.resolve()
