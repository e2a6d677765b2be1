"""Behaviour of ``golem:api/host@1.1.7`` — every function, and the ``get-workers`` resource.

Semantics follow the golem-fakes design notes on Golem's host semantics (``golem-host-semantics.md``, which cites golemcloud/golem source paths at tag v1.3.1) (v1.3.1 wherever it has
the function, dev.25 for await/poll/delete-promise and for worker management,
update/fork/revert, whose code really runs: :mod:`golem_fakes.worker.admin`; §0.2, §14,
§16 rule 1). The state lives
in the :class:`~golem_fakes.Golem` environment: the calling worker's oplog and
executor state (:class:`~golem_fakes.state.invocation.WorkerRuntime`), the registry and
the shared promise store.

Durable calls (§0.4, §2) append one ``imported-function-invoked`` entry with Golem's
exact ``function_name`` (``golem::api::create_promise``, ``golem api::generate_idempotency_key``
with a space, ...), ``request``, ``response`` (``Ok(value)`` / ``Err(message)``) and
``durable_function_type``; write-remote calls are bracketed by committed
``begin-remote-write`` / ``end-remote-write`` entries when the idempotence mode is off
(§5.2), and commit the oplog. Host failures never become WIT error values: they trap
(:class:`golem_fakes.Trap`) with Golem's message (§16 rule 5).
"""

from __future__ import annotations

import re
import uuid
from typing import Any, Callable

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import NotFaked, Trap, case_name
from golem_fakes.state.golem import ForkRequest, Golem, RevertRequest, UpdateRequest
from golem_fakes.state.invocation import (
    PERSISTENCE_LEVELS,
    Invocation,
    RetryPolicy,
    WorkerRuntime,
    current_invocation,
)
from golem_fakes.interfaces import crash_tick
from golem_fakes.state.promises import Deadlock, PromiseKey, PromiseState
from golem_fakes.state.registry import Worker, WorkerStatus, as_uuid, uuid_value

__all__ = ["trap", "derived_idempotency_key", "parse_uuid_strict", "ROOT_NS"]

HOST = "golem:api/host@1.1.7"

#: ``IdempotencyKey::ROOT_NS`` (golem-common/src/model/mod.rs; §7.1).
ROOT_NS = uuid.UUID("9c19b15a-c83d-46f7-9bc3-ead7923733f4")

WRITE_LOCAL = "write-local"
WRITE_REMOTE = "write-remote"
READ_REMOTE = "read-remote"


def trap(message: str, function: str | None = None, *, invalid_request: bool = False) -> Trap:
    """The trap a host function raises (the guest sees no WIT error value, §0.3).

    ``invalid_request`` marks Golem's ``InvalidRequest`` error kind, which only
    resolve-* produce (§9.4): it fails just the invocation (no ``error`` entry, no
    retry, §6.2). Messages starting with ``Invalid request:`` from update-worker /
    fork-worker come back through the worker proxy as *unknown* errors and fail the
    worker (§8), so they are not marked."""
    t = Trap(message, interface=HOST, function=function)
    t.invalid_request = invalid_request  # type: ignore[attr-defined]
    return t


# --- context -------------------------------------------------------------------------


def _ctx(env: Any, function: str) -> Invocation:
    """The invocation the calling code runs in (a Golem always runs worker code inside
    one, §16 rule 2)."""
    inv = current_invocation.get()
    if inv is not None and inv.golem is env:
        return inv if type(inv) is Invocation else inv.resolve()  # type: ignore[union-attr]
    if not isinstance(env, Golem):
        raise NotFaked(
            f"{HOST}#{function} needs a golem_fakes.Golem environment (workers, oplog, "
            f"promises), but the current environment is {env!r}. Use `with golem_fakes.Golem():` "
            f"or override it with env.implement({HOST!r}, {function!r}, ...).",
            interface=HOST, function=function)
    raise NotFaked(
        f"{HOST}#{function} was called with {env!r} current but outside any invocation of it "
        f"in this thread/task; enter it with `with golem:` / golem.run_as(...) / golem.invoke(...)",
        interface=HOST, function=function)


def _persist(rt: WorkerRuntime, name: str, request: Any, response: Any, dtype: str,
             begin: int | None, guest: Any) -> None:
    rt.oplog.record(name, request, response, dtype, guest)  # the entry is built when read
    if begin is not None:
        rt.oplog.append("end-remote-write", begin_index=begin)
    if dtype == WRITE_REMOTE:
        rt.oplog.commit()


