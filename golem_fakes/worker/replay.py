"""Crash, recovery and replay: a worker is durable because its oplog can rebuild it.

What Golem's executor does (``golem-host-semantics.md`` §0.4, §4, §5;
``golem-worker-executor/src/durable_host/replay_state.rs``, ``durability.rs``,
``worker/mod.rs`` at v1.3.0-dev.25): when a worker's instance is lost (the executor
restarted, the worker trapped and is retried, ``set-oplog-index`` jumped), a **new
instance** is made and the oplog is **replayed**: every invocation in it runs again,
and each durable host call, instead of doing its work, reads the next entry of the
oplog and returns the recorded result. Entries Golem writes as *hints* (logs, errors,
suspensions, ...) and regions deleted by a jump or a revert are skipped. When replay
reaches the last entry the worker is **live** again and the invocation that was
running goes on, its later host calls doing their work and being recorded.

What golem-fakes does, the same way:

* :func:`recover` drops the worker's instance (its handles are dropped; the default
  worker's modules are re-initialised in place, every other worker gets fresh module
  objects), resets the executor's in-memory state (persistence level ``smart``,
  idempotence on, no open atomic region, no retry-policy override, a fresh invocation
  context: the replayed code re-establishes each of them), and runs every recorded
  invocation again with the export name (or the Python callable) and the arguments it
  was invoked with. The worker's oplog is a :class:`ReplayingOplog` meanwhile
  (``WorkerRuntime.live`` is false, ``WorkerRuntime.replay`` the :class:`Replay`).
* A recorded host call returns the value it returned the first time (the entry's
  :attr:`~golem_fakes.state.oplog.OplogEntry.guest`) and does nothing else: no second
  key-value or blob write, no promise completed twice, no new random bytes; a call
  that trapped traps again. Output (stdout, stderr, ``wasi:logging``) is not written
  again while replaying, as Golem does not emit it in replay.
* Every other entry the host appends (``no-op`` of ``get-oplog-index``, atomic-region
  and persistence-level entries, ``begin-/end-remote-write``,
  ``exported-function-completed``, spans) is *read* instead: same kind expected at that
  position. So ``get-oplog-index`` returns the recorded index again.
* Replay is checked (stricter than Golem, which compares only the function name):
  a host call whose function or request differs from the recorded one at that
  position, an invocation that returns while the recorded run made more calls, or one
  that fails where the recorded run went on, stops recovery with :class:`Divergence`,
  naming the oplog index and showing both calls.
* A crash (:func:`arm_crash`, ``Golem.crash``) models the executor losing the worker:
  entries not committed yet are lost (:meth:`~golem_fakes.state.oplog.Oplog.truncate`
  to the committed index), exactly as Golem's buffered oplog entries are lost with the
  executor. Write-remote calls are committed before they return, so their effect is
  never repeated; a read-local call recorded but not committed runs again live.
* A persist-nothing region (§5.1): host calls inside it are recorded live "for
  observability" and skipped by replay, where the calls run live again.
* A write-remote call with idempotence off whose ``begin-remote-write`` has no recorded
  result traps on replay with Golem's ``Non-idempotent remote write operation was not
  completed, cannot retry`` (§5.2).
* An atomic region (``mark-begin-operation``) with no ``end-atomic-region`` recorded
  re-executes live (§4.4): see ``golem_fakes.interfaces.golem_api.host``.

Only invocations of component code (``Golem.invoke``/``enqueue`` by export name or
with a callable) can be replayed; a test's own ``with golem:`` / ``run_as`` block is
test code, so recovering a worker that ran one raises :class:`NotReplayable`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap, current_environment
from golem_fakes.state.oplog import (
    _RAW_LAZY,
    _RAW_OK,
    _RAW_OK_COMMIT,
    HINT_KINDS,
    NO_GUEST,
    SAME,
    FromResponse,
    Oplog,
    OplogEntry,
    _materialise,
)

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.invocation import Invocation, WorkerRuntime
    from golem_fakes.state.registry import Worker

__all__ = ["Divergence", "WorkerCrashed", "OplogJump", "InstanceLost", "NotReplayable",
           "Replay", "ReplayingOplog", "recover", "arm_crash", "crash_tick",
           "crash_at_start", "lose_instance", "mark_lost", "forget_lost_instance", "NON_IDEMPOTENT_WRITE", "CRASH", "TRAP",
           "INTERRUPT", "RESTART"]

_IFI = "imported-function-invoked"
_INVOKED = "exported-function-invoked"
_COMPLETED = "exported-function-completed"
PERSIST_NOTHING = "persist-nothing"

#: Golem's trap when replay finds a ``begin-remote-write`` without its result (§5.2,
#: ``durable_host/mod.rs`` ``begin_function``).
NON_IDEMPOTENT_WRITE = ("Runtime error: Non-idempotent remote write operation was not "
                        "completed, cannot retry")


class InstanceLost(BaseException):
    """The worker's instance is gone and the executor recovers it (a ``BaseException``:
    worker code's ``except Exception`` does not see it, and every later host call of
    the lost instance raises it again)."""


class WorkerCrashed(InstanceLost):
    """``Golem.crash(..., after=N)`` fired: the instance is lost right after a host call
    completed; the call the code would make next never happens."""


class OplogJump(InstanceLost):
    """``set-oplog-index`` jumped back (§4.2): the instance is dropped and the worker
    replays up to the target, then runs live from there."""


class NotReplayable(Exception):
    """The worker cannot be recovered by replaying: its oplog holds an invocation that
    was a test's own ``with golem:`` / ``run_as`` block (test code, not the
    component's), or entries outside any invocation that golem-fakes cannot re-run."""


