"""Helpers shared by the benchmark scripts (run as ``python benchmarks/bench_X.py``, so
this directory is on ``sys.path``)."""

from __future__ import annotations

import time
from typing import Callable

__all__ = ["per_call_ns", "Entry"]


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
