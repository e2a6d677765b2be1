"""Behaviour of ``wasi:keyvalue@0.1.0`` as Golem v1.3.0-dev.25 implements it
(``docs/golem-io-semantics.md`` §1): one module per interface (``types``, ``eventual``,
``eventual_batch``, ``atomic``, ``cache``, ``wasi_keyvalue_error``); the data lives in
``golem.keyvalue`` (:mod:`golem_fakes.state.keyvalue`, which also documents the backend
flavours table of §1.8).

This package module holds what the interface modules share: the resource reps, the
store lookup, and Golem's ``Durability`` wrapper in live mode (§0.1): every storage call
appends one ``imported-function-invoked`` oplog entry with Golem's exact
``function_name`` (§1.9), its request summary (value *lengths*, not values, for writes)
and its ``Ok``/``Err`` response; write-remote calls are bracketed by
``begin-remote-write``/``end-remote-write`` when the worker's idempotence mode is off,
and commit the oplog. Storage errors are never retried (§0.3).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import (
    READ_REMOTE,
    WRITE_REMOTE,
    current_runtime,
    durable_call,
    golem_state,
)
from golem_fakes.state.keyvalue import KeyValueStore

__all__ = ["OK_NONE", "BucketRep", "OutgoingValueRep", "IncomingValueRep", "ErrorRep", "store",
           "durable", "READ_REMOTE", "WRITE_REMOTE", "PAST_END_READ_LIMIT"]

#: Reads of an ``incoming-value-consume-async`` stream entirely past the end of the
#: value before golem-fakes fails the test: Golem's stream never reports ``closed``
#: (§1.2), so a "read until closed" loop spins forever there.
PAST_END_READ_LIMIT = 64

#: ``Ok(None)`` returned by behaviours of results without an ok payload (``set``,
#: ``delete``, ...): the generated binding only reads its ``value``, so one object
#: serves every call.
OK_NONE: Ok[None] = Ok(None)


@dataclass(eq=False)
class BucketRep:
    """A ``bucket`` handle: just the name given to ``open-bucket`` and the project of the
    worker that opened it (§1.1, §1.2)."""

    name: str
    project: str
    #: ``(project, name)``: the bucket's key in the store, made once (``get`` looks the
    #: bucket up with it, without a tuple per call)
    ns: tuple[str, str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.ns = (self.project, self.name)


@dataclass(eq=False)
class OutgoingValueRep:
    """An ``outgoing-value``: a growable buffer that writes append to (§1.2)."""

    buffer: bytearray = field(default_factory=bytearray)

    def append(self, data: bytes | bytearray | memoryview) -> None:
        """What ``write-body-sync`` and every async body stream's writes do."""
        self.buffer += data


