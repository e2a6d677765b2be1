"""``golem.interrupt``, ``golem.resume``, ``golem.restart`` (issue 14 §3): what Golem
v1.3.0-dev.25's interrupt, resume and restart do to status, instance and oplog
(``interrupt_worker_internal`` / ``resume_worker_internal`` in
``golem-worker-executor/src/grpc/mod.rs``, ``on_invocation_failure`` in
``durable_host/mod.rs``; :mod:`golem_fakes.worker.lifecycle`).

The component (``lifeapp``, world ``tests/data/durable``) is real worker code invoked by
export name: its module state (``calls``) is what a resume must rebuild, its key-value
counter what must be written once."""

from __future__ import annotations

import threading
import warnings
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes import InvocationRejected, LifecycleWarning, WorkerInterrupted, WorkerNotFound
from golem_fakes.state.invocation import RetryPolicy
from golem_fakes.state.registry import WorkerStatus
from worker_world import component_sources


DATA = Path(__file__).resolve().parents[1] / "data" / "durable"
C = "test:durable"

COMPONENT = '''
from wit_world import exports
from wit_world.imports import eventual, random
from wit_world.imports import wasi_keyvalue_types as kv

#: module state: what each live or replayed incr returned, in order
calls: list[int] = []


def _get(bucket, key):
    v = eventual.get(bucket, key)
    return int(v.incoming_value_consume_sync().decode()) if v is not None else 0


def _set(bucket, key, n):
    out = kv.OutgoingValue.new_outgoing_value()
    out.outgoing_value_write_body_sync(str(n).encode())
    eventual.set(bucket, key, out)


class Api(exports.Api):
    def incr(self, key):
        b = kv.Bucket.open_bucket("counters")      # host calls: open, get, set
        n = _get(b, key) + 1
        _set(b, key, n)
        calls.append(n)
        return n

    def roll(self):
        return random.get_random_u64()

    def rolled(self):
        return []

    def history(self):
        return list(calls)

    def sloppy(self):
        return 0

    def region(self, key):
        return 0

    def quiet(self):
        return (0, 0)

    def unsafe_write(self, key):
        return 0

    def jump_until(self, key, target):
        return 0

    def promise(self):
        return ""

    def keys(self):
        return []
'''



@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The component's source directory, with the durable world installed."""
    with component_sources(tmp_path_factory, DATA, "durable-world", {"lifeapp": COMPONENT}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=5)
    g.add_component(C, code="lifeapp", path=src)
    g.retry_policy = RetryPolicy(max_jitter_factor=None)
    return g


def counter(g: golem_fakes.Golem, key: str = "k") -> bytes | None:
    return g.keyvalue.get("default", "counters", key)


def kinds(g: golem_fakes.Golem, worker: str = "w") -> list[str]:
    return g.oplog(C, worker).kinds()


def status(g: golem_fakes.Golem, worker: str = "w") -> WorkerStatus:
    return g.worker(C, worker).status


# --- interrupt after N host calls, then resume ----------------------------------------


def test_an_interrupted_invocation_raises_and_the_worker_is_interrupted(
        g: golem_fakes.Golem) -> None:
    assert g.invoke(C, "w", "incr", "k") == 1
    old = g.instance(C, "w")
    g.interrupt(C, "w", after=1)                 # right after the get: before the set
    with pytest.raises(WorkerInterrupted) as info:
        g.invoke(C, "w", "incr", "k", idempotency_key="cut")
    msg = str(info.value)
    assert msg.startswith("Interrupted via the Golem API")
    assert f"{C}/w" in msg and "golem.resume(" in msg and "'cut'" in msg
    assert (info.value.worker, info.value.idempotency_key) == (f"{C}/w", "cut")
    assert status(g) is WorkerStatus.INTERRUPTED
    assert kinds(g)[-1] == "interrupted"         # the hint entry, as Golem writes it
    assert g.oplog(C, "w").entries[-1].is_hint
    assert "error" not in kinds(g)               # not a failure: no retry
    assert counter(g) == b"1"                    # the set never happened
    assert old.dropped                           # the instance is gone
    rt = g.runtime(C, "w")
    assert rt.retries == 0 and rt.reload


