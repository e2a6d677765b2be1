"""golem:api/host worker metadata, resolution, management and enumeration (§8-§10;
§16 rules 19, 20, 22-28, 29)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

from golem_fakes import Golem, Trap
from golem_fakes.state.registry import WorkerStatus


def _wid(host: ModuleType, g: Golem, component: str, name: str) -> Any:
    from wit_world.imports import golem_rpc_types as t

    u = g.registry.component(component).component_id.int
    return t.WorkerId(t.ComponentId(t.Uuid(u >> 64, u & (2**64 - 1))), name)


def test_self_metadata_running_and_worker_metadata(host: ModuleType) -> None:
    g = Golem(env=[("B", "2"), ("A", "1")])
    g.add_component("component", version=4, env={"C": "3", "A": "component"})
    other = g.add_worker("component", "idle-one", args=["x", "y"], config={"z": "1", "a": "2"},
                         status="interrupted")
    with g:
        me = host.get_self_metadata()
        assert me.status == host.WorkerStatus.RUNNING
        assert me.retry_count == 0 and me.component_version == 4
        # dev.25: the metadata env has no GOLEM_* entries (§9.1, §14) ...
        assert [k for k, _ in me.env] == ["B", "A", "C"]
        # ... the WASI environment has them
        from wit_world.imports import environment
        assert [k for k, _ in environment.get_environment()][-3:] == [
            "GOLEM_WORKER_NAME", "GOLEM_COMPONENT_ID", "GOLEM_COMPONENT_VERSION"]
        md = host.get_worker_metadata(_wid(host, g, "component", "idle-one"))
        assert md.status == host.WorkerStatus.INTERRUPTED  # target's own status (v1.3.1)
        assert md.args == ["x", "y"] and md.wasi_config_vars == [("a", "2"), ("z", "1")]
        assert host.get_worker_metadata(_wid(host, g, "component", "nobody")) is None
    assert other.status is WorkerStatus.INTERRUPTED
    # metadata is not recorded (only the WASI get-environment is)
    assert [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"] == [
        "golem_environment::get_environment"]


def test_resolve_component_id_forms_and_errors(host: ModuleType) -> None:
    g = Golem()
    comp = g.add_component("shop")
    with g:
        for ref in ("shop", "default/shop", "account/default/shop"):
            cid = host.resolve_component_id(ref)
            assert (cid.uuid.high_bits << 64 | cid.uuid.low_bits) == comp.component_id.int
        assert host.resolve_component_id("nope") is None
        assert host.resolve_component_id("default/nope") is None
        n = len(g.oplog())
    recorded = [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert recorded == ["golem::api::resolve_component_id"] * 5 and n == 7
    cases = {
        "": "Invalid request: Invalid component reference: Empty component references are not allowed",
        "a b": "Invalid request: Invalid component reference: No spaces allowed in component reference",
        "a/b/c/d": 'Invalid request: Invalid component reference: Unexpected number of "/"-delimited parts in component reference',
        "elsewhere/shop": "Invalid request: Failed to resolve project: elsewhere",
        "acc2/default/shop": "Invalid request: Failed to resolve project: default",
    }
    for ref, message in cases.items():
        with pytest.raises(Trap) as info:
            with g:
                host.resolve_component_id(ref)
        assert str(info.value) == message
    assert g.default_worker.status is WorkerStatus.IDLE  # invalid requests fail only the invocation


def test_resolve_worker_id_and_strict(host: ModuleType) -> None:
    g = Golem()
    g.add_worker("shop", "exists")
    with g:
        wid = host.resolve_worker_id("shop", "not/validated at all")
        assert wid.worker_name == "not/validated at all"
        assert host.resolve_worker_id("unknown", "x") is None
        assert host.resolve_worker_id_strict("shop", "exists").worker_name == "exists"
        assert host.resolve_worker_id_strict("shop", "missing") is None
        assert host.resolve_worker_id_strict("unknown", "exists") is None
    recorded = [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert recorded == ["golem::api::resolve_component_id"] * 2 + ["golem::api::resolve_worker_id_strict"] * 3


def test_update_worker(host: ModuleType) -> None:
    g = Golem()
    g.add_component("app", version=2)
    w = g.add_worker("app", "w", component_version=0)
    with g:
        host.update_worker(_wid(host, g, "app", "w"), 2, host.UpdateMode.AUTOMATIC)
        # the component has no code: nothing exports golem:api/save-snapshot
        host.update_worker(_wid(host, g, "app", "w"), 1, host.UpdateMode.SNAPSHOT_BASED)
        host.update_worker(_wid(host, g, "app", "w"), 3, host.UpdateMode.AUTOMATIC)
    assert w.component_version == 2
    assert [(u.target_version, u.mode, u.outcome) for u in g.updates] == [
        (2, "automatic", "successful"),
        (1, "snapshot-based",
         "failed: failed to get a snapshot for manual update: save-snapshot is not exported"),
        (3, "automatic", "failed: Component version 3 of app does not exist (current version 2)")]
    # dev.25: a snapshot update writes its pending-update only after save-snapshot succeeded
    assert g.oplog(w).kinds()[1:] == ["pending-update", "successful-update", "failed-update",
                                      "pending-update", "failed-update"]

    def update_myself_twice() -> None:  # a running worker is updated after its invocation
        me = _wid(host, g, "app", "me")
        host.update_worker(me, 2, host.UpdateMode.AUTOMATIC)
        with pytest.raises(Trap, match="^The same update is already in progress$"):
            host.update_worker(me, 2, host.UpdateMode.AUTOMATIC)
        assert g.worker("app", "me").component_version == 0

    g.add_worker("app", "me", component_version=0)
    with pytest.raises(Trap, match="^The same update is already in progress$"):
        g.invoke("app", "me", update_myself_twice)
    me = g.worker("app", "me")
    # the pending-update is written at once; the trap failed the invocation (a trap is
    # final); then the update replayed it on version 2, and the replayed recorded error
    # trapped the retry on the new version again
    assert g.oplog(me).kinds() == [
        "create", "exported-function-invoked", "pending-update", "imported-function-invoked",
        "imported-function-invoked", "error", "successful-update", "error"]
    assert (me.component_version, me.status) == (2, WorkerStatus.FAILED)
    for wid, version, message in ((_wid(host, g, "app", "ghost"), 1, "Worker not found: "),
                                  (_wid(host, g, "app", "w"), 2,
                                   "Invalid request: Worker is already at the target version")):
        h = Golem()
        h.registry.add_component("app", component_id=g.registry.component("app").component_id,
                                 version=2)
        h.add_worker("app", "w", component_version=2)
        with pytest.raises(Trap, match=message):
            with h:
                host.update_worker(wid, version, host.UpdateMode.AUTOMATIC)
        assert h.oplog()[3]["function_name"] == "golem::api::update-worker"
        assert type(h.oplog()[3]["response"]).__name__ == "Err"
        # worker-proxy errors are unknown errors, even "Invalid request: ..." (§8)
        assert h.default_worker.status is WorkerStatus.FAILED
        assert h.oplog().kinds()[-1] == "error"


def test_fork_worker_copies_create_and_prefix(host: ModuleType) -> None:
    g = Golem()
    src = g.add_worker("app", "src", args=["a"], env={"E": "1"}, created_at=77)
    g.invoke("app", "src", host.get_oplog_index)  # 1 create, 2 invoked, 3 no-op, 4 completed
    with g:
        host.fork_worker(_wid(host, g, "app", "src"), _wid(host, g, "app", "copy"), 3)
        for args, message in (
            (("src", "copy2", 1), "Invalid request: oplog_index_cut_off must be at least 2"),
            (("src", "copy", 2), "Worker already exists: "),
            (("ghost", "copy3", 2), "Worker not found: "),
        ):
            with pytest.raises(Trap, match=message):
                host.fork_worker(_wid(host, g, "app", args[0]), _wid(host, g, "app", args[1]), args[2])
    copy = g.worker("app", "copy")
    assert (copy.args, copy.env, copy.created_at) == (["a"], [("E", "1")], 77)
    # resumed: the invocation cut off at 3 runs live to its end in the copy
    assert g.oplog(copy).kinds() == ["create", "exported-function-invoked", "no-op",
                                     "exported-function-completed"]
    assert g.oplog(copy)[1]["worker_id"] == str(copy)
    assert [(f.source, f.target, f.cut_off, f.kind) for f in g.forks] == [(src, copy, 3, "fork-worker")]
    names = [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert names == ["golem::api::fork_worker"] * 4  # dev.25's name


def test_fork_returns_original_and_writes_forked_into_the_copy(host: ModuleType) -> None:
    g = Golem()
    with g:
        host.get_oplog_index()  # 3
        assert host.fork("twin") == host.ForkResult.ORIGINAL
        with pytest.raises(Trap, match=r"^Worker already exists: .*/twin$"):
            host.fork("twin")
    me, twin = g.default_worker, g.worker("component", "twin")
    assert g.oplog(me)[4]["response"].value == "original"
    assert g.oplog(twin).kinds() == ["create", "exported-function-invoked", "no-op",
                                     "imported-function-invoked"]
    forked = g.oplog(twin)[4]
    assert (forked["function_name"], forked["response"].value) == ("golem::api::fork", "forked")
    assert g.oplog(twin)[2]["idempotency_key"] == g.oplog(me)[2]["idempotency_key"]


def test_revert_worker(host: ModuleType) -> None:
    g = Golem()
    w = g.add_worker("app", "w")
    for _ in range(3):
        g.invoke("app", "w", host.get_oplog_index)  # invocations start at 2, 5, 8
    with g:
        host.revert_worker(_wid(host, g, "app", "w"), host.RevertWorkerTarget_RevertLastInvocations(2))
        revert = g.oplog(w)[11]
        assert (revert.kind, revert["dropped_region"]) == ("revert", (5, 10))
        assert g.oplog(w).is_deleted(5) and not g.oplog(w).is_deleted(4)
        for target, message in (
            (host.RevertWorkerTarget_RevertToOplogIndex(0), "^Cannot revert a worker before the create oplog index$"),
            (host.RevertWorkerTarget_RevertToOplogIndex(5), "^Attempted to revert to a deleted region in oplog to index 5$"),
            # dev.25 counts every invocation start, deleted ones included: the 2nd from
            # the end starts at 5, in the region the first revert deleted
            (host.RevertWorkerTarget_RevertLastInvocations(2), "^Attempted to revert to a deleted region in oplog to index 4$"),
            (host.RevertWorkerTarget_RevertLastInvocations(4), "^Could not find 4 invocations to revert$"),
            (host.RevertWorkerTarget_RevertLastInvocations(0), "^Could not find 0 invocations to revert$"),
        ):
            with pytest.raises(Trap, match=message):
                host.revert_worker(_wid(host, g, "app", "w"), target)
        host.revert_worker(_wid(host, g, "app", "w"), host.RevertWorkerTarget_RevertToOplogIndex(2))
    assert [(r.target, r.deleted) for r in g.reverts] == [
        (("revert-last-invocations", 2), (5, 10)), (("revert-to-oplog-index", 2), (3, 11))]
    with pytest.raises(Trap, match="^Worker not found: "):
        with Golem():
            host.revert_worker(_wid(host, g, "app", "w"), host.RevertWorkerTarget_RevertToOplogIndex(2))


def test_get_workers_pages_of_50_and_includes_caller(host: ModuleType) -> None:
    g = Golem(component="many", worker="w-000")
    for i in range(1, 100):
        g.add_worker("many", f"w-{i:03d}")
    g.add_worker("else", "not-me")
    with g:
        cid = host.get_self_metadata().worker_id.component_id
        gw = host.GetWorkers(cid, None, False)
        pages = [gw.get_next(), gw.get_next(), gw.get_next(), gw.get_next()]
        flt = host.WorkerAnyFilter([host.WorkerAllFilter([host.WorkerPropertyFilter_Status(
            host.WorkerStatusFilter(host.FilterComparator.EQUAL, host.WorkerStatus.RUNNING))])])
        running = host.GetWorkers(cid, flt, True)
        only_me = running.get_next()
        assert running.get_next() is None
        from wit_world.imports import golem_rpc_types as t

        empty = host.GetWorkers(t.ComponentId(t.Uuid(1, 2)), None, False)
        assert empty.get_next() == [] and empty.get_next() is None
    assert [len(p) for p in pages[:2]] == [50, 50]
    assert pages[2] == [] and pages[3] is None
    names = [m.worker_id.worker_name for p in pages[:2] for m in p]
    assert names == sorted(names) and names[0] == "w-000"
    assert [m.worker_id.worker_name for m in only_me] == ["w-000"]
    assert "imported-function-invoked" not in g.oplog().kinds()