class Divergence(Exception):
    """Replay reached a host call (or an invocation end) different from the one the
    oplog recorded at that position: the worker's code is not deterministic with
    respect to its recorded host calls (it used Python's own ``random`` or ``time``, a
    global the test changed, or its code changed).

    Attributes: ``worker`` (``component/name``), ``index`` (the oplog index of the
    recorded entry), ``recorded`` (that :class:`~golem_fakes.state.oplog.OplogEntry`),
    ``replayed`` (a text naming what replay did there instead)."""

    def __init__(self, worker: str, index: int, recorded: OplogEntry | None,
                 replayed: str, hint: str = "") -> None:
        self.worker = worker
        self.index = index
        self.recorded = recorded
        self.replayed = replayed
        lines = [f"replay of worker {worker} diverged from its oplog at index {index}:",
                 f"  recorded: {_describe(recorded)}",
                 f"  replayed: {replayed}"]
        lines.append(hint or (
            "  Replay runs the worker's code again and expects the same host calls in the "
            "same order with the same arguments. Decide only from values that come from "
            "host calls (wasi:random, wasi:clocks, key-value reads, ...), not from "
            "Python's own random, time or uuid, nor from state outside the worker."))
        super().__init__("\n".join(lines))


def _describe(e: OplogEntry | None) -> str:
    if e is None:
        return "nothing (the oplog ends here)"
    if e.kind == _IFI:
        return (f"{e.kind} {e.payload.get('function_name')!r} "
                f"request={e.payload.get('request')!r}")
    if e.kind == _INVOKED:
        return f"{e.kind} (an invocation starts)"
    if e.kind == _COMPLETED:
        return f"{e.kind} (the invocation returned)"
    inner = ", ".join(f"{k}={v!r}" for k, v in e.payload.items())
    return f"{e.kind}{' ' + inner if inner else ''}"


def _same_request(a: Any, b: Any) -> bool:
    try:
        return a == b if type(a) is tuple else bool(a == b)
    except Exception:  # an exotic value that cannot be compared
        return a is b


