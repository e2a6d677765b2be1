"""Cost of a golem:api/host call through the generated bindings vs a bare Python
function doing comparable work, in one run.

* ``host.get_oplog_index()`` — the fake appends a timestamped ``no-op`` oplog entry and
  returns its index. Baseline: a function that appends a timestamped entry object to a
  list and returns its index.
* ``host.generate_idempotency_key()`` — the fake derives ``uuid5(invocation key,
  "oplog-index-<N>")``, records the call in the oplog and returns the WIT ``uuid``
  record. Baseline: ``uuid.uuid5`` plus building the record and appending a log entry.

Prints medians (ns per call) over interleaved batches, and the ratio; goal ≤ 3×.
Run: ``python benchmarks/bench_host.py``.
"""

from __future__ import annotations

import time
import uuid

import golem_fakes
from _bench import Entry, per_call_ns, report_row, verdict

GOAL_RATIO = 3.0



def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    golem_fakes.install()
    from wit_world.imports import host

    rng = range(number)
    ratios: dict[str, float] = {}

    log: list[Entry] = []
    ns = uuid.uuid4()

    def bare_oplog_index() -> int:
        entry = Entry(len(log) + 1, "no-op", time.time_ns() // 1_000_000, {})
        log.append(entry)
        return entry.index

    def bare_key() -> dict[str, int]:
        key = uuid.uuid5(ns, f"oplog-index-{len(log)}")
        log.append(Entry(len(log) + 1, "imported-function-invoked",
                         time.time_ns() // 1_000_000, {"response": key}))
        return {"high_bits": key.int >> 64, "low_bits": key.int & 0xFFFF_FFFF_FFFF_FFFF}

    cases = [
        ("get_oplog_index()", host.get_oplog_index, bare_oplog_index),
        ("generate_idempotency_key()", host.generate_idempotency_key, bare_key),
    ]
    print(f"{'call':30} {'binding ns':>11} {'bare ns':>9} {'ratio':>6}")
    for name, via, bare in cases:
        def run_via() -> None:
            for _ in rng:
                via()

        def run_bare() -> None:
            for _ in rng:
                bare()

        vs, bs = [], []
        for _ in range(repeat):
            # a fresh environment per batch keeps the oplog from growing without bound
            with golem_fakes.Golem(seed=1):
                vs.append(per_call_ns(run_via, number))
            log.clear()
            bs.append(per_call_ns(run_bare, number))
            log.clear()
        report_row(name, vs, bs, ratios, 30)
    verdict(ratios, GOAL_RATIO)
    return ratios


if __name__ == "__main__":
    main()
