"""Fixtures for the golem plugin's tests (pytester is enabled in tests/conftest.py:
pytest refuses pytest_plugins in nested conftest files)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import pytest

from plugin_helpers import REAL_CACHE

try:
    # hypothesis' pytest plugin imports this at the end of every inner session; pytester
    # drops modules first imported by an in-process run, so without this each inner run
    # would import hypothesis afresh (~2 s).
    import hypothesis.internal.observability  # noqa: F401
except ImportError:  # pragma: no cover
    pass


@pytest.fixture
def warm_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Subprocess runs use the real binding cache (warm) even though pytester moved
    HOME."""
    if "GOLEM_FAKES_CACHE" not in os.environ:
        monkeypatch.setenv("GOLEM_FAKES_CACHE", str(REAL_CACHE))
    yield Path(os.environ["GOLEM_FAKES_CACHE"])
