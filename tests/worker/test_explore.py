"""Crash-point exploration (issue 14 §4): ``Golem.copy()``, ``Golem.explore_crashes``,
crash plans and ``golem_fakes.strategies.crash_plans``."""

from __future__ import annotations

import random as py_random
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, find, given, settings, strategies as st

import golem_fakes
from golem_fakes import Trap
from golem_fakes.state.invocation import RetryPolicy
from golem_fakes.state.registry import WorkerStatus
from golem_fakes.state.snapshot import SnapshotError
from golem_fakes.strategies import crash_plans
from golem_fakes.worker.explore import CrashExplorationFailed, CrashPlan, effects_of, first_difference
from golem_fakes.worker.replay import Divergence

golem_fakes.install()
from wit_world.imports import eventual, host, random, wasi_keyvalue_types as kv  # noqa: E402
from wit_world.imports import logging as wasi_logging  # noqa: E402

C = "shop:orders"


def put(bucket: Any, key: str, value: bytes) -> None:
    o = kv.OutgoingValue.new_outgoing_value()
    o.outgoing_value_write_body_sync(value)
    eventual.set(bucket, key, o)


def get(bucket: Any, key: str) -> bytes | None:
    v = eventual.get(bucket, key)
    return None if v is None else v.incoming_value_consume_sync()


def get_int(bucket: Any, key: str) -> int:
    return int(get(bucket, key) or b"0")


# --- a two-step saga with compensations ----------------------------------------------


def saga(order: str, qty: int, price: int) -> str:
    """Reserve stock, then charge the account; if the charge fails, release the stock
    (the compensation). Every decision comes from host calls, so replay is exact."""
    stock = kv.Bucket.open_bucket("stock")
    accounts = kv.Bucket.open_bucket("accounts")
    orders = kv.Bucket.open_bucket("orders")
    # step 1: reserve
    have = get_int(stock, "widget")
    if have < qty:
        put(orders, order, b"rejected: no stock")
        return "rejected"
    put(stock, "widget", str(have - qty).encode())
    put(orders, order, b"reserved")
    wasi_logging.log(wasi_logging.Level.INFO, "saga", f"{order} reserved")
    # step 2: charge
    balance = get_int(accounts, "alice")
    if balance < qty * price:
        # compensation of step 1
        put(stock, "widget", str(get_int(stock, "widget") + qty).encode())
        put(orders, order, b"cancelled: payment declined")
        return "cancelled"
    put(accounts, "alice", str(balance - qty * price).encode())
    put(orders, order, b"paid")
    return "paid"


def shop(stock: int, balance: int) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=7)
    g.keyvalue.bucket("stock")["widget"] = str(stock).encode()
    g.keyvalue.bucket("accounts")["alice"] = str(balance).encode()
    g.add_worker(C, "saga")
    g.invoke(C, "saga", saga, "o-0", 1, 1)  # history the recoveries replay too
    return g


def saga_check(expected: str, stock: int, balance: int) -> Any:
    def check(g: golem_fakes.Golem, result: Any) -> None:
        assert result == expected, result
        assert g.keyvalue.bucket("stock")["widget"] == str(stock).encode()
        assert g.keyvalue.bucket("accounts")["alice"] == str(balance).encode()
        assert g.keyvalue.bucket("orders")["o-1"] == {
            "paid": b"paid", "cancelled": b"cancelled: payment declined"}[expected]
        assert g.worker(C, "saga").status.name == "IDLE"
    return check


def test_the_saga_passes_check_at_every_crash_point() -> None:
    g = shop(stock=10, balance=100)           # after o-0: stock 9, balance 99
    report = g.explore_crashes(C, "saga", saga, "o-1", 2, 5,
                               check=saga_check("paid", stock=7, balance=89))
    assert report.host_calls == 6             # 2 key-value reads, 4 writes
    assert [p.point for p in report.points] == list(range(7))
    assert report.failures == [] and report.ok
    assert all(p.crashes == (1 if p.point <= report.host_calls else 0) for p in report.points)
    # the test's own Golem never ran the explored invocation
    assert g.keyvalue.bucket("stock")["widget"] == b"9"
    assert len(g.invocations(C, "saga")) == 1


