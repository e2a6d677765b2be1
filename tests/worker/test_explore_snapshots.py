"""Crash exploration from snapshots of the reference run is the exploration that re-runs
every prefix (issue 14 §4): for each worker here, ``explore_crashes`` with the default
strategy (each point starts from a copy taken mid-invocation at that point of the
reference run) and with ``_strategy="rerun"`` (each point re-runs the whole invocation
from a copy taken before it, crashed by ``arm_crash``) give the same report point by
point — plan, result, failure, check error, divergence, first difference, crash index,
crash count, oplog excerpt — and leave the same environment at every point (effects,
the explored worker's whole oplog, its executor counters, call counts, the clock).

The one documented difference: a worker whose *live* run is nondeterministic (Python's
own ``random``) makes another prefix at every re-run, while snapshots use the reference
run's prefix; both report the divergence at the same points."""

from __future__ import annotations

import random as py_random
from typing import Any, Callable

import pytest

import golem_fakes
from golem_fakes.state.invocation import RetryPolicy
from golem_fakes.state.snapshot import SnapshotError, copy_golem
from golem_fakes.worker import explore as explore_mod
from explore_compare import compare as compare_in
from golem_fakes.worker.explore import CrashPlan, effects_of, explore_crashes

golem_fakes.install()
from wit_world.imports import context, eventual, host, random, wasi_keyvalue_types as kv  # noqa: E402
from wit_world.imports import logging as wasi_logging  # noqa: E402
from wit_world.imports import monotonic_clock, poll, wall_clock  # noqa: E402

C = "shop:snap"


# the key-value helpers and the two-step saga of test_explore, explored both ways here
from test_explore import get_int, put, saga  # noqa: E402


# --- workers -------------------------------------------------------------------------


def shop(balance: int) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=7)
    g.keyvalue.bucket("stock")["widget"] = b"10"
    g.keyvalue.bucket("accounts")["alice"] = str(balance).encode()
    g.add_worker(C, "saga")
    g.invoke(C, "saga", saga, "o-0", 1, 1)
    return g


def counter(rounds: int) -> Callable[[], int]:
    def work() -> int:
        b = kv.Bucket.open_bucket("counters")
        n = 0
        for _ in range(rounds):
            n = get_int(b, "n")
            put(b, "n", str(n + 1).encode())
        return n + 1
    return work


def persist_nothing_increment() -> int:
    b = kv.Bucket.open_bucket("counters")
    host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
    n = get_int(b, "visits")
    put(b, "visits", str(n + 1).encode())
    host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
    return n + 1


def host_api_mix() -> str:
    """Atomic region, oplog index, idempotence off (begin/end-remote-write), an explicit
    commit, output, host random and clocks, a promise: the executor-side state a
    snapshot must carry over exactly."""
    b = kv.Bucket.open_bucket("mix")
    start = host.get_oplog_index()
    begin = host.mark_begin_operation()
    put(b, "a", str(random.get_random_u64() % 1000).encode())
    host.mark_end_operation(begin)
    print("between regions")
    host.set_idempotence_mode(False)
    put(b, "b", str(wall_clock.now().seconds).encode())
    host.set_idempotence_mode(True)
    host.oplog_commit(1)
    p = host.create_promise()
    t0 = monotonic_clock.now()
    poll.poll([monotonic_clock.subscribe_duration(1_000_000)])
    put(b, "c", f"{p.oplog_idx}:{monotonic_clock.now() - t0 > 0}".encode())
    wasi_logging.log(wasi_logging.Level.WARN, "mix", "done")
    return f"{start}:{get_int(b, 'a') >= 0}"


def spans() -> int:
    """Spans are resources whose drop writes ``finish-span``: a crash inside the
    ``with`` block drops the lost instance's span handle in both strategies."""
    b = kv.Bucket.open_bucket("spans")
    with context.start_span("outer") as outer:
        outer.set_attribute("k", context.AttributeValue_String("v"))
        put(b, "x", b"1")
        n = get_int(b, "x")
        with context.start_span("inner"):
            put(b, "y", str(n).encode())
    return get_int(b, "y")


def fails_after_two() -> int:
    """Fails (an exception, not a crash) after two host calls: retried per the retry
    policy, each retry replaying and failing again, until the worker is failed."""
    b = kv.Bucket.open_bucket("f")
    put(b, "k", b"1")
    get_int(b, "k")
    raise ValueError("the order is invalid")


def python_random_order(order: str) -> str:
    b = kv.Bucket.open_bucket("orders")
    n = get_int(b, "count")
    put(b, f"{order}-{py_random.random():.12f}", b"x")
    put(b, "count", str(n + 1).encode())
    return "stored"


def compare(make: Callable[[], golem_fakes.Golem], worker: str, fn: Any, *args: Any,
            **options: Any) -> Any:
    return compare_in(make, C, worker, fn, *args, **options)


