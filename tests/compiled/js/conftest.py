"""Fixtures of the TypeScript worker tests: the component built from ``src/cart.ts``
(``ts_component.build``: cached across runs; skipped, with what to install, when the
npm toolchain cannot be had here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import ts_component  # noqa: E402


@pytest.fixture(scope="session")
def ts_cart_wasm() -> Path:
    """The path of the built ts-cart component (built once per content key)."""
    try:
        return ts_component.build()
    except ts_component.ToolchainUnavailable as e:
        pytest.skip(f"TypeScript worker not built: {e}")