def test_resume_runs_the_cut_invocation_on_with_its_effects_once(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    g.interrupt(C, "w", after=2)                 # right after the set: it was written
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", "incr", "k", idempotency_key="cut")
    assert counter(g) == b"2"
    g.resume(C, "w")
    assert status(g) is WorkerStatus.IDLE
    assert counter(g) == b"2"                    # replayed, not written again
    assert kinds(g)[-1] == "exported-function-completed"
    assert g.invoke(C, "w", "history") == [1, 2]  # module state rebuilt by replay
    # the cut invocation's result is kept for its key
    assert g.invoke(C, "w", "incr", "k", idempotency_key="cut") == 2
    assert counter(g) == b"2"
    sets = [e for e in g.oplog(C, "w").entries if e.kind == "imported-function-invoked"
            and "set" in e.payload["function_name"]]
    assert len(sets) == 2                        # one write per invocation, ever


def test_resume_after_an_interrupt_before_the_write_writes_it_once(g: golem_fakes.Golem) -> None:
    # a first invocation's host calls: get-environment, get-arguments (the instance
    # starts), get, set
    g.add_worker(C, "w")
    g.interrupt(C, "w", after=3)
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", "incr", "k")
    assert counter(g) is None
    g.resume(C, "w")
    assert counter(g) == b"1"
    assert g.invoke(C, "w", "history") == [1]


def test_a_new_invocation_of_an_interrupted_worker_resumes_the_cut_one_first(
        g: golem_fakes.Golem) -> None:
    g.add_worker(C, "w")
    g.interrupt(C, "w", after=3)                 # env, args, get: before the set
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", "incr", "k", idempotency_key="cut")
    assert g.invoke(C, "w", "incr", "k") == 2    # the cut one ran to its end first
    assert g.invoke(C, "w", "history") == [1, 2]
    assert counter(g) == b"2"
    assert g.invoke(C, "w", "incr", "k", idempotency_key="cut") == 1
    assert not g.runtime(C, "w").reload


def test_invoking_with_the_cut_key_resumes_and_answers_its_result(g: golem_fakes.Golem) -> None:
    g.add_worker(C, "w")
    g.interrupt(C, "w", after=3)
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", "incr", "k", idempotency_key="cut")
    assert g.invoke(C, "w", "incr", "k", idempotency_key="cut") == 1
    assert counter(g) == b"1"
    assert status(g) is WorkerStatus.IDLE


def test_metadata_status_follows(g: golem_fakes.Golem) -> None:
    g.add_worker(C, "w")
    g.interrupt(C, "w", after=3)
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", "incr", "k")
    from wit_world.imports import host

    def look() -> Any:
        from wit_world.imports import golem_rpc_types as t

        u = g.registry.component(C).component_id.int
        wid = t.WorkerId(t.ComponentId(t.Uuid(u >> 64, u & (2**64 - 1))), "w")
        return host.get_worker_metadata(wid).status

    assert g.invoke(C, "other", look) == host.WorkerStatus.INTERRUPTED
    assert g.worker(C, "w").status is WorkerStatus.INTERRUPTED
    g.resume(C, "w")
    assert g.invoke(C, "other", look) == host.WorkerStatus.IDLE


# --- restart --------------------------------------------------------------------------


def test_restart_mid_invocation_returns_the_result_without_an_entry(
        g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    before = g.runtime(C, "w").recoveries
    g.restart(C, "w", after=1)
    assert g.invoke(C, "w", "incr", "k") == 2
    assert counter(g) == b"2"
    assert "interrupted" not in kinds(g) and "error" not in kinds(g)
    assert status(g) is WorkerStatus.IDLE
    assert g.runtime(C, "w").recoveries == before + 1
    assert g.invoke(C, "w", "history") == [1, 2]


def test_restart_keeps_entries_not_committed(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    g.restart(C, "w", after=1)                   # after the get (a read: not committed)
    g.invoke(C, "w", "incr", "k")
    gets = [e for e in g.oplog(C, "w").entries if e.kind == "imported-function-invoked"
            and e.payload["function_name"].endswith("get")]
    assert len(gets) == 2                        # replayed, not lost and run again


# --- interrupt at once, per status ----------------------------------------------------


@pytest.mark.parametrize("kind", ["idle", "failed", "exited", "interrupted"])
def test_interrupting_a_worker_golem_leaves_alone_warns_and_changes_nothing(
        g: golem_fakes.Golem, kind: str) -> None:
    g.invoke(C, "w", "incr", "k")
    if kind == "interrupted":
        g.interrupt(C, "w", after=1)
        with pytest.raises(WorkerInterrupted):
            g.invoke(C, "w", "incr", "k")
    elif kind != "idle":
        g.worker(C, "w").status = WorkerStatus[kind.upper()]
    before, inst = kinds(g), g.__dict__["_instances"].get((C, "w"))
    for op in (g.interrupt, g.restart):
        with pytest.warns(LifecycleWarning, match=f"the worker is {kind}"):
            op(C, "w")
    assert kinds(g) == before and status(g).wit_name == kind
    assert g.__dict__["_instances"].get((C, "w")) is inst
    assert g.runtime(C, "w").crash_in is None    # nothing armed


def test_interrupting_a_suspended_worker_drops_it_and_resume_replays(
        g: golem_fakes.Golem) -> None:
    from wit_world.imports import host

    made: list[str] = []

    def waiter() -> bytes:
        p = host.create_promise()
        made.append(str(p.oplog_idx))
        return host.await_promise(p)

    with pytest.raises(golem_fakes.Deadlock):
        g.invoke(C, "w", waiter, idempotency_key="wait")
    assert status(g) is WorkerStatus.SUSPENDED
    before = kinds(g)
    g.interrupt(C, "w")
    assert kinds(g) == before                    # no entry: the instance was not running
    assert status(g) is WorkerStatus.SUSPENDED   # Golem only drops it from memory
    assert (C, "w") not in g.__dict__["_instances"]
    (promise,) = g.promises
    g.complete_promise(promise, b"done")
    g.resume(C, "w")
    assert status(g) is WorkerStatus.IDLE
    assert len(g.promises) == 1                  # create-promise replayed, not run again
    assert g.invoke(C, "w", waiter, idempotency_key="wait") == b"done"


def test_interrupting_a_running_worker_from_its_own_code_stops_it_at_the_next_host_call(
        g: golem_fakes.Golem) -> None:
    from wit_world.imports import eventual
    from wit_world.imports import wasi_keyvalue_types as kv

    def code() -> int:
        b = kv.Bucket.open_bucket("counters")
        g.interrupt(C, "w")                      # the worker is running: signalled
        eventual.get(b, "k")                     # the next host call: stopped after it
        raise AssertionError("not reached")

    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", code)
    assert status(g) is WorkerStatus.INTERRUPTED and kinds(g)[-1] == "interrupted"


def test_interrupting_from_another_thread_while_the_worker_runs(g: golem_fakes.Golem) -> None:
    from wit_world.imports import eventual
    from wit_world.imports import wasi_keyvalue_types as kv

    inside, signalled = threading.Event(), threading.Event()

    def code() -> int:
        b = kv.Bucket.open_bucket("counters")
        inside.set()
        assert signalled.wait(10)
        eventual.get(b, "k")
        return 1

    def other() -> None:
        assert inside.wait(10)
        g.interrupt(C, "w")
        signalled.set()

    t = threading.Thread(target=other)
    t.start()
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", code)
    t.join()
    assert status(g) is WorkerStatus.INTERRUPTED


def test_an_interrupt_while_the_worker_retries_stops_the_retries(g: golem_fakes.Golem) -> None:
    from wit_world.imports import eventual
    from wit_world.imports import wasi_keyvalue_types as kv

    attempts: list[int] = []

    def flaky() -> int:
        b = kv.Bucket.open_bucket("counters")    # host call 1 (replayed on a retry)
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("first attempt fails")
        old = eventual.get(b, "k")              # live on the retry: the interrupt fires
        return 0 if old is None else 1

    g.invoke(C, "w", "incr", "other")            # the instance has started
    g.interrupt(C, "w", after=1)                 # the get, live on the retry
    with pytest.raises(WorkerInterrupted):
        g.invoke(C, "w", flaky, idempotency_key="f")
    rt = g.runtime(C, "w")
    assert rt.retries == 1 and len(attempts) == 2
    assert kinds(g)[-1] == "interrupted" and status(g) is WorkerStatus.INTERRUPTED
    g.resume(C, "w")
    assert len(attempts) == 3 and rt.retries == 1  # resumed, not retried
    assert status(g) is WorkerStatus.IDLE
    assert g.invoke(C, "w", flaky, idempotency_key="f") == 0


def test_interrupting_a_retrying_worker_at_once_drops_it_without_an_entry(
        g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    g.worker(C, "w").status = WorkerStatus.RETRYING  # as between attempts
    before = kinds(g)
    g.interrupt(C, "w")
    assert kinds(g) == before and status(g) is WorkerStatus.RETRYING
    assert (C, "w") not in g.__dict__["_instances"] and g.runtime(C, "w").reload
    assert g.invoke(C, "w", "history") == [1]    # the next invocation replays it first


def test_unknown_worker(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    for op in (g.interrupt, g.restart, g.resume):
        with pytest.raises(WorkerNotFound, match=rf"Worker not found: {C}/nope .*{C}/w"):
            op(C, "nope")
    with pytest.raises(KeyError):               # a KeyError, like g.worker(...)
        g.resume(C, "nope")


def test_interrupt_rejects_a_bad_after(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    with pytest.raises(ValueError, match="after"):
        g.interrupt(C, "w", after=-1)


# --- resume, per status ---------------------------------------------------------------


def test_resume_of_a_failed_worker_is_rejected(g: golem_fakes.Golem) -> None:
    g.retry_policy = RetryPolicy(max_attempts=0)

    def boom() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        g.invoke(C, "w", boom)
    assert status(g) is WorkerStatus.FAILED
    for force in (False, True):
        with pytest.raises(InvocationRejected, match=rf"Previous invocation failed: worker "
                                                     rf"{C}/w is failed .*boom"):
            g.resume(C, "w", force=force)


def test_resume_of_an_exited_worker_is_rejected(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    g.worker(C, "w").status = WorkerStatus.EXITED
    with pytest.raises(InvocationRejected, match="exit"):
        g.resume(C, "w", force=True)


def test_resume_of_an_idle_worker_in_memory_changes_nothing(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    inst, before = g.instance(C, "w"), kinds(g)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g.resume(C, "w")
    assert g.instance(C, "w") is inst and kinds(g) == before
    assert status(g) is WorkerStatus.IDLE


def test_resume_of_a_running_worker_needs_force(g: golem_fakes.Golem) -> None:
    seen: list[str] = []

    def code() -> int:
        with pytest.raises(InvocationRejected, match="is not suspended, interrupted or idle"):
            g.resume(C, "w")
        g.resume(C, "w", force=True)             # active already: nothing to load
        seen.append("ok")
        return 1

    assert g.invoke(C, "w", code) == 1
    assert seen == ["ok"]


def test_resume_of_a_worker_made_interrupted_loads_it_idle(g: golem_fakes.Golem) -> None:
    g.add_worker(C, "w", status="interrupted")
    g.resume(C, "w")
    assert status(g) is WorkerStatus.IDLE
    assert g.invoke(C, "w", "incr", "k") == 1
