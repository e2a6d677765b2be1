"""Behaviour of ``wasi:blobstore`` (``docs/golem-io-semantics.md`` §2): the resource reps
shared by :mod:`.types`, :mod:`.container` and :mod:`.blobstore`.

Every call Golem makes durable goes through :func:`durable` (Golem's ``Durability``
wrapper, §0.1, shared with keyvalue via :func:`golem_fakes.interfaces.durable_call`): one
``imported-function-invoked`` oplog entry with Golem's exact ``function_name``, request
summary and ``Ok``/``Err`` response (§2.8), bracketed by ``begin-remote-write`` /
``end-remote-write`` for writes when the worker's idempotence mode is off. Failures
injected with ``golem.blobstore.fail(...)`` are applied and recorded there.

State lives in ``golem.blobstore`` (:mod:`golem_fakes.state.blobstore`). None of the
errors below is a Python exception the worker can miss: Golem's Err strings come back as
``Err(str)`` values (§2.7), executor aborts are :class:`~golem_fakes.Trap`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

from golem_fakes.bindings.runtime import Trap
from golem_fakes.bindings.result import Err
from golem_fakes.interfaces import READ_REMOTE, WRITE_REMOTE, durable_call, golem_state
from golem_fakes.state.blobstore import BlobStore

__all__ = ["OutgoingValueRep", "IncomingValueRep", "ContainerRep", "ObjectNamesRep",
           "PAST_END_READ_LIMIT", "store", "durable", "READ_REMOTE", "WRITE_REMOTE"]

TYPES = "wasi:blobstore/types"
CONTAINER = "wasi:blobstore/container"
BLOBSTORE = "wasi:blobstore/blobstore"

#: Reads of an ``incoming-value-consume-async`` stream entirely past the end before
#: golem-fakes traps: Golem's stream zero-pads and never reports ``closed`` (§2.5, §1.2).
PAST_END_READ_LIMIT = 64


@dataclass(eq=False)
class OutgoingValueRep:
    """An ``outgoing-value``: a growable buffer kept as a list of written chunks (no
    copies until ``write-data`` joins them once, §2.5)."""

    chunks: list[bytes] = field(default_factory=list)

    def append(self, data: bytes | bytearray | memoryview) -> None:
        """What every body stream's writes do. The chunk is frozen to ``bytes`` (the
        stream may reuse its buffer), except a whole view of a ``bytes`` object, which is
        immutable and kept as it is (no copy)."""
        if len(data):
            if (type(data) is memoryview and type(data.obj) is bytes
                    and data.nbytes == len(data.obj) and data.contiguous):
                self.chunks.append(data.obj)
            else:
                self.chunks.append(bytes(data))

    def getvalue(self) -> bytes:
        """The buffer at this moment (``write-data`` copies it at call time, §2.5)."""
        if len(self.chunks) > 1:
            self.chunks[:] = [b"".join(self.chunks)]
        return self.chunks[0] if self.chunks else b""


@dataclass(eq=False)
class IncomingValueRep:
    """An ``incoming-value``: its own view of the bytes read (deleting the object later
    does not affect it, §2.5), drained from the front by ``consume-sync`` and by its
    async body streams alike."""

    view: memoryview
    past_end_reads: int = 0

    def __post_init__(self) -> None:
        #: the whole range as read, for replay (:meth:`__golem_replay__`)
        self.original = self.view

    def __golem_replay__(self) -> "IncomingValueRep":
        """A fresh incoming-value of the same bytes for a replaying instance (this one
        may have been drained by the lost instance)."""
        return IncomingValueRep(self.original)

    def take(self, n: int) -> bytes:
        out = bytes(self.view[:n])
        self.view = self.view[n:]
        return out

    def read_padded(self, n: int) -> bytes:
        """One read of the async body: exactly ``n`` bytes, the remaining ones followed by
        zero padding, never end-of-stream (Golem's ``IncomingValueEntryStream::read``)."""
        if n > 0 and not len(self.view):
            self.past_end_reads += 1
            if self.past_end_reads > PAST_END_READ_LIMIT:
                raise Trap(
                    f"wasi:blobstore incoming-value body read past its end "
                    f"{self.past_end_reads} times: on Golem this stream never reports "
                    f"`closed` (it returns zero bytes forever, docs/golem-io-semantics.md "
                    f"§2.5/§1.2), so a read-until-closed loop never ends. Read exactly "
                    f"`size()` bytes instead.",
                    interface=TYPES, function="[method]incoming-value.incoming-value-consume-async")
        head = self.take(n)
        return head + bytes(n - len(head)) if len(head) < n else head


@dataclass(eq=False)
class ContainerRep:
    """A ``container`` handle: project, name and ``created-at`` cached when obtained; it is
    never re-validated (§2.2, §2.3)."""

    project: str
    name: str
    created_ms: int


@dataclass(eq=False)
class ObjectNamesRep:
    """A ``stream-object-names``: the complete listing, handed out from the back (§2.4)."""

    names: list[str]


def store(env: Any, interface: str, function: str) -> BlobStore:
    """The blobstore state of the current environment (a :class:`~golem_fakes.Golem`)."""
    bs = golem_state(env, "blobstore", BlobStore, interface, function)
    bs.check_backend()
    return bs


def durable(env: Any, bs: BlobStore, interface: str, function: str, function_name: str,
            dtype: str, containers: tuple[str, ...], request: Any,
            compute: Callable[[], tuple[Any, Any]]) -> Any:
    """One recorded blobstore call (§0.1, §2.8). ``function`` is the short WIT name
    (``"get-data"``) that :meth:`BlobStore.fail` matches, ``containers`` the containers
    the call touches; ``compute`` returns ``(result for the guest, response to record)``
    (both ``Ok``/``Err``). An injected failure skips ``compute`` (the store is left
    unchanged), is recorded as ``Err(message)`` and returned as the WIT ``Err(message)``
    (§2.7, at once, §0.3), or raised as :class:`~golem_fakes.Trap` with ``trap=True`` and
    always for ``clear`` (record-then-``?``, §2.3).

    ``compute`` runs under the store's lock (:attr:`BlobStore.lock`): each call is one
    atomic step on the containers, as on Golem's backends (see
    :mod:`golem_fakes.state.blobstore`, "Threads"); the oplog append is outside it."""

    def run() -> tuple[Any, Any]:
        with bs.lock:
            failure = bs.take_failure(function, *containers)
            if failure is None:
                return compute()
        if failure.trap or function == "clear":
            wit = function if interface == BLOBSTORE else f"[method]container.{function}"
            return Trap(failure.message, interface=interface, function=wit), Err(failure.message)
        return Err(failure.message), Err(failure.message)

    return durable_call(env, function_name, dtype, request, run)
