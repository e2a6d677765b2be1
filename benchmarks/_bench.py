"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``, so
this directory is on ``sys.path``)."""

from __future__ import annotations

import statistics
import time
from typing import Callable

__all__ = ["per_call_ns", "Entry", "report_row", "verdict"]


def per_call_ns(fn: Callable[[], None], number: int) -> float:
    """Nanoseconds per call of a batch function ``fn`` that makes ``number`` calls."""
    t0 = time.perf_counter_ns()
    fn()
    return (time.perf_counter_ns() - t0) / number


class Entry:
    """A bare oplog-like entry (index, kind, timestamp, payload): what recording a call
    costs in plain Python, for the baselines."""

    __slots__ = ("index", "kind", "timestamp", "payload")

    def __init__(self, index: int, kind: str, timestamp: int, payload: object) -> None:
        self.index, self.kind, self.timestamp, self.payload = index, kind, timestamp, payload


def report_row(name: str, via: list[float], bare: list[float], ratios: dict[str, float],
               width: int) -> None:
    """Print ``name``'s medians (binding, bare) and their ratio; keep the ratio."""
    v, b = statistics.median(via), statistics.median(bare)
    ratios[name] = v / b
    print(f"{name:{width}} {v:11.1f} {b:9.1f} {v / b:6.2f}")


def verdict(ratios: dict[str, float], goal: float, what: str = "worst ratio") -> None:
    """Print the worst ratio against the goal."""
    worst = max(ratios.values())
    print(f"{what} {worst:.2f}x (goal <= {goal:.0f}x): "
          f"{'OK' if worst <= goal else 'OVER GOAL'}")