def _durable(inv: Invocation, name: str, dtype: str, request: Any, compute: Callable[[], Any]) -> Any:
    """Golem's ``Durability`` wrapper, live mode (§0.4): begin-remote-write if needed,
    run, record the result or the error (the error then traps)."""
    rt = inv.runtime
    if rt.replay is not None and rt.persistence_level != "persist-nothing":
        return rt.replay.replayed(name, request, dtype)  # golem_fakes.worker.replay
    begin = None
    if dtype == WRITE_REMOTE and not rt.idempotent:
        begin = rt.oplog.append("begin-remote-write").index
        rt.oplog.commit()
    try:
        result = compute()
    except Trap as t:
        _persist(rt, name, request, Err(str(t)), dtype, begin, t)
        raise
    if begin is None and dtype != WRITE_REMOTE:  # the common case: Ok made when read
        rt.oplog.record_ok(name, request, result, dtype)
    else:
        _persist(rt, name, request, Ok(result), dtype, begin, result)
    if rt.crash_in is not None:
        crash_tick(rt)
    return result


# --- value helpers -------------------------------------------------------------------


def _worker_id_str(wid: Any) -> str:
    """Golem's display form of a WIT worker-id: ``<component-uuid>/<worker-name>``."""
    return f"{as_uuid(wid.component_id)}/{wid.worker_name}"


def _find_worker(g: Golem, wid: Any) -> Worker | None:
    return g.registry.find_by_id(wid)


def _promise_key(pid: Any) -> PromiseKey:
    return PromiseKey.of(pid)


def _promise_value(key: PromiseKey) -> dict[str, Any]:
    return {"worker_id": {"component_id": {"uuid": uuid_value(key.component_id)},
                          "worker_name": key.worker_name},
            "oplog_idx": key.oplog_idx}


_UUID_FORMS = (
    re.compile(r"[0-9a-fA-F]{32}"),
    re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
    re.compile(r"\{[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}"),
    re.compile(r"urn:uuid:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"),
)


def parse_uuid_strict(text: str) -> uuid.UUID | None:
    """Rust ``uuid::Uuid::parse_str`` (1.18): 32 hex digits, 8-4-4-4-12 hyphenated,
    hyphenated inside ``{}``, or hyphenated with a ``urn:uuid:`` prefix (§7.1); ``None``
    for anything else (Python's ``uuid.UUID`` is more lenient)."""
    for form in _UUID_FORMS:
        if form.fullmatch(text):
            hexdigits = text.replace("urn:uuid:", "").strip("{}").replace("-", "")
            return uuid.UUID(hex=hexdigits)
    return None


def derived_idempotency_key(base: str, oplog_index: int) -> uuid.UUID:
    """``IdempotencyKey::derived`` (§7.1): ``uuid5(ns, "oplog-index-<N>")`` with ``ns``
    the base key if it parses strictly as a UUID, else ``uuid5(ROOT_NS, base)``."""
    ns = parse_uuid_strict(base)
    if ns is None:
        ns = uuid.uuid5(ROOT_NS, base)
    return uuid.uuid5(ns, f"oplog-index-{oplog_index}")


# --- promises (§3) -------------------------------------------------------------------


@implements(HOST, "create-promise")
def create_promise(env: Golem) -> dict[str, Any]:
    """§3.2: the id is ``{calling worker, index of the imported-function-invoked entry
    recording this call}`` (current index + 1); a pending promise is registered in the
    store shared by all workers. Recorded as ``golem::api::create_promise`` (write-local,
    not committed)."""
    inv = _ctx(env, "create-promise")
    w = inv.worker
    key = PromiseKey(w.component.component_id, w.name, inv.runtime.oplog.current_index + 1)

    def run() -> dict[str, Any]:
        env.promise_store.create(key)
        return _promise_value(key)

    return _durable(inv, "golem::api::create_promise", WRITE_LOCAL, None, run)


def _not_found(key: PromiseKey, function: str) -> Trap:
    return trap(f"Promise not found: {key}", function)