def plain(name: str) -> Callable[[], golem_fakes.Golem]:
    def make() -> golem_fakes.Golem:
        g = golem_fakes.Golem(seed=11)
        g.add_worker(C, name)
        return g
    return make


# --- the same report ------------------------------------------------------------------


@pytest.mark.parametrize("balance", [100, 3], ids=["paid", "compensated"])
def test_the_saga_explored_from_snapshots_is_the_rerun_exploration(balance: int) -> None:
    report = compare(lambda: shop(balance), "saga", saga, "o-1", 2, 5, during_recovery=True)
    assert report.ok and report.host_calls >= 6
    assert any(p.plan.during_recovery and p.crashes == 2 for p in report.points)


def test_failing_points_and_their_reports_are_the_same() -> None:
    def once(g: golem_fakes.Golem, result: Any) -> None:
        assert g.keyvalue.bucket("counters").get("visits") == b"1", "counted twice"

    report = compare(plain("pn"), "pn", persist_nothing_increment, check=once)
    assert [p.point for p in report.failures] == [3, 4]
    assert "counted twice" in report.describe() and "> " in report.failures[0].oplog
    # without check: the durable difference fails the same points
    report = compare(plain("pn"), "pn", persist_nothing_increment)
    assert [p.point for p in report.failures] == [3, 4]


def test_a_counter_with_history_and_crashes_during_recovery() -> None:
    def make() -> golem_fakes.Golem:
        g = plain("c")()
        g.invoke(C, "c", counter(2))            # history every recovery replays
        return g

    report = compare(make, "c", counter(4), during_recovery=True)
    assert report.ok and report.host_calls == 8
    assert len(report.points) == 9 + sum(4 + k for k in range(9))


def test_the_host_api_state_of_a_snapshot_is_carried_over() -> None:
    report = compare(plain("mix"), "mix", host_api_mix)
    assert report.host_calls == 14
    # a crash inside the unfinished atomic region re-executes it live (§4.4): another
    # random value is written; after the region's end is committed, none is
    assert [p.point for p in report.failures] == [3, 4, 5, 6]
    assert all("key-value bucket 'mix' key 'a'" in (p.difference or "")
               for p in report.failures)


def test_points_where_a_span_is_open_re_run(monkeypatch: pytest.MonkeyPatch) -> None:
    """A span handle's drop writes ``finish-span``; where the crashed code drops it
    (its ``with`` block's exit while unwinding from the crash) is not in a copy, so
    the points inside the ``with`` blocks are re-run (the copy is refused there)."""
    refused: list[int] = []
    real = explore_mod._Snapshots.take

    def take(self: Any, k: int) -> None:
        real(self, k)
        if k in self.taken and self.taken[k] is None:
            refused.append(k)

    monkeypatch.setattr(explore_mod._Snapshots, "take", take)
    report = compare(plain("sp"), "sp", spans, during_recovery=True)
    assert report.host_calls == 4
    assert sorted(set(refused)) == [1, 2, 3]
    # a crash inside the ``with`` blocks: the dead instance's unwinding drops the spans,
    # which writes nothing (a real executor's dead instance writes nothing), so the
    # recovery replays the oplog as it was at the crash and no point diverges
    assert report.failures == []


def test_traps_retried_and_not_retried() -> None:
    def check(g: golem_fakes.Golem, result: Any) -> None:
        assert result == 2, result

    report = compare(plain("t"), "t", counter(2), traps=True, check=check)
    assert report.ok and all(p.plan.mode == "trap" for p in report.points)

    def no_retries() -> golem_fakes.Golem:
        g = plain("t")()
        g.retry_policy = RetryPolicy(max_attempts=0)
        return g

    report = compare(no_retries, "t", counter(2), traps=True, check=check)
    assert [p.point for p in report.failures] == list(range(5))
    assert all("golem.crash(mode='trap')" in str(p.result) for p in report.failures)
    # the trapped worker's instance is rebuilt by replay when the check uses it
    g = report.failures[2].golem
    assert g.worker(C, "t").status.name == "FAILED"
    assert g.instance(C, "t") is not None


def test_a_worker_that_fails_and_is_retried() -> None:
    report = compare(plain("f"), "f", fails_after_two)
    assert isinstance(report.reference, ValueError)
    assert report.host_calls >= 2


def test_a_subset_of_points_crash_plans_and_an_idempotency_key() -> None:
    def make() -> golem_fakes.Golem:
        return shop(100)

    plans = [0, 3, CrashPlan(3, (2,)), CrashPlan(5, (1, 0)), CrashPlan(2, mode="trap"),
             CrashPlan(6), CrashPlan(40)]          # 40: never reached (no snapshot)
    report = compare(make, "saga", saga, "o-1", 1, 1, points=plans, idempotency_key="k-1")
    assert [str(p.plan) for p in report.points] == [
        str(CrashPlan(0)), str(CrashPlan(3))] + [str(p) for p in plans[2:]]
    assert report.points[-1].crashes == 0 and report.ok


