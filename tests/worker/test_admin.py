"""Worker management runs the worker's code (issue 14 §3): revert-worker, update-worker
(automatic and snapshot-based), fork-worker and fork against real component code, at
Golem v1.3.0-dev.25 (golem_fakes/worker/admin.py; golem-host-semantics.md §8).

Each test writes the component's module (``counter``) into a temporary directory and
gives it with ``add_component(code=, path=)``; a new version's code with
``add_component_version(code=, path=)``. Invocations are callables that call the
worker's own instance of the module (``import counter`` inside an invocation is that
worker's copy), so replay runs the component's code again."""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest

import golem_fakes
from golem_fakes import Golem, Trap
from golem_fakes.bindings.result import Err
from golem_fakes.state.registry import WorkerStatus

golem_fakes.install()
from wit_world.imports import exit as wasi_exit, golem_rpc_types as t, host  # noqa: E402

C = "app"

#: version 1: ``bump`` draws a random byte (a recorded host call), then counts.
V1 = '''
from wit_world import exports
from wit_world.imports import random
from componentize_py_types import Err

count = 0
seen = []
SAVE_FAILS = False


def bump(n):
    global count
    random.get_random_bytes(1)
    count += n
    seen.append(n)
    if n == 13:
        raise ValueError("13 is unlucky in version 1")
    return count


def steps():
    from wit_world.imports import host
    seen.append(("a", host.get_oplog_index()))
    seen.append(("b", host.get_oplog_index()))
    return len(seen)


def forking(name):
    from wit_world.imports import host
    r = host.fork(name)
    seen.append(r.name)
    seen.append(host.get_oplog_index())
    return r.name


class SaveSnapshot(exports.SaveSnapshot):
    def save(self):
        if SAVE_FAILS:
            raise ValueError("cannot save")
        return str(count).encode()


class LoadSnapshot(exports.LoadSnapshot):
    def load(self, data):
        raise Err("version 1 loads nothing")
'''

#: version 2: same host calls, counts tenfold, 13 is fine, loads a snapshot x100.
V2 = V1.replace("count += n\n", "count += n * 10\n").replace(
    'raise ValueError("13 is unlucky in version 1")', "pass").replace(
    'raise Err("version 1 loads nothing")',
    "global count\n        count = int(data.decode()) * 100")

#: version 3: an extra host call per bump: replaying version 1's oplog diverges.
V3 = V1.replace("random.get_random_bytes(1)\n", "random.get_random_bytes(1)\n"
                "    random.get_random_bytes(1)\n")

#: version 4: load-snapshot refuses the snapshot.
V4 = V1.replace('raise Err("version 1 loads nothing")', 'raise Err("incompatible snapshot")')


def _code(tmp_path: Path, name: str, source: str) -> Path:
    d = tmp_path / name
    d.mkdir()
    (d / "counter.py").write_text(textwrap.dedent(source))
    return d


@pytest.fixture
def g(tmp_path: Path) -> Golem:
    g = Golem()
    g.add_component(C, code="counter", path=_code(tmp_path, "v1", V1))
    g.add_component("other", code="counter", path=_code(tmp_path, "other", V1))
    return g


def _wid(g: Golem, component: str, name: str) -> Any:
    u = g.registry.component(component).component_id.int
    return t.WorkerId(t.ComponentId(t.Uuid(u >> 64, u & (2**64 - 1))), name)


def bump(n: int) -> int:
    import counter  # the invoked worker's own instance of the module

    return counter.bump(n)  # type: ignore[no-any-return]


def steps() -> int:
    import counter

    return counter.steps()  # type: ignore[no-any-return]


def forking(name: str) -> str:
    import counter

    return counter.forking(name)  # type: ignore[no-any-return]


def state(g: Golem, name: str, component: str = C) -> tuple[int, list[Any]]:
    m = g.instance(component, name).module("counter")
    return m.count, list(m.seen)


# --- revert-worker (§8.3) -------------------------------------------------------------


def test_revert_of_a_failed_worker_makes_it_idle_and_replays_only_kept_invocations(
        g: Golem) -> None:
    for n in (1, 2):
        g.invoke(C, "w", bump, n)
    with pytest.raises(ValueError, match="unlucky"):
        g.invoke(C, "w", bump, 13)
    w = g.worker(C, "w")
    assert w.status is WorkerStatus.FAILED
    with pytest.raises(golem_fakes.InvocationRejected, match="Previous invocation failed"):
        g.invoke(C, "w", bump, 5)
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertLastInvocations(1))
    # status recomputed from the kept entries: idle, the worker accepts invocations
    assert w.status is WorkerStatus.IDLE and g.runtime(w).failed_error is None
    assert g.oplog(w).kinds()[-1] == "revert"
    assert g.invoke(C, "w", bump, 10) == 13  # 1 + 2 replayed, then 10 live
    assert state(g, "w") == (13, [1, 2, 10])  # the reverted 13 never ran in this instance
    rt = g.runtime(w)
    assert rt.retries == 3 and rt.recoveries == 3 + 1   # the failure's retries, the revert


