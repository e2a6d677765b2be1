"""Interrupt, resume and restart: ``golem.interrupt``, ``golem.resume``, ``golem.restart``.

What Golem v1.3.0-dev.25 does (``golem-host-semantics.md`` §0.4, §6.2, §16):

* **interrupt** (``interrupt_worker_internal``, ``golem-worker-executor/src/grpc/mod.rs``)
  looks at the worker's last known status. ``idle``, ``failed``, ``exited`` and
  ``interrupted`` workers are left alone (the executor only logs a warning). A
  ``suspended`` or ``retrying`` worker is dropped from the executor's memory
  (``set_interrupting`` finds no running instance to signal: no oplog entry, the status
  stays as it was, a scheduled retry does not happen while it is out of memory; its
  next activation replays the oplog). A ``running`` worker's instance is signalled
  (``Worker::set_interrupting`` → ``RunningWorker::interrupt``): the running invocation
  traps with ``InterruptKind::Interrupt`` at its next host call. ``on_invocation_failure``
  (``durable_host/mod.rs``) then writes an ``interrupted`` entry (a *hint*,
  ``golem-common/src/model/oplog.rs``) and commits, stores status ``interrupted``, and
  ``get_recovery_decision_on_trap`` decides ``RetryDecision::None``: the instance is
  dropped, nothing is retried, and the caller waiting for the invocation gets
  ``WorkerExecutorError::Interrupted`` whose text is ``Interrupted via the Golem API``
  (``golem-service-base/src/error/worker_executor.rs``).
* ``recover_immediately=true`` (restart) is ``InterruptKind::Restart`` — only for a
  running worker (a suspended or retrying one is interrupted as above whatever the
  flag): no entry, status stays ``running``, ``RetryDecision::Immediate``: the invocation
  loop makes a new instance at once, replays the oplog (the executor's in-memory oplog
  keeps its buffered entries: nothing is lost) and the invocation goes on live; its
  caller gets its result.
* **resume** (``resume_worker_internal``): unknown worker → ``Worker not found: <id>``;
  ``ensure_not_failed`` rejects a failed worker (``Previous invocation failed``), an
  exited one (``PreviousInvocationExited``) and one whose oplog ends with error entries
  (a retrying worker); a ``suspended``, ``interrupted`` or ``idle`` worker (any status
  with ``force``) is activated (``Worker::get_or_create_running``): loaded into memory,
  a new instance replays the oplog, and the invocation that was cut goes on live to its
  end. Otherwise ``Worker <id> is not suspended, interrupted or idle``.
* A new invocation of an interrupted worker activates it the same way first
  (``get_or_create_running``): the cut invocation is replayed and resumes before the
  new one runs (the invocation loop runs them in order). The oplog's status calculation
  (``worker/status.rs``) gives ``interrupted`` for an ``interrupted`` entry until later
  entries of running code follow.

What golem-fakes does: the same, on the worker's runtime. ``after=N`` arms the interrupt
like ``Golem.crash(after=N)`` (:func:`golem_fakes.worker.replay.arm_crash`): right after
the N-th recorded host call from now completes, the running invocation's instance is
lost (:class:`Interrupting`, an :class:`~golem_fakes.worker.replay.InstanceLost`) and the
executor (:func:`golem_fakes.worker.executor.settle`) calls :func:`after_interrupt`.
Where Golem is racy the fake is deterministic: an invocation with the idempotency key of
the cut invocation, sent to the interrupted worker, first resumes the worker, so it is
answered with the cut invocation's result (in Golem the key lookup usually beats the
recovery and answers ``Interrupted via the Golem API`` once; a retry of the call then
gets the result).
"""

from __future__ import annotations

import contextlib
import warnings
from typing import TYPE_CHECKING, Any

from golem_fakes.bindings.runtime import current_environment
from golem_fakes.state.invocation import InvocationRejected
from golem_fakes.state.registry import WorkerStatus
from golem_fakes.worker.replay import INTERRUPT, RESTART, InstanceLost, arm_crash, mark_lost

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.invocation import Invocation, WorkerRuntime
    from golem_fakes.state.registry import Worker

