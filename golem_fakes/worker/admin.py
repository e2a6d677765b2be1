"""Worker management that runs the worker's code: update, fork and revert (issue 14 §3).

``golem:api/host``'s ``update-worker``, ``fork-worker``, ``revert-worker`` and ``fork``
(:mod:`golem_fakes.interfaces.golem_api.host`) validate and record the request; this
module does what Golem's executor then does to the target worker, at
v1.3.0-dev.25 (the tag whose WIT the fake implements; ``golem-host-semantics.md``
§8, §14), with v1.3.1's fixes of dev.25 bugs (revert to index 0, the fork cut-off):

* **automatic update** (``update_worker_internal``, ``golem-worker-executor/src/grpc/mod.rs``;
  ``create_instance``, ``worker/mod.rs``; ``process_pending_replay_events`` and
  ``prepare_instance``, ``durable_host/mod.rs``): a committed ``pending-update`` entry,
  then the worker is restarted **on the new version**: a new instance of the new
  version's code replays the whole oplog (:func:`golem_fakes.worker.replay.recover`);
  when replay reaches the end a ``successful-update`` entry is written and the
  worker's component version changes; the invocation the oplog ends in (a failed
  worker's last one) goes on live *on the new code* - a failed worker is ``retrying``
  from the ``pending-update`` on and retries on the new version. A replay that
  diverges fails the update: ``failed-update`` with ``Automatic update failed:
  <error>``, and the worker is rebuilt by replay on the old version. An exited worker
  is only logged (``warn!("Attempted updating worker which already exited")``): no
  entry, nothing runs. A running worker (the caller itself, or a worker up the call
  chain) is updated when its running invocation has ended (Golem interrupts it with
  ``Restart`` at its next host call; golem-fakes lets the invocation finish first).
* **snapshot-based update** (``manual_update_inner``, ``worker/invocation_loop.rs``;
  ``finalize_pending_snapshot_update``, ``durable_host/mod.rs``): runs as the worker's
  next queued invocation (at once when idle): the old instance's
  ``golem:api/save-snapshot@1.1.7.{save}`` export is called with persistence off (no
  ``exported-function-*`` entries); its bytes go into a committed ``pending-update``;
  the worker restarts on the new version with ``2..=`` that entry skipped and the
  new instance's ``golem:api/load-snapshot@1.1.7.{load}`` is called with them.
  ``ok`` → ``successful-update`` (the skipped region becomes deleted for good);
  ``err(msg)`` or a trap → ``failed-update`` ``Manual update failed to load snapshot:
  <msg>`` and the worker is rebuilt by replay on the old version. A failing ``save``
  writes only ``failed-update`` (``failed to get a snapshot for manual update: ...``).
* **revert** (``Worker::revert``, ``worker/mod.rs``): the worker is stopped (its
  instance dropped), the ``revert`` entry deletes ``i+1..=end``, the status is
  recomputed from the kept entries (``calculate_last_known_status``,
  ``worker/status.rs``: a failed worker whose error entry was reverted is idle again
  and accepts invocations); invocation results in the region are forgotten. The next
  activation replays the kept oplog (module state reflects only kept invocations);
  an invocation the revert cut in two goes on live from there.
* **fork** (``DefaultWorkerFork``, ``services/worker_fork.rs``): the target gets the
  source's ``create`` entry with only the worker id replaced and copies of entries
  ``2..=cut-off`` (their recorded results too), plus the invocations' call
  information, and is resumed at once: it replays to the cut-off and the invocation
  cut off there runs live to its end in the target (nobody receives its result).
  ``fork`` appends the synthetic ``golem::api::fork`` entry (guest value ``forked``)
  so the forked worker's replay returns ``forked`` there and goes on live. A target
  whose copied history holds a test's own ``with golem:`` block (test code, not
  replayable) is only copied.

Approximations (golem-fakes): a running worker is updated after its invocation instead
of at its next host call; a worker whose oplog holds a test's own ``with golem:`` /
``run_as`` block cannot be replayed, so updating it raises
:class:`~golem_fakes.worker.replay.NotReplayable`, and after a revert such a block runs
on a fresh, not replayed instance; a snapshot-updated worker recovered by replay later
does not get its snapshot loaded again; reverting the calling worker itself (Not
determined in Golem, §15) writes the ``revert`` entry and lets the running invocation
go on.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.state.registry import WorkerStatus

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem, UpdateRequest
    from golem_fakes.state.invocation import Invocation, WorkerRuntime
    from golem_fakes.state.registry import Worker

__all__ = ["SAVE_SNAPSHOT", "LOAD_SNAPSHOT", "request_update", "activate", "after_invocation",
           "revert", "copy_worker", "resume_fork", "recompute_status"]

log = logging.getLogger("golem_fakes")

#: The export names Golem calls for a snapshot-based update
#: (``ComponentMetadata::save_snapshot`` / ``load_snapshot``).
SAVE_SNAPSHOT = "golem:api/save-snapshot@1.1.7.{save}"
LOAD_SNAPSHOT = "golem:api/load-snapshot@1.1.7.{load}"

AUTOMATIC = "automatic"
SNAPSHOT = "snapshot-based"


# --- running --------------------------------------------------------------------------


def _running(g: "Golem", w: "Worker") -> bool:
    """Whether ``w`` is inside an invocation now (the caller itself, a worker up the
    call chain, a test block)."""
    rt = g.runtime(w)
    return any(i.outcome is None for i in rt.invocations)


def _settle(g: "Golem", w: "Worker", outcome: Any) -> None:
    """The outcome of an invocation a recovery ran on its own (a continuation: nobody
    awaits it), driven to its end (crashes recovered, failures retried:
    :func:`golem_fakes.worker.executor.settle`); only what is not an invocation outcome
    goes on (KeyboardInterrupt...)."""
    from golem_fakes.worker.executor import settle

    outcome = settle(g, w, None, outcome)
    if outcome is not None and outcome[0] == "raise":
        raise outcome[1]


def activate(g: "Golem", w: "Worker") -> None:
    """Called before an invocation of ``w`` runs (``InvocationHandle._run``): a worker
    stopped by a revert is rebuilt by replay first, and updates waiting for the end of
    an invocation run now."""
    rt = g.runtime(w)
    if rt.stale and not _running(g, w):
        from golem_fakes.worker.replay import recover

        rt.stale = False
        _settle(g, w, recover(g, w, None, truncate=False))
    after_invocation(g, w)


def after_invocation(g: "Golem", w: "Worker") -> None:
    """Run the updates of ``w`` that waited for its running invocation to end."""
    rt = g.runtime(w)
    while rt.pending_updates and not _running(g, w):
        version, mode = rt.pending_updates[0]
        req = _request_for(g, w, version, mode)
        try:
            if mode == AUTOMATIC:
                _automatic(g, w, rt, version, req)
            else:
                _snapshot(g, w, rt, version, req)
        finally:
            if rt.pending_updates and rt.pending_updates[0] == (version, mode):
                rt.pending_updates.pop(0)


def _request_for(g: "Golem", w: "Worker", version: int, mode: str) -> "UpdateRequest | None":
    for req in reversed(g.updates):
        if req.worker is w and req.target_version == version and req.mode == mode \
                and req.outcome == "pending":
            return req
    return None


# --- update-worker (§8.1) -------------------------------------------------------------


def request_update(g: "Golem", w: "Worker", version: int, mode: str,
                   req: "UpdateRequest") -> None:
    """``update_worker_internal`` after its checks (the host function made them): queue
    the update and run it now if the worker is not inside an invocation."""
    rt = g.runtime(w)
    if mode == AUTOMATIC:
        if w.status is WorkerStatus.EXITED:
            # grpc/mod.rs: ``warn!("Attempted updating worker which already exited")``
            log.warning("golem-fakes: update-worker of %s to version %d: the worker "
                        "exited; Golem only logs this and does nothing", w, version)
            req.outcome = "not performed: the worker exited (Golem only logs a warning)"
            return
        # Worker::enqueue_update: a committed pending-update (a hint: replay skips it)
        rt.oplog.append("pending-update", target_version=version, mode=AUTOMATIC)
        rt.oplog.commit()
        if w.status is WorkerStatus.FAILED:
            w.status = WorkerStatus.RETRYING  # status.rs: PendingUpdate turns failed → retrying
    rt.pending_updates.append((version, mode))
    if not _running(g, w):
        after_invocation(g, w)


def _fail_update(g: "Golem", rt: "WorkerRuntime", version: int, details: str,
                 req: "UpdateRequest | None") -> None:
    """``on_worker_update_failed``: a committed ``failed-update``."""
    rt.oplog.append("failed-update", target_version=version, details=details)
    rt.oplog.commit()
    if req is not None:
        req.outcome = f"failed: {details}"


def _succeed_update(w: "Worker", rt: "WorkerRuntime", version: int,
                    req: "UpdateRequest | None") -> None:
    """``on_worker_update_succeeded``: a committed ``successful-update``, the worker's
    component version is the target from now on."""
    rt.oplog.append("successful-update", target_version=version)
    rt.oplog.commit()
    w.component_version = version
    rt.code_version = None
    if req is not None:
        req.outcome = "successful"


def _missing_version(g: "Golem", w: "Worker", rt: "WorkerRuntime", version: int,
                     req: "UpdateRequest | None") -> bool:
    if version <= w.component.version:
        return False
    # create_instance: the component service has no such version →
    # on_worker_update_failed_to_start (the error text is the component service's,
    # not determined; §15)
    _fail_update(g, rt, version,
                 f"Component version {version} of {w.component.name} does not exist "
                 f"(current version {w.component.version})", req)
    return True


def _automatic(g: "Golem", w: "Worker", rt: "WorkerRuntime", version: int,
               req: "UpdateRequest | None") -> None:
    from golem_fakes.worker.replay import Divergence, NotReplayable, recover

    if _missing_version(g, w, rt, version, req):
        return
    rt.stale = False  # the update's replay rebuilds the instance anyway
    was_failed = rt.failed_error
    rt.failed_error = None
    if was_failed is not None:
        w.status = WorkerStatus.RETRYING
    done: list[bool] = []

    def finished() -> None:  # ReplayEvent::ReplayFinished: the update is done
        done.append(True)
        _succeed_update(w, rt, version, req)

    rt.code_version = version
    try:
        outcome = recover(g, w, None, truncate=False, on_live=finished,
                          fail_on_divergence=False)
    except NotReplayable as e:
        rt.code_version = None
        rt.failed_error = was_failed
        raise NotReplayable(
            f"update-worker of {w.component.name}/{w.name} to version {version}: Golem "
            f"replays the worker's oplog on the new version's code, and golem-fakes cannot: "
            f"{e}") from None
    except BaseException:
        rt.code_version = None
        if not done:
            rt.failed_error = was_failed
        raise
    if done:
        _settle(g, w, outcome)  # the continuation (a failed worker retried on the new code)
        return
    rt.code_version = None
    error = outcome[1] if outcome is not None else None
    if not isinstance(error, Divergence):  # pragma: no cover - replay ends live or diverges
        _settle(g, w, outcome)
        return
    # prepare_instance: "We failed before the update has succeeded. Mark the update as
    # failed and retry" - on the old version.
    _fail_update(g, rt, version, f"Automatic update failed: {error}", req)
    # the diverged replay's end of invocation is not the worker's failure: the replay
    # on the old version decides (a failed worker's last invocation runs live again)
    rt.failed_error = None
    w.status = WorkerStatus.RETRYING if was_failed is not None else WorkerStatus.IDLE
    _settle(g, w, recover(g, w, None, truncate=False))


class _SnapshotCall:
    """Runs one snapshot export in the worker's instance as Golem's invocation loop
    does: with persistence off and no ``exported-function-*`` entries
    (``begin_call_snapshotting_function``, ``durable_host/mod.rs``), under a fresh
    idempotency key (``IdempotencyKey::fresh``)."""

    def __init__(self, g: "Golem", w: "Worker", export: Any, args: tuple[Any, ...]) -> None:
        self.g, self.w, self.export, self.args = g, w, export, args

    def run(self) -> Any:
        from golem_fakes.state.golem import _Activation
        from golem_fakes.state.invocation import Invocation, current_invocation
        from golem_fakes.state.stdio import untee_streams
        from golem_fakes.state.environment import Environment
        from golem_fakes.worker.executor import _call_export

        g, w = self.g, self.w
        rt = g.runtime(w)
        status = w.status
        inv = Invocation(g, w, rt, g._new_invocation_key(), str(self.export.name),
                         rt.oplog.current_index, None, final=True)
        inv.call = (self.export, None, self.args, {})

        class _Act(_Activation):
            def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
                try:
                    if self.token is not None:
                        current_invocation.reset(self.token)
                        self.token = None
                finally:
                    self._restore_modules()
                    untee_streams()
                    Environment.__exit__(g)

        act = _Act(g, w, inv.idempotency_key, inv.function_name, final=True, resume=inv)
        level = rt.persistence_level
        act.__enter__()
        rt.persistence_level = "persist-nothing"
        process = None
        try:
            inst = g._instance_for(w.component.name, w.name)
            if inst.loaded is not None:
                process = (inst, inst.enter_process())
            value = _call_export(g, w, self.export, self.args, {})
        except BaseException as e:
            if inv.trap is not None:
                raise inv.trap from None
            raise e
        finally:
            if process is not None:
                process[0].exit_process(process[1])
            rt.persistence_level = level
            act.__exit__(None, None, None)
            w.status = status
        if inv.trap is not None:
            raise inv.trap
        return value


def _hide(rt: "WorkerRuntime", start: int) -> None:
    """Entries a failed snapshot call wrote after ``start`` (the instance's first
    ``get-environment`` / ``get-arguments``, host calls of the code) are no invocation's:
    they are marked deleted so that the replay that rebuilds the worker skips them
    (Golem writes them with persistence off, outside any invocation)."""
    oplog = rt.oplog
    end = oplog.current_index
    if any(not e.is_hint for e in oplog.entries[start:end]):
        oplog.delete_region(start + 1, end)


def _snapshot_export(g: "Golem", w: "Worker", name: str) -> Any:
    """The export ``name`` of the worker's component, or ``None`` if it has none."""
    from golem_fakes.bindings.exports import UnknownExport
    from golem_fakes.bindings.install import installed

    compiled = g._wasm_of(w.component.name, g._code_version(w.component.name, w.name))
    if compiled is not None:  # the .wasm of the version the instance runs
        try:
            return compiled.exports.lookup(name)
        except UnknownExport:
            return None
    if installed() is None or g._code_of(w.component.name) is None:
        return None
    from golem_fakes.worker.executor import export_table_for

    try:
        return export_table_for(w.component.name).lookup(name)
    except UnknownExport:
        return None