@implements(HOST, "await-promise")
def await_promise(env: Golem, promise_id: Any) -> bytes:
    """§3.3 (dev.25): not recorded. Unknown or deleted → trap ``Promise not found: ...``;
    completed → the payload; pending → Golem suspends the worker (``suspend`` entry,
    status suspended) until someone completes it. A completion scheduled with
    ``g.schedule_promise_completion`` arrives then and the worker resumes; with none,
    nothing in a test can complete it and :class:`~golem_fakes.Deadlock` is raised."""
    inv = _ctx(env, "await-promise")
    key = _promise_key(promise_id)
    store = env.promise_store
    p = store.observe(key)
    if p is None:
        raise _not_found(key, "await-promise")
    if p.state is PromiseState.PENDING:
        rt, w = inv.runtime, inv.worker
        rt.oplog.append("suspend")
        rt.oplog.commit()
        w.status = WorkerStatus.SUSPENDED
        if not store.fire_scheduled(key):
            sched = p.scheduled
            why = (f" A completion is scheduled {sched.describe()}, but its condition is false "
                   f"while the worker is suspended." if sched is not None else "")
            raise Deadlock(
                f"await-promise on pending promise {key} would block forever: Golem suspends "
                f"worker {w.component.name}/{w.name} until the promise is completed, and nothing "
                f"in this test can complete it while the worker code waits.{why} Complete it "
                f"before awaiting with g.complete_promise({str(key)!r}, b'...'), or schedule a "
                f"completion with g.schedule_promise_completion({str(key)!r}, b'...', "
                f"after_polls=0).")
        w.status = WorkerStatus.RUNNING  # resumed (Golem replays, then continues live)
    assert p.payload is not None
    return p.payload


@implements(HOST, "poll-promise")
def poll_promise(env: Golem, promise_id: Any) -> bytes | None:
    """§3.4 (dev.25): recorded as ``golem::api::poll_promise`` (read-remote), error
    included. ``None`` while pending, the payload once completed; unknown or deleted →
    trap ``Promise not found: ...``. Each call counts towards a scheduled completion."""
    inv = _ctx(env, "poll-promise")
    key = _promise_key(promise_id)

    def run() -> bytes | None:
        p = env.promise_store.observe(key)
        if p is None:
            raise _not_found(key, "poll-promise")
        return p.payload if p.state is PromiseState.COMPLETED else None

    return _durable(inv, "golem::api::poll_promise", READ_REMOTE, str(key), run)


@implements(HOST, "complete-promise")
def complete_promise(env: Golem, promise_id: Any, data: bytes) -> bool:
    """§3.5 (v1.3.1): existence checked first — unknown or deleted → trap
    ``Promise not found: ...`` (not recorded, Golem retries it); ``True`` for the first
    completion (its payload wins), ``False`` afterwards. Recorded as
    ``golem::api::complete_promise`` (write-local)."""
    inv = _ctx(env, "complete-promise")
    key = _promise_key(promise_id)
    store = env.promise_store
    if store.get(key) is None:
        raise _not_found(key, "complete-promise")
    w = inv.worker
    return _durable(inv, "golem::api::complete_promise", WRITE_LOCAL, str(key),
                    lambda: store.complete(key, data, by=f"worker {w.component.name}/{w.name}"))


@implements(HOST, "delete-promise")
def delete_promise(env: Golem, promise_id: Any) -> None:
    """§3.6 (dev.25): removes the promise silently (no error if absent); recorded as
    ``golem::api::delete_promise`` (write-local). Awaiting/polling/completing it later
    traps ``Promise not found``."""
    inv = _ctx(env, "delete-promise")
    key = _promise_key(promise_id)
    _durable(inv, "golem::api::delete_promise", WRITE_LOCAL, str(key),
             lambda: env.promise_store.delete(key))


# --- oplog (§4) ----------------------------------------------------------------------


@implements(HOST, "get-oplog-index")
def get_oplog_index(env: Golem) -> int:
    """§4.1: appends a ``no-op`` entry and returns its index."""
    inv = _ctx(env, "get-oplog-index")
    rt = inv.runtime
    idx = rt.oplog.append("no-op").index
    if rt.crash_in is not None:
        crash_tick(rt)
    return idx


