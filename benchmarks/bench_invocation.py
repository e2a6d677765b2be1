"""Cost of entering and leaving an invocation of a worker that runs its own instance.

Issue 13's goal: entering/leaving an invocation costs at most 10 µs more than the
invocation machinery alone. Measured in one run, interleaved batches, medians:

* ``run_as (no code)`` — the baseline: ``with golem.run_as(c, w): pass`` on a worker
  whose component has no code (begin + end an invocation: the ``exported-function-*``
  oplog entries, status changes, the current environment; what an invocation cost
  before workers had instances);
* ``invoke(fn), no code`` — ``golem.invoke(c, w, fn)`` of a no-op callable on that
  worker: the baseline plus the executor's queue and idempotency-key bookkeeping;
* ``invoke(fn), instance`` — the same on a worker of a component with code: the
  worker's instance is found and its modules are swapped into ``sys.modules`` for the
  call and back;
* ``invoke("save")`` — invocation by export name (``golem:api/save-snapshot``'s
  ``save``, the all-imports world's export): argument check, the kept export object,
  the return value lowered to ``list<u8>``.

Prints each median (µs per invocation), the difference to the baseline and the
verdict for the goal. Run: ``python benchmarks/bench_invocation.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

import golem_fakes
from _bench import per_call_ns

GOAL_US = 10.0

COMPONENT = '''
state = {"saves": 0}

class SaveSnapshot:
    def save(self):
        state["saves"] += 1
        return b"snapshot"

class LoadSnapshot:
    def load(self, data):
        return None
'''


def main(number: int = 500, repeat: int = 11) -> dict[str, float]:
    golem_fakes.install()
    src = Path(tempfile.mkdtemp(prefix="golem-bench-invocation-"))
    (src / "benchapp.py").write_text(COMPONENT)
    g = golem_fakes.Golem()
    g.add_component("with:code", code="benchapp", path=src)
    g.add_worker("no:code", "w")

    def noop() -> None:
        return None

    rng = range(number)

    def run_as() -> None:
        for _ in rng:
            with g.run_as("no:code", "w"):
                pass

    def invoke_plain() -> None:
        for _ in rng:
            g.invoke("no:code", "w", noop)

    def invoke_instance() -> None:
        for _ in rng:
            g.invoke("with:code", "w", noop)

    def invoke_name() -> None:
        for _ in rng:
            g.invoke("with:code", "w", "save")

    cases = [("run_as (no code)", run_as), ("invoke(fn), no code", invoke_plain),
             ("invoke(fn), instance", invoke_instance), ('invoke("save")', invoke_name)]
    for _, fn in cases:  # warm up: the instance is made, the glue loaded
        fn()
    times: dict[str, list[float]] = {name: [] for name, _ in cases}
    for _ in range(repeat):
        for name, fn in cases:
            times[name].append(per_call_ns(fn, number) / 1000)
            g.fresh()  # keeps nothing: the oplogs of g grow, as a long test's would
    med = {name: statistics.median(v) for name, v in times.items()}
    base = med["run_as (no code)"]
    print(f"{'invocation':24} {'median us':>10} {'over baseline us':>17}")
    for name, _ in cases:
        print(f"{name:24} {med[name]:10.2f} {med[name] - base:17.2f}")
    over = med["invoke(fn), instance"] - base
    print(f"entering/leaving an invocation with its instance: +{over:.2f} us over the "
          f"invocation machinery alone (goal <= {GOAL_US:.0f} us): "
          f"{'OK' if over <= GOAL_US else 'OVER GOAL'}")
    sys.modules.pop("benchapp", None)
    return {**med, "over": over}


if __name__ == "__main__":
    main()