def test_the_compensation_passes_at_every_crash_point_and_during_recovery() -> None:
    g = shop(stock=10, balance=3)             # after o-0: stock 9, balance 2: declined
    report = g.explore_crashes(C, "saga", saga, "o-1", 2, 5, during_recovery=True,
                               check=saga_check("cancelled", stock=9, balance=2))
    doubles = [p for p in report.points if p.plan.during_recovery]
    assert doubles and report.ok
    # the second crash is reached whenever the recovery has that many calls to replay
    # (a read recorded and not committed at the crash is lost, and runs again live)
    reached = [p for p in doubles if p.crashes == 2]
    assert len(reached) > len(doubles) // 2
    assert max(p.plan.during_recovery[0] for p in reached) >= report.host_calls
    for p in doubles:
        if p.crashes < 2:
            assert "only 1 of the 2 planned crashes were reached" in p.describe()


def test_without_check_a_point_fails_only_on_a_different_durable_effect() -> None:
    g = shop(stock=10, balance=100)
    report = g.explore_crashes(C, "saga", saga, "o-1", 1, 1)   # check=None
    assert report.ok and report.reference == "paid"
    # the wasi:logging line after the last commit is written again (as Golem does)
    repeated = [p for p in report.points if p.difference]
    assert all("wasi:logging" in p.difference for p in repeated)


# --- deliberately non-idempotent workers ---------------------------------------------


def python_random_order(order: str) -> str:
    """Names the stored order after Python's own random: replay calls set with another
    key than recorded."""
    b = kv.Bucket.open_bucket("orders")
    n = get_int(b, "count")
    put(b, f"{order}-{py_random.random():.12f}", b"x")
    put(b, "count", str(n + 1).encode())
    return "stored"


def test_python_random_makes_recovery_diverge_with_a_readable_report() -> None:
    g = golem_fakes.Golem()
    g.add_worker(C, "nd")
    with pytest.raises(CrashExplorationFailed) as e:
        g.explore_crashes(C, "nd", python_random_order, "o",
                          check=lambda g2, r: None)  # check passes; the divergence fails
    report = e.value.report
    text = str(e.value)
    assert report.host_calls == 3
    # crashing after the write with the random key: replay makes a different call
    failing = {p.point for p in report.failures}
    assert failing == {2, 3}
    assert "failing points: 2, 3" in text
    assert "the recovery diverged" in text and "replay of worker shop:orders/nd diverged" in text
    assert "Python's own random" in text
    p = report.failures[0]
    assert isinstance(p.divergence, Divergence) and isinstance(p.result, Divergence)
    assert p.crash_index is not None and f"> {p.crash_index:4}" in p.oplog
    assert "oplog of the crashed run around the crash point" in text


def persist_nothing_increment() -> int:
    """Increments a counter inside a persist-nothing region: its host calls are not
    replayed (§5.1), so a crash after the write runs the increment again. Host calls
    counted: set-oplog-persistence-level, get, set, set-oplog-persistence-level."""
    b = kv.Bucket.open_bucket("counters")
    host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
    n = get_int(b, "visits")
    put(b, "visits", str(n + 1).encode())
    host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
    return n + 1


def visits_once(g: golem_fakes.Golem, result: Any) -> None:
    assert g.keyvalue.bucket("counters").get("visits") == b"1", "the visit was counted twice"


def test_a_repeated_write_fails_check_and_the_report_names_it() -> None:
    g = golem_fakes.Golem()
    g.add_worker(C, "pn")
    report = g.explore_crashes(C, "pn", persist_nothing_increment, check=visits_once,
                               raise_on_failure=False)
    assert report.host_calls == 4 and not report.ok
    assert [p.point for p in report.failures] == [3, 4]   # after the write
    p = report.failures[0]
    assert isinstance(p.error, AssertionError) and "counted twice" in str(p.error)
    assert p.difference == "the invocation's result: returned 2 after the crash, returned 1 uncrashed"
    # the failing copy is kept on the point: its durable effects, result aside
    ref = g.copy()
    ref.invoke(C, "pn", persist_nothing_increment)
    assert first_difference(effects_of(ref, 0), effects_of(p.golem, 0), durable_only=True) == \
        "key-value bucket 'counters' key 'visits': b'2' after the crash, b'1' uncrashed"
    assert p.crash_index == 5 and "> " + "   5 imported-function-invoked" in p.oplog
    with pytest.raises(AssertionError, match=r"2 of 5 crash points fail .*failing points: 3, 4"):
        report.raise_for_failures()