def _error_text(e: BaseException) -> str:
    return str(e) if isinstance(e, Trap) else f"{type(e).__name__}: {e}"


def _snapshot(g: "Golem", w: "Worker", rt: "WorkerRuntime", version: int,
              req: "UpdateRequest | None") -> None:
    from golem_fakes.state.process_exit import ProcessExited
    from golem_fakes.state.promises import Deadlock
    from golem_fakes.worker.replay import recover

    if _missing_version(g, w, rt, version, req):
        return
    if rt.stale:  # reverted: the instance is rebuilt before save-snapshot runs in it
        rt.stale = False
        _settle(g, w, recover(g, w, None, truncate=False))
    prefix = "failed to get a snapshot for manual update"
    save = _snapshot_export(g, w, SAVE_SNAPSHOT)
    if save is None:
        _fail_update(g, rt, version, f"{prefix}: save-snapshot is not exported", req)
        return
    start = rt.oplog.current_index
    try:
        data = _SnapshotCall(g, w, save, ()).run()
    except ProcessExited:
        _hide(rt, start)
        _fail_update(g, rt, version, f"{prefix}: it called exit", req)
        return
    except (Exception, Trap, Deadlock) as e:  # a trap, or an exception of the code
        _hide(rt, start)
        _fail_update(g, rt, version, f"{prefix}: {_error_text(e)}", req)
        return
    if not isinstance(data, (bytes, bytearray)):  # pragma: no cover - the glue lowers list<u8>
        _fail_update(g, rt, version, f"{prefix}: invalid snapshot result", req)
        return
    data = bytes(data)
    # create_snapshot_based_update_description + enqueue_update
    entry = rt.oplog.append("pending-update", target_version=version, mode=SNAPSHOT,
                            snapshot=data)
    rt.oplog.commit()
    oplog = rt.oplog
    kept = list(oplog.deleted_regions)
    oplog.delete_region(2, entry.index)  # the skipped-regions override
    rt.code_version = version
    failure: str | None = None
    try:
        _settle(g, w, recover(g, w, None, truncate=False))  # new instance, nothing to replay
        load = _snapshot_export(g, w, LOAD_SNAPSHOT)
        if load is None:
            failure = "Failed to find exported load-snapshot function"
        else:
            try:
                result = _SnapshotCall(g, w, load, (data,)).run()
            except (Exception, Trap, Deadlock) as e:
                failure = f"Manual update failed to load snapshot: {_error_text(e)}"
            else:
                if type(result) is Err:
                    failure = f"Manual update failed to load snapshot: {result.value}"
    except BaseException:
        oplog.deleted_regions[:] = kept
        rt.code_version = None
        raise
    if failure is None:
        _succeed_update(w, rt, version, req)  # the override is merged: 2..=entry deleted
        return
    oplog.deleted_regions[:] = kept  # drop_override
    _hide(rt, entry.index)
    rt.code_version = None
    _fail_update(g, rt, version, failure, req)
    _settle(g, w, recover(g, w, None, truncate=False))  # RetryDecision::Immediate, old version