class Replay:
    """The entries a recovery replays, and the position in them.

    :attr:`entries` are the oplog's entries after ``create`` that replay reads: not
    hints, not in a deleted region (jump, revert), not a host call inside a
    persist-nothing region. :attr:`last_index` is the index of the last entry read
    (Golem's current oplog index while replaying). Reading the last entry makes the
    worker live at once (:meth:`go_live`)."""

    __slots__ = ("golem", "worker", "rt", "real", "items", "indices", "pos", "last_index",
                 "live", "divergence", "live_at", "crash_in", "on_live")

    def __init__(self, golem: "Golem", worker: "Worker", rt: "WorkerRuntime",
                 real: Oplog) -> None:
        self.golem = golem
        self.worker = worker
        self.rt = rt
        self.real = real
        #: what replay reads, in order: an :class:`OplogEntry`, or the oplog's raw record
        #: of a host call not materialised yet (read without building the entry: the
        #: hot path of a recovery, :meth:`replayed`); :attr:`indices` their oplog indices
        self.items: list[Any] = []
        self.indices: list[int] = []
        self._collect(real)
        self.pos = 0
        self.last_index = 1
        self.live = not self.items
        self.divergence: Divergence | None = None
        #: the kind of the entry whose reading ended the replay
        self.live_at: str | None = None
        #: called once when the replay reaches the end of the oplog (Golem's
        #: ``ReplayEvent::ReplayFinished``: an automatic update is finalised there,
        #: ``durable_host/mod.rs`` ``process_pending_replay_events``)
        self.on_live: Any = None
        #: a crash while replaying (crash exploration, ``WorkerRuntime.recovery_crashes``):
        #: recorded host calls left to replay before the instance is lost again
        self.crash_in: int | None = None

    def _collect(self, oplog: Oplog) -> None:
        """Fill :attr:`items` from the oplog's own list (raw records stay raw)."""
        items, indices = self.items, self.indices
        log = oplog._log
        deleted = oplog.is_deleted if oplog.deleted_regions else None
        nothing = False
        for i in range(1, len(log)):
            item = log[i]
            index = i + 1
            if type(item) is tuple:
                kind = item[2] if item[0] == _RAW_LAZY else _IFI
            else:
                kind = item.kind
            if kind in HINT_KINDS or (deleted is not None and deleted(index)):
                continue
            if kind == _IFI:
                if nothing:
                    continue  # §5.1: persist-nothing calls run live again on replay
            elif kind == "change-persistence-level":
                nothing = _entry_of(index, item).payload.get("level") == PERSIST_NOTHING
            elif kind == _COMPLETED:
                nothing = False
            items.append(item)
            indices.append(index)

    @property
    def entries(self) -> list[OplogEntry]:
        """The entries replay reads, in order, as :class:`OplogEntry` objects (raw
        records are materialised here, once)."""
        items = self.items
        for i, item in enumerate(items):
            if type(item) is tuple:
                items[i] = _entry_of(self.indices[i], item)
        return items

    # --- golem:durability's view (golem_fakes.interfaces.golem_durability) -----------

    @property
    def last_replayed_non_hint_index(self) -> int:
        """Golem's ``ReplayState::last_replayed_non_hint_index``: the index of the last
        entry replay read (``begin-durable-function`` returns it in replay)."""
        return self.last_index

    @property
    def replay_target(self) -> int:
        """Golem's ``ReplayState::replay_target``: the index of the last entry replay
        will read; past it the worker is live."""
        return self.indices[-1] if self.indices else self.last_index

    def switch_to_live(self) -> None:
        """Golem's ``ReplayState::switch_to_live`` (``end-durable-function`` of a write
        whose end was not recorded): the rest runs live."""
        self.go_live()

    def describe_worker(self) -> str:
        return f"{self.worker.component.name}/{self.worker.name}"

    # --- reading ---------------------------------------------------------------------

    def peek(self) -> OplogEntry | None:
        """The next entry to read (``None``: none left)."""
        pos = self.pos
        items = self.items
        if pos >= len(items):
            return None
        item = items[pos]
        if type(item) is tuple:
            item = items[pos] = _entry_of(self.indices[pos], item)
        return item

    def _advance(self) -> OplogEntry:
        e = self.peek()
        assert e is not None
        self._step(e.kind)
        return e

    def _step(self, kind: str) -> None:
        """The item at :attr:`pos` (of ``kind``) was read."""
        pos = self.pos
        self.last_index = self.indices[pos]
        pos = self.pos = pos + 1
        if pos >= len(self.items):
            self.live_at = kind
            self.go_live()

    def go_live(self) -> None:
        """Replay is over: the worker's oplog is the real one again and later host
        calls do their work and are recorded."""
        self.live = True
        rt = self.rt
        hook, self.on_live = self.on_live, None
        if rt.replay is self:
            rt.replay = None
            rt.live = True
            if isinstance(rt.oplog, ReplayingOplog):
                rt.oplog = self.real
        if hook is not None and self.divergence is None:
            hook()

    def diverge(self, recorded: OplogEntry | None, replayed: str, hint: str = "") -> "Divergence":
        """Stop the replay with a :class:`Divergence` (returned for ``raise``): kept on
        :attr:`divergence` so that the recovery fails even if worker code swallowed it,
        and every later host call of the invocation raises it again."""
        index = recorded.index if recorded is not None else self.last_index + 1
        d = Divergence(self.describe_worker(), index, recorded, replayed, hint)
        if self.divergence is None:
            self.divergence = d
        from golem_fakes.worker.instance import TrappedEnvironment

        current_environment.set(TrappedEnvironment(self.golem, d))
        return d

    def take(self, kind: str, what: str | None = None) -> OplogEntry:
        """Read the next entry, which must be of ``kind`` (else :class:`Divergence`)."""
        if self.divergence is not None:
            raise self.divergence
        e = self.peek()
        if e is None or e.kind != kind:
            raise self.diverge(e, what or kind)
        return self._advance()

    def take_call(self, function_name: str, request: Any) -> OplogEntry:
        """Read the next entry, which must record the host call ``function_name`` with
        ``request`` (else :class:`Divergence`)."""
        if self.divergence is not None:
            raise self.divergence
        if self.crash_in is not None:
            if self.crash_in <= 0:
                self.crash_in = None
                lose_instance(self.rt, f"while replaying (before the recorded host call "
                                       f"{function_name} at oplog index "
                                       f"{self.last_index + 1})")
            self.crash_in -= 1
        e = self.peek()
        if e is None or e.kind != _IFI or e.payload.get("function_name") != function_name \
                or not _same_request(e.payload.get("request"), request):
            raise self.diverge(e, f"{_IFI} {function_name!r} request={request!r}")
        return self._advance()

    def next_entry(self) -> OplogEntry:
        """The next non-hint entry, whatever its kind (``golem:durability``'s
        ``read-persisted-durable-function-invocation``, which checks the kind itself).
        A :class:`~golem_fakes.Trap` if none is left."""
        if self.divergence is not None:
            raise self.divergence
        if self.peek() is None:
            raise Trap(f"replay of worker {self.describe_worker()} has no oplog entry left "
                       f"to read (the executor would abort: the replay reader finds none)")
        return self._advance()

    # --- values ---------------------------------------------------------------------

    def replayed(self, function_name: str, request: Any, dtype: str) -> Any:
        """The value a durable host call returns in replay: its recorded guest value
        (re-raising a recorded trap), reading the ``begin-``/``end-remote-write``
        bracket of a write-remote call with idempotence off."""
        pos = self.pos
        items = self.items
        if (pos < len(items) and self.divergence is None and self.crash_in is None
                and (dtype != "write-remote" or self.rt.idempotent)):
            item = items[pos]
            # the hot path: a raw record of the oplog, read without materialising it
            if type(item) is tuple and item[2] == function_name and item[0] != _RAW_LAZY:
                req = item[3]
                try:
                    same = req is request or req == request
                except Exception:  # an exotic value that cannot be compared
                    same = False
                if same:
                    g = item[6]
                    if item[0] == _RAW_OK or item[0] == _RAW_OK_COMMIT:
                        if g is SAME:
                            g = item[4]
                        elif type(g) is FromResponse:
                            g = g.make(item[4])  # a new rep for the new instance
                            # _step, inlined
                            self.last_index = self.indices[pos]
                            self.pos = pos + 1
                            if pos + 1 >= len(items):
                                self.live_at = _IFI
                                self.go_live()
                            return g
                    # _step, inlined
                    self.last_index = self.indices[pos]
                    self.pos = pos + 1
                    if pos + 1 >= len(items):
                        self.live_at = _IFI
                        self.go_live()
                    t = type(g)
                    if t in _PLAIN:
                        return g
                    if t is Ok and type(g.value) in _PLAIN:
                        return g
                    if g is NO_GUEST:
                        return guest_value(_entry_of(self.indices[pos], item))
                    return _rebuild(g)
        bracket = dtype == "write-remote" and not self.rt.idempotent
        begin = None
        if bracket:
            begin = self.take("begin-remote-write", f"begin-remote-write of {function_name!r}")
            if self.live:  # §5.2: the outcome of the write is unknown
                raise Trap(f"{NON_IDEMPOTENT_WRITE} ({function_name}: the oplog has its "
                           f"begin-remote-write at index {begin.index} and no result)")
        e = self.take_call(function_name, request)
        if bracket:
            if self.live:
                self.real.append("end-remote-write", begin_index=begin.index)  # type: ignore[union-attr]
            else:
                self.take("end-remote-write", f"end-remote-write of {function_name!r}")
        return guest_value(e)


