"""Crash exploration from snapshots equals the re-run exploration for real component
code invoked by export name (issue 14 §4): the ``durableapp`` component of
``test_replay`` (world ``tests/data/durable``), whose module state the recoveries
rebuild, with a history of earlier invocations, an atomic region, a non-idempotent
write, a ``set-oplog-index`` jump inside the reference run, a promise and Python's
own ``random``. See ``explore_compare.compare`` for what is compared."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from explore_compare import compare
from golem_fakes.worker.explore import CrashPlan
from test_replay import COMPONENT, DATA
from worker_world import component_sources

C = "test:durable"


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with component_sources(tmp_path_factory, DATA, "durable-world",
                           {"durableapp": COMPONENT}) as d:
        yield d


def maker(src: Path, history: int = 2) -> Any:
    def make() -> golem_fakes.Golem:
        g = golem_fakes.Golem(seed=3)
        g.add_component(C, code="durableapp", path=src)
        for _ in range(history):
            g.invoke(C, "w", "incr", "k")
        return g
    return make


def history_is(expected: list[int]) -> Any:
    def check(g: golem_fakes.Golem, result: Any) -> None:
        assert g.invoke(C, "w", "history") == expected   # the rebuilt module state
    return check


def test_incr_with_history_and_crashes_during_recovery(src: Path) -> None:
    report = compare(maker(src), C, "w", "incr", "k", check=history_is([1, 2, 3]),
                     during_recovery=True)
    assert report.ok and report.reference == 3
    assert any(p.crashes == 2 for p in report.points)


def test_traps_in_component_code(src: Path) -> None:
    report = compare(maker(src), C, "w", "incr", "k", check=history_is([1, 2, 3]),
                     traps=True)
    assert report.ok


@pytest.mark.parametrize("export,args", [
    ("region", ("k",)), ("unsafe-write", ("u",)), ("jump-until", ("j", 2)),
    ("jump-until", ("j", 3)), ("promise", ()), ("keys", ()), ("roll", ()),
], ids=["atomic-region", "unsafe-write", "jump-in-reference", "second-jump-traps", "promise",
        "keys", "roll"])
def test_host_api_exports(src: Path, export: str, args: tuple[Any, ...]) -> None:
    report = compare(maker(src), C, "w", export, *args, during_recovery=True)
    assert report.host_calls >= 1


def test_a_crash_planned_during_recovery_is_not_used_by_an_earlier_jump(src: Path) -> None:
    """The reference run jumps back once (``set-oplog-index``: a recovery of its own);
    a plan's crash during recovery crashes the recovery from the plan's crash, in both
    strategies, never the jump's replay before it."""
    report = compare(maker(src, history=0), C, "w", "jump-until", "j", 2,
                     points=[CrashPlan(8, (3,)), CrashPlan(7, (1,))])
    # 8 counted calls: get-environment, get-arguments, get-oplog-index, get, set, the
    # jump (set-oplog-index), get, set. The jump's replay replays 2 of them: a third
    # replayed call is only reached by the recovery from the crash after call 8
    assert report.reference == 2 and report.host_calls == 8 and report.ok
    assert [p.crashes for p in report.points] == [2, 2]