@implements(HOST, "set-oplog-index")
def set_oplog_index(env: Golem, oplog_idx: int) -> None:
    """§4.2: ``target = oplog-idx + 1``, ``source = current + 1``. ``target > source`` →
    trap ``Attempted to jump forward in oplog to index <t> from <s>``; ``target`` in a
    deleted region → trap ``Attempted to jump to a deleted region in oplog to index <t>
    from <s>``. Otherwise appends and commits ``jump{start: t, end: s}`` (deleting
    ``t..=s``) and the worker restarts: its instance is dropped, a new one replays the
    oplog up to ``oplog-idx`` (the deleted region skipped) and everything after that
    point runs live again (:mod:`golem_fakes.worker.replay`). In replay the call does
    nothing. In a test's own ``with golem:`` block (test code, which cannot be run
    again) the jump is recorded and :class:`~golem_fakes.worker.replay.NotReplayable`
    ends the block."""
    inv = _ctx(env, "set-oplog-index")
    rt = inv.runtime
    if rt.replay is not None:
        return None  # §4.2 (4): replay does nothing
    oplog = rt.oplog
    target, source = oplog_idx + 1, oplog.current_index + 1
    if target > source:
        raise trap(f"Attempted to jump forward in oplog to index {target} from {source}",
                   "set-oplog-index")
    if oplog.is_deleted(target):
        raise trap(f"Attempted to jump to a deleted region in oplog to index {target} from {source}",
                   "set-oplog-index")
    oplog.append("jump", start=target, end=source)
    oplog.commit()
    oplog.delete_region(target, source)
    from golem_fakes.worker.replay import NotReplayable, OplogJump, mark_lost
    from golem_fakes.worker.instance import TrappedEnvironment
    from golem_fakes.bindings.runtime import current_environment

    who = f"{inv.worker.component.name}/{inv.worker.name}"
    if inv.call is None:
        raise NotReplayable(
            f"set-oplog-index({oplog_idx}) in a test's own block: Golem now restarts worker "
            f"{who} and replays its oplog up to index {oplog_idx}, re-running the code after "
            f"that point live. The jump is recorded (jump{{start: {target}, end: {source}}}), "
            f"but a `with golem:` / run_as block is test code and cannot be run again: invoke "
            f"the worker's code with golem.invoke(...) to see the jump replayed.")
    inv.crashed = True
    mark_lost(rt)
    e = OplogJump(f"set-oplog-index({oplog_idx}): worker {who} restarts and replays its oplog "
                  f"up to index {oplog_idx}")
    current_environment.set(TrappedEnvironment(env, e))
    raise e


@implements(HOST, "oplog-commit")
def oplog_commit(env: Golem, replicas: int) -> None:
    """§4.3: a replication barrier; with one replica (single-binary Golem) it returns at
    once. It writes nothing and does not flush buffered entries."""
    _ctx(env, "oplog-commit")


@implements(HOST, "mark-begin-operation")
def mark_begin_operation(env: Golem) -> int:
    """§4.4: appends ``begin-atomic-region`` and returns its index (pushed on the open
    regions, the retry point in v1.3.1)."""
    inv = _ctx(env, "mark-begin-operation")
    rt = inv.runtime
    replay = rt.replay
    idx = rt.oplog.append("begin-atomic-region").index
    if replay is not None and not any(
            e.kind == "end-atomic-region" and e.payload.get("begin_index") == idx
            for e in replay.entries[replay.pos:]):
        # §4.4 replay: no end recorded for this region, it was interrupted. Go live at the
        # end of the oplog, delete everything after the begin marker with a committed
        # jump, and re-execute the whole region live.
        replay.go_live()
        oplog = rt.oplog
        source = oplog.current_index + 1
        oplog.append("jump", start=idx + 1, end=source)
        oplog.commit()
        oplog.delete_region(idx + 1, source)
    rt.atomic_regions.append(idx)
    if rt.crash_in is not None:
        crash_tick(rt)
    return idx


@implements(HOST, "mark-end-operation")
def mark_end_operation(env: Golem, begin: int) -> None:
    """§4.4: always appends ``end-atomic-region{begin_index}`` without validating the
    argument (twice if called twice), and closes that region if open."""
    inv = _ctx(env, "mark-end-operation")
    inv.runtime.oplog.append("end-atomic-region", begin_index=begin)
    regions = inv.runtime.atomic_regions
    if begin in regions:
        regions.remove(begin)
    if inv.runtime.crash_in is not None:
        crash_tick(inv.runtime)


# --- retry policy, persistence, idempotence (§5, §6) ---------------------------------