def _entry_of(index: int, item: Any) -> OplogEntry:
    """The :class:`OplogEntry` of an oplog item (materialising a raw record)."""
    return _materialise(index, item) if type(item) is tuple else item


def guest_value(e: OplogEntry) -> Any:
    """What the recorded host call of ``e`` returned to the guest, made again for the
    new instance (resource reps that a read consumes are rebuilt, a recorded trap is
    raised again)."""
    g = e.guest
    if g is NO_GUEST:
        raise RuntimeError(f"golem-fakes cannot replay oplog entry {e!r}: it was recorded "
                           f"without the value the host call returned (a golem-fakes bug)")
    return _rebuild(g)


_PLAIN = frozenset({type(None), bool, int, float, str, bytes})


def _rebuild(g: Any) -> Any:
    t = type(g)
    if t in _PLAIN:
        return g
    if t is Ok or t is Err:
        inner = g.value
        if type(inner) in _PLAIN:
            return g
        r = _rebuild(inner)
        return g if r is inner else t(r)
    if t is list:
        return [_rebuild(x) for x in g]
    if t is tuple:
        return tuple(_rebuild(x) for x in g)
    if isinstance(g, Trap):
        raise Trap(str(g), interface=g.interface, function=g.function)
    hook = getattr(t, "__golem_replay__", None)
    if hook is not None:
        return hook(g)
    return g


