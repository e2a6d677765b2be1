"""A two-step saga with compensations, written with golem-cloud 0.2.0's transaction
helpers (fallible and infallible) and used unchanged, crashed at every host call
(issue 14 "Done means"). ``tests/data/saga/run_saga.py`` runs in its own process
(golem-cloud needs componentize-py 0.17's binding layout, ``wit_world.types``, and
Python 3.12) and reports every crash point as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SAGA = Path(__file__).resolve().parents[1] / "data" / "saga"

pytestmark = pytest.mark.skipif(sys.version_info < (3, 12),
                                reason="golem-cloud 0.2.0 needs Python >= 3.12")


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    pytest.importorskip("golem_cloud")
    env = dict(os.environ, GOLEM_FAKES_CACHE=str(tmp_path_factory.mktemp("cache")))
    out = subprocess.run([sys.executable, str(SAGA / "run_saga.py")], capture_output=True,
                         text=True, env=env, timeout=240, cwd=tmp_path_factory.mktemp("cwd"))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _same(point: dict[str, Any], reference: dict[str, Any]) -> bool:
    return point["result"] == reference["result"] and point["state"] == reference["state"]


@pytest.mark.parametrize("case", ["fallible-ok", "fallible-declined"])
def test_the_fallible_saga_gives_the_same_outcome_whatever_the_crash_point(
        report: dict[str, Any], case: str) -> None:
    ref, points = report[case]["reference"], report[case]["points"]
    assert len(points) >= 6                       # every recorded host call was a point
    assert [p["after"] for p in points] == list(range(1, len(points) + 1))
    assert all(p["crashes"] == 1 and p["recoveries"] == 1 for p in points)
    differing = [p for p in points if not _same(p, ref)]
    assert differing == [], differing
    if case == "fallible-declined":               # the compensation ran exactly once
        assert ref["result"] == "failed:FailedAndRolledBackCompletely:card declined"
        assert "reserved:o2" not in ref["state"]


def test_the_infallible_saga_retries_by_jumping_and_repeats_an_interrupted_region(
        report: dict[str, Any]) -> None:
    """``infallible_transaction`` runs in an atomic region and retries with
    ``set-oplog-index``. A crash inside the unfinished region makes recovery
    re-execute the whole region live (§4.4), so a charge written in the region is
    written again when the crash comes after it and before the region's end is
    committed (golem-cloud 0.2.0 never registers its compensations, so nothing is
    refunded): the exploration shows exactly those points."""
    ref, points = report["infallible-retry"]["reference"], report["infallible-retry"]["points"]
    assert ref["result"] == "ok:charge-retry-o3" and ref["recoveries"] == 1  # one jump
    assert ref["state"]["charges"] == "retry-o3=70;"
    assert all(p["result"] == ref["result"] for p in points)
    assert all(p["state"]["reserved:retry-o3"] == "70" for p in points)
    doubled = [p["after"] for p in points if p["state"]["charges"] != "retry-o3=70;"]
    n = len(points)
    assert doubled == [n - 1, n]                  # after the charge write, before the end
    assert all(p["state"]["charges"] == "retry-o3=70;retry-o3=70;" for p in points
               if p["after"] in doubled)


@pytest.mark.parametrize("case", ["fallible-ok", "fallible-declined", "infallible-retry"])
def test_explore_crashes_from_snapshots_equals_re_running_every_prefix(
        report: dict[str, Any], case: str) -> None:
    """``golem.explore_crashes`` (every point, and a second crash during each recovery)
    gives the same report and leaves the same environment at every point whether the
    points start from snapshots of the reference run or re-run the whole invocation."""
    got = report["strategies"][case]
    snap, rerun = got["snapshot"], got["rerun"]
    assert len(snap["points"]) > len(report[case]["points"])
    assert snap["points"] == rerun["points"]
    assert snap["environments"] == rerun["environments"]
