"""Keeps ``benchmarks/bench_component.py`` working (tiny sizes; no timing assertion)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def test_bench_component_prints_both_hosts(linker_wasm: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_golem_bench_component",
                                                  BENCHMARKS / "bench_component.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ratios = mod.main(number=5, repeat=1, instances=1)
    out = capsys.readouterr().out
    assert "linker ns" in out and "wasip2 ns" in out
    for row in ("wall-clock now from wasm", "instantiate"):
        assert row in ratios
        line = next(x for x in out.splitlines() if x.startswith(row))
        assert len(line.split()) == len(row.split()) + 4, line
