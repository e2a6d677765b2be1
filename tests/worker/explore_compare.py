"""Crash exploration with both strategies, compared point by point (imported by name
from tests/worker by the tests of ``explore_crashes``' snapshots)."""

from __future__ import annotations

from typing import Any, Callable

import golem_fakes
from golem_fakes.worker.explore import ExploreReport, effects_of, explore_crashes


def _key(x: Any) -> Any:
    if isinstance(x, BaseException):
        return ("raised", type(x).__name__, str(x))
    return ("value", repr(x))


def summary(report: ExploreReport) -> list[Any]:
    """Everything a report says, point by point (text, not objects)."""
    out: list[Any] = [("host_calls", report.host_calls), ("reference", _key(report.reference))]
    for p in report.points:
        out.append((str(p.plan), p.plan, p.failed, _key(p.result), _key(p.error),
                    str(p.divergence) if p.divergence is not None else None,
                    p.difference, p.crash_index, p.crashes, p.oplog, p.describe()))
    out.append(("describe", report.describe(limit=1000)))
    return out


def environment(g: golem_fakes.Golem, result: Any, component: str,
                worker: str) -> dict[str, Any]:
    """What a point's environment holds after its run."""
    rt = g.runtime(component, worker)
    return {
        "effects": {k: v for k, v in effects_of(g, result).items() if k != ("result",)},
        "result": _key(result),
        "oplog": [(e.index, e.kind, e.timestamp, repr(e.payload))
                  for e in g.oplog(component, worker).entries],
        "committed": g.runtime(component, worker).oplog.committed_index,
        "counters": (rt.crashes, rt.recoveries, rt.retries, rt.failed_error, rt.live,
                     rt.persistence_level, rt.idempotent, list(rt.atomic_regions),
                     len(rt.observed_calls)),
        "deleted": list(g.runtime(component, worker).oplog.deleted_regions),
        "keys": (list(rt.idempotency_keys), {k: repr(v) for k, v in rt.results.items()}),
        "invocations": [(i.function_name, i.outcome, i.error, i.start_index)
                        for i in rt.invocations],
        "calls": g.call_counts(),
        "clock": g.clock.wall_ns(),
        "status": g.worker(component, worker).status.name,
    }


def compare(make: Callable[[], golem_fakes.Golem], component: str, worker: str, fn: Any,
            *args: Any, check: Callable[[golem_fakes.Golem, Any], Any] | None = None,
            **options: Any) -> ExploreReport:
    """Explore with both strategies (with the given check, and with one that records
    every point's environment) and assert they agree; returns the snapshot report."""
    reports = {s: explore_crashes(make(), component, worker, fn, *args, check=check,
                                  raise_on_failure=False, _strategy=s, **options)
               for s in ("snapshot", "rerun")}
    assert summary(reports["snapshot"]) == summary(reports["rerun"])
    seen: dict[str, list[Any]] = {"snapshot": [], "rerun": []}
    for s, envs in seen.items():
        def record(g: golem_fakes.Golem, result: Any, envs: list[Any] = envs) -> None:
            envs.append(environment(g, result, component, worker))
            if check is not None:
                check(g, result)
        explore_crashes(make(), component, worker, fn, *args, check=record,
                        raise_on_failure=False, _strategy=s, **options)
    assert len(seen["snapshot"]) == len(reports["snapshot"].points)
    for i, (a, b) in enumerate(zip(seen["snapshot"], seen["rerun"])):
        assert a == b, f"point {reports['snapshot'].points[i].plan}: environments differ"
    return reports["snapshot"]