@implements(HOST, "get-retry-policy")
def get_retry_policy(env: Golem) -> dict[str, Any]:
    """§6.1: the worker's override if set, else the executor default (3 attempts, 100 ms,
    1 s, x3.0, jitter some(0.15)). Not recorded."""
    inv = _ctx(env, "get-retry-policy")
    rt = inv.runtime
    return (rt.retry_policy if rt.retry_policy is not None else env.retry_policy).to_wit()


@implements(HOST, "set-retry-policy")
def set_retry_policy(env: Golem, new_retry_policy: Any) -> None:
    """§6.1: stores the override with ``max-jitter-factor`` dropped (none) and appends
    ``change-retry-policy`` on every call."""
    inv = _ctx(env, "set-retry-policy")
    p = new_retry_policy
    policy = RetryPolicy(p.max_attempts, p.min_delay, p.max_delay, p.multiplier, None)
    inv.runtime.retry_policy = policy
    inv.runtime.oplog.append("change-retry-policy", policy=policy)
    if inv.runtime.crash_in is not None:
        crash_tick(inv.runtime)


@implements(HOST, "get-oplog-persistence-level")
def get_oplog_persistence_level(env: Golem) -> str:
    """§5.1: the in-memory level (default smart). Not recorded."""
    return _ctx(env, "get-oplog-persistence-level").runtime.persistence_level


@implements(HOST, "set-oplog-persistence-level")
def set_oplog_persistence_level(env: Golem, new_persistence_level: Any) -> None:
    """§5.1: a different level appends and commits ``change-persistence-level``; the
    same level writes nothing. ``persist-remote-side-effects`` behaves like smart."""
    rt = _ctx(env, "set-oplog-persistence-level").runtime
    level = case_name(new_persistence_level)
    assert level in PERSISTENCE_LEVELS, level
    if level != rt.persistence_level:
        rt.oplog.append("change-persistence-level", level=level)
        rt.oplog.commit()
        rt.persistence_level = level
        if rt.crash_in is not None:
            crash_tick(rt)


@implements(HOST, "get-idempotence-mode")
def get_idempotence_mode(env: Golem) -> bool:
    """§5.2: the in-memory flag (default true). Not recorded."""
    return _ctx(env, "get-idempotence-mode").runtime.idempotent


@implements(HOST, "set-idempotence-mode")
def set_idempotence_mode(env: Golem, idempotent: bool) -> None:
    """§5.2: sets the in-memory flag; nothing is written. When false, write-remote calls
    are bracketed by begin/end-remote-write."""
    _ctx(env, "set-idempotence-mode").runtime.idempotent = idempotent


@implements(HOST, "generate-idempotency-key")
def generate_idempotency_key(env: Golem) -> dict[str, int]:
    """§7: ``uuid5(ns, "oplog-index-<N>")`` with ``ns`` the invocation key (or
    ``uuid5(ROOT_NS, key)`` if it is not a UUID) and ``N`` the current oplog index
    (after the begin-remote-write when idempotence is off). Recorded as
    ``golem api::generate_idempotency_key`` (write-remote, committed)."""
    inv = _ctx(env, "generate-idempotency-key")
    rt = inv.runtime

    def run() -> dict[str, int]:
        key = derived_idempotency_key(inv.idempotency_key, rt.oplog.current_index)
        rt.idempotency_keys.append(key)
        return uuid_value(key)

    return _durable(inv, "golem api::generate_idempotency_key", WRITE_REMOTE, None, run)


# --- worker management (§8) ----------------------------------------------------------


@implements(HOST, "update-worker")
def update_worker(env: Golem, worker_id: Any, target_version: int, mode: Any) -> None:
    """§8.1 (dev.25 ``update_worker_internal``, ``golem-worker-executor/src/grpc/mod.rs``):
    checks, in order: worker exists (``Worker not found: <id>``), the version differs
    (``Invalid request: Worker is already at the target version``), the same update is
    not pending (``The same update is already in progress``). Recorded as
    ``golem::api::update-worker``; the request is in ``g.updates``. Then the update
    really runs (:mod:`golem_fakes.worker.admin`): automatic → ``pending-update``, the
    oplog replayed on the new version's code, ``successful-update`` (a divergence →
    ``failed-update``, the worker stays on the old version); snapshot-based → the old
    instance's ``save-snapshot`` export, ``pending-update``, the new instance's
    ``load-snapshot``, ``successful-update`` / ``failed-update``. At once when the
    target is not inside an invocation, else when its running invocation has ended.
    A version the component does not have → ``failed-update``."""
    inv = _ctx(env, "update-worker")
    mode_name = mode.name.lower().replace("_", "-")

    def run() -> None:
        from golem_fakes.worker.admin import request_update

        w = _find_worker(env, worker_id)
        if w is None:
            raise trap(f"Worker not found: {_worker_id_str(worker_id)}", "update-worker")
        if w.component_version == target_version:
            raise trap("Invalid request: Worker is already at the target version", "update-worker")
        rt = env.runtime(w)
        if (target_version, mode_name) in rt.pending_updates:
            raise trap("The same update is already in progress", "update-worker")
        req = UpdateRequest(w, target_version, mode_name, inv.worker)
        env.updates.append(req)
        request_update(env, w, target_version, mode_name, req)
        return None

    _durable(inv, "golem::api::update-worker", WRITE_REMOTE,
             (_worker_id_str(worker_id), target_version, mode_name), run)


