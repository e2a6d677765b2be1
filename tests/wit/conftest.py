"""Shared fixtures for the WIT front-end tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"

_CANDIDATES = [
    os.environ.get("GOLEM_FAKES_WIT", ""),
    str(Path(__file__).parents[2] / "golem_fakes" / "data" / "wit"),
]


def _real_wit_dir() -> Path | None:
    for c in _CANDIDATES:
        if c and (Path(c) / "all-imports.wit").is_file() and (Path(c) / "deps" / "io").is_dir():
            return Path(c)
    return None


@pytest.fixture(scope="session")
def wit_dir() -> Path:
    """golem-wit + WASI 0.2.3 (all-imports.wit and deps/)."""
    d = _real_wit_dir()
    if d is None:
        pytest.skip("golem-wit tree not found (set GOLEM_FAKES_WIT)")
    return d


@pytest.fixture(scope="session")
def real(wit_dir: Path):
    from golem_fakes.wit import load

    return load(wit_dir)


@pytest.fixture
def make_world(tmp_path: Path, wit_dir: Path):
    """Write ``world w { <body> }`` into a package next to the real deps/."""

    def make(body: str):
        from golem_fakes.wit import load

        (tmp_path / "deps").symlink_to(wit_dir / "deps")
        (tmp_path / "w.wit").write_text(f"package test:verify;\nworld w {{\n{body}\n}}\n")
        return load(tmp_path).world("w")

    return make
