"""Cost of the runtime seam: a generated binding call vs a direct call of the behaviour.

Builds a module with the seam's code generator (``golem_fakes.bindings.lowering``) for

    interface bench {
      resource counter { constructor(); get: func() -> u64; }
      f: func(a: u32, b: string, c: bool) -> u64;
      r: func(a: u32) -> result<u64, string>;
    }

and times, in one run, repeated batches of

* ``f(7, "hello", True)`` through the binding (argument checks, ContextVar lookup,
  dispatch, call count, return check) vs ``behaviour(env, 7, "hello", True)``;
* ``c.get()`` on a resource (handle lookup) vs ``behaviour(env, rep)``;
* ``r(7)`` (outermost result: Ok unwrapped) vs the direct call.

Prints the median ns per call of each, the ratio and the absolute overhead. Budget: the
seam adds under 1 µs per call. Run: ``python benchmarks/bench_seam.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
import types
from typing import Any, Callable

from golem_fakes.bindings import lowering
from golem_fakes.bindings.result import Ok
from golem_fakes.state.environment import Environment
from golem_fakes.wit.model import (
    Function,
    HandleType,
    Interface,
    Package,
    PackageName,
    Param,
    Primitive,
    Resource,
    ResultType,
    TypeDef,
)

IFACE = "golem-fakes:bench/bench"
BUDGET_NS = 1000.0


class _Namer:
    def class_expr(self, typedef: TypeDef) -> str:
        return "Counter"

    def case_class_expr(self, typedef: TypeDef, case: Any) -> str:  # pragma: no cover
        raise NotImplementedError


def build_module() -> types.ModuleType:
    pkg = Package(PackageName("golem-fakes", "bench"))
    iface = Interface("bench", pkg)
    counter = TypeDef("counter", Resource(), iface)
    iface.types["counter"] = counter
    f = Function("f", "f", "freestanding",
                 [Param("a", Primitive("u32")), Param("b", Primitive("string")),
                  Param("c", Primitive("bool"))], Primitive("u64"), None, iface)
    r = Function("r", "r", "freestanding", [Param("a", Primitive("u32"))],
                 ResultType(Primitive("u64"), Primitive("string")), None, iface)
    ctor = Function("[constructor]counter", "counter", "constructor", [],
                    HandleType(counter, "own"), counter, iface)
    get = Function("[method]counter.get", "get", "method",
                   [Param("self", HandleType(counter, "borrow"))], Primitive("u64"), counter, iface)
    namer = _Namer()
    fns = [f, r, ctor, get]
    src = [
        "from golem_fakes.bindings.result import Result, Ok, Err, Some",
        lowering.RUNTIME_IMPORT,
        "class Counter:",
        "    def __init__(self) -> None:",
        *["        " + x for x in lowering.emit_function_body(ctor, IFACE, [], namer)],
        "    def get(self) -> int:",
        *["        " + x for x in lowering.emit_function_body(get, IFACE, [], namer)],
        "def f(a: int, b: str, c: bool) -> int:",
        *["    " + x for x in lowering.emit_function_body(f, IFACE, ["a", "b", "c"], namer)],
        "def r(a: int) -> int:",
        *["    " + x for x in lowering.emit_function_body(r, IFACE, ["a"], namer)],
        *lowering.emit_module_footer([(fn, IFACE) for fn in fns], namer),
    ]
    mod = types.ModuleType("golem_bench")
    exec(compile("\n".join(src) + "\n", "<golem_bench>", "exec"), mod.__dict__)
    sys.modules["golem_bench"] = mod
    return mod


def _median_ns(fn: Callable[[], Any], number: int, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter_ns()
        fn()
        times.append((time.perf_counter_ns() - t0) / number)
    return statistics.median(times)


def main(number: int = 20000, repeat: int = 31) -> dict[str, float]:
    mod = build_module()
    env = Environment()

    def behaviour_f(env: Any, a: int, b: str, c: bool) -> int:
        return a

    def behaviour_r(env: Any, a: int) -> Any:
        return Ok(a)

    def behaviour_get(env: Any, rep: Any) -> int:
        return 5

    env.implement(IFACE, "f", behaviour_f)
    env.implement(IFACE, "r", behaviour_r)
    env.implement(IFACE, "[constructor]counter", lambda env: object())
    env.implement(IFACE, "[method]counter.get", behaviour_get)
    f, r = mod.f, mod.r
    rng = range(number)
    results: dict[str, float] = {}
    with env:
        c = mod.Counter()
        rep = env.handles[c.handle].rep

        def via_f() -> None:
            for _ in rng:
                f(7, "hello", True)

        def direct_f() -> None:
            for _ in rng:
                behaviour_f(env, 7, "hello", True)

        def via_get() -> None:
            for _ in rng:
                c.get()

        def direct_get() -> None:
            for _ in rng:
                behaviour_get(env, rep)

        def via_r() -> None:
            for _ in rng:
                r(7)

        def direct_r() -> None:
            for _ in rng:
                behaviour_r(env, 7)

        cases = [("f(u32, string, bool) -> u64", via_f, direct_f),
                 ("counter.get() (resource method)", via_get, direct_get),
                 ("r(u32) -> result<u64, string>", via_r, direct_r)]
        for fn in (via_f, direct_f, via_get, direct_get, via_r, direct_r):  # warm up
            fn()
        print(f"{'call':34} {'binding ns':>11} {'direct ns':>10} {'ratio':>6} {'overhead ns':>12}")
        for name, via, direct in cases:
            # interleave the two so noise hits both alike
            vs, ds = [], []
            for _ in range(repeat):
                vs.append(_median_ns(via, number, 1))
                ds.append(_median_ns(direct, number, 1))
            v, d = statistics.median(vs), statistics.median(ds)
            results[name] = v - d
            print(f"{name:34} {v:11.1f} {d:10.1f} {v / d:6.2f} {v - d:12.1f}")
    worst = max(results.values())
    print(f"worst seam overhead: {worst:.0f} ns per call (budget {BUDGET_NS:.0f} ns): "
          f"{'OK' if worst < BUDGET_NS else 'OVER BUDGET'}")
    return results


_INSTALL_SNIPPET = """
import time
t0 = time.perf_counter()
import golem_fakes
golem_fakes.install()
t1 = time.perf_counter()
import wit_world.imports.host
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def install_times(runs: int = 5) -> None:
    """Cold (empty cache: parse + generate + write) and warm (cache hit) ``install()`` of
    the vendored all-imports world, each in a fresh interpreter; medians of ``runs``.
    The baseline is a fresh interpreter importing nothing (``python -c pass``)."""
    import os
    import subprocess
    import tempfile

    def run(cache: str) -> tuple[float, float]:
        env = dict(os.environ, GOLEM_FAKES_CACHE=cache)
        out = subprocess.run([sys.executable, "-c", _INSTALL_SNIPPET], env=env, check=True,
                             capture_output=True, text=True).stdout.split()
        return float(out[0]), float(out[1])

    def startup() -> float:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        return time.perf_counter() - t0

    cold, warm, host, base = [], [], [], []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as cache:
            c, _h = run(cache)
            w, h = run(cache)
        cold.append(c)
        warm.append(w)
        host.append(h)
        base.append(startup())
    med = statistics.median
    print(f"install() all-imports, cold cache: {med(cold) * 1e3:7.1f} ms (median of {runs})")
    print(f"install() all-imports, warm cache: {med(warm) * 1e3:7.1f} ms "
          f"(cold/warm ratio {med(cold) / med(warm):.1f}x)")
    print(f"first `import wit_world.imports.host` after install: {med(host) * 1e3:7.1f} ms")
    print(f"baseline: interpreter start-up (python -c pass): {med(base) * 1e3:7.1f} ms")


if __name__ == "__main__":
    main()
    install_times()