class ReplayingOplog:
    """A worker's oplog while it replays: reads where the host would write.

    :meth:`append` of a non-hint entry reads the next entry (same kind expected) and
    returns it; a hint is not written (Golem writes none in replay); :meth:`record`
    reads the recorded call (or, in a persist-nothing region, does nothing);
    :meth:`commit` does nothing; :attr:`current_index` is the index of the last entry
    read. Once the replay is over every call goes to the real oplog, so code that kept
    this object goes on working. Reading (iteration, indexing, ``entries``,
    ``committed_index``, ``deleted_regions``...) is the real oplog's."""

    __slots__ = ("real", "replay")

    def __init__(self, real: Oplog, replay: Replay) -> None:
        self.real = real
        self.replay = replay

    def append(self, kind: str, **payload: Any) -> OplogEntry:
        rp = self.replay
        if rp.live:
            return self.real.append(kind, **payload)
        if kind in HINT_KINDS:
            return OplogEntry(rp.last_index, kind, self.real.now(), payload)
        if kind == _IFI:
            return rp.take_call(payload.get("function_name", ""), payload.get("request"))
        return rp.take(kind, _describe(OplogEntry(0, kind, 0, payload)))

    def append_lazy(self, kind: str, build: Any) -> int:
        rp = self.replay
        if rp.live:
            return self.real.append_lazy(kind, build)
        return rp.take(kind).index

    def record(self, function_name: str, request: Any, response: Any, dtype: str,
               guest: Any = NO_GUEST) -> None:
        rp = self.replay
        if rp.live:
            self.real.record(function_name, request, response, dtype, guest)
        elif rp.rt.persistence_level != PERSIST_NOTHING:
            rp.take_call(function_name, request)

    def record_ok(self, function_name: str, request: Any, value: Any, dtype: str,
                  guest: Any = SAME) -> None:
        rp = self.replay
        if rp.live:
            self.real.record_ok(function_name, request, value, dtype, guest)
        elif rp.rt.persistence_level != PERSIST_NOTHING:
            rp.take_call(function_name, request)

    def record_ok_commit(self, function_name: str, request: Any, value: Any, dtype: str,
                         guest: Any = SAME) -> None:
        self.record_ok(function_name, request, value, dtype, guest)
        self.commit()

    def append_raw(self, raw: tuple[Any, ...]) -> None:
        """:attr:`Oplog.append_raw` in replay: ``raw`` is a ``(RAW_OK, timestamp,
        function_name, request, ...)`` record, read as :meth:`record_ok` reads (not
        forwarded to the real oplog's list by ``__getattr__``)."""
        rp = self.replay
        if rp.live:
            self.real.append_raw(raw)
        elif rp.rt.persistence_level != PERSIST_NOTHING:
            rp.take_call(raw[2], raw[3])

    def commit(self) -> None:
        if self.replay.live:
            self.real.commit()

    @property
    def current_index(self) -> int:
        rp = self.replay
        return self.real.current_index if rp.live else rp.last_index

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)

    def __iter__(self) -> Iterator[OplogEntry]:
        return iter(self.real)

    def __len__(self) -> int:
        return len(self.real)

    def __getitem__(self, index: int) -> OplogEntry:
        return self.real[index]

    def __repr__(self) -> str:
        return f"<replaying {self.real!r} at {self.replay.last_index}>"


