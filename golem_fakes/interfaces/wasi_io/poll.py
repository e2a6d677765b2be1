"""Behaviour of ``wasi:io/poll@0.2.3``.

What the real host does (wasmtime ``crates/wasi-io/src/impls.rs``, ``poll::Host::poll``
and ``HostPollable``): ``poll`` traps with ``empty poll list`` for an empty list
(``docs/golem-io-semantics.md`` §5.2), otherwise waits until at least one pollable is
ready and returns the indices (into the argument list, ascending, each index of a
pollable listed twice) of every ready one; ``block`` waits until the pollable is ready;
``ready`` never waits.

In a test nothing runs beside the worker code, so "waiting" means asking the
pollables again (:data:`~golem_fakes.state.streams.BLOCKING_ATTEMPTS` times); if
none becomes ready the call raises :class:`~golem_fakes.state.promises.Deadlock`
naming the pollables instead of hanging. A pollable rep is any object with a
``ready() -> bool`` method (normally :class:`~golem_fakes.state.streams.PollableRep`).

Time skipping (like trio's ``MockClock`` / temporal's test server): when nothing is
ready on the first check and some arguments are ``wasi:clocks`` pollables
(:class:`~golem_fakes.state.clock.ClockPollable`), the Golem's virtual clock jumps to
the earliest of their deadlines instead of sleeping, so a one-hour sleep returns at
once with the clock an hour later; a jump of 10 s or more is recorded as Golem's
suspension (a ``suspend`` entry before the poll's own entry, §5.2).

Durability (``docs/golem-io-semantics.md`` §5.1): inside a worker invocation,
``poll`` and ``block`` append one ``imported-function-invoked`` entry named
``golem io::poll::poll`` (read-local) whose response is the list of ready indices
(``[0]`` for ``block``, which polls its one pollable); a poll that does not complete
(here: :class:`Deadlock`) is not recorded; ``ready`` is not recorded (Golem v1.3.0-dev.25).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_io import POLL
from golem_fakes.state.promises import Deadlock
from golem_fakes.state.streams import BLOCKING_ATTEMPTS

__all__ = ["poll", "pollable_ready", "pollable_block", "is_ready"]


def is_ready(rep: Any, function: str) -> bool:
    """Ask a pollable rep whether it is ready (a rep without ``ready()`` is a bug of
    the behaviour that created it)."""
    ready = getattr(rep, "ready", None)
    if not callable(ready):
        raise Trap(f"pollable rep {rep!r} has no ready() method; behaviours must return "
                   f"golem_fakes.state.streams.PollableRep(ready=...) for a pollable",
                   interface=POLL, function=function)
    return bool(ready())


POLL_FUNCTION_NAME = "golem io::poll::poll"
READ_LOCAL = "read-local"


def _replaying(env: Any) -> Any:
    """The calling worker's replay (:mod:`golem_fakes.worker.replay`), or ``None``."""
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or type(inv) is not Invocation or inv.golem is not env:
        return None
    rt = inv.runtime
    return rt.replay if rt.persistence_level != "persist-nothing" else None


def _replayed(replay: Any, request: Any) -> list[int]:
    """In replay a poll does not wait: it returns the ready list it returned first."""
    e = replay.take_call(POLL_FUNCTION_NAME, request)
    return list(e.payload["response"].value)


def _record(env: Any, request: Any, ready: list[int]) -> None:
    """Append the durable-call entry of a completed poll to the calling worker's oplog
    (nothing outside an invocation of ``env``)."""
    from golem_fakes.bindings.result import Ok
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or getattr(inv, "golem", None) is not env:
        return
    if type(inv) is not Invocation:
        inv = inv.resolve()
    rt = inv.runtime
    rt.oplog.append("imported-function-invoked", function_name=POLL_FUNCTION_NAME,
                    request=request, response=Ok(list(ready)),
                    durable_function_type=READ_LOCAL)
    if rt.crash_in is not None:
        from golem_fakes.interfaces import crash_tick

        crash_tick(rt)


def _skip_time(env: Any, pollables: Any) -> bool:
    """Time skipping: nothing is ready, so if clock pollables are among ``pollables`` the
    virtual clock jumps to the earliest deadline (and a jump of 10 s or more is a Golem
    suspension); see :func:`golem_fakes.interfaces.wasi_clocks.skip_time`."""
    from golem_fakes.interfaces.wasi_clocks import skip_time

    return skip_time(env, pollables) is not None


def _name(rep: Any) -> str:
    return str(getattr(rep, "name", None) or repr(rep))


@implements(POLL, "[method]pollable.ready")
def pollable_ready(env: Any, rep: Any) -> bool:
    """Whether the event has happened; never blocks."""
    return is_ready(rep, "[method]pollable.ready")


@implements(POLL, "[method]pollable.block")
def pollable_block(env: Any, rep: Any) -> None:
    """Returns once the pollable is ready; :class:`Deadlock` if it never can be."""
    replay = _replaying(env)
    if replay is not None:
        _replayed(replay, 1)
        return None
    for attempt in range(BLOCKING_ATTEMPTS):
        if is_ready(rep, "[method]pollable.block"):
            _record(env, 1, [0])
            return None
        if attempt == 0:
            _skip_time(env, (rep,))
    raise Deadlock(f"pollable.block on {_name(rep)}: it is not ready after "
                   f"{BLOCKING_ATTEMPTS} checks and nothing else runs in the test, so the "
                   f"worker would wait forever. Make its source produce data (or end) "
                   f"before blocking, or check pollable.ready() first.")


@implements(POLL, "poll")
def poll(env: Any, pollables: list[Any]) -> list[int]:
    """Indices of the ready pollables, once at least one is ready."""
    if not pollables:
        raise Trap("empty poll list (wasmtime traps on poll([]); pass at least one pollable)",
                   interface=POLL, function="poll")
    replay = _replaying(env)
    if replay is not None:
        return _replayed(replay, len(pollables))
    for attempt in range(BLOCKING_ATTEMPTS):
        ready = [i for i, p in enumerate(pollables) if is_ready(p, "poll")]
        if ready:
            _record(env, len(pollables), ready)
            return ready
        if attempt == 0:
            _skip_time(env, pollables)
    names = ", ".join(_name(p) for p in pollables)
    raise Deadlock(f"poll on [{names}]: none is ready after {BLOCKING_ATTEMPTS} checks and "
                   f"nothing else runs in the test, so the worker would wait forever. "
                   f"Make one of their sources ready before polling.")


@implements(POLL, "[resource-drop]pollable")
def pollable_drop(env: Any, rep: Any) -> None:
    """Drop a pollable: it stops being a child of the stream whose ``subscribe`` made
    it (:meth:`~golem_fakes.state.streams.PollableRep.release`), so the stream may be
    dropped afterwards (wasmtime ``HostPollable::drop`` deletes it from the table)."""
    release = getattr(rep, "release", None)
    if release is not None:
        release()