def test_revert_last_invocations_drops_module_state_of_the_reverted_ones(g: Golem) -> None:
    for n in (1, 2, 4):
        g.invoke(C, "w", bump, n)
    assert state(g, "w") == (7, [1, 2, 4])
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertLastInvocations(2))
    assert g.invoke(C, "w", bump, 100) == 101
    assert state(g, "w") == (101, [1, 100])
    # dev.25 counts the deleted invocation starts too: the 3rd from the end is the
    # second invocation's, in the region just deleted
    starts = [e.index for e in g.oplog(C, "w") if e.kind == "exported-function-invoked"]
    assert len(starts) == 4 and g.oplog(C, "w").is_deleted(starts[1])
    with pytest.raises(Trap, match=f"^Attempted to revert to a deleted region in oplog to "
                                   f"index {starts[1] - 1}$"):
        with g:
            host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertLastInvocations(3))


def test_revert_into_an_invocation_continues_it_live_on_next_activation(g: Golem) -> None:
    g.invoke(C, "w", steps)
    (_, a), (_, b) = state(g, "w")[1]  # the two get-oplog-index no-ops
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertToOplogIndex(a))
    w = g.worker(C, "w")
    assert w.status is WorkerStatus.RUNNING  # status.rs: the kept oplog ends in an invocation
    g.invoke(C, "w", bump, 1)
    # replayed to index a, then the cut-off invocation ran live from there: its second
    # get-oplog-index appended a new no-op after the revert entry; then the new one ran
    seen = state(g, "w")[1]
    revert_at = g.oplog(w).kinds().index("revert") + 1
    assert seen == [("a", a), ("b", revert_at + 1), 1]
    kinds = g.oplog(w).kinds()
    assert kinds[revert_at - 1:revert_at + 2] == ["revert", "no-op", "exported-function-completed"]
    assert kinds[-1] == "exported-function-completed"


# --- update-worker, automatic (§8.1) ------------------------------------------------------


def test_automatic_update_replays_the_oplog_on_the_new_code(g: Golem, tmp_path: Path) -> None:
    for n in (1, 2):
        g.invoke(C, "w", bump, n)
    assert g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2)) == 1
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
    w = g.worker(C, "w")
    assert w.component_version == 1 and g.updates[-1].outcome == "successful"
    assert state(g, "w") == (30, [1, 2])  # version 2's code re-ran both invocations
    assert g.oplog(w).kinds()[-2:] == ["pending-update", "successful-update"]
    assert g.oplog(w).entries[-1]["target_version"] == 1
    assert g.invoke(C, "w", bump, 3) == 60  # and runs from now on


def test_a_running_worker_is_updated_when_its_invocation_has_ended(
        g: Golem, tmp_path: Path) -> None:
    g.add_worker(C, "w")  # created at version 0
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))

    def bump_and_update_myself() -> int:
        n = bump(1)
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
        assert g.worker(C, "w").component_version == 0  # not while it runs
        return n

    assert g.invoke(C, "w", bump_and_update_myself) == 1  # version 1's code answered
    w = g.worker(C, "w")
    kinds = g.oplog(w).kinds()
    assert kinds[-3:] == ["imported-function-invoked", "exported-function-completed",
                          "successful-update"]
    assert "pending-update" in kinds and w.component_version == 1
    assert state(g, "w") == (10, [1])  # then replayed on version 2's code


def test_a_diverging_update_fails_and_the_worker_stays_on_the_old_code(
        g: Golem, tmp_path: Path) -> None:
    for n in (1, 2):
        g.invoke(C, "w", bump, n)
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v3", V3))
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
    w = g.worker(C, "w")
    assert w.component_version == 0 and w.status is WorkerStatus.IDLE
    last = g.oplog(w).entries[-1]
    assert last.kind == "failed-update" and last["target_version"] == 1
    assert last["details"].startswith("Automatic update failed: replay of worker app/w diverged")
    assert g.updates[-1].outcome.startswith("failed: Automatic update failed:")
    # the instance was rebuilt by replay on version 1's code
    assert state(g, "w") == (3, [1, 2])
    assert g.invoke(C, "w", bump, 4) == 7
    assert "error" not in g.oplog(w).kinds()