def test_snapshots_are_taken_only_at_the_points_the_plans_need(
        monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[int] = []
    real = explore_mod._Snapshots.take

    def take(self: Any, k: int) -> None:
        real(self, k)
        if k in self.taken:
            taken.append(k)

    monkeypatch.setattr(explore_mod._Snapshots, "take", take)
    g = shop(100)
    g.explore_crashes(C, "saga", saga, "o-1", 1, 1, points=[1, CrashPlan(4, (2,)), 4])
    assert taken == [1, 4]
    taken.clear()
    g.explore_crashes(C, "saga", saga, "o-1", 1, 1)
    assert taken == list(range(7))


# --- the documented difference: a nondeterministic live run ---------------------------


def test_a_nondeterministic_worker_diverges_at_the_same_points() -> None:
    """Python's own ``random``: the re-run makes another prefix at every point (another
    key), a snapshot has the reference run's; the recovery diverges at the same points,
    and without check every point differs from the reference durably in both."""
    reports = {s: explore_crashes(plain("nd")(), C, "nd", python_random_order, "o",
                                  check=lambda g, r: None, raise_on_failure=False,
                                  _strategy=s) for s in ("snapshot", "rerun")}
    for r in reports.values():
        assert r.host_calls == 3
        assert [p.point for p in r.failures] == [2, 3]
        assert all(p.divergence is not None for p in r.failures)
        assert all(p.result == "stored" for p in r.points if not p.failed)
    snap, rerun = reports["snapshot"], reports["rerun"]
    # the divergence names the recorded key: the reference run's for snapshots
    ref_key = [k for k in effects_of(snap.failures[0].golem, None)
               if k[0] == "keyvalue" and k[2].startswith("o-")]
    assert ref_key and ref_key[0][2] in str(snap.failures[0].divergence)
    assert str(snap.failures[0].divergence) != str(rerun.failures[0].divergence)
    plain_reports = {s: explore_crashes(plain("nd")(), C, "nd", python_random_order, "o",
                                        raise_on_failure=False, _strategy=s)
                     for s in ("snapshot", "rerun")}
    for r in plain_reports.values():
        assert [p.point for p in r.failures] == [0, 1, 2, 3]


def test_code_outside_the_golem_runs_the_prefix_once() -> None:
    """Side effects outside the environment (a test's list) of the prefix happen in
    the reference run only: a point's run starts at the crash and replays the prefix."""
    runs: dict[str, list[int]] = {"snapshot": [], "rerun": []}
    for s, seen in runs.items():
        def code(seen: list[int] = seen) -> int:
            seen.append(1)
            return random.get_random_u64() % 10

        explore_crashes(plain("z")(), C, "z", code, points=[0, 1], check=lambda g, r: None,
                        _strategy=s)
    # reference; point 0: recovery; point 1: recovery (rerun: and the crashed prefix)
    assert len(runs["snapshot"]) == 3 and len(runs["rerun"]) == 4


# --- the mid-invocation copy -----------------------------------------------------------


def test_a_mid_invocation_copy_is_only_for_the_running_worker() -> None:
    g = plain("m")()
    w = g.worker(C, "m")
    got: list[Any] = []

    def code() -> None:
        b = kv.Bucket.open_bucket("m")
        put(b, "k", b"1")
        got.append(copy_golem(g, running=w))
        with pytest.raises(SnapshotError, match="between invocations"):
            g.copy()
        other = g.registry.find_or_add(C, "other")
        with pytest.raises(SnapshotError, match="between invocations"):
            copy_golem(g, running=other)

    g.invoke(C, "m", code)
    c = got[0]
    inv = c.invocations(C, "m")[-1]
    assert inv.outcome is None and inv.golem is c            # still running in the copy
    assert c.current_invocation is None                      # but not in this context
    assert c.keyvalue.bucket("m")["k"] == b"1"
    assert ("shop:snap", "m") not in c.__dict__["_recover_on_use"]
    assert c.runtime(C, "m").crash_hook is None
    # the copy's call counts go on from the original's at that moment
    assert c.call_count("wasi:keyvalue/eventual@0.1.0", "set") == 1


def test_a_crash_inside_a_span_writes_no_finish_span_and_recovers() -> None:
    """``Golem.crash`` inside the ``with start_span`` blocks: the recovered oplog has one
    ``finish-span`` per span (the replayed code's), none from the lost instance's
    unwinding, and the invocation completes without a divergence."""
    for after in range(5):
        g = plain("sp")()
        g.crash(C, "sp", after=after)
        assert g.invoke(C, "sp", spans) == 1, after
        kinds = [e.kind for e in g.oplog(C, "sp")]
        assert kinds.count("start-span") == kinds.count("finish-span") == 2, (after, kinds)
        assert g.worker(C, "sp").status.name != "FAILED"
