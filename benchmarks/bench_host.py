"""Cost of a golem:api/host call through the generated bindings vs bare Python doing the
same work, in one run.

* ``host.get_oplog_index()`` — the fake appends a timestamped ``no-op`` oplog entry and
  returns its index. Same work: appending a timestamped entry object to a list and
  returning its index; bare op: ``len(log)``.
* ``host.generate_idempotency_key()`` — the fake derives ``uuid5(invocation key,
  "oplog-index-<N>")``, records the call in the oplog and returns the WIT ``uuid``
  record. Same work: ``uuid.uuid5``, the record as a dict and a call record appended to
  a list; bare op: ``uuid.uuid5`` and the dict.

Prints medians (ns per call) over interleaved batches and both ratios; the goal is ≤ 3×
the same-work baseline. Run: ``python benchmarks/bench_host.py``.
"""

from __future__ import annotations

import uuid
from typing import Any

import golem_fakes
from _bench import Entry, header, now_ms, per_call_ns, report_row, verdict

GOAL_RATIO = 3.0


def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    golem_fakes.install()
    from wit_world.imports import host

    rng = range(number)
    ratios: dict[str, float] = {}

    log: list[Any] = []
    ns = uuid.uuid4()

    def same_oplog_index() -> int:
        entry = Entry(len(log) + 1, "no-op", now_ms(), {})
        log.append(entry)
        return entry.index

    def op_oplog_index() -> int:
        return len(log)

    def op_key() -> dict[str, int]:
        key = uuid.uuid5(ns, f"oplog-index-{len(log)}")
        return {"high_bits": key.int >> 64, "low_bits": key.int & 0xFFFF_FFFF_FFFF_FFFF}

    def same_key() -> dict[str, int]:
        key = uuid.uuid5(ns, f"oplog-index-{len(log)}")
        value = {"high_bits": key.int >> 64, "low_bits": key.int & 0xFFFF_FFFF_FFFF_FFFF}
        log.append(("golem api::generate_idempotency_key", None, value, now_ms()))
        return value

    cases = [
        ("get_oplog_index()", host.get_oplog_index, same_oplog_index, op_oplog_index),
        ("generate_idempotency_key()", host.generate_idempotency_key, same_key, op_key),
    ]
    header(30)
    for name, via, same, op in cases:
        def run_via() -> None:
            for _ in rng:
                via()

        def run_same() -> None:
            for _ in rng:
                same()

        def run_op() -> None:
            for _ in rng:
                op()

        vs, ss, os_ = [], [], []
        for _ in range(repeat):
            # a fresh environment per batch keeps the oplog from growing without bound
            with golem_fakes.Golem(seed=1):
                vs.append(per_call_ns(run_via, number))
            log.clear()
            ss.append(per_call_ns(run_same, number))
            log.clear()
            os_.append(per_call_ns(run_op, number))
        report_row(name, vs, ss, os_, ratios, 30)
    verdict(ratios, GOAL_RATIO)
    return ratios


if __name__ == "__main__":
    main()
