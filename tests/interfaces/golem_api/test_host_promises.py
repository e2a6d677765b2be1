"""golem:api/host promises (§3; §16 rules 6, 7, 9, 10, 11)."""

from __future__ import annotations

import uuid
from types import ModuleType

import pytest

from golem_fakes import Deadlock, Golem, Trap
from golem_fakes.state.promises import PromiseKey, PromiseState
from golem_fakes.state.registry import WorkerStatus


def test_create_returns_self_and_index_of_its_own_entry(host: ModuleType) -> None:
    g = Golem()
    with g:
        host.get_oplog_index()  # 3
        p = host.create_promise()
        w = g.current_worker
    assert p.worker_id.worker_name == w.name
    cid = p.worker_id.component_id.uuid
    assert uuid.UUID(int=(cid.high_bits << 64) | cid.low_bits) == w.component_id
    assert p.oplog_idx == 4
    entry = g.oplog(w)[4]
    assert (entry.kind, entry["function_name"]) == ("imported-function-invoked", "golem::api::create_promise")
    key = PromiseKey.of(p)
    assert str(key) == f"{w.component_id}/{w.name}/4"
    assert g.promises[key].state is PromiseState.PENDING


def test_complete_first_payload_wins_then_await_and_poll(host: ModuleType) -> None:
    g = Golem()
    with g:
        p = host.create_promise()
        assert host.poll_promise(p) is None
        assert host.complete_promise(p, b"one") is True
        assert host.complete_promise(p, b"two") is False
        assert host.await_promise(p) == b"one"
        assert host.poll_promise(p) == b"one"
    names = [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert names == ["golem::api::create_promise", "golem::api::poll_promise",
                     "golem::api::complete_promise", "golem::api::complete_promise",
                     "golem::api::poll_promise"]  # await-promise is not recorded


def test_unknown_and_deleted_promises_trap(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(Trap, match=r"^Promise not found: .*/worker-1/99$"):
        with g:
            p = host.create_promise()
            host.delete_promise(p)
            host.delete_promise(p)  # silent when absent
            for f in (lambda: host.await_promise(p), lambda: host.poll_promise(p),
                      lambda: host.complete_promise(p, b"x")):
                with pytest.raises(Trap, match=f"Promise not found: {PromiseKey.of(p)}"):
                    f()
            bogus = host.PromiseId(p.worker_id, 99)
            host.await_promise(bogus)
    # poll-promise records its error; complete-promise (v1.3.1) does not
    recorded = [(e["function_name"], e["response"]) for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert [n for n, _ in recorded].count("golem::api::delete_promise") == 2
    assert any(n == "golem::api::poll_promise" and type(r).__name__ == "Err" for n, r in recorded)
    assert "golem::api::complete_promise" not in [n for n, _ in recorded]


def test_await_pending_without_completion_is_a_deadlock_not_an_exception(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(Deadlock) as info:
        with g:
            p = host.create_promise()
            try:
                host.await_promise(p)
            except Exception:  # worker code cannot swallow it
                pytest.fail("Deadlock was caught by `except Exception`")
    msg = str(info.value)
    assert str(PromiseKey.of(p)) in msg
    assert "g.complete_promise(" in msg and "schedule_promise_completion" in msg
    w = g.default_worker
    assert w.status is WorkerStatus.SUSPENDED
    assert g.oplog(w).kinds()[-1] == "suspend"


def test_test_side_completion_and_schedules(host: ModuleType) -> None:
    g = Golem()
    with g:
        a, b, c, d = (host.create_promise() for _ in range(4))
        assert g.complete_promise(a, b"A") is True
        assert g.complete_promise(str(PromiseKey.of(a)), b"Z") is False
        assert host.await_promise(a) == b"A"
        g.schedule_promise_completion(b, b"B", after_polls=2)
        assert host.poll_promise(b) is None
        assert host.poll_promise(b) == b"B"
        g.schedule_promise_completion(c, b"C", after_polls=5)
        assert host.await_promise(c) == b"C"  # arrives while the worker is suspended
        assert g.current_worker.status is WorkerStatus.RUNNING
        ready = {"flag": False}
        g.schedule_promise_completion(d, b"D", when=lambda: ready["flag"])
        assert host.poll_promise(d) is None
        ready["flag"] = True
        assert host.poll_promise(d) == b"D"
    assert g.promises[PromiseKey.of(b)].completed_by == "scheduled completion"
    with pytest.raises(KeyError, match="Promise not found"):
        g.complete_promise(PromiseKey(uuid.uuid4(), "nobody", 3), b"")
    with pytest.raises(TypeError, match="exactly one"):
        g.schedule_promise_completion(a, b"", after_polls=1, when=lambda: True)


def test_promises_are_shared_between_workers(host: ModuleType) -> None:
    g = Golem()
    p = g.invoke("c", "owner", host.create_promise)
    assert g.invoke("c", "other", host.complete_promise, p, b"hi") is True
    assert g.invoke("c", "owner", host.await_promise, p) == b"hi"
    assert g.promises[PromiseKey.of(p)].completed_by == "worker c/other"
