"""Promises: the store shared by every worker of one Golem installation.

What the real executor does (``golem-host-semantics.md`` §3;
``golem-worker-executor/src/services/promise.rs``): a promise id is
``{worker-id of the creator, oplog index of its create-promise entry}``; the store
holds a *pending* key once created and a *completed* key (first writer wins) once
completed; ``delete-promise`` removes both; nothing expires. A worker awaiting a
pending promise is suspended until the promise is completed by someone else (an
external caller via Golem's API, or another worker).

In a test nothing runs concurrently with the worker code, so a pending promise that is
awaited can only become ready through a completion scheduled beforehand
(:meth:`PromiseStore.schedule`); otherwise awaiting it raises :class:`Deadlock`.
"""

from __future__ import annotations

import enum
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = ["PromiseKey", "PromiseState", "Promise", "PromiseStore", "Deadlock",
           "ScheduledCompletion"]


class Deadlock(BaseException):
    """Worker code blocks on something nothing in the test can ever make ready (e.g.
    ``await-promise`` on a pending promise with no completion scheduled).

    In Golem the worker would be suspended until an external event; in a test there
    is no other actor, so golem-fakes stops with this error instead of hanging. A
    ``BaseException``, so worker code's ``except Exception`` cannot swallow it."""


@dataclass(frozen=True, order=True)
class PromiseKey:
    """A promise id in Python form: printed like Golem's ``PromiseId``,
    ``"<component-uuid>/<worker-name>/<oplog-idx>"``."""

    component_id: uuid.UUID
    worker_name: str
    oplog_idx: int

    def __str__(self) -> str:
        return f"{self.component_id}/{self.worker_name}/{self.oplog_idx}"

    @classmethod
    def of(cls, value: Any) -> "PromiseKey":
        """Accept a :class:`PromiseKey`, a generated ``PromiseId`` (or any object /
        dict with ``worker_id`` and ``oplog_idx``), or the display string
        ``"<uuid>/<worker-name>/<idx>"``."""
        if isinstance(value, PromiseKey):
            return value
        if isinstance(value, str):
            comp, sep, rest = value.partition("/")
            name, sep2, idx = rest.rpartition("/")
            if not sep or not sep2:
                raise ValueError(f"promise id {value!r} is not '<component-uuid>/<worker-name>/<index>'")
            return cls(uuid.UUID(comp), name, int(idx))
        get = (lambda o, k: o[k]) if isinstance(value, dict) else getattr
        wid = get(value, "worker_id")
        cid = get(wid, "component_id")
        u = get(cid, "uuid")
        if isinstance(u, uuid.UUID):
            comp_uuid = u
        else:
            comp_uuid = uuid.UUID(int=(get(u, "high_bits") << 64) | get(u, "low_bits"))
        return cls(comp_uuid, get(wid, "worker_name"), int(get(value, "oplog_idx")))


class PromiseState(enum.Enum):
    """``pending`` (created, not completed), ``completed`` (payload stored) or
    ``deleted`` (delete-promise removed it; Golem forgets it entirely, the fake keeps
    the record for inspection but treats it as absent)."""

    PENDING = "pending"
    COMPLETED = "completed"
    DELETED = "deleted"


@dataclass
class ScheduledCompletion:
    """A completion the test arranged in advance: it fires when ``after_polls``
    observations (poll-promise / await-promise calls) have been made, or when
    ``when()`` returns true at an observation."""

    data: bytes
    after_polls: int | None = None
    when: Callable[[], bool] | None = None
    polls: int = 0

    def due(self) -> bool:
        if self.when is not None:
            return bool(self.when())
        return self.polls >= (self.after_polls or 0)

    def describe(self) -> str:
        if self.when is not None:
            return f"when {getattr(self.when, '__qualname__', self.when)!s}() is true"
        return f"after {self.after_polls} poll(s) ({self.polls} so far)"


