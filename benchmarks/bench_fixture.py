"""Cost of the pytest plugin: the ``golem`` fixture per test, and start-up + collection.

Generates, in a temporary directory, a project of 1,000 tests in each of four files:

* ``test_plain.py``   — ``def test_i(): pass`` (the baseline),
* ``test_fixture.py`` — ``def test_i(golem): pass``,
* ``test_noop.py``    — ``def test_i(noop): pass`` with a trivial ``yield`` fixture (what
  pytest's fixture machinery alone costs),
* ``test_marker.py``  — ``@pytest.mark.golem(worker="w")`` on ``def test_i(): pass``,

and runs each in a fresh ``python -m pytest`` process (interleaved, ``--repeat`` times).
A tiny timing plugin measures the run-test loop (``pytest_collection_finish`` →
``pytest_sessionfinish``) inside the process, so interpreter start-up does not blur the
per-test figure. Prints medians:

* per-test cost of the fixture = (loop with fixture − loop without) / 1,000, and the
  ratio of the two loops (budget: ≤ 0.05 ms per test);
* the same from CPU time (``time.process_time``) of collection *plus* the loop: work
  the plugin does at collection (the marker and seed plan) counts too, and other
  processes on the machine disturb it less than wall time;
* the most robust figure: one process running ``test_mixed.py`` (plain, ``golem`` and
  bare-``yield``-fixture tests interleaved); the median per-test protocol time of each
  kind, and the differences (golem − plain is the fixture's cost per test);
* ``pytest --collect-only`` wall time of the plain file with the plugin vs
  ``-p no:golem`` (start-up, bindings install from a warm cache, collection), the
  difference and the ratio (budget: ≤ 50 ms).

hypothesis' plugin is disabled in every run (``-p no:hypothesispytest``): importing it
costs about a second and would only add noise to both sides. The binding cache is the
user's (warm after the first run); bytecode caching is on in the measured processes
even if ``PYTHONDONTWRITEBYTECODE`` is set here. Run: ``python benchmarks/bench_fixture.py [--tests N]
[--repeat R]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURE_BUDGET_MS = 0.05
COLLECT_BUDGET_MS = 50.0

TIMER_PLUGIN = '''
import json, os, time

_t = {}

if os.environ.get("BENCH_STUB_GOLEM"):
    # Attribution run: the golem fixture's wiring (marker lookup, seed, stash, report
    # hook) with the environment replaced by a no-op context manager.
    import golem_fakes.state.golem as _golem_mod

    class _NoGolem:
        def __init__(self, seed, **kwargs):
            self.seed = seed
        def add_worker(self, *a, **k):
            pass
        def __enter__(self):
            return self
        def __exit__(self, *exc):
            return None

    _golem_mod.Golem = _NoGolem

def pytest_collection(session):
    _t["collect"] = time.perf_counter()
    _t["collect_cpu"] = time.process_time()

def pytest_collection_finish(session):
    _t["start"] = time.perf_counter()
    _t["start_cpu"] = time.process_time()

def pytest_sessionfinish(session, exitstatus):
    _t["end"] = time.perf_counter()
    _t["end_cpu"] = time.process_time()
    start, start_cpu = _t.get("start", _t["end"]), _t.get("start_cpu", _t["end_cpu"])
    with open(os.environ["BENCH_TIMER_OUT"], "w") as f:
        json.dump({"loop": _t["end"] - start, "loop_cpu": _t["end_cpu"] - start_cpu,
                   "collect": start - _t.get("collect", start),
                   "collect_cpu": start_cpu - _t.get("collect_cpu", start_cpu),
                   "tests": session.testscollected, "status": int(exitstatus)}, f)
'''


ITEM_TIMER_PLUGIN = '''
import json, os, time
import pytest

_d = {}

@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    t0 = time.perf_counter_ns()
    try:
        return (yield)
    finally:
        _d.setdefault(item.name.split("_")[1], []).append(time.perf_counter_ns() - t0)

def pytest_sessionfinish(session, exitstatus):
    with open(os.environ["BENCH_ITEM_TIMER_OUT"], "w") as f:
        json.dump(_d, f)
'''


def make_project(root: Path, n: int) -> None:
    (root / ".git").mkdir()  # golem-fakes' discovery stops here: vendored all-imports
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "bench_timer.py").write_text(TIMER_PLUGIN)
    (root / "test_plain.py").write_text("".join(
        f"def test_{i}():\n    pass\n\n" for i in range(n)))
    (root / "test_fixture.py").write_text("".join(
        f"def test_{i}(golem):\n    pass\n\n" for i in range(n)))
    (root / "test_noop.py").write_text("import pytest\n\n@pytest.fixture\ndef noop():\n"
                                       "    yield 1\n\n" + "".join(
        f"def test_{i}(noop):\n    pass\n\n" for i in range(n)))
    (root / "item_timer.py").write_text(ITEM_TIMER_PLUGIN)
    (root / "test_mixed.py").write_text(
        "import pytest\n\n@pytest.fixture\ndef noop():\n    yield 1\n\n" + "".join(
            f"def test_plain_{i}():\n    pass\n\ndef test_golem_{i}(golem):\n    pass\n\n"
            f"def test_noop_{i}(noop):\n    pass\n\n" for i in range(n)))
    (root / "test_marker.py").write_text("import pytest\n\n" + "".join(
        f"@pytest.mark.golem(worker='w')\ndef test_{i}():\n    pass\n\n" for i in range(n)))


BASE_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")


def _pythonpath(root: Path) -> str:
    """``root`` (the timing plugins) first, then this process's ``PYTHONPATH``, so the
    measured processes import the golem-fakes this benchmark runs with (a checkout on
    ``PYTHONPATH``), not whatever the virtualenv's editable install points at."""
    inherited = os.environ.get("PYTHONPATH")
    return str(root) + (os.pathsep + inherited if inherited else "")


