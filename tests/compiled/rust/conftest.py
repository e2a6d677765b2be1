"""Fixtures of the Rust worker tests: the component built from ``lib.rs``
(``rust_component.build``: cached across runs; skipped, with what to install, when
Debian's rustc for wasm32-wasi or the npm toolchain (jco) cannot be had here)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import rust_component  # noqa: E402


@pytest.fixture(scope="session")
def rust_wasm() -> Path:
    """The path of the built rust-test component (built once per content key)."""
    try:
        return rust_component.build()
    except rust_component.ToolchainUnavailable as e:
        pytest.skip(f"Rust worker not built: {e}")
