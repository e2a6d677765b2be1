"""The per-worker operation log (oplog), modelled on Golem's.

Golem appends every durable fact about a worker to its oplog (``golem-host-semantics.md``
§2, §4, §11): index **1** is always ``create``; every invocation starts with
``exported-function-invoked`` and ends with ``exported-function-completed``; durable host
calls append one ``imported-function-invoked`` each (``function-name`` exactly as Golem
records it, e.g. ``golem api::generate_idempotency_key`` with a space); the host API's
own entries are ``no-op`` (get-oplog-index), ``jump`` (set-oplog-index),
``begin-/end-atomic-region``, ``begin-/end-remote-write``, ``change-retry-policy``,
``change-persistence-level``, ``suspend``, ``error``, ``revert``, ``pending-update`` ...
(the case names of ``golem:api/oplog@1.1.7``'s ``oplog-entry`` variant).

"The current oplog index" is the index of the last entry appended, buffered entries
included (``current_oplog_index`` in ``golem-worker-executor/src/durable_host/mod.rs``).
Entries up to :attr:`Oplog.committed_index` are committed (written to storage);
``get-oplog`` (a later interface) only sees those.

Threads: appends and commits are atomic without a lock on the host-call path (see
:meth:`Oplog.append`, :meth:`Oplog.commit`); Golem itself runs one invocation of a worker at a time, golem-fakes does not
queue invocations of one worker started from different threads, so their entries
interleave in the order the calls happen.

Crash, recovery and replay read this oplog (:mod:`golem_fakes.worker.replay`):
:class:`Oplog` keeps the deleted regions (``jump``/``revert``) that a replay skips,
:meth:`Oplog.replayable` yields the entries a replay reads, and each recorded host
call keeps the value it returned to the guest (:attr:`OplogEntry.guest`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

__all__ = ["OplogEntry", "Oplog", "HINT_KINDS", "now_ms", "SAME", "NO_GUEST", "FromResponse",
           "Rebuild", "RAW_OK", "RAW_OK_COMMIT"]

#: :meth:`Oplog.commit` folds its commit points into one after this many.
_FOLD_AT = 256

#: Entry kinds that replay skips (``OplogEntry::is_hint``, golem-common/src/model/oplog.rs;
#: semantics §0.3), in ``oplog-entry`` case spelling.
HINT_KINDS = frozenset({
    "suspend", "error", "interrupted", "exited", "pending-worker-invocation",
    "pending-update", "successful-update", "failed-update", "grow-memory",
    "create-resource", "drop-resource", "log", "restart", "activate-plugin",
    "deactivate-plugin", "revert", "cancel-invocation",
})


def now_ms() -> int:
    """Wall-clock milliseconds since the epoch, read at call time (so time-machine or
    freezegun apply); Golem timestamps oplog entries with millisecond precision."""
    return time.time_ns() // 1_000_000


@dataclass(slots=True)
class OplogEntry:
    """One oplog entry: ``index`` (1-based), ``kind`` (an ``oplog-entry`` case name such
    as ``"imported-function-invoked"``), ``timestamp`` (epoch ms) and ``payload``
    (the case's fields, snake_case keys; e.g. ``function_name``, ``response`` for
    ``imported-function-invoked``)."""

    index: int
    kind: str
    timestamp: int
    payload: dict[str, Any] = field(default_factory=dict)
    #: For ``imported-function-invoked``: the value the host call returned to the guest
    #: (what replay returns again, :mod:`golem_fakes.worker.replay`); not part of the
    #: public entry. :data:`NO_GUEST` when the entry was appended without one.
    guest: Any = field(default=None, repr=False, compare=False)

    @property
    def is_hint(self) -> bool:
        """Whether replay skips this entry (§0.3)."""
        return self.kind in HINT_KINDS

    def __getitem__(self, key: str) -> Any:
        return self.payload[key]

    def get(self, key: str, default: Any = None) -> Any:
        return self.payload.get(key, default)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k}={v!r}" for k, v in self.payload.items())
        return f"<{self.index} {self.kind}{' ' + inner if inner else ''}>"


#: ``record_ok(..., guest=SAME)``: the value returned to the guest is the recorded one.
SAME: Any = type("SameAsRecorded", (), {"__repr__": lambda self: "SAME"})()
#: The guest value of an entry recorded without one (replay cannot return it again).
NO_GUEST: Any = type("NoGuestValue", (), {"__repr__": lambda self: "NO_GUEST"})()

class FromResponse:
    """``record_ok(..., guest=FromResponse(make))``: the guest got ``make(value)`` for
    the recorded ``value`` — a new object (a resource rep) that replay must make afresh
    for the new instance, as ``make(value)`` again. One object per host function,
    shared by all its records (nothing is allocated per call); the entry, once
    materialised, holds a :class:`Rebuild` of it."""

    __slots__ = ("make",)

    def __init__(self, make: Callable[[Any], Any]) -> None:
        self.make = make

    def __repr__(self) -> str:
        return f"FromResponse({getattr(self.make, '__qualname__', self.make)})"


class Rebuild:
    """The guest value of a materialised entry recorded with :class:`FromResponse`:
    ``__golem_replay__`` (:func:`golem_fakes.worker.replay._rebuild`) makes it again."""

    __slots__ = ("make", "value")

    def __init__(self, make: Callable[[Any], Any], value: Any) -> None:
        self.make, self.value = make, value

    def __golem_replay__(self) -> Any:
        return self.make(self.value)

    def __repr__(self) -> str:
        return f"Rebuild({getattr(self.make, '__qualname__', self.make)}, {self.value!r})"


#: Tags of the raw records :meth:`Oplog.record` appends (materialised on read).
_IFI = "imported-function-invoked"
_RAW_OK = 1   # the response is recorded as Ok(value)
_RAW = 0      # the response is recorded as given
_RAW_LAZY = 2  # (tag, timestamp, kind, build): the payload is build(index, timestamp)
_RAW_OK_COMMIT = 3  # as _RAW_OK, and the oplog is committed up to this record
#: The tag of a raw record appended with :attr:`Oplog.append_raw`: ``(RAW_OK, timestamp,
#: function_name, request, value, durable_function_type, guest)``, what
#: :meth:`Oplog.record_ok` appends.
RAW_OK = _RAW_OK
#: The same record, committed with it (what :meth:`Oplog.record_ok_commit` appends).
RAW_OK_COMMIT = _RAW_OK_COMMIT


def _materialise(index: int, raw: tuple[Any, ...]) -> "OplogEntry":
    """The :class:`OplogEntry` at ``index`` of a raw ``imported-function-invoked``
    record ``(tag, timestamp, function_name, request, response, durable_function_type)``:
    the entry :meth:`Oplog.append` would have made at the time of the call."""
    if raw[0] == _RAW_LAZY:
        _, ts, kind, build = raw
        return OplogEntry(index, kind, ts, build(index, ts))
    tag, ts, function_name, request, response, dtype, guest = raw
    if tag == _RAW_OK or tag == _RAW_OK_COMMIT:
        from golem_fakes.bindings.result import Ok

        if guest is SAME:
            guest = response
        elif type(guest) is FromResponse:
            guest = Rebuild(guest.make, response)
        response = Ok(response)
    return OplogEntry(index, _IFI, ts, {"function_name": function_name, "request": request,
                                        "response": response, "durable_function_type": dtype},
                      guest)


class Oplog:
    """A worker's oplog: a list of :class:`OplogEntry` with 1-based indices.

    ``oplog[1]`` is the ``create`` entry; ``len(oplog)`` is the current index.

    Durable host calls are recorded with :meth:`record` (the hot path: every
    ``imported-function-invoked`` of a live call), which appends a raw tuple; the
    :class:`OplogEntry` is built when the oplog is first read (:attr:`entries` and
    everything reading through it), with the index and timestamp of the call, so every
    reader sees exactly the entries :meth:`append` would have made.
    """

    __slots__ = ("_log", "_raw_from", "_commits", "deleted_regions", "now", "_lock",
                 "append_raw")

    def __init__(self, now: Callable[[], int] | None = None) -> None:
        """:param now: epoch milliseconds for new entries' timestamps (a
        :class:`~golem_fakes.Golem` passes its virtual clock's ``wall_ms``; default
        :func:`now_ms`, the real wall clock)."""
        #: Entries and raw records (see :meth:`record`), in order.
        self._log: list[Any] = []
        #: ``_log.append``: what the hottest host calls (keyvalue ``get``, the clocks)
        #: call instead of :meth:`record_ok` to append the same raw record, a
        #: ``(RAW_OK, timestamp, function_name, request, value, durable_function_type,
        #: guest)`` tuple, without a Python frame (one frame is ≈ 2 % of such a call).
        self.append_raw: Callable[[Any], None] = self._log.append
        #: Every item before this index is an :class:`OplogEntry`.
        self._raw_from = 0
        #: Where entry timestamps come from (epoch ms).
        self.now: Callable[[], int] = now_ms if now is None else now
        #: The oplog lengths at the commits not folded yet (see :attr:`committed_index`).
        self._commits: list[int] = [0]
        #: Inclusive ``(start, end)`` index ranges deleted by ``jump`` / ``revert``
        #: entries; replay skips them (§4.2, §8.3).
        self.deleted_regions: list[tuple[int, int]] = []
        #: Serialises folding :attr:`_commits` (threads, issue 12 §3).
        self._lock = threading.Lock()

    @property
    def entries(self) -> list[OplogEntry]:
        """Every entry, in order (index ``i`` at position ``i - 1``): the oplog's own
        list, raw records of :meth:`record` materialised first (a record appended
        after this access is materialised at the next one: read ``entries`` again, or
        iterate the :class:`Oplog` itself, after making host calls)."""
        log = self._log
        if self._raw_from < len(log):
            with self._lock:  # one thread materialises a record (issue 12 §3)
                start = self._raw_from
                end = len(log)
                committed = 0
                for i in range(start, end):
                    item = log[i]
                    if type(item) is tuple:
                        if item[0] == _RAW_OK_COMMIT:
                            committed = i + 1
                        log[i] = _materialise(i + 1, item)
                if committed:  # the commit a RAW_OK_COMMIT record stood for
                    self._commits.append(committed)
                self._raw_from = end
        return log

    @entries.setter
    def entries(self, value: list[OplogEntry]) -> None:
        self._log = value
        self.append_raw = value.append
        self._raw_from = 0

    # --- writing ---------------------------------------------------------------

    def append(self, kind: str, **payload: Any) -> OplogEntry:
        """Append an entry (buffered, not committed) and return it. Atomic without a
        lock: ``list.append`` is one atomic step and nothing is ever inserted before an
        appended entry, so its index is its position, found from the end (once, unless
        another thread appended at the same moment)."""
        log = self._log
        entry = OplogEntry(len(log) + 1, kind, self.now(), payload)
        log.append(entry)
        if log[entry.index - 1] is not entry:  # another thread appended meanwhile
            i = len(log)
            while log[i - 1] is not entry:
                i -= 1
            entry.index = i
        return entry

    def append_lazy(self, kind: str, build: Callable[[int, int], dict[str, Any]]) -> int:
        """Append a ``kind`` entry, timestamped now, whose payload is ``build(index,
        timestamp)``, made when the oplog is first read (as :meth:`record`'s entries);
        return its index. For entries whose payload costs something to build and is
        usually never read (``exported-function-invoked``'s invocation context)."""
        log = self._log
        raw = (_RAW_LAZY, self.now(), kind, build)
        log.append(raw)
        i = len(log)
        while log[i - 1] is not raw:  # another thread appended meanwhile
            i -= 1
        return i

    def record(self, function_name: str, request: Any, response: Any, dtype: str,
               guest: Any = NO_GUEST) -> None:
        """Append an ``imported-function-invoked`` entry (``function_name``, ``request``,
        ``response``, ``durable_function_type``), timestamped now, as :meth:`append`
        would; built lazily (see the class docstring). ``guest`` is the value the call
        returned to the guest, kept for replay (:attr:`OplogEntry.guest`)."""
        self._log.append((_RAW, self.now(), function_name, request, response, dtype, guest))

    def record_ok(self, function_name: str, request: Any, value: Any, dtype: str,
                  guest: Any = SAME) -> None:
        """:meth:`record` with the response ``Ok(value)`` (the ``Ok`` made on read);
        the guest got ``value`` itself unless ``guest`` says otherwise."""
        self._log.append((_RAW_OK, self.now(), function_name, request, value, dtype, guest))

    def record_ok_commit(self, function_name: str, request: Any, value: Any, dtype: str,
                         guest: Any = SAME) -> None:
        """:meth:`record_ok` and commit the oplog up to this entry, in one step (a
        durable write's fast path: its entry is committed at once). The record carries
        the commit (tag ``RAW_OK_COMMIT``): nothing else is written per call, and
        :attr:`committed_index` finds it when it reads the oplog. Every entry before it
        is committed with it; one appended meanwhile by another thread is committed by
        that thread's own commit."""
        self._log.append((_RAW_OK_COMMIT, self.now(), function_name, request, value, dtype,
                          guest))

    def commit(self) -> None:
        """Flush buffered entries: everything appended so far is committed. Atomic
        without a lock on the host-call path: the length is appended to a list of
        commit points (one atomic step) whose maximum is :attr:`committed_index`, so the
        committed index never moves back when threads commit at once."""
        commits = self._commits
        commits.append(len(self._log))
        if len(commits) >= _FOLD_AT:
            self._fold()

    def _fold(self) -> int:
        """Replace the commit points recorded so far by their maximum; return it."""
        with self._lock:
            commits = self._commits
            n = len(commits)
            top = max(commits[:n])
            commits[:n] = [top]      # points appended meanwhile stay after it
            return top

    @property
    def committed_index(self) -> int:
        """Index of the last committed entry (0: nothing committed). Materialises the
        raw records first (:attr:`entries`): a ``RAW_OK_COMMIT`` record's commit is
        folded in then."""
        if self._raw_from < len(self._log):
            self.entries
        commits = self._commits
        return commits[0] if len(commits) == 1 else self._fold()

    def truncate(self, length: int) -> None:
        """Drop every entry after index ``length`` (a crash loses what was not
        committed: :mod:`golem_fakes.worker.replay`)."""
        # Raw records are not materialised: each keeps its timestamp, and its index is
        # its position, which dropping later items does not change.
        with self._lock:
            del self._log[length:]
            self._raw_from = min(self._raw_from, len(self._log))
            self._commits[:] = [min(max(self._commits), len(self._log))]

    def delete_region(self, start: int, end: int) -> None:
        """Mark ``start..=end`` deleted (what a ``jump`` or ``revert`` entry does)."""
        self.deleted_regions.append((start, end))

    # --- reading ---------------------------------------------------------------

    @property
    def current_index(self) -> int:
        """The index of the last entry appended (buffered entries count), 0 if empty."""
        return len(self._log)

    def is_deleted(self, index: int) -> bool:
        """Whether ``index`` lies inside a region deleted by a jump or revert."""
        return any(s <= index <= e for s, e in self.deleted_regions)

    def replayable(self) -> Iterator[OplogEntry]:
        """The entries a replay from the start would read: not deleted, not hints."""
        for e in self:
            if not e.is_hint and not self.is_deleted(e.index):
                yield e

    def __getitem__(self, index: int) -> OplogEntry:
        """The entry at 1-based ``index`` (``IndexError`` for 0 or beyond the end)."""
        entries = self.entries
        if index < 1 or index > len(entries):
            raise IndexError(f"oplog index {index} out of range 1..{len(entries)}")
        return entries[index - 1]

    def __len__(self) -> int:
        return len(self._log)

    def __iter__(self) -> Iterator[OplogEntry]:
        """The entries in order, including those appended while iterating (as
        iterating the list of entries would)."""
        i = 0
        log = self.entries
        while i < len(log):
            if i >= self._raw_from:
                log = self.entries
            yield log[i]
            i += 1

    def kinds(self) -> list[str]:
        """Entry kinds in order, e.g. ``["create", "exported-function-invoked", ...]``
        (handy in assertions)."""
        return [e.kind for e in self.entries]

    def __repr__(self) -> str:
        return f"Oplog({self.entries!r})"