__all__ = ["WorkerInterrupted", "WorkerNotFound", "LifecycleWarning", "Interrupting",
           "INTERRUPTED_MESSAGE", "interrupt", "resume", "activate", "after_interrupt",
           "fire"]

#: ``Display`` of ``InterruptKind::Interrupt`` (``golem-service-base/src/error/
#: worker_executor.rs``): the error an interrupted invocation's caller gets.
INTERRUPTED_MESSAGE = "Interrupted via the Golem API"
#: ``Display`` of ``InterruptKind::Restart``.
RESTARTED_MESSAGE = "Simulated crash via the Golem API"


class WorkerInterrupted(Exception):
    """The invocation was interrupted with ``golem.interrupt``: Golem's
    ``WorkerExecutorError::Interrupted`` (``Interrupted via the Golem API``).

    Attributes: ``worker`` (``component/name``), ``function`` (the invocation's
    function), ``idempotency_key``."""

    def __init__(self, worker: str, function: str, idempotency_key: str) -> None:
        self.worker = worker
        self.function = function
        self.idempotency_key = idempotency_key
        super().__init__(
            f"{INTERRUPTED_MESSAGE}: invocation {function} of worker {worker} (idempotency "
            f"key {idempotency_key}) was interrupted by golem.interrupt; the worker is "
            f"interrupted (an `interrupted` oplog entry, no retry). "
            f"golem.resume({worker.split('/', 1)[0]!r}, {worker.split('/', 1)[1]!r}) or a new "
            f"invocation of the worker replays its oplog and runs the invocation on to its "
            f"end; invoking again with idempotency_key={idempotency_key!r} then returns its "
            f"result.")


