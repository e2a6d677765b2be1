"""The ``Golem`` environment: entry forms, invocations, isolation (nesting, threads),
seed determinism across processes, and the test-side API."""

from __future__ import annotations

import subprocess
import sys
import threading
import uuid
from types import ModuleType
from typing import Any

import pytest

import golem_fakes
from golem_fakes import Deadlock, Environment, Golem, Trap
from golem_fakes.bindings.runtime import current_environment
from golem_fakes.state.invocation import InvocationRejected
from golem_fakes.state.registry import WorkerStatus


@pytest.fixture(scope="module")
def host() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import host as h

    return h


def test_construction_is_lazy() -> None:
    g = Golem(seed=3)
    assert g.seed == 3
    assert g._registry is None and g._promises is None and g._rng is None
    assert golem_fakes.Golem is Golem


def test_with_runs_block_inside_an_invocation_of_the_default_worker(host: ModuleType) -> None:
    g = Golem(component="shop", worker="cart-1", args=["a"], env={"K": "v"}, config={"b": "2", "a": "1"})
    with g as entered:
        assert entered is g
        assert current_environment.get() is g
        w = g.current_worker
        assert (w.component.name, w.name) == ("shop", "cart-1")
        assert w.status is WorkerStatus.RUNNING
        md = host.get_self_metadata()
        assert md.worker_id.worker_name == "cart-1"
        assert md.args == ["a"]
        assert md.env[0] == ("K", "v")
        assert md.wasi_config_vars == [("a", "1"), ("b", "2")]
        assert md.status == host.WorkerStatus.RUNNING
        with g:  # re-entrant: the same invocation continues
            assert len(g.invocations()) == 1
    assert w.status is WorkerStatus.IDLE
    assert g.oplog(w).kinds() == ["create", "exported-function-invoked", "exported-function-completed"]
    assert g.invocations(w)[0].outcome == "completed"


def test_nested_golems_do_not_see_each_other(host: ModuleType) -> None:
    g1, g2 = Golem(seed=1), Golem(seed=2)
    with g1:
        p1 = host.create_promise()
        with g2:
            assert current_environment.get() is g2
            p2 = host.create_promise()
            assert g2.current_worker is not g1.current_worker
        assert current_environment.get() is g1
        assert host.get_oplog_index() == 4  # g1's oplog: create, invoked, promise, no-op
    assert list(g1.promises) == [golem_fakes.state.promises.PromiseKey.of(p1)]
    assert list(g2.promises) == [golem_fakes.state.promises.PromiseKey.of(p2)]
    assert g1.current_worker.component_id != g2.current_worker.component_id  # seeds differ


