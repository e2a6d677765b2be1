"""Fixtures of the wasmtime differential suite (see ``test_differential.py``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).resolve().parent


@pytest.fixture(scope="session")
def probe_build() -> Path:
    """The build directory (WIT + app sources) of the current probes, component built."""
    pytest.importorskip("wasmtime")
    sys.path.insert(0, str(HERE))
    import probe_component as build

    key, directory = build.prepare()
    wasm = build.build()
    if wasm.name != f"{key}.wasm":  # the probes changed between the two calls: retry once
        key, directory = build.prepare()
        wasm = build.build()
    import probe_wasmtime

    probe_wasmtime.use_component(wasm)  # the whole session runs this very build
    return directory


@pytest.fixture(scope="session")
def fake_results(probe_build: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every probe run natively on golem-fakes, in one subprocess (the probe world's
    bindings cannot be installed in this process, which holds all-imports)."""
    import http_server

    env = dict(os.environ)
    env.update(http_server.environment())  # one server for both hosts (probes/http.py)
    out = tmp_path_factory.mktemp("probe-fake") / "results.json"
    proc = subprocess.run([sys.executable, str(HERE / "probe_fake.py"), "-o", str(out),
                           str(probe_build)],
                          capture_output=True, text=True, env=env, timeout=900)
    if proc.returncode != 0 or not out.exists():
        pytest.fail(f"probe_fake.py failed ({proc.returncode}):\n{proc.stderr[-5000:]}")
    return json.loads(out.read_text())


@pytest.fixture(scope="session")
def wasmtime_runner(probe_build: Path) -> Any:
    import probe_wasmtime

    return probe_wasmtime