def _env(**extra: str) -> dict[str, str]:
    """The environment of the measured processes: bytecode caching on (as for users;
    some CI images set PYTHONDONTWRITEBYTECODE, which makes every import compile)."""
    env = dict(os.environ, **extra)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run_loop(root: Path, file: str, n: int, stub: bool = False) -> float:
    """Wall seconds of the run-test loop of ``file`` (see :func:`run_timed`)."""
    return run_timed(root, file, n, stub)["loop"]


def run_timed(root: Path, file: str, n: int, stub: bool = False) -> dict[str, float]:
    """One fresh pytest process on ``file``: wall and CPU (``process_time``) seconds of
    its collection and of its run-test loop. CPU time is what the machine's other work
    disturbs least (a 2-core box shared with test runs)."""
    out = root / "timer.json"
    env = _env(BENCH_TIMER_OUT=str(out), PYTHONPATH=_pythonpath(root))
    if stub:
        env["BENCH_STUB_GOLEM"] = "1"
    proc = subprocess.run([sys.executable, "-m", "pytest", *BASE_ARGS, "-p", "bench_timer", file],
                          cwd=root, env=env, capture_output=True, text=True)
    data = json.loads(out.read_text())
    if proc.returncode != 0 or data["tests"] != n:
        raise SystemExit(f"benchmark run of {file} failed (exit {proc.returncode}, "
                         f"{data['tests']} tests):\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    return {k: float(data[k]) for k in ("loop", "loop_cpu", "collect", "collect_cpu")}


def run_mixed(root: Path) -> dict[str, float]:
    """One pytest process on ``test_mixed.py`` (plain, ``golem`` and ``noop`` tests
    interleaved): the median wall time of each kind's whole run-test protocol (setup,
    call, teardown, reporting), in µs. Interleaving in one process cancels what differs
    between processes and moments; the median ignores the odd disturbed test."""
    out = root / "items.json"
    env = _env(BENCH_ITEM_TIMER_OUT=str(out), PYTHONPATH=_pythonpath(root))
    proc = subprocess.run([sys.executable, "-m", "pytest", *BASE_ARGS, "-p", "item_timer",
                           "test_mixed.py"], cwd=root, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"benchmark run of test_mixed.py failed:\n{proc.stdout[-2000:]}")
    data = json.loads(out.read_text())
    return {k: statistics.median(v) / 1e3 for k, v in data.items()}


def run_collect(root: Path, plugin: bool) -> float:
    args = [sys.executable, "-m", "pytest", *BASE_ARGS, "--collect-only", "test_plain.py"]
    if not plugin:
        args += ["-p", "no:golem"]
    t0 = time.perf_counter()
    c0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    proc = subprocess.run(args, cwd=root, capture_output=True, text=True, env=_env())
    elapsed = time.perf_counter() - t0
    c1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"collect-only run failed:\n{proc.stdout[-2000:]}\n{proc.stderr[-2000:]}")
    _collect_cpu[plugin].append(c1.ru_utime + c1.ru_stime - c0.ru_utime - c0.ru_stime)
    return elapsed


