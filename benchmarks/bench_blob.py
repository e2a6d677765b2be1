"""``wasi:blobstore`` write-then-read throughput through the generated bindings, for 1 MB,
10 MB and 100 MB objects, with peak memory.

Per size, the guest side does what a worker streaming a large object does
(docs/golem-io-semantics.md §2.3, §2.5):

* write: ``new-outgoing-value``, ``outgoing-value-write-body``, then
  ``blocking-write-and-flush`` of 64 KiB chunks, then ``container.write-data``;
* read: ``container.get-data(0, size)`` (FS range ``[start, end)``), then
  ``incoming-value-consume-async`` and ``blocking-read`` of 64 KiB chunks.

Prints the median time of write, read and the round trip over ``repeat`` runs, the
round-trip throughput (object size / round-trip time) and the time per MB (linear means
the same figure for every size). Peak memory is measured in a separate pass with
``tracemalloc`` (it slows allocation, so it is not timed) and given as a multiple of the
object size: "at most a small constant number of copies". A bare-Python baseline doing
the least data movement (keep the chunks, join once, read ``bytes`` slices back) is
timed in the same run; the ratio shows what the bindings and the fake add on top of the
machine's memory bandwidth. The goal of the issue is ≥ 1 GB/s and linear. Run: ``python benchmarks/bench_blob.py``.
"""

from __future__ import annotations

import gc
import statistics
import time
import tracemalloc
from typing import Any

import golem_fakes

CHUNK = 64 * 1024
SIZES = {"1 MB": 16 * CHUNK, "10 MB": 160 * CHUNK, "100 MB": 1600 * CHUNK}
GOAL_GBPS = 1.0


def round_trip(mods: Any, chunk: bytes, chunks: int) -> tuple[float, float]:
    """One write-then-read of ``chunks`` chunks; ``(write seconds, read seconds)``."""
    blobstore, types = mods
    size = len(chunk) * chunks
    c = blobstore.create_container("bench")
    t0 = time.perf_counter()
    ov = types.OutgoingValue.new_outgoing_value()
    out = ov.outgoing_value_write_body()
    for _ in range(chunks):
        out.blocking_write_and_flush(chunk)
    c.write_data("obj", ov)
    t1 = time.perf_counter()
    iv = c.get_data("obj", 0, size)
    body = iv.incoming_value_consume_async()
    got = 0
    for _ in range(chunks):
        got += len(body.blocking_read(CHUNK))
    t2 = time.perf_counter()
    assert got == size and iv.size() == 0
    del out, ov, body, iv
    return t1 - t0, t2 - t1


def bare_round_trip(chunk: bytes, chunks: int) -> tuple[float, float]:
    """The least data movement bare Python can do: keep each written (immutable)
    chunk, join once, then read 64 KiB ``bytes`` slices back."""
    t0 = time.perf_counter()
    parts: list[bytes] = []
    for _ in range(chunks):
        parts.append(chunk)
    stored = b"".join(parts)
    del parts
    t1 = time.perf_counter()
    data = memoryview(stored)
    got = 0
    for i in range(chunks):
        got += len(bytes(data[i * CHUNK:(i + 1) * CHUNK]))
    t2 = time.perf_counter()
    assert got == len(stored)
    return t1 - t0, t2 - t1


def main(repeat: int = 5) -> dict[str, float]:
    golem_fakes.install()
    from wit_world.imports import blobstore, wasi_blobstore_types as types

    mods = (blobstore, types)
    chunk = bytes(range(256)) * (CHUNK // 256)
    results: dict[str, float] = {}
    print(f"{'size':>7} {'write ms':>9} {'read ms':>8} {'round trip ms':>14} {'GB/s':>6} "
          f"{'ms/MB':>6} {'peak':>12} {'bare ms':>8} {'ratio':>6}")
    for label, size in SIZES.items():
        chunks = size // CHUNK
        writes, reads, bare = [], [], []
        for _ in range(repeat):
            with golem_fakes.Golem(seed=1):
                w, r = round_trip(mods, chunk, chunks)
            writes.append(w)
            reads.append(r)
            gc.collect()
            bare.append(sum(bare_round_trip(chunk, chunks)))
            gc.collect()
        b = statistics.median(bare)
        w, r = statistics.median(writes), statistics.median(reads)
        rt = statistics.median(a + b for a, b in zip(writes, reads))
        gc.collect()
        tracemalloc.start()
        with golem_fakes.Golem(seed=1):
            round_trip(mods, chunk, chunks)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        gbps = size / rt / 1e9
        results[label] = gbps
        print(f"{label:>7} {w * 1e3:9.1f} {r * 1e3:8.1f} {rt * 1e3:14.1f} {gbps:6.2f} "
              f"{rt * 1e3 / (size / 1e6):6.2f} {peak / size:8.2f}× size {b * 1e3:8.1f} "
              f"{rt / b:6.2f}")
    worst = min(results.values())
    print(f"slowest round trip {worst:.2f} GB/s (goal >= {GOAL_GBPS:.0f} GB/s): "
          f"{'OK' if worst >= GOAL_GBPS else 'UNDER GOAL'}")
    return results


if __name__ == "__main__":
    main()