# --- crashing -------------------------------------------------------------------------


#: ``WorkerRuntime.crash_mode``: what happens at the armed point.
CRASH = "crash"
TRAP = "trap"
#: ``golem.interrupt`` / ``golem.restart`` (:mod:`golem_fakes.worker.lifecycle`): the
#: instance is stopped as Golem's ``InterruptKind::Interrupt`` / ``Restart`` stops it.
INTERRUPT = "interrupt"
RESTART = "restart"


def arm_crash(rt: "WorkerRuntime", after: int, *, mode: str = CRASH,
              during_recovery: "tuple[int, ...] | list[int]" = ()) -> None:
    """Lose the worker's instance right after its ``after``-th recorded host call from
    now (``Golem.crash``). ``after=0``: when the next invocation of the worker starts,
    before its code makes any host call (crash exploration's point 0).

    ``mode="trap"``: instead of losing the instance, the invocation traps there
    (:class:`~golem_fakes.Trap`, after the host call completed and was recorded), as a
    guest trap would, so the executor's handling of a trap (retry per retry policy, or
    the worker failing) runs. ``during_recovery``: the instance is lost again while the
    recovery replays, after that many recorded host calls replayed (one number per
    recovery, in order: the recovery from the armed crash, then the one from each of
    these crashes; a recovery the invocation makes before the armed crash fires — a
    ``set-oplog-index`` jump, a retry — is not crashed)."""
    if mode not in (CRASH, TRAP, INTERRUPT, RESTART):
        raise ValueError(f"crash mode must be {CRASH!r}, {TRAP!r}, {INTERRUPT!r} or "
                         f"{RESTART!r}, got {mode!r}")
    rt.crash_in = after
    rt.crash_mode = mode
    rt.recovery_crashes = list(during_recovery)


def crash_tick(rt: "WorkerRuntime") -> None:
    """One recorded host call completed: count it down and crash when it is the one."""
    n = rt.crash_in
    if n is None:
        return
    trace = rt.crash_trace
    if trace is not None:
        trace.append(rt.oplog.current_index)
    n -= 1
    if n > 0:
        rt.crash_in = n
        if trace is not None and rt.crash_hook is not None:
            rt.crash_hook(len(trace))  # crash exploration's reference run: a crash point
        return
    rt.crash_in = None
    at = f"after a host call completed (oplog index {rt.oplog.current_index})"
    if rt.crash_mode == TRAP:
        rt.crash_mode = CRASH
        raise Trap(f"golem.crash(mode='trap'): the worker trapped {at}")
    if rt.crash_mode != CRASH:  # interrupt / restart (golem_fakes.worker.lifecycle)
        from golem_fakes.worker.lifecycle import fire

        mode, rt.crash_mode = rt.crash_mode, CRASH
        fire(rt, mode, at)
    lose_instance(rt, at)


