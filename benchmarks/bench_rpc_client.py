"""Cost of a call through a generated RPC client between two fake workers (issue 16 §2).

Measured in one run, interleaved batches, medians (µs per call):

* ``direct Python call`` — the callee's method called as plain Python;
* ``wasm-rpc invoke-and-await`` — the caller's code calling ``golem:rpc`` directly
  (node lists built by hand, as ``bench_rpc.py``);
* ``client blocking-total`` — the caller's code calling the generated client
  (``target_world_client.Api(...).blocking_total()``): the stub's behaviour (target
  lookup, parameters encoded from the stub's WIT types, the result decoded) on top of
  the same ``invoke-and-await``.

The world is ``tests/parity/worlds/rpcclient`` (installed for the run, in a private
binding cache). Run: ``python benchmarks/bench_rpc_client.py``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import golem_fakes
from _bench import per_call_ns

REPO = Path(__file__).resolve().parents[1]
WIT = REPO / "tests" / "parity" / "worlds" / "rpcclient"
TARGET, CALLER = "bench:target", "bench:caller"

# the target: bench_rpc.py's component (its `env_of`/`forward` are not exported by this
# world's target; componentize-py looks up only the exports) and resource
from bench_rpc import COMPONENT, RESOURCES  # noqa: E402


def _target_world():
    from golem_fakes.wit import load

    tmp = Path(tempfile.mkdtemp(prefix="golem-bench-target-"))
    shutil.copy(WIT / "deps" / "target" / "target.wit", tmp / "target.wit")
    (tmp / "deps").symlink_to(REPO / "golem_fakes" / "data" / "wit" / "deps")
    return load(tmp).world("target-world")


def main(number: int = 200, repeat: int = 9) -> dict[str, float]:
    os.environ["GOLEM_FAKES_CACHE"] = tempfile.mkdtemp(prefix="golem-bench-rpcc-cache-")
    from golem_fakes.bindings import install as install_mod
    from golem_fakes.rpc import stubgen
    from golem_fakes.worker.executor import component_exports, set_component_exports

    install_mod._uninstall()
    golem_fakes.install(wit=WIT, world="caller-world")
    stubgen.link(stubgen.client_def(_target_world(), TARGET))
    before = component_exports()
    set_component_exports({TARGET: {"golem-fakes:target/api", ""}, CALLER: set()})
    src = Path(tempfile.mkdtemp(prefix="golem-bench-rpcc-"))
    (src / "benchtarget.py").write_text(COMPONENT)
    (src / "api.py").write_text(RESOURCES)
    g = golem_fakes.Golem(component=CALLER)
    g.add_component(TARGET, code="benchtarget", path=src)
    g.add_worker(CALLER, "alice")
    name = "golem-fakes:target/api.{total}"
    g.invoke(TARGET, "stock", name)   # the callee exists, with its instance
    from wit_world.imports import target_world_client as client
    from wit_world.imports import types as rpc

    cid = g.registry.component(TARGET).component_id
    worker_id = rpc.WorkerId(rpc.ComponentId(rpc.Uuid(cid.int >> 64, cid.int & (2**64 - 1))),
                             "stock")
    rng = range(number)

    def direct() -> None:
        api = g.instance(TARGET, "stock").module("benchtarget").Api()
        for _ in rng:
            api.total()

    def raw_calls() -> None:
        with rpc.WasmRpc(worker_id) as r:
            for _ in rng:
                r.invoke_and_await(name, [])

    def client_calls() -> None:
        with client.Api("stock") as api:
            for _ in rng:
                api.blocking_total()

    cases = [("direct Python call", direct),
             ("wasm-rpc invoke-and-await", lambda: g.invoke(CALLER, "alice", raw_calls)),
             ("client blocking-total", lambda: g.invoke(CALLER, "alice", client_calls))]
    for _, fn in cases:  # warm up: instances made, glue loaded
        fn()
    times: dict[str, list[float]] = {n: [] for n, _ in cases}
    for _ in range(repeat):
        for n, fn in cases:
            times[n].append(per_call_ns(fn, number) / 1000)
    med = {n: statistics.median(v) for n, v in times.items()}
    base = med["direct Python call"]
    print(f"{'call':28} {'median us':>10} {'x direct':>10}")
    for n, _ in cases:
        print(f"{n:28} {med[n]:10.2f} {med[n] / base:10.1f}")
    for m in ("benchtarget", "api"):
        sys.modules.pop(m, None)
    set_component_exports(before)
    install_mod._uninstall()
    return med


if __name__ == "__main__":
    main()
