"""Behaviour of ``wasi:clocks/monotonic-clock@0.2.3`` (see
:mod:`golem_fakes.interfaces.wasi_clocks`).

Golem's monotonic clock is a system-time clock: ``now`` is nanoseconds since the Unix
epoch (``golem-worker-executor/src/wasi_host/helpers/clocks.rs``); here it is the
virtual monotonic clock, which follows the wall clock but never goes backwards.
``resolution`` is 1 ns. ``subscribe-duration(d)`` reads ``now`` (recorded as
``monotonic_clock::subscribe_duration`` with the duration as request), commits the
oplog, and subscribes to ``now + d`` (saturating at 2**64-1, like Golem's
``saturating_add``); ``subscribe-instant(t)`` is not recorded and is ready once the
clock reaches ``t`` (at once if ``t`` has passed, wasmtime's ``Deadline::Past``).

Waiting on these pollables never sleeps: ``wasi:io/poll`` jumps the clock to the
earliest deadline when nothing else is ready (:func:`~golem_fakes.interfaces.wasi_clocks.skip_time`).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import crash_tick, current_runtime, durable_call
from golem_fakes.interfaces.wasi_clocks import MONOTONIC_CLOCK, READ_LOCAL, clock_of
from golem_fakes.state.clock import MONOTONIC_RESOLUTION_NS, U64_MAX, ClockPollable
from golem_fakes.state.invocation import Invocation, current_invocation
from golem_fakes.state.oplog import RAW_OK, SAME

__all__ = ["now", "resolution", "subscribe_instant", "subscribe_duration"]


_current_invocation = current_invocation.get
_NOW = "monotonic_clock::now"


@implements(MONOTONIC_CLOCK, "now")
def now(env: Any) -> int:
    """Nanoseconds since the epoch, never decreasing; recorded as ``monotonic_clock::now``
    (read-local). :func:`~golem_fakes.interfaces.record_ok` and ``clock_of``'s fast path
    written out (no frame for either: the clocks are the most frequent host calls)."""
    clock = env.__dict__.get("_clock")
    if clock is None:
        clock = clock_of(env, MONOTONIC_CLOCK, "now")
    value = clock.monotonic_ns()
    inv = _current_invocation()
    if inv is not None and inv.golem is env:
        if type(inv) is not Invocation:
            inv = inv.resolve()
        rt = inv.runtime
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(_NOW, None, READ_LOCAL)  # type: ignore[no-any-return]
        oplog = rt.oplog  # Oplog.record_ok's record, appended without its frame
        oplog.append_raw((RAW_OK, oplog.now(), _NOW, None, value, READ_LOCAL, SAME))
        if rt.crash_in is not None:
            crash_tick(rt)
    return value


@implements(MONOTONIC_CLOCK, "resolution")
def resolution(env: Any) -> int:
    """1 ns."""
    clock_of(env, MONOTONIC_CLOCK, "resolution")
    return durable_call(env, "monotonic_clock::resolution", READ_LOCAL, None,
                        lambda: (MONOTONIC_RESOLUTION_NS, Ok(MONOTONIC_RESOLUTION_NS)))


@implements(MONOTONIC_CLOCK, "subscribe-instant")
def subscribe_instant(env: Any, when: int) -> ClockPollable:
    """A pollable ready once the monotonic clock reaches ``when``; not recorded."""
    clock = clock_of(env, MONOTONIC_CLOCK, "subscribe-instant")
    return ClockPollable(clock, when, f"subscribe-instant({when})")


@implements(MONOTONIC_CLOCK, "subscribe-duration")
def subscribe_duration(env: Any, when: int) -> ClockPollable:
    """A pollable ready ``when`` ns after now (the base instant is recorded)."""
    clock = clock_of(env, MONOTONIC_CLOCK, "subscribe-duration")
    base = clock.monotonic_ns()
    durable_call(env, "monotonic_clock::subscribe_duration", READ_LOCAL, when,
                 lambda: (base, Ok(base)))
    rt = current_runtime(env)
    if rt is not None:
        rt.oplog.commit()
    deadline = min(base + when, U64_MAX)
    return ClockPollable(clock, deadline, f"subscribe-duration({when}) at {base}")
