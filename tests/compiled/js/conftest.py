"""Fixtures of the TypeScript worker tests: the component built from ``src/cart.ts``
(``ts_component.build``: cached across runs; skipped, with what to install, when the
npm toolchain cannot be had here)."""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def ts_latest_wasm() -> Path:
    """The ts-cart component built by the newest componentize-js and jco on the npm
    registry (``ts_component.latest_toolchain``): only with ``GOLEM_FAKES_TS_LATEST=1``
    (the newest versions move; CI tests the pinned ones)."""
    if os.environ.get(ts_component.LATEST_ENV) != "1":
        pytest.skip(f"{ts_component.LATEST_ENV}=1 not set: the worker is tested as built "
                    f"by the pinned componentize-js / jco only")
    try:
        node, npm = ts_component.node_executables()
        return ts_component.build(componentizer=ts_component.latest_toolchain(npm))
    except ts_component.ToolchainUnavailable as e:
        pytest.skip(f"TypeScript worker of the newest toolchain not built: {e}")


@pytest.fixture(scope="session", params=["pinned", "latest"])
def ts_wasm(request: pytest.FixtureRequest) -> Path:
    """The ts-cart component as built by the pinned toolchain and (with
    ``GOLEM_FAKES_TS_LATEST=1``, else skipped) by the newest one."""
    return request.getfixturevalue("ts_cart_wasm" if request.param == "pinned"
                                   else "ts_latest_wasm")
