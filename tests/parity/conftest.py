"""Parity suite: our generated bindings against componentize-py's own.

The ``parity`` marker is registered in pyproject.toml; ``pytest_configure`` below
registers it too so the suite also runs from a checkout whose pyproject lacks it.
Results are collected on ``config._golem_parity_summary`` (rows: case, version,
symbols compared, matched, modules, files identical, files) and printed at the end of the session.
"""

from __future__ import annotations

from typing import Any

import pytest



def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "parity: compares our generated bindings with componentize-py's own")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    rows = getattr(terminalreporter.config, "_golem_parity_summary", None)
    if not rows:
        return
    tr = terminalreporter
    tr.section("golem-fakes parity with componentize-py")
    tr.write_line(f"{'case':<22} {'version':<8} {'symbols':>8} {'matched':>8} {'%':>7} "
                  f"{'modules':>8} {'identical files (stub text)':>28}")
    total_c = total_m = 0
    for case, version, compared, matched, modules, same, files in sorted(rows):
        total_c += compared
        total_m += matched
        pct = 100.0 * matched / compared if compared else 100.0
        tr.write_line(f"{case:<22} {version:<8} {compared:>8} {matched:>8} {pct:>6.2f}% "
                      f"{modules:>8} {f'{same}/{files}':>28}")
    pct = 100.0 * total_m / total_c if total_c else 100.0
    tr.write_line(f"{'TOTAL':<22} {'':<8} {total_c:>8} {total_m:>8} {pct:>6.2f}%")