def crash_at_start(rt: "WorkerRuntime") -> None:
    """``arm_crash(rt, 0)``: the invocation that starts now loses its instance (or traps)
    before its code runs (called by the executor)."""
    rt.crash_in = None
    at = "when the invocation started, before any host call"
    if rt.crash_mode == TRAP:
        rt.crash_mode = CRASH
        raise Trap(f"golem.crash(mode='trap'): the worker trapped {at}")
    lose_instance(rt, at)


def mark_lost(rt: "WorkerRuntime") -> None:
    """The worker's instance is lost now: remember the oplog's length, so that nothing
    the dead instance does after this (its ``with`` blocks' exits while the loss
    unwinds its stack — a span's drop writes ``finish-span``, an HTTP body's drop
    ``end-remote-write`` —, the drops of the handles it still holds) stays in the oplog:
    in Golem the instance's store is simply gone (wasmtime drops its resource table
    without calling the guest-facing ``drop`` host functions that write those entries),
    and the recovery replays the oplog as it was at the loss."""
    real = rt.oplog.real if isinstance(rt.oplog, ReplayingOplog) else rt.oplog
    if rt.lost_at is None:
        rt.lost_at = len(real)
    rep = rt.replay
    if rep is not None:
        # lost while replaying: the dead instance reads no more recorded entries (its
        # drops would take them as its next calls); the recovery starts over
        rep.live = True
        rt.replay = None
        rt.oplog = real
        rt.live = True


def forget_lost_instance(golem: "Golem", worker: "Worker", rt: "WorkerRuntime") -> None:
    """After a loss (:func:`mark_lost`) has unwound: drop the lost instance (its handles'
    ``[resource-drop]`` behaviours release their state) and cut the oplog back to its
    length at the loss, so the dead instance wrote nothing after it."""
    inst = golem.__dict__.get("_instances", {}).get((worker.component.name, worker.name))
    if inst is not None:
        inst.drop()
    at = rt.lost_at
    if at is not None:
        rt.lost_at = None
        real = rt.oplog.real if isinstance(rt.oplog, ReplayingOplog) else rt.oplog
        if len(real) > at:
            real.truncate(at)


def lose_instance(rt: "WorkerRuntime", at: str) -> None:
    """Raise :class:`WorkerCrashed` in the running invocation: its instance is lost and
    every later host call of it raises the same (the recovery decides its outcome)."""
    from golem_fakes.state.invocation import Invocation, current_invocation
    from golem_fakes.worker.instance import TrappedEnvironment

    inv = current_invocation.get()
    where = ""
    if type(inv) is Invocation:
        inv.crashed = True
        where = f" in invocation {inv.function_name}"
    rt.crashes += 1
    mark_lost(rt)
    e = WorkerCrashed(f"golem.crash: the instance of the worker was lost{where} {at}")
    golem = inv.golem if inv is not None else None
    current_environment.set(TrappedEnvironment(golem, e))
    raise e


# --- recovering -----------------------------------------------------------------------

Outcome = tuple[str, Any]


