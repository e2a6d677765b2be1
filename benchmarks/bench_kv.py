"""Cost of ``wasi:keyvalue`` ``eventual.get`` / ``eventual.set`` through the generated
bindings vs bare Python doing the same work, in one run.

Through the bindings each call crosses the seam (argument checks, dispatch, resource
handle lookups), does the dict work on ``golem.keyvalue`` and, as Golem's ``Durability``
wrapper does (docs/golem-io-semantics.md §0.1, §1.9), appends one
``imported-function-invoked`` oplog entry; ``get`` also hands out a new
``incoming-value`` resource holding a copy of the bytes (dropped at once here).

Two baselines, measured interleaved with the bindings in the same run:

* ``same work`` — a bare Python function doing what the fake must do: the dict op, a
  call record (function name, request, response, millisecond timestamp) appended to a
  list, and for ``get`` a handle object holding a copy of the bytes;
* ``bare op`` — the dict op alone: ``data.setdefault((project, bucket), {})[key] =
  bytes(buffer)`` / ``data.get((project, bucket), {}).get(key)``.

Prints medians (ns per call) over interleaved batches and both ratios; the goal is ≤ 3×
the same-work baseline. Run: ``python benchmarks/bench_kv.py``.
"""

from __future__ import annotations

from typing import Any, Callable

import golem_fakes
from _bench import Case, Handle, now_ms, run_cases

GOAL_RATIO = 3.0


def cases() -> list[Case]:
    """``eventual.set`` and ``eventual.get`` with their baselines (:class:`_bench.Case`)."""
    golem_fakes.install()
    from wit_world.imports import eventual, wasi_keyvalue_types as types

    value = b"v" * 64
    data: dict[tuple[str, str], dict[str, bytes]] = {}
    log: list[Any] = []
    buffer = bytearray(value)

    def keys_of(number: int) -> list[str]:
        keys = [f"key-{i % 100}" for i in range(number)]
        data[("p", "b")] = {k: value for k in keys}
        return keys

    def op_set(key: str) -> None:
        data.setdefault(("p", "b"), {})[key] = bytes(buffer)

    def op_get(key: str) -> Any:
        return data.get(("p", "b"), {}).get(key)

    def same_set(key: str) -> None:
        v = bytes(buffer)
        data.setdefault(("p", "b"), {})[key] = v
        log.append(("golem keyvalue::eventual::set", ("b", key, len(v)), None, now_ms()))

    def same_get(key: str) -> Any:
        v = data.get(("p", "b"), {}).get(key)
        log.append(("golem keyvalue::eventual::get", ("b", key), v, now_ms()))
        return None if v is None else Handle(bytearray(v))

    def batch(fn: Callable[[str], Any]) -> Callable[[int], Callable[[], None]]:
        """The baseline's batch maker: ``fn(key)`` for each of ``number`` keys."""
        def make(number: int) -> Callable[[], None]:
            keys = keys_of(number)

            def run() -> None:
                for k in keys:
                    fn(k)
            return run
        return make

    def setup(g: Any, number: int) -> tuple[list[str], Any, Any]:
        keys = keys_of(number)
        for k in keys[:100]:
            g.keyvalue["b"][k] = value
        bucket = types.Bucket.open_bucket("b")
        out = types.OutgoingValue.new_outgoing_value()
        out.outgoing_value_write_body_sync(value)
        return keys, bucket, out

    def via_set(g: Any, number: int) -> Any:
        keys, bucket, out = setup(g, number)

        def run() -> None:
            for k in keys:
                eventual.set(bucket, k, out)
        return run

    def via_get(g: Any, number: int) -> Any:
        keys, bucket, _ = setup(g, number)

        def run() -> None:
            for k in keys:
                eventual.get(bucket, k)
        return run

    return [Case("eventual.set", via_set, batch(same_set), batch(op_set), log.clear),
            Case("eventual.get", via_get, batch(same_get), batch(op_get), log.clear)]


def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    return run_cases(cases(), number, repeat, 14, GOAL_RATIO)


if __name__ == "__main__":
    main()
