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
from _bench import Case, Entry, loop, now_ms, run_cases

GOAL_RATIO = 3.0


def cases() -> list[Case]:
    """``get-oplog-index`` and ``generate-idempotency-key`` with their baselines."""
    golem_fakes.install()
    from wit_world.imports import host

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

    def case(name: str, via: Any, same: Any, op: Any) -> Case:
        return Case(name, lambda g, n: loop(via, n), lambda n: loop(same, n),
                    lambda n: loop(op, n), log.clear)

    return [case("get_oplog_index()", host.get_oplog_index, same_oplog_index, op_oplog_index),
            case("generate_idempotency_key()", host.generate_idempotency_key, same_key, op_key)]


def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    return run_cases(cases(), number, repeat, 30, GOAL_RATIO)


if __name__ == "__main__":
    main()