@dataclass(eq=False)
class IncomingValueRep:
    """An ``incoming-value``: the value's bytes, drained by ``consume-sync`` and by its
    async body streams alike (§1.2)."""

    #: the value's bytes not read yet: the store's own ``bytes`` as ``get`` returned
    #: them (immutable: not copied), a ``bytearray`` from the first partial read on
    buffer: bytes | bytearray
    past_end_reads: int = 0
    #: the bytes as read from the store, for replay (:meth:`__golem_replay__`)
    recorded: bytes | None = field(default=None, repr=False)

    def __golem_replay__(self) -> "IncomingValueRep":
        """A fresh incoming-value of the recorded bytes for a replaying instance (this
        one may have been drained by the lost instance)."""
        data = self.recorded if self.recorded is not None else bytes(self.buffer)
        return IncomingValueRep(bytearray(data), recorded=data)

    def take(self, n: int) -> bytes:
        """Remove and return up to ``n`` leading bytes. A ``bytes`` buffer taken whole is
        returned as it is (``consume-sync``: no copy); a partial read first makes it the
        ``bytearray`` it is read from (one copy, then each read is O(n))."""
        buf = self.buffer
        if type(buf) is bytes:
            if n >= len(buf):
                self.buffer = b""
                return buf
            self.buffer = buf = bytearray(buf)
        out = bytes(buf[:n])
        del buf[:n]
        return out

    def read_padded(self, n: int) -> bytes:
        """One read of an ``incoming-value-consume-async`` stream: exactly ``n`` bytes,
        the next remaining ones then zero padding, never end-of-stream (Golem's
        ``IncomingValueEntryStream::read``, §1.2). After :data:`PAST_END_READ_LIMIT`
        reads entirely past the end it traps: on Golem the loop would never end."""
        if n > 0 and not self.buffer:
            self.past_end_reads += 1
            if self.past_end_reads > PAST_END_READ_LIMIT:
                raise Trap(
                    f"read {self.past_end_reads} times past the end of a wasi:keyvalue "
                    f"incoming-value body stream: Golem v1.3.0-dev.25 (and v1.3.1) zero-pads "
                    f"every read to the requested length and never reports `closed` "
                    f"(docs/golem-io-semantics.md §1.2), so this loop would spin forever on "
                    f"Golem. Read exactly `incoming-value-size()` bytes, or use "
                    f"`incoming-value-consume-sync()`.",
                    interface="wasi:io/streams@0.2.3", function="[method]input-stream.read")
        chunk = self.take(n)
        return chunk + bytes(n - len(chunk))


@dataclass(eq=False)
class ErrorRep:
    """A ``wasi-keyvalue-error`` ``error``: one string, the backend's message (§1.7)."""

    message: str


def store(env: Any, interface: str, function: str) -> KeyValueStore:
    """The keyvalue state of the current environment (a :class:`~golem_fakes.Golem`)."""
    kv = golem_state(env, "keyvalue", KeyValueStore, interface, function)
    return kv


def _runtime(env: Any) -> Any:
    """The calling worker's runtime (kept for callers of the old private name)."""
    return current_runtime(env)


def durable(env: Any, kv: KeyValueStore, function: str, function_name: str, dtype: str,
            bucket: BucketRep, request: Any, compute: Callable[[], tuple[Any, Any]]) -> Any:
    """Golem's ``Durability`` wrapper, live mode (§0.1, via
    :func:`golem_fakes.interfaces.durable_call`): run ``compute`` (which returns
    ``(value for the guest, response to record)``) unless a storage error is injected
    for ``function``; record the ``Ok``/``Err`` response; return the guest's value or
    ``Err(error)`` (§1.3: immediate, not retried, §0.3). A failure injected with
    ``trap=True`` is recorded as ``Err`` and then raises :class:`~golem_fakes.Trap`."""

    # No failure declared (the common case): no lookup and no extra closure per call.
    if not kv._faults._failures:
        return durable_call(env, function_name, dtype, request, lambda: _ok(compute()))

    def run() -> tuple[Any, Any]:
        failure = kv.take_injected(function, bucket.name)
        if failure is None:
            return _ok(compute())
        if failure.trap:
            return storage_trap(function_interface(function), function,
                                failure.message), Err(failure.message)
        return Err(ErrorRep(failure.message)), Err(failure.message)

    return durable_call(env, function_name, dtype, request, run)


def _ok(computed: tuple[Any, Any]) -> tuple[Any, Any]:
    """``(Ok(guest), Ok(recorded))`` of a successful ``compute()`` (the guest's
    ``Ok(None)`` is the shared :data:`OK_NONE`)."""
    guest = computed[0]
    return (OK_NONE if guest is None else Ok(guest)), Ok(computed[1])


def function_interface(function: str) -> str:
    """The WIT interface of a keyvalue storage function (for trap messages)."""
    if function in ("get", "set", "delete", "exists"):
        return "wasi:keyvalue/eventual@0.1.0"
    return "wasi:keyvalue/eventual-batch@0.1.0"


def storage_trap(interface: str, function: str, message: str) -> Trap:
    """The trap of ``keys`` on a storage error (§1.4: recorded, then ``?``)."""
    return Trap(message, interface=interface, function=function)