# --- revert-worker (§8.3) ---------------------------------------------------------------


_RUNNING_KINDS = frozenset({
    "exported-function-invoked", "imported-function-invoked", "no-op", "jump",
    "change-retry-policy", "begin-atomic-region", "end-atomic-region", "begin-remote-write",
    "end-remote-write", "log", "start-span", "finish-span", "set-span-attribute",
    "change-persistence-level"})


def recompute_status(g: "Golem", w: "Worker") -> None:
    """``calculate_last_known_status`` (``worker/status.rs``, dev.25) over the entries
    not deleted: create → idle, the entries of running code → running,
    ``exported-function-completed`` → idle, ``suspend`` → suspended, ``interrupted``
    → interrupted, ``exited`` → exited, ``restart`` → idle, ``error`` → failed
    (golem-fakes has retried by the time it writes one), ``pending-update`` turns
    failed into retrying. A worker no longer failed accepts invocations again."""
    rt = g.runtime(w)
    oplog = rt.oplog
    status = WorkerStatus.IDLE
    error: str | None = None
    for e in oplog:
        if oplog.is_deleted(e.index):
            continue
        k = e.kind
        if k in _RUNNING_KINDS:
            status = WorkerStatus.RUNNING
        elif k in ("create", "exported-function-completed", "restart"):
            status = WorkerStatus.IDLE
        elif k == "suspend":
            status = WorkerStatus.SUSPENDED
        elif k == "interrupted":
            status = WorkerStatus.INTERRUPTED
        elif k == "exited":
            status = WorkerStatus.EXITED
        elif k == "error":
            status, error = WorkerStatus.FAILED, str(e.payload.get("error"))
        elif k == "pending-update" and status is WorkerStatus.FAILED:
            status = WorkerStatus.RETRYING
    w.status = status
    rt.failed_error = error if status is WorkerStatus.FAILED else None