def test_points_subset_and_invalid_points() -> None:
    g = golem_fakes.Golem()
    g.add_worker(C, "pn")
    report = g.explore_crashes(C, "pn", persist_nothing_increment, check=visits_once,
                               points=[0, 2, CrashPlan(3)], raise_on_failure=False)
    assert [p.point for p in report.points] == [0, 2, 3]
    assert [p.point for p in report.failures] == [3]
    with pytest.raises(ValueError, match=r"points are 0..4"):
        g.explore_crashes(C, "pn", persist_nothing_increment, points=[5])


def test_point_zero_crashes_before_any_host_call() -> None:
    g = golem_fakes.Golem()
    g.add_worker(C, "z")
    seen: list[int] = []

    def code() -> int:
        seen.append(1)
        return random.get_random_u64() % 10

    report = g.explore_crashes(C, "z", code, points=[0])
    assert report.points[0].crashes == 1 and report.points[0].result == report.reference
    # the reference run, the crashed start (code never ran before the crash), the re-run
    assert len(seen) == 2


# --- traps instead of crashes --------------------------------------------------------


def test_traps_instead_of_crashes_run_the_executors_trap_handling() -> None:
    """``traps=True`` raises a Trap at the point (the host call before it completed and
    was recorded). Golem retries a trapped invocation (§6.2): after the policy's delay a
    new instance replays the oplog and the invocation completes, its write done once."""
    g = golem_fakes.Golem()
    g.add_worker(C, "t")

    def code() -> int:
        b = kv.Bucket.open_bucket("b")
        put(b, "k", b"1")
        return 1

    outcomes: dict[int, str] = {}

    def check(g2: golem_fakes.Golem, result: Any) -> None:
        outcomes[len(outcomes)] = type(result).__name__
        assert result == 1
        assert g2.runtime(C, "t").retries == 1
        assert g2.oplog(C, "t").kinds().count("error") == 1
        assert any("golem.crash(mode='trap')" in e["error"]
                   for e in g2.oplog(C, "t").entries if e.kind == "error")
        assert g2.keyvalue.get("default", "b", "k") == b"1"
        assert g2.worker(C, "t").status.name == "IDLE"

    report = g.explore_crashes(C, "t", code, traps=True, check=check)
    assert all(p.plan.mode == "trap" for p in report.points)
    assert outcomes == {0: "int", 1: "int"}
    assert "trap after 1 host call" in str(report.points[1].plan)


# --- crashes during recovery (replay-side counter) -----------------------------------


def test_a_crash_while_replaying_is_recovered_again() -> None:
    g = shop(stock=10, balance=100)
    plan = CrashPlan(6, (3,))
    plan.arm(g, C, "saga")
    assert g.invoke(C, "saga", saga, "o-1", 1, 1) == "paid"
    rt = g.runtime(C, "saga")
    assert rt.crashes == 2 and rt.recoveries == 2
    assert g.keyvalue.bucket("stock")["widget"] == b"8"
    # planned past the replayed calls: never reached, the run is crashed once
    g2 = shop(stock=10, balance=100)
    CrashPlan(1, (500,)).arm(g2, C, "saga")
    assert g2.invoke(C, "saga", saga, "o-1", 1, 1) == "paid"
    assert g2.runtime(C, "saga").crashes == 1


def test_crash_plan_validation_and_text() -> None:
    with pytest.raises(ValueError, match="after"):
        CrashPlan(-1)
    with pytest.raises(ValueError, match="mode"):
        CrashPlan(1, mode="explode")
    with pytest.raises(ValueError, match="during_recovery"):
        CrashPlan(1, (-2,))
    assert str(CrashPlan(0)) == "crash when the invocation starts"
    assert str(CrashPlan(2, (1,))) == "crash after 2 host calls, crash again after 1 replayed call"


# --- hypothesis ----------------------------------------------------------------------


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=crash_plans(max_after=14, recovery_crashes=1), qty=st.integers(1, 4))
def test_the_saga_survives_any_crash_plan(plan: CrashPlan, qty: int) -> None:
    g = shop(stock=10, balance=100)
    plan.arm(g, C, "saga")
    assert g.invoke(C, "saga", saga, "o-1", qty, 3) == "paid"
    assert g.keyvalue.bucket("stock")["widget"] == str(9 - qty).encode()
    assert g.keyvalue.bucket("accounts")["alice"] == str(99 - 3 * qty).encode()


