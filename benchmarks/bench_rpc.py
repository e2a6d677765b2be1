"""Cost of a ``golem:rpc`` ``invoke-and-await`` between two fake workers (issue 16).

Measured in one run, interleaved batches, medians (µs per call):

* ``direct Python call`` — the callee's method called as plain Python (what a unit
  test without golem-fakes would do);
* ``golem.invoke by name`` — the test invoking the callee's export by name (argument
  check, the worker's queue, its instance, the oplog entries of an invocation);
* ``wasm-rpc invoke-and-await`` — worker code of the caller calling the callee through
  the bindings: the caller's key / span / result entries, the parameters decoded from
  ``wit-value`` node lists against the export's types, the callee's invocation by name,
  the result encoded back (``tuple-value([u32])``).

The world is ``tests/data/rpc`` (installed for the run, in a private binding cache).
Run: ``python benchmarks/bench_rpc.py``.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

import golem_fakes
import golem_fakes.strategies  # noqa: F401 - before the bindings import (their strategy hook)
from _bench import per_call_ns

WIT = Path(__file__).resolve().parents[1] / "tests" / "data" / "rpc"
API = "golem-fakes:rpc/api@1.0.0"

COMPONENT = '''
from wit_world import exports

stock = {"apple": 3}


class Api(exports.Api):
    def total(self):
        return sum(stock.values())

    def add(self, name, qty): return 0
    def echo(self, v): return v
    def classify(self, k): return k
    def maybe(self, ok): return 0
    def boom(self, msg): return 0
    def note(self, x): return None
    def notes(self): return []
    def env_of(self, name): return None
    def forward(self, component, worker, name, qty): return 0


class WitWorld:
    def ping(self):
        return "pong"
'''

RESOURCES = '''
class Counter:
    def __init__(self, start): self.n = start
    def add(self, n): return n
    def get(self): return self.n
    @staticmethod
    def make(start): return Counter(start)
'''


def main(number: int = 200, repeat: int = 9) -> dict[str, float]:
    os.environ["GOLEM_FAKES_CACHE"] = tempfile.mkdtemp(prefix="golem-bench-rpc-cache-")
    from golem_fakes.bindings import install as install_mod

    install_mod._uninstall()
    golem_fakes.install(wit=WIT, world="rpc-world")
    src = Path(tempfile.mkdtemp(prefix="golem-bench-rpc-"))
    (src / "benchinv.py").write_text(COMPONENT)
    (src / "api.py").write_text(RESOURCES)
    g = golem_fakes.Golem()
    g.add_component("bench:inv", code="benchinv", path=src)
    g.add_worker("bench:cart", "alice")
    g.invoke("bench:inv", "stock", f"{API}.{{total}}")   # the callee exists, with its instance
    from wit_world.imports import types as rpc

    cid = g.registry.component("bench:inv").component_id
    worker_id = rpc.WorkerId(rpc.ComponentId(rpc.Uuid(cid.int >> 64, cid.int & (2**64 - 1))),
                             "stock")
    rng = range(number)
    name = f"{API}.{{total}}"

    def direct() -> None:
        api = g.instance("bench:inv", "stock").module("benchinv").Api()
        for _ in rng:
            api.total()

    def by_name() -> None:
        for _ in rng:
            g.invoke("bench:inv", "stock", name)

    def calls() -> None:
        r = rpc.WasmRpc(worker_id)
        for _ in rng:
            r.invoke_and_await(name, [])

    def via_rpc() -> None:
        g.invoke("bench:cart", "alice", calls)

    cases = [("direct Python call", direct), ("golem.invoke by name", by_name),
             ("wasm-rpc invoke-and-await", via_rpc)]
    for _, fn in cases:  # warm up: instances made, glue loaded
        fn()
    times: dict[str, list[float]] = {n: [] for n, _ in cases}
    for _ in range(repeat):
        for n, fn in cases:
            times[n].append(per_call_ns(fn, number) / 1000)  # the oplogs grow, as a long test's
    med = {n: statistics.median(v) for n, v in times.items()}
    base = med["direct Python call"]
    print(f"{'call':28} {'median us':>10} {'x direct':>10}")
    for n, _ in cases:
        print(f"{n:28} {med[n]:10.2f} {med[n] / base:10.1f}")
    sys.modules.pop("benchinv", None)
    sys.modules.pop("api", None)
    install_mod._uninstall()
    return med


if __name__ == "__main__":
    main()