def test_two_threads_with_their_own_golems_are_isolated(host: ModuleType) -> None:
    barrier = threading.Barrier(2)
    results: dict[int, Any] = {}

    def run(seed: int, n: int) -> None:
        g = Golem(seed=seed)
        with g:
            barrier.wait()
            for _ in range(n):
                host.get_oplog_index()
            barrier.wait()
            results[seed] = (current_environment.get() is g, len(g.oplog()))

    threads = [threading.Thread(target=run, args=(s, n)) for s, n in ((1, 3), (2, 7))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == {1: (True, 2 + 3), 2: (True, 2 + 7)}


def test_two_threads_entering_one_environment_restore_their_own_token() -> None:
    env = Environment()
    outer = Environment()
    entered = threading.Barrier(2)
    errors: list[BaseException] = []

    def run(first: bool) -> None:
        try:
            with outer:
                with env:
                    entered.wait()
                    if not first:
                        entered.wait()  # exit after the first thread
                assert current_environment.get() is outer
                if first:
                    entered.wait()
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    ts = [threading.Thread(target=run, args=(f,)) for f in (True, False)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert errors == []


def test_two_threads_sharing_one_golem_run_their_own_invocations(host: ModuleType) -> None:
    g = Golem()
    barrier = threading.Barrier(2)
    seen: dict[str, Any] = {}

    def run(name: str) -> None:
        with g.run_as("c", name):
            barrier.wait()  # both invocations are active at once
            seen[name] = (host.get_self_metadata().worker_id.worker_name, g.current_worker.name)
            barrier.wait()

    ts = [threading.Thread(target=run, args=(n,)) for n in ("t1", "t2")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert seen == {"t1": ("t1", "t1"), "t2": ("t2", "t2")}
    assert g.oplog("c", "t1").kinds() == g.oplog("c", "t2").kinds() == [
        "create", "exported-function-invoked", "exported-function-completed"]
    assert current_environment.get() is not g


def test_exit_out_of_order_is_an_error() -> None:
    a, b = Environment(), Environment()
    a.__enter__()
    b.__enter__()
    with pytest.raises(RuntimeError, match="innermost"):
        a.__exit__(None, None, None)
    b.__exit__(None, None, None)
    a.__exit__(None, None, None)


_DETERMINISM_SCRIPT = """
import golem_fakes
golem_fakes.install()
from wit_world.imports import host
g = golem_fakes.Golem(seed=SEED)
with g:
    k = host.generate_idempotency_key()
    inv = g.current_invocation.idempotency_key
print(g.add_component("other").component_id, g.current_worker.component_id, inv, k.high_bits, k.low_bits)
"""


def _run(seed: int) -> str:
    out = subprocess.run([sys.executable, "-c", _DETERMINISM_SCRIPT.replace("SEED", str(seed))],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def test_same_seed_same_values_in_every_process() -> None:
    a, b, c = _run(11), _run(11), _run(12)
    assert a == b
    assert a != c
    comp, default_comp, inv_key, _, _ = a.split()
    assert uuid.UUID(comp).version == 4 and uuid.UUID(inv_key).version == 4
    assert comp != default_comp


def test_decorator_forms(host: ModuleType) -> None:
    g = Golem(seed=5)

    @g
    def f(x: int) -> int:
        return host.get_oplog_index() + x

    assert f(0) == 3
    assert f(0) == 6  # same Golem: the oplog keeps growing (fresh state is not implied)
    assert len(g.invocations()) == 2

    @Golem(seed=1)
    def h() -> str:
        return host.get_self_metadata().worker_id.worker_name

    assert h() == "worker-1"


def test_fresh_has_same_configuration_and_empty_state(host: ModuleType) -> None:
    g = Golem(seed=4, component="c", worker="w", idempotency_key="k")
    with g:
        host.create_promise()
    f = g.fresh()
    assert f.seed == 4 and not f.promises and f._registry is None
    with f:
        assert f.current_worker.key == ("c", "w")
        assert f.current_invocation.idempotency_key == "k"
    assert g.fresh(seed=9).seed == 9


class CartApi:
    """Stands for a user's exported class."""

    def add(self, n: int) -> tuple[str, int, str]:
        from wit_world.imports import host

        md = host.get_self_metadata()
        k = host.generate_idempotency_key()
        return md.worker_id.worker_name, n, str(uuid.UUID(int=(k.high_bits << 64) | k.low_bits))


def test_invoke_runs_the_callable_as_an_invocation_of_the_chosen_worker(host: ModuleType) -> None:
    g = Golem()
    key = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    name, n, k = g.invoke("cart", "c-7", CartApi().add, 5, idempotency_key=key)
    assert (name, n) == ("c-7", 5)
    # first host call that appends of a fresh worker's first invocation: N = 2 (§7.4)
    assert k == "0d829a52-b4d5-53ef-a230-9b575851b4ce"
    w = g.worker("cart", "c-7")
    assert w.status is WorkerStatus.IDLE
    inv = g.invocations(w)[0]
    assert (inv.function_name, inv.idempotency_key, inv.outcome) == ("CartApi.add", key, "completed")
    assert g.idempotency_keys == {("cart", "c-7"): [uuid.UUID(k)]}


def test_run_as_and_invoking_a_running_worker_deadlocks(host: ModuleType) -> None:
    g = Golem()
    with g.run_as("a", "w1") as inv:
        assert g.current_worker.name == "w1" and inv.worker.name == "w1"
        assert g.invoke("a", "w2", lambda: host.get_self_metadata().worker_id.worker_name) == "w2"
        assert g.current_worker.name == "w1"
        with pytest.raises(Deadlock, match="already running an invocation"):
            g.invoke("a", "w1", lambda: None)


def test_failed_invocation_marks_worker_failed_and_rejects_later_ones(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(ZeroDivisionError):
        with g:
            1 / 0
    w = g.default_worker
    assert w.status is WorkerStatus.FAILED
    assert g.oplog(w).kinds()[-1] == "error"
    assert "ZeroDivisionError" in g.oplog(w)[len(g.oplog(w))]["error"]
    with pytest.raises(InvocationRejected, match="Previous invocation failed"):
        with g:
            pass


def test_invalid_request_fails_only_the_invocation(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(Trap, match="Invalid request"):
        with g:
            host.resolve_component_id("")
    w = g.default_worker
    assert w.status is WorkerStatus.IDLE
    assert "error" not in g.oplog(w).kinds()
    with g:  # still usable
        assert host.get_idempotence_mode() is True


def test_default_worker_created_lazily_and_add_worker(host: ModuleType) -> None:
    g = Golem(seed=2)
    comp = g.add_component("inv", version=2, env={"X": "1"})
    assert comp.component_id != g.add_component("other").component_id
    w = g.add_worker("inv", "w-a", args=["x"], status="suspended", created_at=1234)
    assert w.component is comp and w.component_version == 2 and w.created_at == 1234
    assert g.worker("inv", "w-a") is w
    assert g.workers == [w] + [x for x in g.workers if x is not w]
    assert g.oplog(w)[1].kind == "create" and g.oplog(w)[1].timestamp == 1234
    assert Golem(seed=2).add_component("inv").component_id == comp.component_id


def test_retry_policy_test_side(host: ModuleType) -> None:
    g = Golem()
    assert g.retry_policy.max_attempts == 3
    assert g.retry_policy.base_delay_ms(1) == 100 and g.retry_policy.base_delay_ms(2) == 300
    assert g.retry_policy.base_delay_ms(3) is None
    with g:
        host.set_retry_policy(host.RetryPolicy(5, 1_000_000, 9_000_000, 1.5, 0.5))
    eff = g.effective_retry_policy()
    assert (eff.max_attempts, eff.multiplier, eff.max_jitter_factor) == (5, 1.5, None)
    assert g.retry_policy.max_attempts == 3  # executor default unchanged