def test_crash_plans_shrink_to_the_smallest_failing_plan() -> None:
    base = golem_fakes.Golem()
    base.add_worker(C, "pn")

    def fails(plan: CrashPlan) -> bool:
        g = base.copy()
        plan.arm(g, C, "pn")
        g.invoke(C, "pn", persist_nothing_increment)
        return g.keyvalue.bucket("counters")["visits"] != b"1"

    smallest = find(crash_plans(max_after=30, recovery_crashes=2), fails,
                    settings=settings(max_examples=200, database=None))
    assert smallest == CrashPlan(3)


def test_crash_plans_draw_traps_only_when_asked() -> None:
    from hypothesis.errors import NoSuchExample

    fast = settings(max_examples=50, database=None)
    assert find(crash_plans(5, traps=True), lambda p: p.mode == "trap", settings=fast) == \
        CrashPlan(0, (), "trap")
    with pytest.raises(NoSuchExample):
        find(crash_plans(5, recovery_crashes=2), lambda p: p.mode == "trap", settings=fast)
    assert find(crash_plans(5, recovery_crashes=2), lambda p: len(p.during_recovery) == 2,
                settings=fast) == CrashPlan(0, (0, 0))
    with pytest.raises(ValueError):
        crash_plans(-1)


# --- Golem.copy() ----------------------------------------------------------------------


def _populated() -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=3)
    g.add_component(C, files={"/data/a.txt": b"initial"})
    g.add_worker(C, "w", env={"A": "1"})
    g.keyvalue.bucket("b")["k"] = b"v"
    g.blobstore.put("c", "o", b"blob")
    g.filesystem(C, "w").mkdir("/tmp")

    def code() -> str:
        p = host.create_promise()
        print("hello")
        put(kv.Bucket.open_bucket("b"), "k2", b"v2")
        random.get_random_bytes(4)
        return f"{p.oplog_idx}"

    g.invoke(C, "w", code)
    return g


def test_a_copy_has_the_same_state_and_shares_nothing_mutable() -> None:
    g = _populated()
    c = g.copy()
    assert effects_of(c, None) == effects_of(g, None)
    assert c.oplog(C, "w").kinds() == g.oplog(C, "w").kinds()
    assert [i.function_name for i in c.invocations(C, "w")] == \
        [i.function_name for i in g.invocations(C, "w")]
    assert c.clock.wall_ns() == g.clock.wall_ns()
    # writes in the copy never reach the original ...
    c.keyvalue.bucket("b")["k"] = b"changed"
    c.blobstore.put("c", "o2", b"new")
    c.filesystem(C, "w").mkdir("/only-in-copy")
    c.console(C, "w").write("stdout", b"copy\n")
    c.clock.advance(10**9)
    c.add_worker(C, "new-in-copy")
    c.worker(C, "w").status = WorkerStatus.SUSPENDED
    c.oplog(C, "w").append("no-op")
    key = next(iter(c.promises))
    c.complete_promise(key, b"done")
    c.runtime(C, "w").retry_policy = RetryPolicy(max_attempts=9)
    assert g.keyvalue.bucket("b")["k"] == b"v"
    assert "o2" not in g.blobstore.snapshot()["c"]
    assert "only-in-copy" not in g.filesystem(C, "w").listdir("/")
    assert g.console(C, "w").stdout == b"hello\n"
    assert g.clock.wall_ns() != c.clock.wall_ns()
    assert [w.name for w in g.workers] == ["w"]
    assert g.worker(C, "w").status.name == "IDLE"
    assert g.oplog(C, "w").kinds()[-1] != "no-op"
    assert g.promises[key].state.name == "PENDING"
    assert g.runtime(C, "w").retry_policy is None
    # ... and the random generators go on from the same state, independently
    wg, wc = g.worker(C, "w"), c.worker(C, "w")
    assert g.random.random_bytes(8, wg) == c.random.random_bytes(8, wc)
    c.random.random_bytes(8, wc)                     # drawn in the copy only
    assert g.random.random_bytes(8, wg) != c.random.random_bytes(8, wc)
    # writes in the original never reach the copy
    g.keyvalue.bucket("b")["k3"] = b"orig"
    g.filesystem(C, "w").mkdir("/only-in-original")
    assert "k3" not in c.keyvalue.bucket("b")
    assert "only-in-original" not in c.filesystem(C, "w").listdir("/")


