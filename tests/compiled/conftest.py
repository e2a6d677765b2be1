"""Fixtures of the compiled-component tests: the linker's test component, built with
componentize-py once per content hash (:mod:`build`)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def linker_wasm() -> Path:
    """The built test component (``wit/linker-test.wit`` + ``app/linker_app.py``)."""
    pytest.importorskip("wasmtime")
    sys.path.insert(0, str(HERE))
    import build

    if build.componentize_py() is None:
        pytest.skip("componentize-py is not installed (the test extra): cannot build the "
                    "test component")
    return build.linker_test_component()
