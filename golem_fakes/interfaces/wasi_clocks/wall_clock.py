"""Behaviour of ``wasi:clocks/wall-clock@0.2.3`` (see :mod:`golem_fakes.interfaces.wasi_clocks`).

``now`` is the Golem's virtual wall clock (or freezegun's / time-machine's time while
one of them is active) as ``datetime{seconds, nanoseconds}``; ``resolution`` is 1 ns
(wasmtime: ``clock_getres(CLOCK_REALTIME)`` on Linux). Both are recorded
(``wall_clock::now`` / ``wall_clock::resolution``, read-local). A wall clock before
the Unix epoch (possible only through freezegun / time-machine) traps: wasmtime's
``WallClock::now`` unwraps ``duration_since(UNIX_EPOCH)``, which fails there.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import crash_tick, durable_call
from golem_fakes.interfaces.wasi_clocks import READ_LOCAL, WALL_CLOCK, clock_of
from golem_fakes.state.clock import WALL_RESOLUTION_NS
from golem_fakes.state.invocation import Invocation, current_invocation
from golem_fakes.state.oplog import RAW_OK, SAME

__all__ = ["now", "resolution"]

_NS = 1_000_000_000


_current_invocation = current_invocation.get
_NOW = "wall_clock::now"


@implements(WALL_CLOCK, "now")
def now(env: Any) -> Any:
    """The wall clock: ``{"seconds": s, "nanoseconds": ns}`` since the epoch, recorded
    as ``wall_clock::now`` (read-local), the entry timestamped with the same reading.
    :func:`~golem_fakes.interfaces.record_ok` and ``clock_of``'s fast path written out
    (no frame for either)."""
    clock = env.__dict__.get("_clock")
    if clock is None:
        clock = clock_of(env, WALL_CLOCK, "now")
    ns = clock.wall_ns()
    if ns < 0:  # the host panics: nothing is recorded
        raise Trap(f"called `Result::unwrap()` on an `Err` value: SystemTimeError: the wall "
                   f"clock ({ns} ns since the epoch, set by freezegun/time-machine) is before "
                   f"1970-01-01, which wasmtime's WallClock::now cannot represent",
                   interface=WALL_CLOCK, function="now")
    value = {"seconds": ns // _NS, "nanoseconds": ns % _NS}
    inv = _current_invocation()
    if inv is not None and inv.golem is env:
        if type(inv) is not Invocation:
            inv = inv.resolve()
        rt = inv.runtime
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(_NOW, None, READ_LOCAL)
        # Oplog.record_ok's record, appended without its frame. Its timestamp is this
        # reading: the oplog is timestamped by this Golem's clock (Golem.runtime:
        # Oplog(clock.wall_ms)), read once for both.
        rt.oplog.append_raw((RAW_OK, ns // 1_000_000, _NOW, None, value, READ_LOCAL, SAME))
        if rt.crash_in is not None:
            crash_tick(rt)
    return value


@implements(WALL_CLOCK, "resolution")
def resolution(env: Any) -> Any:
    """1 ns."""
    clock_of(env, WALL_CLOCK, "resolution")
    value = {"seconds": WALL_RESOLUTION_NS // _NS, "nanoseconds": WALL_RESOLUTION_NS % _NS}
    return durable_call(env, "wall_clock::resolution", READ_LOCAL, None,
                        lambda: (value, Ok(dict(value))))
