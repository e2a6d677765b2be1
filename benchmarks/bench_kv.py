"""Cost of ``wasi:keyvalue`` ``eventual.get`` / ``eventual.set`` through the generated
bindings vs bare Python doing the same work, in one run.

Through the bindings each call crosses the seam (argument checks, dispatch, resource
handle lookups), does the dict work on ``golem.keyvalue`` and, as Golem's ``Durability``
wrapper does (docs/golem-io-semantics.md §0.1, §1.9), appends one
``imported-function-invoked`` oplog entry; ``get`` also hands out a new
``incoming-value`` resource holding a copy of the bytes.

Two baselines, measured interleaved in the same run:

* ``dict`` — only the dict work: ``data[(project, bucket)][key] = bytes(buffer)`` /
  ``bytearray(data[(project, bucket)].get(key))``;
* ``dict+record`` — the same plus appending a timestamped entry object to a list (what
  the oplog entry costs in bare Python).

Prints medians (ns per call) over interleaved batches and the ratios; the issue's goal is
≤ 3× the bare dict work. Run: ``python benchmarks/bench_kv.py``.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import golem_fakes
from _bench import Entry, per_call_ns

GOAL_RATIO = 3.0




def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    golem_fakes.install()
    from wit_world.imports import eventual, wasi_keyvalue_types as types

    value = b"v" * 64
    keys = [f"key-{i % 100}" for i in range(number)]
    data: dict[tuple[str, str], dict[str, bytes]] = {("p", "b"): {k: value for k in keys}}
    log: list[Entry] = []
    buffer = bytearray(value)

    def bare_set(key: str) -> None:
        data.setdefault(("p", "b"), {})[key] = bytes(buffer)

    def bare_get(key: str) -> Any:
        v = data.get(("p", "b"), {}).get(key)
        return None if v is None else bytearray(v)

    def bare_set_rec(key: str) -> None:
        v = bytes(buffer)
        data.setdefault(("p", "b"), {})[key] = v
        log.append(Entry(len(log) + 1, "imported-function-invoked",
                         time.time_ns() // 1_000_000, {"request": ("b", key, len(v))}))

    def bare_get_rec(key: str) -> Any:
        v = data.get(("p", "b"), {}).get(key)
        log.append(Entry(len(log) + 1, "imported-function-invoked",
                         time.time_ns() // 1_000_000, {"request": ("b", key), "response": v}))
        return None if v is None else bytearray(v)

    ratios: dict[str, float] = {}
    print(f"{'call':14} {'binding ns':>11} {'dict ns':>8} {'ratio':>6} "
          f"{'dict+record ns':>15} {'ratio':>6}")
    for name in ("eventual.set", "eventual.get"):
        vs, bs, rs = [], [], []
        for _ in range(repeat):
            # a fresh environment per batch keeps the oplog from growing without bound
            with golem_fakes.Golem(seed=1) as g:
                for k in keys[:100]:
                    g.keyvalue["b"][k] = value
                bucket = types.Bucket.open_bucket("b")
                out = types.OutgoingValue.new_outgoing_value()
                out.outgoing_value_write_body_sync(value)
                if name == "eventual.set":
                    def via() -> None:
                        for k in keys:
                            eventual.set(bucket, k, out)
                else:
                    def via() -> None:
                        for k in keys:
                            eventual.get(bucket, k)
                vs.append(per_call_ns(via, number))
            bare = bare_set if name == "eventual.set" else bare_get
            rec = bare_set_rec if name == "eventual.set" else bare_get_rec

            def run_bare() -> None:
                for k in keys:
                    bare(k)

            def run_rec() -> None:
                for k in keys:
                    rec(k)

            bs.append(per_call_ns(run_bare, number))
            rs.append(per_call_ns(run_rec, number))
            log.clear()
        v, b, r = statistics.median(vs), statistics.median(bs), statistics.median(rs)
        ratios[name] = v / b
        ratios[name + " vs dict+record"] = v / r
        print(f"{name:14} {v:11.1f} {b:8.1f} {v / b:6.2f} {r:15.1f} {v / r:6.2f}")
    worst = max(ratios[n] for n in ("eventual.set", "eventual.get"))
    print(f"worst ratio to the bare dict work {worst:.2f}x (goal <= {GOAL_RATIO:.0f}x): "
          f"{'OK' if worst <= GOAL_RATIO else 'OVER GOAL'}")
    return ratios


if __name__ == "__main__":
    main()
