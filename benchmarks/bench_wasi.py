"""Cost of everyday WASI calls through the generated bindings vs bare Python doing the
comparable work, in one run.

* ``wall_clock.now()`` — the fake reads the Golem's virtual clock, builds the WIT
  ``datetime`` record and, inside an invocation, appends the ``wall_clock::now``
  ``imported-function-invoked`` entry (read-local, docs/golem-io-semantics.md §5.1).
  Baseline: ``time.time_ns()``, the record as a dict and a timestamped entry appended to
  a list.
* ``monotonic_clock.now()`` — the same for the monotonic clock (an ``int``).
* ``descriptor.read(4096, 0)`` on a file of the component's initial files (an open
  descriptor; no oplog entry: file I/O is not durable in Golem, §5). Baseline: slicing
  4,096 bytes out of a ``bytes`` object held in a dict.
* ``logging.log(info, ctx, msg)`` — the fake keeps the record on the worker's console,
  appends the oplog ``log`` hint entry and forwards a ``logging`` record (attributed to
  the worker code's file and line) to ``golem.worker.<component>.<worker>``. Baseline:
  ``logger.info(msg)`` on a logger with the same (no) handlers — most of the cost on
  both sides is Python's ``logging`` record creation; under pytest, its capture
  handlers add the same cost to both.

Prints medians (ns per call) over interleaved batches and the ratios; goal ≤ 3×.
Run: ``python benchmarks/bench_wasi.py``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import golem_fakes
from _bench import Entry, per_call_ns, report_row, verdict

GOAL_RATIO = 3.0




def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    golem_fakes.install()
    from golem_fakes.state.filesystem import normalize_initial_files
    from wit_world.imports import logging as wit_logging
    from wit_world.imports import monotonic_clock, preopens, wall_clock
    from wit_world.imports import wasi_filesystem_types as t

    rng = range(number)
    log: list[Entry] = []
    data = {"/data.bin": bytes(range(256)) * 64}
    bare_logger = logging.getLogger("bench.bare")
    bare_logger.setLevel(logging.DEBUG)
    bare_logger.propagate = False
    info = wit_logging.Level.INFO

    def bare_wall() -> Any:
        ns = time.time_ns()
        value = {"seconds": ns // 1_000_000_000, "nanoseconds": ns % 1_000_000_000}
        log.append(Entry(len(log) + 1, "imported-function-invoked", ns // 1_000_000,
                         {"function_name": "wall_clock::now", "response": value}))
        return value

    def bare_monotonic() -> int:
        ns = time.monotonic_ns()
        log.append(Entry(len(log) + 1, "imported-function-invoked", ns // 1_000_000,
                         {"function_name": "monotonic_clock::now", "response": ns}))
        return ns

    def bare_read() -> Any:
        return data["/data.bin"][0:4096], False

    def bare_log() -> None:
        bare_logger.info("hello")

    ratios: dict[str, float] = {}
    print(f"{'call':26} {'binding ns':>11} {'bare ns':>9} {'ratio':>6}")
    for name in ("wall_clock.now()", "monotonic_clock.now()", "descriptor.read(4096)",
                 "logging.log(info)"):
        vs, bs = [], []
        for _ in range(repeat):
            # a fresh environment per batch keeps the oplog from growing without bound
            with golem_fakes.Golem(seed=1) as g:
                g.default_worker.component.files = normalize_initial_files(data)
                lg = g.console().logger
                lg.propagate = False  # like the bare logger: no handlers
                if name == "wall_clock.now()":
                    via: Callable[[], Any] = wall_clock.now
                elif name == "monotonic_clock.now()":
                    via = monotonic_clock.now
                elif name == "descriptor.read(4096)":
                    root = preopens.get_directories()[0][0]
                    f = root.open_at(t.PathFlags(0), "data.bin", t.OpenFlags(0),
                                     t.DescriptorFlags.READ)

                    def via() -> Any:
                        return f.read(4096, 0)
                else:
                    def via() -> Any:
                        return wit_logging.log(info, "ctx", "hello")

                def run_via() -> None:
                    for _ in rng:
                        via()

                vs.append(per_call_ns(run_via, number))
                lg.propagate = True
            bare = {"wall_clock.now()": bare_wall, "monotonic_clock.now()": bare_monotonic,
                    "descriptor.read(4096)": bare_read, "logging.log(info)": bare_log}[name]

            def run_bare() -> None:
                for _ in rng:
                    bare()

            bs.append(per_call_ns(run_bare, number))
            log.clear()
        report_row(name, vs, bs, ratios, 26)
    verdict(ratios, GOAL_RATIO)
    return ratios


if __name__ == "__main__":
    main()
