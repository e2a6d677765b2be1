"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``, so
this directory is on ``sys.path``)."""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["per_call_ns", "Entry", "Handle", "now_ms", "header", "report_row", "verdict",
           "Case", "run_cases"]

Batch = Callable[[], None]


@dataclass
class Case:
    """One host call of a benchmark and its two baselines, each as a maker of a batch
    of ``number`` calls: ``via(golem, number)`` is called inside ``with golem:`` (it
    sets up what the call needs there — buckets, files — and returns the batch through
    the bindings); ``same(number)`` and ``op(number)`` return the batches of the
    same-work baseline and the bare op; ``reset()`` clears what the baselines
    recorded. ``bench_instructions.py`` counts the instructions of the same batches."""

    name: str
    via: Callable[[Any, int], Batch]
    same: Callable[[int], Batch]
    op: Callable[[int], Batch]
    reset: Callable[[], None] = lambda: None


def loop(fn: Callable[[], Any], number: int) -> Batch:
    """A batch calling ``fn()`` ``number`` times."""
    rng = range(number)

    def run() -> None:
        for _ in rng:
            fn()
    return run


def run_cases(cases: list[Case], number: int, repeat: int, width: int,
              goal: float) -> dict[str, float]:
    """Time every case, interleaved: per repeat a fresh ``Golem(seed=1)`` for the batch
    through the bindings (so the oplog does not grow without bound), then the two
    baselines; print the rows and the verdict; return the ratios."""
    import golem_fakes

    ratios: dict[str, float] = {}
    header(width)
    for case in cases:
        vs, ss, os_ = [], [], []
        for _ in range(repeat):
            with golem_fakes.Golem(seed=1) as g:
                vs.append(per_call_ns(case.via(g, number), number))
            ss.append(per_call_ns(case.same(number), number))
            os_.append(per_call_ns(case.op(number), number))
            case.reset()
        report_row(case.name, vs, ss, os_, ratios, width)
    verdict(ratios, goal)
    return ratios


def per_call_ns(fn: Callable[[], None], number: int) -> float:
    """Nanoseconds per call of a batch function ``fn`` that makes ``number`` calls,
    with the cyclic garbage collector off during the batch, as ``timeit`` does (a
    collection of the whole heap landing in one batch, on either side, otherwise
    decides the figure more than the code measured)."""
    gc.collect()
    gc.disable()
    try:
        t0 = time.perf_counter_ns()
        fn()
        return (time.perf_counter_ns() - t0) / number
    finally:
        gc.enable()


def now_ms() -> int:
    """The timestamp a bare recording baseline stamps its record with."""
    return time.time_ns() // 1_000_000


class Entry:
    """A bare oplog-like entry object (index, kind, timestamp, payload)."""

    __slots__ = ("index", "kind", "timestamp", "payload")

    def __init__(self, index: int, kind: str, timestamp: int, payload: object) -> None:
        self.index, self.kind, self.timestamp, self.payload = index, kind, timestamp, payload


class Handle:
    """A bare handle object a baseline returns (what a returned resource is at least)."""

    __slots__ = ("rep",)

    def __init__(self, rep: object) -> None:
        self.rep = rep


def header(width: int, same: str = "same work ns", op: str = "bare op ns") -> None:
    print(f"{'call':{width}} {'binding ns':>11} {same:>14} {'ratio':>6} {op:>11} {'ratio':>7}"
          f" {'best-batch ratios':>18}")


def report_row(name: str, via: list[float], same: list[float], op: list[float],
               ratios: dict[str, float], width: int) -> None:
    """Print ``name``'s medians — through the bindings, a bare function doing the same
    work (recording included), the bare operation alone — and the two ratios of the
    medians, then the same two ratios of the fastest batches (less disturbed by other
    work on a shared machine); keep the median ratio to the same-work baseline (the
    goal's)."""
    v, s, o = statistics.median(via), statistics.median(same), statistics.median(op)
    ratios[name] = v / s
    ratios[name + " vs bare op"] = v / o
    print(f"{name:{width}} {v:11.1f} {s:14.1f} {v / s:6.2f} {o:11.1f} {v / o:7.2f}"
          f" {min(via) / min(same):8.2f} {min(via) / min(op):9.2f}")


def verdict(ratios: dict[str, float], goal: float,
            what: str = "worst ratio to the same-work baseline") -> None:
    """Print the worst same-work ratio against the goal."""
    worst = max(v for k, v in ratios.items() if not k.endswith(" vs bare op"))
    print(f"{what} {worst:.2f}x (goal <= {goal:.0f}x): "
          f"{'OK' if worst <= goal else 'OVER GOAL'}")
