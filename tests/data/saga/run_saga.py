"""Crash the saga of ``src/sagaapp.py`` at every host call and print what each run
gave, as JSON (run by tests/worker/test_saga.py in its own process: golem-cloud 0.2.0
needs componentize-py 0.17's binding layout, ``wit_world.types``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import golem_fakes

HERE = Path(__file__).resolve().parent
C = "test:saga"

golem_fakes.install(wit=HERE, world="saga-world", version="0.17.0")


def fresh() -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=5)
    g.add_component(C, code="sagaapp", path=HERE / "src")
    g.add_worker(C, "w")
    return g


def state(g: golem_fakes.Golem) -> dict[str, str]:
    return {k: v.decode() for k, v in sorted(g.keyvalue.snapshot().get("saga", {}).items())}


def run(g: golem_fakes.Golem, fn: str, args: list[Any]) -> str:
    try:
        return str(g.invoke(C, "w", fn, *args))
    except BaseException as e:  # noqa: BLE001 - reported, the test decides
        return f"raised {type(e).__name__}: {e}"


def explore(fn: str, args: list[Any]) -> dict[str, Any]:
    ref = fresh()
    reference = {"result": run(ref, fn, args), "state": state(ref),
                 "recoveries": ref.runtime(C, "w").recoveries}
    points = []
    k = 1
    while True:
        g = fresh()
        g.crash(C, "w", after=k)
        result = run(g, fn, args)
        rt = g.runtime(C, "w")
        if rt.crash_in is not None:  # the invocation made fewer than k recorded calls
            break
        points.append({"after": k, "result": result, "state": state(g),
                       "crashes": rt.crashes, "recoveries": rt.recoveries})
        k += 1
    return {"reference": reference, "points": points}


def strategies(fn: str, args: list[Any]) -> dict[str, Any]:
    """``golem.explore_crashes`` from snapshots of the reference run and re-running every
    prefix (``_strategy="rerun"``), every point and a second crash during each
    recovery: each point's report and environment (key-value state, the worker's oplog,
    crash and recovery counts), as text, per strategy."""
    from golem_fakes.worker.explore import explore_crashes

    out: dict[str, Any] = {}
    for strategy in ("snapshot", "rerun"):
        envs: list[Any] = []

        def check(g: golem_fakes.Golem, result: Any, envs: list[Any] = envs) -> None:
            rt = g.runtime(C, "w")
            envs.append([repr(result), state(g), rt.crashes, rt.recoveries,
                         [(e.index, e.kind, repr(e.payload)) for e in g.oplog(C, "w").entries]])

        report = explore_crashes(fresh(), C, "w", fn, *args, check=check,
                                 during_recovery=True, raise_on_failure=False,
                                 _strategy=strategy)
        out[strategy] = {"points": [[str(p.plan), p.failed, repr(p.result), p.difference,
                                     p.crash_index, p.crashes, p.oplog] for p in report.points],
                         "environments": envs}
    return out


cases = {"fallible-ok": ("fallible", ["o1", 50]), "fallible-declined": ("fallible", ["o2", 500]),
         "infallible-retry": ("infallible", ["retry-o3", 70])}
out = {name: explore(fn, args) for name, (fn, args) in cases.items()}
out["strategies"] = {name: strategies(fn, args) for name, (fn, args) in cases.items()}
json.dump(out, sys.stdout)
