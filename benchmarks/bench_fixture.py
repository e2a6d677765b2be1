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
* the most robust timed figure: one process running ``test_mixed.py`` (plain tests,
  ``golem``, a bare ``yield`` fixture, a bare ``return`` fixture, a fixture depending on
  ``golem``, time-machine's ``time_machine``, interleaved); the median per-test protocol
  time of each kind minus the plain test's (golem − plain is the fixture's cost per
  test), and the golem fixture's cost over each bare fixture's in the same process;
* ``pytest --collect-only`` wall time of the plain file with the plugin vs
  ``-p no:golem`` (start-up, bindings install from a warm cache, collection), the
  difference and the ratio (budget: ≤ 50 ms).

hypothesis' plugin is disabled in every run (``-p no:hypothesispytest``): importing it
costs about a second and would only add noise to both sides. The binding cache is the
user's (warm after the first run); bytecode caching is on in the measured processes
even if ``PYTHONDONTWRITEBYTECODE`` is set here. Run: ``python benchmarks/bench_fixture.py [--tests N]
[--repeat R]``; ``--mixed-only`` runs only the interleaved processes; ``--instructions N
[--kinds golem,ret,...]`` counts instructions per test of each kind with callgrind
instead (:func:`main_instructions`: noise-free, slow: four valgrind runs per kind).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
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
    (root / "test_mixed.py").write_text(MIXED_HEADER + "".join(
        "".join(f"def test_{kind}_{i}({arg}):\n    pass\n\n" for kind, arg in mixed_kinds())
        for i in range(n)))
    (root / "test_marker.py").write_text("import pytest\n\n" + "".join(
        f"@pytest.mark.golem(worker='w')\ndef test_{i}():\n    pass\n\n" for i in range(n)))


BASE_ARGS = ("-q", "-p", "no:cacheprovider", "-p", "no:hypothesispytest")

#: The fixtures of ``test_mixed.py`` and of the instruction-count files: pytest's
#: bare machinery (a ``yield`` and a ``return`` fixture) and a fixture that depends on
#: ``golem`` (which takes pytest's fixture path for it, see pytest_golem.plugin).
MIXED_HEADER = ("import pytest\n\n@pytest.fixture\ndef noop():\n    yield 1\n\n"
                "@pytest.fixture\ndef ret():\n    return 1\n\n"
                "@pytest.fixture\ndef dep(golem):\n    return golem\n\n")


def mixed_kinds() -> list[tuple[str, str]]:
    """``(kind, argument)`` of each test kind of ``test_mixed.py``: plain, the
    ``golem`` fixture, a bare ``yield`` fixture, a bare ``return`` fixture, a fixture
    depending on ``golem``, and time-machine's ``time_machine`` fixture (the
    comparison the goal names) when time-machine is installed."""
    import importlib.util

    kinds = [("plain", ""), ("golem", "golem"), ("noop", "noop"), ("ret", "ret"),
             ("dep", "dep")]
    if importlib.util.find_spec("time_machine") is not None:
        kinds.append(("tm", "time_machine"))
    return kinds


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


def report_mixed(mixed: list[dict[str, float]]) -> float:
    """Print the interleaved figures (each kind's median per-test protocol time minus
    the plain test's, per process; their median and range over the processes) and
    return the golem fixture's median cost in ms."""
    med = statistics.median
    plain = [m["plain"] for m in mixed]
    cost = {k: [m[k] - m["plain"] for m in mixed] for k in mixed[0] if k != "plain"}
    names = {"golem": "golem fixture", "noop": "bare yield fixture",
             "ret": "bare return fixture", "dep": "fixture depending on golem",
             "tm": "time_machine fixture"}
    print(f"interleaved in one process (test_mixed.py, {len(mixed)} processes; median "
          f"per-test protocol time, minus the plain test's): plain {med(plain):.1f} µs "
          f"(runs {min(plain):.1f}-{max(plain):.1f})")
    for k, v in cost.items():
        print(f"  {names.get(k, k):28} +{med(v):6.1f} µs  (runs {min(v):+.1f} to {max(v):+.1f}; "
              f"test time ratio to plain {med(m[k] / m['plain'] for m in mixed):.2f})")
    golem = cost["golem"]
    for base in ("ret", "noop", "tm"):
        if base in cost:
            ratios = [g / b for g, b in zip(golem, cost[base])]
            print(f"  golem cost / {names[base]} cost, same process: median {med(ratios):.2f} "
                  f"(runs {min(ratios):.2f}-{max(ratios):.2f})")
    mixed_ms = med(golem) / 1e3
    print(f"  golem fixture budget {FIXTURE_BUDGET_MS} ms: "
          f"{'OK' if mixed_ms <= FIXTURE_BUDGET_MS else 'OVER'}")
    return mixed_ms


def main_mixed(n: int = 1000, repeat: int = 7) -> float:
    """Only the interleaved figure (``--mixed-only``): ``repeat`` processes of
    ``test_mixed.py``, the figure that is usable on a loaded machine."""
    with tempfile.TemporaryDirectory(prefix="golem-bench-fixture-") as tmp:
        root = Path(tmp)
        make_project(root, n)
        run_mixed(root)  # warm the binding cache and the OS caches
        mixed = [run_mixed(root) for _ in range(repeat)]
    return report_mixed(mixed)