def test_a_failed_worker_is_retried_on_the_new_version(g: Golem, tmp_path: Path) -> None:
    g.invoke(C, "w", bump, 1)
    with pytest.raises(ValueError):
        g.invoke(C, "w", bump, 13)
    w = g.worker(C, "w")
    assert w.status is WorkerStatus.FAILED
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
    # pending-update (failed → retrying), replay on version 2, successful-update, and the
    # failed invocation went on live on the new code: it completed this time
    kinds = g.oplog(w).kinds()
    assert kinds[-4:] == ["error", "pending-update", "successful-update",
                          "exported-function-completed"]
    assert w.status is WorkerStatus.IDLE and w.component_version == 1
    assert state(g, "w") == (140, [1, 13])
    assert g.invoke(C, "w", bump, 1) == 150


def test_an_exited_worker_is_only_logged(g: Golem, tmp_path: Path,
                                         caplog: pytest.LogCaptureFixture) -> None:
    def leave() -> None:
        wasi_exit.exit(Err(None))

    with pytest.raises(Trap, match="exit"):
        g.invoke(C, "w", leave)
    w = g.worker(C, "w")
    assert w.status is WorkerStatus.EXITED
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))
    before = g.oplog(w).kinds()
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
    assert g.oplog(w).kinds() == before and w.component_version == 0
    assert g.updates[-1].outcome.startswith("not performed")
    assert "exited" in caplog.text


# --- update-worker, snapshot-based (§8.1.5) -----------------------------------------------


def test_snapshot_update_saves_in_the_old_instance_and_loads_in_the_new(
        g: Golem, tmp_path: Path) -> None:
    for n in (1, 2):
        g.invoke(C, "w", bump, n)
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))
    w = g.worker(C, "w")
    n = len(g.oplog(w))
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.SNAPSHOT_BASED)
    assert w.component_version == 1 and g.updates[-1].outcome == "successful"
    new = g.oplog(w).entries[n:]
    # save/load run with persistence off: no exported-function-* entries; the new
    # instance's first call reads its environment (componentize-py), recorded as
    # persist-nothing calls are
    assert [e.kind for e in new] == ["pending-update", "imported-function-invoked",
                                     "imported-function-invoked", "successful-update"]
    assert [e["function_name"] for e in new[1:3]] == [
        "golem_environment::get_environment", "golem_environment::get_arguments"]
    assert new[0]["mode"] == "snapshot-based" and new[0]["snapshot"] == b"3"
    from golem_fakes.state.public_oplog import public_entry

    case, rec = public_entry(new[0], g.seed).wit
    assert (case, rec["update_description"]) == ("pending-update", ("snapshot-based", b"3"))
    assert g.oplog(w).is_deleted(2) and g.oplog(w).is_deleted(new[0].index)
    assert state(g, "w") == (300, [])  # version 2's load-snapshot set it
    assert g.invoke(C, "w", bump, 1) == 310


def test_snapshot_update_whose_load_fails_stays_on_the_old_version(
        g: Golem, tmp_path: Path) -> None:
    g.invoke(C, "w", bump, 5)
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v4", V4))
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.SNAPSHOT_BASED)
    w = g.worker(C, "w")
    last = g.oplog(w).entries[-1]
    assert (last.kind, last["details"]) == (
        "failed-update", "Manual update failed to load snapshot: incompatible snapshot")
    assert w.component_version == 0 and not g.oplog(w).is_deleted(2)
    assert state(g, "w") == (5, [5])  # rebuilt by replay on the old code
    assert g.invoke(C, "w", bump, 1) == 6


def test_snapshot_update_whose_save_fails_writes_only_failed_update(
        g: Golem, tmp_path: Path) -> None:
    g.invoke(C, "w", bump, 5)
    g.instance(C, "w").module("counter").SAVE_FAILS = True
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))
    w = g.worker(C, "w")
    n = len(g.oplog(w))
    with g:
        host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.SNAPSHOT_BASED)
    # hints only (the code's stderr traceback lines as log entries), no pending-update
    assert [e.kind for e in g.oplog(w).entries[n:] if not e.is_hint] == []
    assert [e.kind for e in g.oplog(w).entries[n:]][-1] == "failed-update"
    assert "pending-update" not in g.oplog(w).kinds()
    details = g.oplog(w).entries[-1]["details"]
    assert details.startswith("failed to get a snapshot for manual update: ")
    assert "ValueError: cannot save" in details
    assert w.component_version == 0 and state(g, "w")[0] == 5


# --- fork-worker and fork (§8.2, §8.4) ------------------------------------------------------


