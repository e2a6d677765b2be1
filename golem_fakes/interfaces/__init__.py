"""Behaviour modules: a package per WIT package, a module per interface.

The registry imports ``golem_fakes.interfaces.<ns>_<pkg>.<iface>`` lazily on the first
call of a function of that interface (see :mod:`golem_fakes.bindings.registry`).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from golem_fakes.bindings.runtime import NotFaked, Trap

__all__ = ["golem_state", "current_runtime", "durable_call", "record_ok", "READ_REMOTE", "WRITE_REMOTE"]

READ_REMOTE = "read-remote"
WRITE_REMOTE = "write-remote"

S = TypeVar("S")


def golem_state(env: Any, attribute: str, kind: type[S], interface: str, function: str) -> S:
    """``env.<attribute>`` of the current :class:`~golem_fakes.Golem` (its keyvalue
    buckets, blob containers, ...), or :class:`NotFaked` saying that the function needs
    a Golem environment (a bare ``Environment`` has no such state) and how to proceed."""
    state = getattr(env, attribute, None)
    if type(state) is kind or isinstance(state, kind):
        return state
    raise NotFaked(
        f"{interface}#{function} needs a golem_fakes.Golem environment (it keeps this "
        f"state as `golem.{attribute}`), but the current environment is {env!r}. "
        f"Use `with golem_fakes.Golem():`, or override the function with "
        f"env.implement({interface!r}, {function!r}, ...).",
        interface=interface, function=function)


#: ``golem_fakes.state.invocation``'s ``(current_invocation.get, Invocation)``, bound on
#: first use (importing it at module import time would be circular); a host call then
#: costs one global read instead of an ``import`` statement.
_invocation: tuple[Callable[[], Any], type] | None = None


def _bind_invocation() -> tuple[Callable[[], Any], type]:
    global _invocation
    from golem_fakes.state.invocation import Invocation, current_invocation

    _invocation = (current_invocation.get, Invocation)
    return _invocation


def current_runtime(env: Any) -> Any:
    """The calling worker's runtime (oplog, idempotence mode), or ``None`` outside any
    invocation of ``env``."""
    get, invocation = _invocation or _bind_invocation()
    inv = get()
    if inv is None or inv.golem is not env:
        return None
    if type(inv) is not invocation:
        inv = inv.resolve()
    return inv.runtime


def record_ok(env: Any, function_name: str, dtype: str, request: Any, value: Any) -> Any:
    """Record a live call that cannot fail and does not write remotely (``read-local``,
    ``read-remote``, ``write-local``) as Golem's ``Durability`` wrapper does: one
    ``imported-function-invoked`` entry with response ``Ok(value)``, if the caller runs
    inside an invocation of ``env``. What :func:`durable_call` does for such a call,
    without its closure; the entry is built when the oplog is read
    (:meth:`~golem_fakes.state.oplog.Oplog.record_ok`). Returns the value for the
    guest: ``value``, or in replay (:mod:`golem_fakes.worker.replay`) the recorded one."""
    get, invocation = _invocation or _bind_invocation()
    inv = get()
    if inv is not None and inv.golem is env:
        if type(inv) is not invocation:
            inv = inv.resolve()
        rt = inv.runtime
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(function_name, request, dtype)
        rt.oplog.record_ok(function_name, request, value, dtype)
        if rt.crash_in is not None:
            crash_tick(rt)
    return value


def durable_call(env: Any, function_name: str, dtype: str, request: Any,
                 compute: Callable[[], tuple[Any, Any]]) -> Any:
    """Golem's ``Durability`` wrapper in live mode (``docs/golem-io-semantics.md`` §0.1),
    shared by the storage interfaces (keyvalue §1.9, blobstore §2.8).

    A ``write-remote`` call with the worker's idempotence mode off is bracketed by
    ``begin-remote-write`` (committed) / ``end-remote-write``. ``compute`` runs the
    operation and returns ``(value for the guest, response to record)``; the response
    (``Ok``/``Err``) is appended as one ``imported-function-invoked`` entry named
    ``function_name``; write-remote calls commit the oplog. If the guest value is a
    :class:`~golem_fakes.Trap` (a host ``?`` on a recorded failure, §0.2) it is raised
    *after* recording. An exception raised by ``compute``
    itself (an executor abort) records nothing.

    In replay (the worker recovers, :mod:`golem_fakes.worker.replay`) ``compute`` does
    not run: the recorded guest value is returned (a recorded trap raised again),
    unless the worker is in a persist-nothing region, whose calls run live again."""
    get, invocation = _invocation or _bind_invocation()
    inv = get()
    if inv is None or inv.golem is not env:
        value = compute()[0]
    else:
        if type(inv) is not invocation:
            inv = inv.resolve()
        rt = inv.runtime
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(function_name, request, dtype)
        oplog = rt.oplog
        if dtype == WRITE_REMOTE:
            if rt.idempotent:
                value, response = compute()
                oplog.record(function_name, request, response, dtype, value)
            else:
                begin = oplog.append("begin-remote-write").index
                oplog.commit()
                value, response = compute()
                oplog.record(function_name, request, response, dtype, value)
                oplog.append("end-remote-write", begin_index=begin)
            oplog.commit()
        else:
            value, response = compute()
            oplog.record(function_name, request, response, dtype, value)
        if rt.crash_in is not None and not isinstance(value, Trap):
            crash_tick(rt)
    if isinstance(value, Trap):
        raise value
    return value


def crash_tick(rt: Any) -> None:
    """A recorded host call completed while a crash is armed (``Golem.crash``): counted
    down here (the calls before the crash point, the common case: crash exploration
    runs every prefix), the crash itself in :func:`golem_fakes.worker.replay.crash_tick`."""
    n = rt.crash_in - 1
    if n > 0 and rt.crash_trace is None:
        rt.crash_in = n
        return
    from golem_fakes.worker.replay import crash_tick as tick

    tick(rt)
