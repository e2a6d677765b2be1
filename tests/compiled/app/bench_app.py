"""The app of the benchmark's component (``componentize ... bench_app``, world ``bench``)."""

from __future__ import annotations

from wit_world import exports
from wit_world.imports import wall_clock


class BenchApi(exports.BenchApi):
    def clock_loop(self, n: int) -> int:
        seconds = 0
        for _ in range(n):
            seconds = wall_clock.now().seconds
        return seconds