@implements(HOST, "get-self-metadata")
def get_self_metadata(env: Golem) -> dict[str, Any]:
    """§9.2: the calling worker's metadata (status running during an invocation,
    retry-count 0, env without ``GOLEM_*`` entries as at dev.25: those exist only in the
    WASI environment). Not recorded."""
    inv = _ctx(env, "get-self-metadata")
    return inv.worker.metadata(golem_env=env.registry.golem_env_in_metadata)


@implements(HOST, "get-worker-metadata")
def get_worker_metadata(env: Golem, worker_id: Any) -> dict[str, Any] | None:
    """§9.3 (v1.3.1): the target's metadata with its own last known status; ``None`` if
    it does not exist. Not recorded."""
    _ctx(env, "get-worker-metadata")
    w = _find_worker(env, worker_id)
    return None if w is None else w.metadata(golem_env=env.registry.golem_env_in_metadata)


def _copy_oplog(env: Golem, source: Worker, component: Any, target_name: str, cut_off: int,
                function: str) -> Worker:
    """fork-worker / fork (§8.2): the target gets the source's creation data, its
    ``create`` entry with only the worker id replaced plus entries ``2..=cut_off``
    (:func:`golem_fakes.worker.admin.copy_worker`)."""
    from golem_fakes.worker.admin import copy_worker

    src_rt = env.runtime(source)
    if cut_off > src_rt.oplog.current_index:
        raise trap(
            f"Missing oplog entry: cut-off {cut_off} is beyond the end of {source}'s oplog "
            f"(last index {src_rt.oplog.current_index}); the real executor aborts here "
            f"(panic), golem-fakes traps instead", function)
    target = copy_worker(env, source, component, target_name, cut_off)
    # The fork's instance replays the copied entries, re-running the source's file
    # operations on fresh initial files (golem-io-semantics.md §5.5). golem-fakes does
    # not record file operations, so it copies the source's file system when the fork
    # is at the source's current end (always for `fork`); an earlier cut-off starts from
    # the initial files (the operations after it cannot be taken back).
    filesystems = env.__dict__.get("_filesystems")
    if filesystems and source in filesystems and cut_off == src_rt.oplog.current_index:
        filesystems[target] = filesystems[source].copy()
    return target


@implements(HOST, "fork-worker")
def fork_worker(env: Golem, source_worker_id: Any, target_worker_id: Any,
                oplog_idx_cut_off: int) -> None:
    """§8.2 (dev.25 ``validate_worker_forking``, ``services/worker_fork.rs``): cut-off
    >= 2 (``Invalid request: oplog_index_cut_off must be at least 2``), target must not
    exist (``Worker already exists: <target>``), source must exist (``Worker not
    found: <source>``); the target's component is not checked against the source's
    (it is the component of the target's id; one this installation does not know
    cannot be resumed: ``Failed to resume worker``). The target is created with the
    source's creation data and oplog ``create`` + ``2..=cut-off`` (in ``g.forks``) and
    resumed: it replays to the cut-off and the invocation cut off there runs live to
    its end (:mod:`golem_fakes.worker.admin`). Recorded as ``golem::api::fork_worker``
    (dev.25's name)."""
    inv = _ctx(env, "fork-worker")

    def run() -> None:
        from golem_fakes.worker.admin import resume_fork

        if oplog_idx_cut_off < 2:
            raise trap("Invalid request: oplog_index_cut_off must be at least 2", "fork-worker")
        if _find_worker(env, target_worker_id) is not None:
            raise trap(f"Worker already exists: {_worker_id_str(target_worker_id)}", "fork-worker")
        source = _find_worker(env, source_worker_id)
        if source is None:
            raise trap(f"Worker not found: {_worker_id_str(source_worker_id)}", "fork-worker")
        component = env.registry.component_by_id(target_worker_id.component_id)
        if component is None:
            raise trap(
                f"Failed to resume worker: {_worker_id_str(target_worker_id)}: component "
                f"{as_uuid(target_worker_id.component_id)} not found (golem-fakes knows no "
                f"such component; add it with golem.add_component)", "fork-worker")
        target = _copy_oplog(env, source, component, target_worker_id.worker_name,
                             oplog_idx_cut_off, "fork-worker")
        env.forks.append(ForkRequest(source, target, oplog_idx_cut_off, "fork-worker", inv.worker))
        resume_fork(env, target)

    _durable(inv, "golem::api::fork_worker", WRITE_REMOTE,
             (_worker_id_str(source_worker_id), _worker_id_str(target_worker_id),
              oplog_idx_cut_off), run)