@dataclass
class Promise:
    """One promise as the test sees it (``g.promises[key]``)."""

    key: PromiseKey
    state: PromiseState = PromiseState.PENDING
    payload: bytes | None = None
    #: Who completed it: ``"worker <comp>/<name>"`` or ``"test"``.
    completed_by: str | None = None
    scheduled: ScheduledCompletion | None = field(default=None, repr=False)

    @property
    def id(self) -> PromiseKey:
        return self.key


class PromiseStore:
    """Every promise of one Golem installation, keyed by :class:`PromiseKey`."""

    def __init__(self) -> None:
        self._promises: dict[PromiseKey, Promise] = {}
        self._lock = threading.Lock()

    def create(self, key: PromiseKey) -> Promise:
        """Register a pending promise (set-if-not-exists, like Golem)."""
        with self._lock:
            p = self._promises.get(key)
            if p is None or p.state is PromiseState.DELETED:
                p = Promise(key)
                self._promises[key] = p
            return p

    def get(self, key: Any) -> Promise | None:
        """The live (not deleted) promise, or ``None``."""
        p = self._promises.get(PromiseKey.of(key))
        if p is None or p.state is PromiseState.DELETED:
            return None
        return p

    def observe(self, key: PromiseKey) -> Promise | None:
        """A poll/await observation: counts towards a scheduled completion and fires
        it when due. Returns the live promise or ``None``."""
        p = self.get(key)
        if p is None:
            return None
        s = p.scheduled
        if p.state is PromiseState.PENDING and s is not None:
            s.polls += 1
            if s.due():
                self.complete(key, s.data, by="scheduled completion")
        return p

    def fire_scheduled(self, key: PromiseKey) -> bool:
        """While a worker awaits ``key``: the scheduled completion (if any) arrives.
        A ``when`` condition must hold now; ``after_polls`` completions arrive since
        time passes while the worker is suspended. Returns whether it completed."""
        p = self.get(key)
        if p is None or p.state is not PromiseState.PENDING or p.scheduled is None:
            return False
        s = p.scheduled
        if s.when is not None and not s.when():
            return False
        self.complete(key, s.data, by="scheduled completion")
        return True

    def complete(self, key: Any, data: bytes, *, by: str = "test") -> bool:
        """First completion wins: ``True`` if this call stored ``data``, ``False`` if
        the promise was already completed. ``KeyError`` if it does not exist."""
        k = PromiseKey.of(key)
        with self._lock:
            p = self._promises.get(k)
            if p is None or p.state is PromiseState.DELETED:
                raise KeyError(k)
            if p.state is PromiseState.COMPLETED:
                return False
            p.state = PromiseState.COMPLETED
            p.payload = bytes(data)
            p.completed_by = by
            p.scheduled = None
            return True

    def delete(self, key: Any) -> None:
        """Remove silently (no error if absent)."""
        p = self._promises.get(PromiseKey.of(key))
        if p is not None:
            p.state = PromiseState.DELETED
            p.scheduled = None

    def schedule(self, key: Any, data: bytes, *, after_polls: int | None = None,
                 when: Callable[[], bool] | None = None) -> None:
        """Arrange a future completion of a pending promise (see
        :class:`ScheduledCompletion`)."""
        if (after_polls is None) == (when is None):
            raise TypeError("schedule_promise_completion needs exactly one of "
                            "after_polls=N or when=callable")
        if after_polls is not None and after_polls < 0:
            raise ValueError(f"after_polls must be >= 0, got {after_polls}")
        p = self.get(key)
        if p is None:
            raise KeyError(PromiseKey.of(key))
        p.scheduled = ScheduledCompletion(bytes(data), after_polls, when)

    def all(self, *, include_deleted: bool = False) -> dict[PromiseKey, Promise]:
        return {k: p for k, p in self._promises.copy().items()  # one atomic copy
                if include_deleted or p.state is not PromiseState.DELETED}

    def __len__(self) -> int:
        return len(self.all())