def test_fork_worker_runs_the_continuation_and_checks_no_component(g: Golem) -> None:
    g.invoke(C, "src", steps)
    (_, a), (_, b) = state(g, "src")[1]
    with g:
        # the target belongs to another component: dev.25 does not check it
        host.fork_worker(_wid(g, C, "src"), _wid(g, "other", "copy"), a)
    copy = g.worker("other", "copy")
    # replayed to the first no-op, then the rest of the invocation ran live in the copy
    assert g.oplog(copy).kinds() == g.oplog(C, "src").kinds()
    assert state(g, "copy", "other")[1] == [("a", a), ("b", b)]
    assert g.runtime(copy).recoveries == 1 and copy.status is WorkerStatus.IDLE
    # the create entry is the source's with only the worker id replaced
    src_create, copy_create = g.oplog(C, "src")[1], g.oplog(copy)[1]
    assert copy_create.payload == {**src_create.payload, "worker_id": str(copy)}
    assert copy_create.timestamp == src_create.timestamp
    assert state(g, "src")[1] == [("a", a), ("b", b)]  # the source is unaffected
    names = [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert names == ["golem::api::fork_worker"]


def test_fork_continues_live_in_the_forked_worker(g: Golem) -> None:
    assert g.invoke(C, "src", forking, "twin") == "ORIGINAL"
    twin = g.worker(C, "twin")
    src_seen, twin_seen = state(g, "src")[1], state(g, "twin")[1]
    assert src_seen[0] == "ORIGINAL" and twin_seen[0] == "FORKED"  # replay read the entry
    # both went on from the same oplog position: the same get-oplog-index
    assert src_seen[1] == twin_seen[1]
    fork_at = src_seen[1] - 1
    forked = g.oplog(twin)[fork_at]
    assert (forked["function_name"], forked["response"].value) == ("golem::api::fork", "forked")
    assert g.oplog(C, "src")[fork_at]["response"].value == "original"
    assert g.oplog(twin).kinds()[fork_at - 1:] == ["imported-function-invoked", "no-op",
                                             "exported-function-completed"]
    assert twin.status is WorkerStatus.IDLE
    assert [(f.kind, f.target) for f in g.forks] == [("fork", twin)]


# --- metadata env (§9.1, dev.25) ----------------------------------------------------------


def test_metadata_env_has_no_golem_entries_the_wasi_environment_has(g: Golem) -> None:
    from wit_world.imports import environment

    def look() -> tuple[list[str], list[str]]:
        md = host.get_self_metadata()
        return [k for k, _ in md.env], [k for k, _ in environment.get_environment()]

    g.add_worker(C, "w", env={"A": "1"})
    meta, wasi = g.invoke(C, "w", look)
    assert meta == ["A"]
    assert wasi == ["A", "GOLEM_WORKER_NAME", "GOLEM_COMPONENT_ID", "GOLEM_COMPONENT_VERSION"]


# --- what golem-fakes cannot replay ---------------------------------------------------------


def test_a_worker_that_ran_a_test_block_cannot_be_updated_or_rebuilt(
        g: Golem, tmp_path: Path) -> None:
    from golem_fakes.worker.replay import NotReplayable

    g.add_worker(C, "w")
    with g.run_as(C, "w"):
        host.get_oplog_index()  # test code in the worker's oplog: it cannot run again
    g.add_component_version(C, code="counter", path=_code(tmp_path, "v2", V2))
    with pytest.raises(NotReplayable, match=r"^update-worker of app/w to version 1: .*run_as"):
        with g:
            host.update_worker(_wid(g, C, "w"), 1, host.UpdateMode.AUTOMATIC)
    assert g.worker(C, "w").component_version == 0 and not g.runtime(C, "w").pending_updates
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertToOplogIndex(1))
    g.invoke(C, "w", bump, 1)  # the reverted block is gone: only the create entry is kept
    assert state(g, "w") == (1, [1])
    with g.run_as(C, "w"):
        pass
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertLastInvocations(1))
    g.invoke(C, "w", bump, 2)  # replays the kept invocation of bump, then runs
    assert state(g, "w") == (3, [1, 2])
    g.invoke(C, "other-w", bump, 1)
    with g.run_as(C, "w"):
        host.get_oplog_index()
    g.invoke(C, "w", bump, 4)
    with g:
        host.revert_worker(_wid(g, C, "w"), host.RevertWorkerTarget_RevertLastInvocations(1))
    with pytest.raises(NotReplayable, match="cannot recover worker app/w"):
        g.invoke(C, "w", bump, 8)  # the kept oplog holds the run_as block
