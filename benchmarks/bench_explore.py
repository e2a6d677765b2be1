"""Cost of crash-point exploration (issue 14 §4).

Goal: an invocation of 1,000 recorded host calls crashed at every point (``0..N``,
``N + 1`` runs) costs at most 1.5 × ``(N + 1)`` live runs of it: each run is one live
execution plus, on average, a replay of half of it, so the goal holds when replaying a
host call costs no more than making it live, and copying the environment (instead of
running the test's set-up again) costs little.

The invocation: a worker reads and writes a key-value counter 500 times (``get`` +
``set`` = 1,000 recorded host calls; each ``set`` also makes the two unrecorded calls of
an ``outgoing-value``, each ``get`` the ``consume``), after an earlier invocation that
left history the recoveries replay too. Measured in CPU time of the process (``time.process_time``), interleaved, medians:

* ``copy`` — ``golem.copy()`` of the environment before the invocation (what every
  point starts from);
* ``live run`` — one uncrashed invocation on a copy (the copy not counted);
* ``crashed run, k = N/2`` — one run crashed after ``N/2`` calls and recovered;
* ``explore_crashes`` — the whole exploration (reference run, ``N + 1`` copies, runs,
  checks and effect comparisons).

Prints the medians, the ratio ``explore / ((N + 1) × live run)`` and the verdict. Run:
``python benchmarks/bench_explore.py`` (``--calls N`` for another size).
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
from typing import Any, Callable

import golem_fakes

GOAL = 1.5
C = "bench:explore"


def _bindings() -> Any:
    golem_fakes.install()
    from wit_world.imports import eventual, wasi_keyvalue_types as kv

    return eventual, kv


def make_work(rounds: int) -> Callable[[], int]:
    eventual, kv = _bindings()

    def work() -> int:
        b = kv.Bucket.open_bucket("counters")
        n = 0
        for _ in range(rounds):
            v = eventual.get(b, "n")
            n = int(v.incoming_value_consume_sync()) if v is not None else 0
            o = kv.OutgoingValue.new_outgoing_value()
            o.outgoing_value_write_body_sync(str(n + 1).encode())
            eventual.set(b, "n", o)
        return n + 1

    return work


def _timed(fn: Callable[[], Any]) -> float:
    """CPU seconds of this process running ``fn`` (``time.process_time``: the machine is
    shared, and wall time counts the other processes' turns). The cyclic garbage
    collector stays on, as in a test run: an exploration makes a thousand copies, whose
    reference cycles only it frees (with it off, the heap grows through the run and
    every allocation gets slower); the heap is collected before each measurement."""
    gc.collect()
    t0 = time.process_time()
    fn()
    return time.process_time() - t0


def main(calls: int = 1000, repeat: int = 5, live_repeat: int = 21) -> dict[str, float]:
    rounds = calls // 2
    work = make_work(rounds)
    base = golem_fakes.Golem(seed=1)
    base.add_worker(C, "w")
    base.invoke(C, "w", make_work(3))          # history: 6 calls replayed by every recovery
    expected = 3 + rounds

    def check(g: golem_fakes.Golem, result: Any) -> None:
        assert result == expected, result
        assert g.keyvalue.bucket("counters")["n"] == str(expected).encode()

    def live() -> float:
        g = base.copy()
        return _timed(lambda: g.invoke(C, "w", work))

    def crashed() -> float:
        g = base.copy()
        golem_fakes_plan(calls // 2).arm(g, C, "w")
        return _timed(lambda: g.invoke(C, "w", work))

    def copy() -> float:
        return _timed(base.copy)

    report: list[Any] = []

    def explore() -> float:
        return _timed(lambda: report.append(base.explore_crashes(C, "w", work, check=check)))

    for fn in (live, crashed, copy):   # warm up
        fn()
    times: dict[str, list[float]] = {"copy": [], "live run": [], "crashed run, k = N/2": [],
                                     "explore_crashes": []}
    for i in range(repeat):
        for _ in range(live_repeat // repeat + 1):
            times["copy"].append(copy())
            times["live run"].append(live())
            times["crashed run, k = N/2"].append(crashed())
        times["explore_crashes"].append(explore())
    rep = report[-1]
    n = rep.host_calls
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"invocation: {n} recorded host calls, {len(rep.points)} crash points, "
          f"{len(rep.failures)} failing")
    print(f"{'measure (CPU time)':24} {'median ms':>10} {'min ms':>9}")
    for k, v in times.items():
        print(f"{k:24} {med[k] * 1000:10.3f} {min(v) * 1000:9.3f}")
    ratio = med["explore_crashes"] / ((n + 1) * med["live run"])
    best = min(times["explore_crashes"]) / ((n + 1) * min(times["live run"]))
    per_point = med["explore_crashes"] / (n + 1)
    # a point starts from the snapshot the reference run took there (a copy of it), then
    # the recovery replays the k calls before the point and runs the N - k after it live
    print(f"explore per point {per_point * 1000:.3f} ms (a snapshot copied, the "
          f"recovery: replay of k calls + live run of N - k, checks and effect "
          f"comparison); one live run of all N calls {med['live run'] * 1000:.3f} ms")
    print(f"explore_crashes / ((N+1) x live run) = {ratio:.2f} (best batches {best:.2f}; "
          f"goal <= {GOAL}): {'OK' if ratio <= GOAL else 'OVER GOAL'}")
    peak = _snapshot_memory(base, work, check)
    print(f"memory: peak {peak / 1e6:.1f} MB traced during one exploration "
          f"({peak / (n + 1) / 1e3:.1f} KB per crash point: the snapshots of the reference "
          f"run live until their point has run)")
    return {**med, "ratio": ratio, "host_calls": float(n), "peak_bytes": float(peak)}


def _snapshot_memory(base: golem_fakes.Golem, work: Callable[[], int],
                     check: Callable[[golem_fakes.Golem, Any], None]) -> int:
    """Peak bytes allocated (``tracemalloc``) by one exploration above what was live
    before it: mostly the ``N + 1`` snapshots the reference run takes."""
    import tracemalloc

    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    before = tracemalloc.get_traced_memory()[0]
    base.explore_crashes(C, "w", work, check=check)
    peak = tracemalloc.get_traced_memory()[1] - before
    tracemalloc.stop()
    return peak


def golem_fakes_plan(after: int) -> Any:
    from golem_fakes.worker.explore import CrashPlan

    return CrashPlan(after)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    a = ap.parse_args()
    main(a.calls, a.repeat)