def recover(golem: "Golem", worker: "Worker", current: "Invocation | None", *,
            truncate: bool = True, on_live: Any = None,
            fail_on_divergence: bool = True) -> "Outcome | None":
    """Recover ``worker`` as Golem's executor does (see the module docstring): new
    instance, replay of its oplog, then live. ``current`` is the invocation that was
    running when the instance was lost: it goes on live once replay reaches its end,
    and its outcome (``("ok", value)``, ``("error", exc)``, ``("crash", exc)``,
    ``("raise", exc)``) is returned; ``None`` if no invocation was running when replay
    ended. ``truncate``: a crash loses the entries not committed (not for a jump).
    ``on_live``: called once when replay reaches the end of the oplog, before the
    invocation cut off there goes on live (an automatic update writes its
    ``successful-update`` there, :mod:`golem_fakes.worker.admin`).
    ``fail_on_divergence=False``: a :class:`Divergence` is returned as ``("error", d)``
    without failing the worker (an update's replay on new code: the update fails, the
    worker does not)."""
    from golem_fakes.state.golem import _Activation
    from golem_fakes.state.registry import WorkerStatus
    from golem_fakes.worker.executor import execute

    rt = golem.runtime(worker)
    real = rt.oplog.real if isinstance(rt.oplog, ReplayingOplog) else rt.oplog
    if rt.replay is not None:  # lost while replaying: start over
        rt.replay.live = True
        rt.replay = None
    rt.oplog = real
    forget_lost_instance(golem, worker, rt)  # the lost instance writes nothing more
    if truncate:
        real.truncate(real.committed_index)
    rt.persistence_level = "smart"
    rt.idempotent = True
    rt.atomic_regions = []
    rt.retry_policy = None
    rt.context = None
    rt.recoveries += 1
    replay = Replay(golem, worker, rt, real)
    if rt.recovery_crashes and current is not None and rt.crash_in is None:
        # a crash during the recovery of the armed crash (and of each later one); a
        # recovery before the armed crash fired (a jump, a retry) does not use them
        replay.crash_in = rt.recovery_crashes.pop(0)
    if replay.live:
        if on_live is not None:
            on_live()
        return None
    replay.on_live = on_live
    by_start = {inv.start_index: inv for inv in rt.invocations}
    rt.live = False
    rt.replay = replay
    rt.oplog = ReplayingOplog(real, replay)
    try:
        while not replay.live:
            e = replay.peek()
            assert e is not None
            inv = by_start.get(e.index) if e.kind == _INVOKED else None
            if inv is None or inv.call is None:
                raise NotReplayable(_not_replayable(replay, e, inv))
            replay.take(_INVOKED)
            act = _Activation(golem, worker, inv.idempotency_key, inv.function_name,
                              final=True, resume=inv)
            act.__enter__()
            outcome = execute(golem, act, inv)
            if replay.divergence is not None:
                d = replay.divergence
                if fail_on_divergence:
                    _fail(golem, worker, rt, inv, d)
                else:
                    replay.go_live()
                return ("error", d)
            if outcome[0] == "crash":
                return outcome
            if not replay.live:
                if outcome[0] != "ok":
                    d = replay.diverge(replay.peek(), (
                        f"the invocation {inv.function_name} ended with "
                        f"{type(outcome[1]).__name__}: {outcome[1]} where the recorded "
                        f"run went on"))
                    if fail_on_divergence:
                        _fail(golem, worker, rt, inv, d)
                    else:
                        replay.go_live()
                    return ("error", d)
                continue
            if replay.live_at == _COMPLETED:
                break  # replay ended with a completed invocation: between invocations
            # the oplog ran out inside this invocation: it went on live to its end
            if inv is not current and current is not None and current.outcome is None:
                current.outcome, current.error = "failed", (
                    f"lost: a jump went back into the earlier invocation "
                    f"{inv.function_name}, deleting this invocation's start")
            return outcome
        worker.status = WorkerStatus.IDLE
        return None
    finally:
        if not replay.live:
            replay.on_live = None  # aborted: the replay did not reach the end
            replay.go_live()


def _fail(golem: "Golem", worker: "Worker", rt: "WorkerRuntime", inv: "Invocation",
          d: Divergence) -> None:
    from golem_fakes.state.registry import WorkerStatus

    replay = rt.replay
    if replay is not None:
        replay.go_live()
    inv.outcome, inv.error = "failed", str(d)
    rt.oplog.append("error", error=str(d), retry_from=inv.start_index)
    rt.oplog.commit()
    worker.status = WorkerStatus.FAILED
    rt.failed_error = f"replay diverged at oplog index {d.index}"


def _not_replayable(replay: Replay, e: OplogEntry, inv: "Invocation | None") -> str:
    who = replay.describe_worker()
    if inv is not None:
        return (f"cannot recover worker {who}: its oplog holds the invocation at index "
                f"{e.index}, a test's own `with golem:` / `run_as` block "
                f"({inv.function_name}), which is test code and cannot be run again. Crash "
                f"and recover workers whose every invocation ran component code: "
                f"golem.invoke(component, worker, 'export-name', ...) or "
                f"golem.invoke(component, worker, callable, ...).")
    return (f"cannot recover worker {who}: replay expected the start of an invocation at "
            f"oplog index {e.index} and found {_describe(e)}, an entry golem-fakes does not "
            f"re-run outside an invocation (e.g. the continuation of a fork).")
