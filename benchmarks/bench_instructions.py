"""Instructions per host call, counted by valgrind's callgrind: the ratios of the
host-call benchmarks without the machine's noise.

The timed benchmarks (``bench_kv.py``, ``bench_host.py``, ``bench_wasi.py``) give
medians that move ±30 % on a shared 2-core machine. This script runs the *same
batches* (their :func:`cases`: the call through the bindings, the same-work baseline,
the bare op) in a child process under ``valgrind --tool=callgrind`` and counts the
instructions the CPU executed. The count is repeatable whatever else the machine does,
so it can tell a 5 % change apart. For each batch, two children set up the same case
for ``n`` calls (the keys, buckets and files of ``n`` calls) and make one warm-up call;
one then runs the ``n`` calls and the other does not. The difference divided by ``n``
is the instructions per call, the set-up excluded (before 2026-12-07's second round,
the empty child set up 0 calls, so each figure also held the per-call share of the
set-up: ≈ 2k instructions for the key-value cases, on both sides).

An instruction count is not a time. Allocation, cache misses and branch mispredictions
cost more than their instructions. The fake's calls allocate more than the baselines
do (resource objects, weakrefs), so the ratio of times is usually a little higher than
the ratio of instructions. The goal (≤ 3× the same work) is stated on times; this
script explains them.

Run: ``python benchmarks/bench_instructions.py`` (all cases, ``n`` = 2,000; about a
minute per case on 2 cores) or ``... eventual.get wall_clock.now()`` (some cases).
It needs valgrind (Debian: ``apt-get install valgrind``).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SCRIPTS = ("bench_kv", "bench_host", "bench_wasi")
VARIANTS = ("via", "same", "op")
GOAL_RATIO = 3.0


def _cases() -> dict[str, tuple[str, Any]]:
    """Case name -> (script, case) of every host-call benchmark."""
    sys.path.insert(0, str(HERE))
    out: dict[str, tuple[str, Any]] = {}
    for script in SCRIPTS:
        mod = __import__(script)
        for case in mod.cases():
            out[case.name] = (script, case)
    return out


def child(name: str, variant: str, n: int, run: bool) -> None:
    """In the counted process: set the case up for ``n`` calls, call it once, then
    (if ``run``) make the ``n`` calls."""
    import gc

    import golem_fakes

    _, case = _cases()[name]
    with golem_fakes.Golem(seed=1) as g:
        if variant == "via":
            warm, batch = case.via(g, 1), case.via(g, n)
        else:
            make = case.same if variant == "same" else case.op
            warm, batch = make(1), make(n)
        warm()
        gc.collect()
        gc.disable()
        if run:
            batch()


_COLLECTED = re.compile(r"Collected : (\d+)")


def count(name: str, variant: str, n: int, run: bool) -> int:
    """Instructions of one child run (set up for ``n`` calls; the calls made if ``run``)."""
    cmd = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null",
           sys.executable, str(Path(__file__).resolve()), "--child", name, variant, str(n),
           "run" if run else "setup"]
    env = dict(os.environ, PYTHONHASHSEED="0")
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    m = _COLLECTED.search(proc.stderr)
    if proc.returncode != 0 or m is None:
        raise RuntimeError(f"callgrind run failed ({' '.join(cmd)}):\n{proc.stderr[-2000:]}")
    return int(m.group(1))


def per_call(name: str, variant: str, n: int) -> float:
    """Instructions per call: (count with the ``n`` calls - count without them) / ``n``."""
    with ThreadPoolExecutor(2) as pool:
        full, empty = pool.map(lambda r: count(name, variant, n, r), (True, False))
    return (full - empty) / n


def main(names: list[str] | None = None, n: int = 2_000) -> dict[str, float]:
    if shutil.which("valgrind") is None:
        raise SystemExit("bench_instructions.py needs valgrind on PATH "
                         "(Debian: apt-get install valgrind)")
    cases = _cases()
    names = names or list(cases)
    unknown = [x for x in names if x not in cases]
    if unknown:
        raise SystemExit(f"unknown case(s) {unknown}; the cases are {list(cases)}")
    print(f"{'call':26} {'binding':>10} {'same work':>10} {'ratio':>6} {'bare op':>9} "
          f"{'ratio':>6}   (instructions per call, n = {n})")
    ratios: dict[str, float] = {}
    for name in names:
        via, same, op = (per_call(name, v, n) for v in VARIANTS)
        ratios[name] = via / same
        print(f"{name:26} {via:10.0f} {same:10.0f} {via / same:6.2f} {op:9.0f} {via / op:6.2f}",
              flush=True)
    worst = max(ratios.values())
    print(f"worst instruction ratio to the same-work baseline {worst:.2f}x "
          f"(the goal, <= {GOAL_RATIO:.0f}x, is on times: see the timed benchmarks)")
    return ratios


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5] == "run")
    else:
        main(sys.argv[1:] or None)