class WorkerNotFound(KeyError):
    """Golem's ``WorkerExecutorError::WorkerNotFound`` (``Worker not found: <id>``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else "Worker not found"


class LifecycleWarning(UserWarning):
    """``golem.interrupt`` / ``golem.restart`` of a worker Golem leaves alone (idle,
    failed, exited, already interrupted): Golem's executor only logs a warning
    (``warn!`` in ``interrupt_worker_internal``), and so does the fake."""


class Interrupting(InstanceLost):
    """Raised in the running invocation when an armed interrupt fires: its instance is
    gone (``InterruptKind::Interrupt`` or ``Restart``); every later host call of the lost
    instance raises it again. ``restart``: recover at once instead of stopping."""

    def __init__(self, message: str, *, restart: bool) -> None:
        super().__init__(message)
        self.restart = restart


def _name(w: "Worker") -> str:
    return f"{w.component.name}/{w.name}"


def _find(g: "Golem", component: Any, name: str, what: str) -> "Worker":
    w = g.registry.find(component, name)
    if w is None:
        cname = getattr(component, "name", component)
        known = ", ".join(sorted(_name(x) for x in g.workers)) or "none"
        raise WorkerNotFound(
            f"Worker not found: {cname}/{name} ({what}; workers that exist: {known}). A "
            f"worker exists once it was created or invoked: golem.invoke({cname!r}, "
            f"{name!r}, ...) or golem.add_worker({cname!r}, {name!r}).")
    return w


def _running(rt: "WorkerRuntime") -> bool:
    return any(i.outcome is None for i in rt.invocations)


def _lock(rt: "WorkerRuntime") -> Any:
    q = rt.queue
    return q.lock if q is not None else contextlib.nullcontext()


# --- interrupt / restart --------------------------------------------------------------


def interrupt(g: "Golem", component: Any, name: str, *, after: int = 0,
              recover_immediately: bool = False) -> None:
    """``Golem.interrupt`` / ``Golem.restart``: see the module docstring and
    :meth:`golem_fakes.Golem.interrupt`."""
    if type(after) is not int or after < 0:
        raise ValueError(f"interrupt(after=...) takes a number of host calls >= 0, got "
                         f"{after!r}")
    op = "restart" if recover_immediately else "interrupt"
    w = _find(g, component, name, f"golem.{op}")
    rt = g.runtime(w)
    mode = RESTART if recover_immediately else INTERRUPT
    if after:
        arm_crash(rt, after, mode=mode)
        return
    status = w.status
    if status is WorkerStatus.RUNNING or _running(rt):
        # set_interrupting signals the running instance; the invocation traps at its
        # next host call (golem-fakes: right after that call completes)
        arm_crash(rt, 1, mode=mode)
        return
    if status in (WorkerStatus.SUSPENDED, WorkerStatus.RETRYING):
        # get_or_create_suspended + set_interrupting(Interrupt) on an instance that is not
        # running: nothing is written, the worker is dropped from memory (whatever
        # recover_immediately says)
        with _lock(rt):
            _drop_instance(g, w)
            rt.reload = True
        return
    warnings.warn(LifecycleWarning(
        f"golem.{op}({w.component.name!r}, {w.name!r}): the worker is {status.wit_name}, "
        f"and Golem leaves a worker that is {status.wit_name} alone (its executor logs "
        f"'Attempted interrupting worker which is {_warn_word(status)}'). To stop an "
        f"invocation, interrupt the worker while it runs it: golem.{op}(..., after=N) cuts "
        f"the next invocation right after its N-th host call."), stacklevel=3)


def _warn_word(status: WorkerStatus) -> str:
    return {WorkerStatus.EXITED: "already exited",
            WorkerStatus.INTERRUPTED: "already interrupted"}.get(status, status.wit_name)


def _drop_instance(g: "Golem", w: "Worker") -> None:
    inst = g.__dict__.get("_instances", {}).get((w.component.name, w.name))
    if inst is not None:
        inst.drop()


def fire(rt: "WorkerRuntime", mode: str, at: str) -> None:
    """An armed interrupt (``mode`` ``INTERRUPT`` / ``RESTART``) fires in the running
    invocation: its instance is lost (:class:`Interrupting`); :func:`after_interrupt`
    decides what follows (called by the executor)."""
    from golem_fakes.state.invocation import Invocation, current_invocation
    from golem_fakes.worker.instance import TrappedEnvironment

    inv = current_invocation.get()
    where = ""
    if type(inv) is Invocation:
        inv.crashed = True
        where = f" in invocation {inv.function_name}"
    restart = mode == RESTART
    rt.interrupting = mode
    mark_lost(rt)
    text = RESTARTED_MESSAGE if restart else INTERRUPTED_MESSAGE
    e = Interrupting(f"{text}: golem.{'restart' if restart else 'interrupt'} stopped the "
                     f"instance of the worker{where} {at}", restart=restart)
    golem = inv.golem if inv is not None else None
    current_environment.set(TrappedEnvironment(golem, e))
    raise e


def after_interrupt(g: "Golem", w: "Worker", inv: "Invocation | None") -> Any:
    """The instance of ``w`` was lost to an interrupt (``rt.interrupting``): for a restart
    it is recovered at once without losing entries (``RetryDecision::Immediate``) and the
    invocation goes on; for an interrupt ``on_invocation_failure`` writes the
    ``interrupted`` hint (committed), the status is ``interrupted``, the instance is
    dropped and the cut invocation's caller gets :class:`WorkerInterrupted`. Returns the
    outcome for :func:`golem_fakes.worker.executor.settle`."""
    from golem_fakes.worker.replay import recover

    rt = g.runtime(w)
    mode, rt.interrupting = rt.interrupting, None
    if mode == RESTART:
        return recover(g, w, inv, truncate=False)
    cut = inv if inv is not None and inv.crashed else next(
        (i for i in reversed(rt.invocations) if i.crashed and i.outcome is None), inv)
    rt.oplog.append("interrupted")
    rt.oplog.commit()
    w.status = WorkerStatus.INTERRUPTED
    _drop_instance(g, w)
    rt.reload = True
    function = cut.function_name if cut is not None else "?"
    key = cut.idempotency_key if cut is not None else "?"
    err = WorkerInterrupted(_name(w), function, key)
    if cut is not None:
        cut.outcome, cut.error = "interrupted", str(err)
    return ("error", err)


# --- resume / activation --------------------------------------------------------------


def resume(g: "Golem", component: Any, name: str, *, force: bool = False) -> None:
    """``Golem.resume``: see the module docstring and :meth:`golem_fakes.Golem.resume`."""
    w = _find(g, component, name, "golem.resume")
    rt = g.runtime(w)
    who = _name(w)
    status = w.status
    if status is WorkerStatus.FAILED or rt.failed_error is not None:
        raise InvocationRejected(
            f"Previous invocation failed: worker {who} is failed ({rt.failed_error}); "
            f"Golem's resume (ensure_not_failed) refuses a failed worker. Use another "
            f"worker, or g.fresh() for a clean installation.")
    if status is WorkerStatus.EXITED:
        from golem_fakes.state.process_exit import EXITED_REJECTION

        raise InvocationRejected(
            f"{EXITED_REJECTION}: worker {who} called wasi:cli/exit; Golem's resume "
            f"(ensure_not_failed) refuses an exited worker.")
    last_error = _trailing_error(rt)
    if last_error is not None:
        raise InvocationRejected(
            f"Previous invocation failed: worker {who} is {status.wit_name} and its oplog "
            f"ends with the error {last_error!r}; Golem's resume (ensure_not_failed, "
            f"get_last_error_and_retry_count) refuses it while the error is the last "
            f"thing that happened. The retry policy retries it on its own.")
    if status not in (WorkerStatus.SUSPENDED, WorkerStatus.INTERRUPTED, WorkerStatus.IDLE) \
            and not force:
        raise InvocationRejected(
            f"Worker {who} is not suspended, interrupted or idle (it is {status.wit_name}); "
            f"Golem's resume refuses it. Pass force=True to activate it anyway.")
    if _running(rt):
        return  # in memory and running already: get_or_create_running finds it active
    with _lock(rt):
        activate(g, w, always=True)


def _trailing_error(rt: "WorkerRuntime") -> str | None:
    for e in reversed(rt.oplog.entries):
        if e.kind == "error":
            return str(e.payload.get("error"))
        if not e.is_hint:
            return None
    return None


def activate(g: "Golem", w: "Worker", *, always: bool = False) -> None:
    """``Worker::get_or_create_running``: load ``w`` into memory if it is out of it (an
    interrupt dropped it, ``rt.reload``; ``always``: also a suspended or interrupted
    worker, as ``resume`` loads it): a new instance replays the oplog, and the invocation
    that was cut (interrupted or suspended) goes on live to its end. Its result is kept
    for its idempotency key as a completed invocation's is. Called by ``resume`` and by
    the executor before a new invocation of a worker marked ``reload`` runs (the caller
    holds the worker's queue lock)."""
    from golem_fakes.worker.executor import settle
    from golem_fakes.worker.replay import recover

    rt = g.runtime(w)
    if not (rt.reload or (always and w.status in (WorkerStatus.SUSPENDED,
                                                   WorkerStatus.INTERRUPTED))):
        return
    rt.reload = False
    cut = next((i for i in reversed(rt.invocations)
                if i.outcome in ("interrupted", "suspended", "retrying") and i.call is not None),
               None)
    outcome = settle(g, w, cut, recover(g, w, cut, truncate=False))
    if outcome is None:
        if w.status is WorkerStatus.INTERRUPTED and not _running(rt):
            w.status = WorkerStatus.IDLE  # nothing was cut (e.g. made with that status)
        return
    kind, value = outcome
    if kind == "raise":
        raise value
    if kind == "error":
        from golem_fakes.worker.replay import Divergence, NotReplayable

        if isinstance(value, (Divergence, NotReplayable)):
            raise value  # the fake cannot rebuild the worker: the test must know
        return  # the invocation's own failure: visible in status and its invocation
    if cut is not None and cut.outcome == "completed":
        _keep_result(rt, cut, value)


def _keep_result(rt: "WorkerRuntime", inv: "Invocation", value: Any) -> None:
    """Store a completed invocation's result for its idempotency key, as
    ``InvocationHandle._run`` does (an export returning ``result``: ``Ok`` unwrapped,
    ``Err`` kept as the failure)."""
    from golem_fakes.bindings.result import Err, Ok

    export = inv.call[0] if inv.call is not None else None
    if export is not None and export.returns_result and type(value) is Ok:
        value = value.value
    if type(value) is Err and export is not None:
        rt.results[inv.idempotency_key] = (False, value)
    else:
        rt.results[inv.idempotency_key] = (True, value)