@implements(HOST, "revert-worker")
def revert_worker(env: Golem, worker_id: Any, revert_target: Any) -> None:
    """§8.3 (dev.25 ``Worker::revert``, ``golem-worker-executor/src/worker/mod.rs``): the
    worker must exist (``Worker not found: <id>``). ``revert-to-oplog-index(i)`` keeps
    ``1..=i`` (``i = 0`` → ``Cannot revert a worker before the create oplog index``,
    v1.3.1's fix); ``revert-last-invocations(n)`` reverts to just before the n-th
    ``exported-function-invoked`` counted back from the end, deleted regions included
    (fewer, or n = 0 → ``Could not find <n> invocations to revert``); a start inside a
    deleted region → ``Attempted to revert to a deleted region in oplog to index <i>``.
    A committed ``revert`` entry marks ``i+1..=end`` deleted (in ``g.reverts``); the
    worker is stopped, its status recomputed from the kept entries (a failed worker
    whose error was reverted is idle again), and its next activation replays the kept
    oplog (:mod:`golem_fakes.worker.admin`). Recorded as ``golem::api::revert_worker``
    (dev.25's name)."""
    inv = _ctx(env, "revert-worker")
    kind = case_name(revert_target)
    arg = revert_target.value

    def run() -> None:
        from golem_fakes.worker.admin import revert

        w = _find_worker(env, worker_id)
        if w is None:
            raise trap(f"Worker not found: {_worker_id_str(worker_id)}", "revert-worker")
        deleted = revert(env, w, kind, arg, inv.worker,
                         lambda message: trap(message, "revert-worker"))
        env.reverts.append(RevertRequest(w, (kind, arg), deleted, inv.worker))

    _durable(inv, "golem::api::revert_worker", WRITE_REMOTE,
             (_worker_id_str(worker_id), (kind, arg)), run)


@implements(HOST, "fork")
def fork(env: Golem, new_name: str) -> str:
    """§8.4 (v1.3.1's cut-off, which fixes dev.25 dropping the last entry): commits,
    ``cut-off`` = the current last index; copies the oplog as fork-worker does (target
    ``{same component, new-name}`` must not exist: ``Worker already exists: <id>``),
    appends to the copy a ``golem::api::fork`` entry returning ``forked`` at ``cut-off +
    1``, and resumes the copy: it replays the copied history, its ``fork`` call returns
    ``forked`` and it goes on live to the end of the invocation (nobody receives that
    result). Here it returns ``original`` (recorded at the same index). Both continue
    with the same invocation key (in ``g.forks``)."""
    inv = _ctx(env, "fork")
    src = inv.worker
    rt = inv.runtime
    rt.oplog.commit()
    cut_off = rt.oplog.current_index

    def run() -> str:
        from golem_fakes.worker.admin import fork_entry, resume_fork

        if env.registry.find(src.component, new_name) is not None:
            raise trap(f"Worker already exists: {src.component_id}/{new_name}", "fork")
        target = _copy_oplog(env, src, src.component, new_name, cut_off, "fork")
        fork_entry(env.runtime(target).oplog, new_name)
        env.forks.append(ForkRequest(src, target, cut_off, "fork", src))
        resume_fork(env, target)
        return "original"

    return _durable(inv, "golem::api::fork", WRITE_REMOTE, new_name, run)


