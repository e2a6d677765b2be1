"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``, so
this directory is on ``sys.path``)."""

from __future__ import annotations

import gc
import statistics
import time
from typing import Callable

__all__ = ["per_call_ns", "Entry", "Handle", "now_ms", "header", "report_row", "verdict"]


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
