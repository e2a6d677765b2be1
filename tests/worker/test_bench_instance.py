"""Keeps benchmarks/bench_instance.py working and printing what benchmarks/README.md
reports (tiny sizes; no timing assertion), as tests/test_benchmarks.py does for the
host-call benchmarks."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_bench_instance_prints_medians_and_ratios(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_golem_bench_instance",
                                                  BENCHMARKS / "bench_instance.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ratios = mod.main(number=2, repeat=2)
    out = capsys.readouterr().out
    for row in ("new instance", "new instance (exec path)", "new instance (plain)",
                "new instance (plain, exec path)", "activate+deactivate"):
        assert ratios[row] > 0 and ratios[row + " ns"] > 0
        line = next(x for x in out.splitlines() if x.startswith(row + " ") and
                    x[len(row):].split()[0].isdigit())
        assert len(line[len(row):].split()) == 7, line  # median, baseline, ratio, overhead, best ratio, goal, verdict
    assert ratios["recompiled"] == 0 and ratios["rebuilt"] == 0
    assert "files compiled again while timing: 0" in out
    assert "templates made again while timing: 0" in out and ratios["clone gain"] > 0


def test_bench_invocation_prints_the_overhead(monkeypatch: pytest.MonkeyPatch,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_golem_bench_invocation",
                                                  BENCHMARKS / "bench_invocation.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    med = mod.main(number=3, repeat=2)
    out = capsys.readouterr().out
    for row in ("run_as (no code)", "invoke(fn), no code", "invoke(fn), instance",
                'invoke("save")'):
        assert med[row] > 0 and row in out
    assert "over the invocation machinery alone (goal <= 10 us)" in out