def _nth_invocation_from_end(g: "Golem", w: "Worker", n: int) -> int | None:
    """``find_nth_invocation_from_end``: the index of the ``n``-th
    ``exported-function-invoked`` counting back from the end, **deleted regions
    included** (dev.25 reads the raw oplog); ``None`` if there are fewer (or n = 0)."""
    found = 0
    for e in reversed(g.runtime(w).oplog.entries):
        if e.kind == "exported-function-invoked":
            found += 1
            if found == n:
                return e.index
    return None


def revert(g: "Golem", w: "Worker", kind: str, arg: int, caller: "Worker",
           fail: Any) -> tuple[int, int]:
    """``Worker::revert``: returns the deleted ``(start, end)``. ``fail(message)`` makes
    the trap the caller sees."""
    rt = g.runtime(w)
    oplog = rt.oplog
    if kind == "revert-to-oplog-index":
        last = arg
        if last == 0:  # v1.3.1's fix (dev.25 would delete the create entry)
            raise fail("Cannot revert a worker before the create oplog index")
    else:
        start = _nth_invocation_from_end(g, w, arg)
        if start is None:
            raise fail(f"Could not find {arg} invocations to revert")
        last = start - 1
    if oplog.is_deleted(last + 1):
        raise fail(f"Attempted to revert to a deleted region in oplog to index {last}")
    running = _running(g, w)
    if not running:  # self.stop(): the instance is dropped
        inst = g.__dict__.get("_instances", {}).get((w.component.name, w.name))
        if inst is not None:
            inst.drop()
    end = oplog.current_index
    oplog.append("revert", dropped_region=(last + 1, end))
    oplog.commit()
    oplog.delete_region(last + 1, end)
    for inv in rt.invocations:  # results in the region are dropped from the status
        if last + 1 <= inv.start_index <= end:
            rt.results.pop(inv.idempotency_key, None)
    if not running:
        recompute_status(g, w)
        rt.stale = True
    return (last + 1, end)


