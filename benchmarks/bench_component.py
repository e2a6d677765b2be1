"""Cost of a compiled component on the fakes (golem_fakes.compiled) against wasmtime's
own WASI host, in one run.

The component is the benchmark world of ``tests/compiled/wit`` (componentize-py, built
once per content hash): it imports only WASI, so both hosts can run it. Rows (medians over interleaved batches, garbage collector
off during a batch):

* ``wall-clock now from wasm``: one ``wasi:clocks/wall-clock.now`` call made by the
  guest — through the linker (value conversion, the bindings' seam, the oplog recording
  of a ``with golem:`` block, the virtual clock) vs the same guest code on a linker with
  wasmtime's ``Linker.add_wasip2()`` (Rust host, real clock). Per call: the time of the export
  ``clock-loop(n)`` minus that of ``clock-loop(0)``, over ``n``.
* ``instantiate``: a new instance (its own ``Store``) of the compiled component —
  :meth:`CompiledComponent.instantiate` vs ``Linker.instantiate`` of the wasip2 linker
  with a ``WasiConfig``.

Both sides use the same engine and compiled component. Figures are noisy on a shared
machine; the ratios matter more than the nanoseconds.

Run: ``python benchmarks/bench_component.py`` (builds the component on first use).
"""

from __future__ import annotations

import importlib.util
import statistics
import sys
from pathlib import Path
from typing import Any, Callable

from _bench import per_call_ns

REPO = Path(__file__).resolve().parents[1]


def _component() -> Path:
    spec = importlib.util.spec_from_file_location("_golem_compiled_build",
                                                  REPO / "tests" / "compiled" / "build.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.bench_component()  # type: ignore[no-any-return]


def _median_ns(fn: Callable[[], None], number: int, repeat: int) -> list[float]:
    return [per_call_ns(fn, number) for _ in range(repeat)]


def main(number: int = 2000, repeat: int = 7, instances: int = 10) -> dict[str, float]:
    import wasmtime
    from wasmtime import component as wc

    import golem_fakes
    from golem_fakes.compiled import CompiledComponent
    from golem_fakes.compiled.component import engine

    golem_fakes.install()
    compiled = CompiledComponent.get(_component())
    loop = compiled.exports.lookup("clock-loop")
    eng = engine()
    base = wc.Linker(eng)
    base.add_wasip2()

    def wasi_store() -> Any:
        store = wasmtime.Store(eng)
        store.set_wasi(wasmtime.WasiConfig())
        return store

    store = wasi_store()
    inst = base.instantiate(store, compiled.component)
    idx_iface = inst.get_export_index(store, loop.instance)
    func = inst.get_func(store, inst.get_export_index(store, loop.export, idx_iface))
    assert func is not None

    def wasmtime_loop(n: int) -> Callable[[], None]:
        def run() -> None:
            func(store, n)
            func.post_return(store)
        return run

    rows: dict[str, tuple[list[float], list[float]]] = {"wall-clock now from wasm": ([], []),
                                                        "instantiate": ([], [])}
    for _ in range(repeat):
        with golem_fakes.Golem(seed=1) as g:  # a fresh oplog per repeat
            wi = compiled.instantiate()

            def fake_loop(n: int) -> Callable[[], None]:
                args = loop.lower_args((n,))
                return lambda: wi.call(loop, args)

            fake_loop(1)()  # warm: the binding is resolved at the first call
            fake = per_call_ns(fake_loop(number), 1) - per_call_ns(fake_loop(0), 1)
            rows["wall-clock now from wasm"][0].append(fake / number)
            del g
        real = per_call_ns(wasmtime_loop(number), 1) - per_call_ns(wasmtime_loop(0), 1)
        rows["wall-clock now from wasm"][1].append(real / number)

        def fake_instances() -> None:
            for _ in range(instances):
                compiled.instantiate()

        def real_instances() -> None:
            for _ in range(instances):
                base.instantiate(wasi_store(), compiled.component)

        with golem_fakes.Golem(seed=1):
            rows["instantiate"][0].append(per_call_ns(fake_instances, instances))
        rows["instantiate"][1].append(per_call_ns(real_instances, instances))

    width = 26
    print(f"{'call':{width}} {'linker ns':>12} {'wasip2 ns':>12} {'ratio':>7} "
          f"{'best-batch ratio':>17}")
    ratios: dict[str, float] = {}
    for name, (fake_ns, real_ns) in rows.items():
        f, r = statistics.median(fake_ns), statistics.median(real_ns)
        ratios[name] = f / r if r > 0 else float("inf")
        best = min(fake_ns) / min(real_ns) if min(real_ns) > 0 else float("inf")
        print(f"{name:{width}} {f:12.1f} {r:12.1f} {ratios[name]:7.2f} {best:17.2f}")
    print("(medians per call; the machine is shared, so figures are noisy)")
    return ratios


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