def test_a_copy_rebuilds_a_worker_instance_by_replay_on_first_use(tmp_path: Path) -> None:
    (tmp_path / "counter_app.py").write_text(textwrap.dedent("""
        from wit_world.imports import random
        state = {"n": 0, "draws": []}

        class SaveSnapshot:
            def save(self):
                return b""

        class LoadSnapshot:
            def load(self, data):
                return None

        def bump():
            state["n"] += 1
            state["draws"].append(random.get_random_u64())
            return state["n"]
    """))
    g = golem_fakes.Golem()
    g.add_component("counter", code="counter_app", path=tmp_path)

    def bump() -> int:
        return sys.modules["counter_app"].bump()

    assert [g.invoke("counter", "a", bump) for _ in range(3)] == [1, 2, 3]
    c = g.copy()
    assert c.__dict__["_instances"] == {}
    mod = c.instance("counter", "a").module("counter_app")   # first use: replayed
    assert mod.state["n"] == 3
    assert mod.state["draws"] == g.instance("counter", "a").module("counter_app").state["draws"]
    assert mod is not g.instance("counter", "a").module("counter_app")
    assert c.invoke("counter", "a", bump) == 4
    assert g.instance("counter", "a").module("counter_app").state["n"] == 3
    assert c.runtime("counter", "a").recoveries == 1 and g.runtime("counter", "a").recoveries == 0
    sys.modules.pop("counter_app", None)


def test_a_copy_is_refused_inside_an_invocation() -> None:
    g = golem_fakes.Golem()
    seen: list[str] = []

    def code() -> None:
        try:
            g.copy()
        except SnapshotError as e:
            seen.append(str(e))

    g.invoke(C, "w", code)
    assert seen and "between invocations" in seen[0]


def test_the_default_worker_with_code_cannot_be_explored(tmp_path: Path) -> None:
    (tmp_path / "dflt_app.py").write_text("x = 1\n")
    g = golem_fakes.Golem(component="dflt", code="dflt_app", code_path=tmp_path)
    with pytest.raises(ValueError, match="default worker"):
        g.explore_crashes("dflt", "worker-1", lambda: None)


def test_first_difference_names_repeated_items() -> None:
    ref = {("result",): ("returned", 1), ("log", "c/w"): [("info", "", "a")]}
    crashed = {("result",): ("returned", 1), ("log", "c/w"): [("info", "", "a")] * 2}
    diff = first_difference(ref, crashed)
    assert diff is not None and diff.startswith("wasi:logging lines of worker c/w: repeated")
    assert first_difference(ref, crashed, durable_only=True) is None
    assert first_difference(ref, dict(ref)) is None


def test_truncate_keeps_raw_records_unmaterialised_and_exact() -> None:
    from golem_fakes.state.oplog import Oplog

    ticks = iter(range(100, 200))
    op = Oplog(lambda: next(ticks))
    op.append("create")
    op.record_ok("f", (1,), "a", "read-local")
    op.record_ok("f", (2,), "b", "read-local")
    op.record_ok("f", (3,), "c", "read-local")
    op.truncate(3)
    assert type(op._log[1]) is tuple                 # still raw after the truncation
    assert [(e.index, e.timestamp, e.payload["request"]) for e in op.entries[1:]] == \
        [(2, 101, (1,)), (3, 102, (2,))]
    assert op.committed_index == 0 and len(op) == 3


def test_the_readme_examples_run() -> None:
    import re

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    text = readme.split("## Crash-point exploration", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 2
    ns: dict[str, Any] = {"golem": golem_fakes.Golem(), "golem_fakes": golem_fakes}
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md[Crash-point exploration] block {i + 1}", "exec"), ns)
    ns["test_reserve_survives_crashes"]()   # the hypothesis test of the second block


def test_the_benchmark_runs_and_prints_the_ratio(monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    bench = Path(__file__).parents[2] / "benchmarks"
    monkeypatch.syspath_prepend(str(bench))
    spec = importlib.util.spec_from_file_location("_golem_bench_explore", bench / "bench_explore.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    out = mod.main(calls=20, repeat=1, live_repeat=1)
    text = capsys.readouterr().out
    assert out["host_calls"] == 20 and out["ratio"] > 0
    assert "21 crash points, 0 failing" in text
    assert "explore_crashes / ((N+1) x live run)" in text and "goal <= 1.5" in text
    assert out["peak_bytes"] > 0 and "KB per crash point" in text