_COLLECTED = re.compile(r"Collected : (\d+)")

#: Loaded with ``-p`` in the instruction counts: runs pytest's run-test loop through
#: ``operator.call``, the C function callgrind is told to count inside
#: (``--toggle-collect=_operator_call``), so the count is the loop's alone.
LOOP_COUNTER_PLUGIN = '''
import operator
import pytest
from _pytest.main import pytest_runtestloop as _loop

@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session):
    return operator.call(_loop, session)
'''


def count_instructions(root: Path, file: str, phase: str) -> int:
    """Instructions (valgrind callgrind) of one pytest process on ``file``: of its
    run-test loop alone (``phase="loop"``), or of the whole ``--collect-only`` process
    (``phase="collect"``: start-up, bindings install, collection)."""
    env = _env(PYTHONPATH=_pythonpath(root), PYTHONHASHSEED="0")
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    args = [*BASE_ARGS, file]
    if phase == "loop":
        cmd += ["--collect-atstart=no", "--toggle-collect=_operator_call"]
        args += ["-p", "loop_counter"]
    else:
        args.append("--collect-only")
    proc = subprocess.run([*cmd, sys.executable, "-m", "pytest", *args], cwd=root, env=env,
                          capture_output=True, text=True)
    m = _COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or m is None:
        raise SystemExit(f"callgrind run of {file} ({phase}) failed:\n{proc.stdout[-2000:]}\n"
                         f"{proc.stderr[-2000:]}")
    return int(m.group(1))


def main_instructions(n: int = 200, kinds: list[str] | None = None) -> dict[str, float]:
    """Instructions per test of each kind of ``test_mixed.py`` (``--instructions N``),
    counted by callgrind: a process on ``2N`` tests of the kind minus one on ``N``
    (what every run does once cancels: start-up, the first use of each module),
    divided by ``N``; once for the run-test loop alone and once for ``--collect-only``
    (collection, where the plugin plans each test). Repeatable to a few hundred
    instructions whatever else the machine does, so it tells apart variants the
    timings cannot; an instruction count is not a time (allocations and cache misses
    cost more than their instructions)."""
    from concurrent.futures import ThreadPoolExecutor

    if shutil.which("valgrind") is None:
        raise SystemExit("--instructions needs valgrind (Debian: apt-get install valgrind)")
    chosen = [(k, a) for k, a in mixed_kinds() if kinds is None or k in kinds or k == "plain"]
    with tempfile.TemporaryDirectory(prefix="golem-bench-fixture-") as tmp:
        root = Path(tmp)
        make_project(root, 1)
        (root / "loop_counter.py").write_text(LOOP_COUNTER_PLUGIN)
        jobs = []
        for kind, arg in chosen:
            for size in (n, 2 * n):
                name = f"test_count_{kind}_{size}.py"
                (root / name).write_text(MIXED_HEADER + "".join(
                    f"def test_{kind}_{i}({arg}):\n    pass\n\n" for i in range(size)))
                jobs += [(name, "loop"), (name, "collect")]
        run_loop(root, "test_fixture.py", 1)  # warm the binding cache
        with ThreadPoolExecutor(2) as pool:
            counts = dict(zip(jobs, pool.map(lambda j: count_instructions(root, *j), jobs)))

    def per(kind: str, phase: str) -> float:
        return (counts[(f"test_count_{kind}_{2 * n}.py", phase)]
                - counts[(f"test_count_{kind}_{n}.py", phase)]) / n

    out: dict[str, float] = {}
    print(f"instructions per test (callgrind; {2 * n} minus {n} tests of each kind):")
    print(f"  {'kind':6} {'run-test loop':>14} {'over plain':>11} {'collection':>11} "
          f"{'over plain':>11}")
    for kind, _ in chosen:
        loop, coll = per(kind, "loop"), per(kind, "collect")
        out[kind], out[kind + " collect"] = loop, coll
        print(f"  {kind:6} {loop:14.0f} {loop - per('plain', 'loop'):+11.0f} {coll:11.0f} "
              f"{coll - per('plain', 'collect'):+11.0f}")
    cost = {k: out[k] - out["plain"] for k, _ in chosen}
    for base in ("ret", "noop", "tm"):
        if base in cost and "golem" in cost:
            print(f"  run-test loop: golem cost / {base} cost: {cost['golem'] / cost[base]:.2f}")
    return out


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
    mixed_ms = report_mixed(mixed)
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
    ap.add_argument("--mixed-only", action="store_true",
                    help="only the interleaved test_mixed.py figure (repeat processes)")
    ap.add_argument("--instructions", type=int, default=0, metavar="N",
                    help="count instructions per test of each kind with callgrind "
                         "(2N minus N tests) instead of timing")
    ap.add_argument("--kinds", default="", help="with --instructions: only these kinds "
                    "(comma-separated; plain is always counted)")
    a = ap.parse_args()
    if a.instructions:
        main_instructions(a.instructions, a.kinds.split(",") if a.kinds else None)
    elif a.mixed_only:
        main_mixed(a.tests, a.repeat)
    else:
        main(a.tests, a.repeat)
