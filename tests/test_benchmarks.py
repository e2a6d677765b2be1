"""Keeps the host-call benchmarks working and printing what benchmarks/README.md reports:
for every call the median through the bindings, the same-work baseline (recording
included) and its ratio, the bare op and its ratio (tiny sizes; no timing assertion)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.parametrize("script, calls", [
    ("bench_kv", ["eventual.set", "eventual.get"]),
    ("bench_host", ["get_oplog_index()", "generate_idempotency_key()"]),
    ("bench_wasi", ["wall_clock.now()", "monotonic_clock.now()", "descriptor.read(4096)",
                    "logging.log(info)"]),
])
def test_benchmark_prints_both_baselines(script: str, calls: list[str],
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"_golem_{script}", BENCHMARKS / f"{script}.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    ratios = mod.main(number=20, repeat=2)
    out = capsys.readouterr().out
    assert "same work ns" in out and "bare op ns" in out and "best-batch ratios" in out
    for call in calls:
        assert ratios[call] > 0 and ratios[call + " vs bare op"] > 0
        row = next(line for line in out.splitlines() if line.startswith(call))
        assert len(row.split()) == 8, row  # name, 3 medians, 2 ratios, 2 best-batch ratios
    assert "worst ratio to the same-work baseline" in out


def test_instruction_counter_runs_every_case_in_its_child(monkeypatch: pytest.MonkeyPatch) -> None:
    """``bench_instructions.py`` counts the same batches the timed benchmarks time: its
    child runs each case's three batches, and its set-up-only child sets them up without
    running them (valgrind itself is not run here)."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_golem_bench_instructions",
                                                  BENCHMARKS / "bench_instructions.py")
    assert spec and spec.loader
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    names = list(mod._cases())
    assert {"eventual.get", "eventual.set", "wall_clock.now()", "monotonic_clock.now()",
            "descriptor.read(4096)", "get_oplog_index()"} <= set(names)
    for name in names:
        for variant in mod.VARIANTS:
            mod.child(name, variant, 3, True)
            mod.child(name, variant, 3, False)
    m = mod._COLLECTED.search("==1== Collected : 123456\n")
    assert m is not None and m.group(1) == "123456"
