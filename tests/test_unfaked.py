"""What golem-fakes does not fake yet, kept in ``tests/unfaked.txt`` so the list only
shrinks.

The test fails when a function of the vendored ``all-imports`` world loses its
behaviour (a regression), and when a function listed in ``unfaked.txt`` has gained
one (so the file is kept honest). After faking something, regenerate the file with::

    GOLEM_FAKES_UPDATE_UNFAKED=1 python -m pytest tests/test_unfaked.py
"""

from __future__ import annotations

import os
from pathlib import Path

from golem_fakes.bindings.registry import unfaked
from golem_fakes.wit import load

LIST = Path(__file__).with_name("unfaked.txt")
VENDORED = Path(__file__).parents[1] / "golem_fakes" / "data" / "wit"


def current() -> list[str]:
    return unfaked(load(VENDORED).world("all-imports"))


def test_unfaked_list_only_shrinks() -> None:
    now = current()
    if os.environ.get("GOLEM_FAKES_UPDATE_UNFAKED"):
        LIST.write_text("".join(f"{line}\n" for line in now))
    recorded = [line for line in LIST.read_text().splitlines() if line and not line.startswith("#")]
    newly_unfaked = sorted(set(now) - set(recorded))
    now_faked = sorted(set(recorded) - set(now))
    assert not newly_unfaked, (
        f"{len(newly_unfaked)} functions lost their behaviour (regression): {newly_unfaked[:20]}")
    assert not now_faked, (
        f"{len(now_faked)} functions listed in {LIST.name} are faked now; regenerate the list "
        f"with GOLEM_FAKES_UPDATE_UNFAKED=1 (first: {now_faked[:10]})")
    print(f"\nunfaked: {len(now)} functions of all-imports")