# --- fork-worker / fork (§8.2, §8.4) ------------------------------------------------------


def copy_worker(g: "Golem", source: "Worker", component: Any, target_name: str,
                cut_off: int) -> "Worker":
    """``copy_source_oplog``: the target's oplog is the source's ``create`` entry with
    only the worker id replaced, then copies of entries ``2..=cut_off`` (with the values
    their host calls returned, for the target's replay); the target's invocations are
    copies of the source's in that range (same key, same call)."""
    from golem_fakes.state.invocation import Invocation
    from golem_fakes.state.oplog import OplogEntry

    src_rt = g.runtime(source)
    src_rt.oplog.commit()  # source_oplog.commit(CommitLevel::Always)
    target = g.registry.add_worker(
        component, target_name, args=source.args, env=source.env, config=source.config,
        component_version=source.component_version, created_at=source.created_at)
    target.created_component_version = source.created_component_version
    target.created_name = source.created_name if source.created_name is not None else source.name
    rt = g._new_runtime()
    src = src_rt.oplog.entries
    create = src[0]
    copied = rt.oplog.entries
    copied.append(OplogEntry(1, "create", create.timestamp,
                             {**create.payload, "worker_id": str(target)}, create.guest))
    for e in src[1:cut_off]:
        copied.append(OplogEntry(e.index, e.kind, e.timestamp, dict(e.payload), e.guest))
    rt.oplog.deleted_regions = [(s, min(e, cut_off)) for s, e in src_rt.oplog.deleted_regions
                                if s <= cut_off]
    rt.oplog.commit()
    for inv in src_rt.invocations:
        if 2 <= inv.start_index <= cut_off:
            twin = Invocation(g, target, rt, inv.idempotency_key, inv.function_name,
                              inv.start_index, None, outcome=inv.outcome, error=inv.error,
                              final=inv.final, call=inv.call)
            rt.invocations.append(twin)
            if inv.idempotency_key in src_rt.results and inv.outcome is not None:
                rt.results[inv.idempotency_key] = src_rt.results[inv.idempotency_key]
    g._runtimes[target] = rt
    return target