#: CPU seconds (user + system) of each ``--collect-only`` process, by plugin on/off:
#: less disturbed by other work on the machine than its wall time.
_collect_cpu: dict[bool, list[float]] = {True: [], False: []}


def _golem_enter_exit_us(number: int = 2000) -> float:
    """Median µs of ``Golem(seed)`` + ``with g:`` alone (the state engine's share)."""
    from golem_fakes.state.golem import Golem

    def once() -> None:
        with Golem(12345, component="all-imports"):
            pass

    runs = []
    for _ in range(5):
        t0 = time.perf_counter()
        for _ in range(number):
            once()
        runs.append((time.perf_counter() - t0) / number * 1e6)
    return statistics.median(runs)


def main(n: int = 1000, repeat: int = 7) -> dict[str, float]:
    with tempfile.TemporaryDirectory(prefix="golem-bench-fixture-") as tmp:
        root = Path(tmp)
        make_project(root, n)
        run_loop(root, "test_fixture.py", n)  # warm the binding cache and the OS caches
        loops: dict[str, list[float]] = {"test_plain.py": [], "test_noop.py": [],
                                         "test_fixture.py": [], "test_marker.py": []}
        collect: dict[bool, list[float]] = {True: [], False: []}
        wiring: list[float] = []
        mixed: list[dict[str, float]] = []
        cpu: dict[str, list[float]] = {f: [] for f in loops}
        for _ in range(repeat):
            for file in loops:
                timed = run_timed(root, file, n)
                loops[file].append(timed["loop"])
                cpu[file].append(timed["loop_cpu"] + timed["collect_cpu"])
            wiring.append(run_loop(root, "test_fixture.py", n, stub=True))
            mixed.append(run_mixed(root))
            for plugin in (False, True):
                collect[plugin].append(run_collect(root, plugin))
    med = statistics.median
    plain, noop, fixture, marker = (med(loops[f]) for f in loops)
    per_test_ms = (fixture - plain) / n * 1e3
    per_test_marker_ms = (marker - plain) / n * 1e3
    off, on = med(collect[False]), med(collect[True])
    stub = med(wiring)
    golem_us = _golem_enter_exit_us()
    print(f"{n} tests per file, medians of {repeat} runs, each in a fresh pytest process")
    print(f"{'run-test loop':34} {'ms':>9} {'per test ms':>12} {'ratio':>7}")
    print(f"{'baseline: def test(): pass':34} {plain * 1e3:9.1f} {plain / n * 1e3:12.4f} {1.0:7.2f}")
    print(f"{'pytest itself: a yield fixture':34} {noop * 1e3:9.1f} {noop / n * 1e3:12.4f} "
          f"{noop / plain:7.2f}")
    print(f"{'golem fixture':34} {fixture * 1e3:9.1f} {fixture / n * 1e3:12.4f} "
          f"{fixture / plain:7.2f}")
    print(f"{'golem fixture, Golem stubbed out':34} {stub * 1e3:9.1f} {stub / n * 1e3:12.4f} "
          f"{stub / plain:7.2f}")
    print(f"{'golem marker (injects fixture)':34} {marker * 1e3:9.1f} {marker / n * 1e3:12.4f} "
          f"{marker / plain:7.2f}")
    print(f"fixture cost: {per_test_ms:.4f} ms per test (marker: {per_test_marker_ms:.4f}; of "
          f"which pytest's own fixture machinery: {(noop - plain) / n * 1e3:.4f}); "
          f"budget {FIXTURE_BUDGET_MS} ms: {'OK' if per_test_ms <= FIXTURE_BUDGET_MS else 'OVER'}")
    print(f"  attribution: pytest's yield-fixture machinery {(noop - plain) / n * 1e3:.4f} ms, "
          f"plugin wiring {(stub - noop) / n * 1e3:.4f} ms, Golem() + with g: "
          f"{(fixture - stub) / n * 1e3:.4f} ms in the run (alone, outside pytest: "
          f"{golem_us / 1e3:.4f} ms)")
    c_plain, c_noop, c_fixture, c_marker = (med(cpu[f]) for f in loops)
    cpu_ms = (c_fixture - c_plain) / n * 1e3
    print(f"CPU time (process_time) of collection + run-test loop, per test: fixture "
          f"{cpu_ms:.4f} ms, marker {(c_marker - c_plain) / n * 1e3:.4f} ms, a bare yield "
          f"fixture {(c_noop - c_plain) / n * 1e3:.4f} ms (ratio fixture/plain "
          f"{c_fixture / c_plain:.2f}); budget {FIXTURE_BUDGET_MS} ms: "
          f"{'OK' if cpu_ms <= FIXTURE_BUDGET_MS else 'OVER'}")
    m_plain = [m["plain"] for m in mixed]
    m_golem = [m["golem"] - m["plain"] for m in mixed]
    m_noop = [m["noop"] - m["plain"] for m in mixed]
    mixed_ms = med(m_golem) / 1e3
    print(f"interleaved in one process (test_mixed.py, median per-test protocol time): "
          f"plain {med(m_plain):.1f} µs; golem fixture +{med(m_golem):.1f} µs "
          f"(runs: {', '.join(f'{x:.1f}' for x in m_golem)}); a bare yield fixture "
          f"+{med(m_noop):.1f} µs; golem over the bare yield fixture "
          f"+{med(m_golem) - med(m_noop):.1f} µs; budget {FIXTURE_BUDGET_MS} ms: "
          f"{'OK' if mixed_ms <= FIXTURE_BUDGET_MS else 'OVER'}")
    print(f"{'pytest --collect-only (' + str(n) + ' tests)':34} {'ms':>9} {'':>12} {'ratio':>7}")
    print(f"{'baseline: -p no:golem':34} {off * 1e3:9.1f} {'':>12} {1.0:7.2f}")
    print(f"{'golem plugin enabled':34} {on * 1e3:9.1f} {'':>12} {on / off:7.2f}")
    print(f"plugin start-up + collection overhead: {(on - off) * 1e3:.1f} ms; budget "
          f"{COLLECT_BUDGET_MS:.0f} ms: {'OK' if (on - off) * 1e3 <= COLLECT_BUDGET_MS else 'OVER'}")
    cpu_off, cpu_on = med(_collect_cpu[False]), med(_collect_cpu[True])
    print(f"the same in CPU time of the process: {cpu_off * 1e3:.1f} ms -> {cpu_on * 1e3:.1f} ms, "
          f"overhead {(cpu_on - cpu_off) * 1e3:.1f} ms; budget {COLLECT_BUDGET_MS:.0f} ms: "
          f"{'OK' if (cpu_on - cpu_off) * 1e3 <= COLLECT_BUDGET_MS else 'OVER'}")
    return {"plain_s": plain, "noop_s": noop, "stub_s": stub, "golem_us": golem_us, "fixture_s": fixture, "marker_s": marker,
            "per_test_ms": per_test_ms, "collect_off_s": off, "collect_on_s": on,
            "cpu_per_test_ms": cpu_ms, "mixed_per_test_ms": mixed_ms,
            "collect_cpu_overhead_s": cpu_on - cpu_off}


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tests", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=7)
    a = ap.parse_args()
    main(a.tests, a.repeat)
