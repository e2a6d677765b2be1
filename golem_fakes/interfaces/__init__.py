"""Behaviour modules: a package per WIT package, a module per interface.

The registry imports ``golem_fakes.interfaces.<ns>_<pkg>.<iface>`` lazily on the first
call of a function of that interface (see :mod:`golem_fakes.bindings.registry`).
"""

from __future__ import annotations

from typing import Any, Callable, TypeVar

from golem_fakes.bindings.runtime import NotFaked, Trap

__all__ = ["golem_state", "current_runtime", "durable_call", "READ_REMOTE", "WRITE_REMOTE"]

READ_REMOTE = "read-remote"
WRITE_REMOTE = "write-remote"

S = TypeVar("S")


def golem_state(env: Any, attribute: str, kind: type[S], interface: str, function: str) -> S:
    """``env.<attribute>`` of the current :class:`~golem_fakes.Golem` (its keyvalue
    buckets, blob containers, ...), or :class:`NotFaked` saying that the function needs
    a Golem environment (a bare ``Environment`` has no such state) and how to proceed."""
    state = getattr(env, attribute, None)
    if not isinstance(state, kind):
        raise NotFaked(
            f"{interface}#{function} needs a golem_fakes.Golem environment (it keeps this "
            f"state as `golem.{attribute}`), but the current environment is {env!r}. "
            f"Use `with golem_fakes.Golem():`, or override the function with "
            f"env.implement({interface!r}, {function!r}, ...).",
            interface=interface, function=function)
    return state


def current_runtime(env: Any) -> Any:
    """The calling worker's runtime (oplog, idempotence mode), or ``None`` outside any
    invocation of ``env``."""
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or getattr(inv, "golem", None) is not env:
        return None
    if type(inv) is not Invocation:
        inv = inv.resolve()
    return inv.runtime


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
    itself (an executor abort) records nothing."""
    rt = current_runtime(env)
    begin = None
    if rt is not None and dtype == WRITE_REMOTE and not rt.idempotent:
        begin = rt.oplog.append("begin-remote-write").index
        rt.oplog.commit()
    value, response = compute()
    if rt is not None:
        rt.oplog.append("imported-function-invoked", function_name=function_name,
                        request=request, response=response, durable_function_type=dtype)
        if begin is not None:
            rt.oplog.append("end-remote-write", begin_index=begin)
        if dtype == WRITE_REMOTE:
            rt.oplog.commit()
    if isinstance(value, Trap):
        raise value
    return value