def resume_fork(g: "Golem", target: "Worker") -> bool:
    """``worker_proxy.resume(target, force)``: the target replays its copied oplog and
    goes on live (the invocation cut off at the cut-off runs to its end here). Returns
    False (nothing run) when the copied history holds a test's own block, which cannot
    be run again."""
    from golem_fakes.worker.replay import recover

    rt = g.runtime(target)
    if any(i.call is None for i in rt.invocations if not rt.oplog.is_deleted(i.start_index)):
        for i in rt.invocations:
            if i.outcome is None:  # the copy of a running test block: never run
                i.outcome, i.error = "copied", ("golem-fakes does not run the continuation "
                                                "of a copied test block")
        return False
    _settle(g, target, recover(g, target, None, truncate=False))
    return True


def fork_entry(oplog: Any, new_name: str) -> None:
    """``fork_and_write_fork_result``: the synthetic ``golem::api::fork`` entry returning
    ``forked`` (its guest value, which the forked worker's replay returns)."""
    from golem_fakes.state.oplog import OplogEntry

    entries = oplog.entries
    entries.append(OplogEntry(len(entries) + 1, "imported-function-invoked", oplog.now(),
                              {"function_name": "golem::api::fork", "request": new_name,
                               "response": Ok("forked"), "durable_function_type": "write-remote"},
                              "forked"))
    oplog.commit()