# --- resolution (§9.4, §9.5) ---------------------------------------------------------


def _resolve_component(env: Golem, reference: str, function: str) -> uuid.UUID | None:
    """``ComponentSlug::parse`` + lookup (§9.4)."""
    prefix = "Invalid request: Invalid component reference: "
    if reference == "":
        raise trap(prefix + "Empty component references are not allowed", function,
                   invalid_request=True)
    if " " in reference:
        raise trap(prefix + "No spaces allowed in component reference", function,
                   invalid_request=True)
    parts = reference.split("/")
    if len(parts) > 3:
        raise trap(prefix + 'Unexpected number of "/"-delimited parts in component reference',
                   function, invalid_request=True)
    if len(parts) == 3:
        account, project, name = parts
        if account != env.account or project != env.project:
            raise trap(f"Invalid request: Failed to resolve project: {project}", function,
                       invalid_request=True)
    elif len(parts) == 2:
        project, name = parts
        if project != env.project:
            raise trap(f"Invalid request: Failed to resolve project: {project}", function,
                       invalid_request=True)
    else:
        name = parts[0]
    comp = env.registry.components.get(name)
    return None if comp is None else comp.component_id


@implements(HOST, "resolve-component-id")
def resolve_component_id(env: Golem, component_reference: str) -> dict[str, Any] | None:
    """§9.4: ``name``, ``project/name`` or ``account/project/name``; empty, containing a
    space or with more than three parts → trap ``Invalid request: Invalid component
    reference: ...``; unknown project → ``Invalid request: Failed to resolve project:
    <p>``; unknown component → ``None``. Recorded as ``golem::api::resolve_component_id``."""
    inv = _ctx(env, "resolve-component-id")

    def run() -> dict[str, Any] | None:
        cid = _resolve_component(env, component_reference, "resolve-component-id")
        return None if cid is None else {"uuid": uuid_value(cid)}

    return _durable(inv, "golem::api::resolve_component_id", WRITE_REMOTE,
                    component_reference, run)


@implements(HOST, "resolve-worker-id")
def resolve_worker_id(env: Golem, component_reference: str, worker_name: str) -> dict[str, Any] | None:
    """§9.5: resolves the component (recorded as ``golem::api::resolve_component_id``)
    and returns ``{component, worker_name}`` verbatim without checking the worker;
    ``None`` if the component is unknown."""
    inv = _ctx(env, "resolve-worker-id")

    def run() -> dict[str, Any] | None:
        cid = _resolve_component(env, component_reference, "resolve-worker-id")
        return None if cid is None else {"uuid": uuid_value(cid)}

    comp = _durable(inv, "golem::api::resolve_component_id", WRITE_REMOTE,
                    component_reference, run)
    return None if comp is None else {"component_id": comp, "worker_name": worker_name}


@implements(HOST, "resolve-worker-id-strict")
def resolve_worker_id_strict(env: Golem, component_reference: str,
                             worker_name: str) -> dict[str, Any] | None:
    """§9.5: like resolve-worker-id, but ``None`` unless the worker exists. Recorded as
    ``golem::api::resolve_worker_id_strict``."""
    inv = _ctx(env, "resolve-worker-id-strict")

    def run() -> dict[str, Any] | None:
        cid = _resolve_component(env, component_reference, "resolve-worker-id-strict")
        if cid is None or env.registry.find(cid, worker_name) is None:
            return None
        return {"component_id": {"uuid": uuid_value(cid)}, "worker_name": worker_name}

    return _durable(inv, "golem::api::resolve_worker_id_strict", WRITE_REMOTE,
                    (component_reference, worker_name), run)


# --- get-workers (§10) ---------------------------------------------------------------


@implements(HOST, "[constructor]get-workers")
def get_workers_new(env: Golem, component_id: Any, filter: Any, precise: bool) -> Any:
    """§10.1: stores the arguments and a cursor (page size 50); no validation, nothing
    recorded; an unknown component is not an error."""
    _ctx(env, "[constructor]get-workers")
    return env.registry.get_workers(component_id, filter, precise)


@implements(HOST, "[method]get-workers.get-next")
def get_workers_get_next(env: Golem, rep: Any) -> list[dict[str, Any]] | None:
    """§10.1: the next page (at most 50 matching workers in name order, the caller
    included); the first call is always a list, ``None`` only after the scan ended.
    Not recorded."""
    return rep.get_next()
