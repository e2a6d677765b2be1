"""wasmtime's trap handlers survive ``faulthandler.disable()`` (what every in-process
pytester run does at its end): a guest trap after it is still a ``Trap``, not a
process killed by ``SIGILL`` (golem_fakes.compiled.signals). Run in a subprocess, since
the failure mode kills the process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent

SCRIPT = r'''
import faulthandler, sys
sys.path.insert(0, {wasmtime_dir!r})
faulthandler.enable()
import golem_fakes
golem_fakes.install()
from golem_fakes import Golem
from golem_fakes.bindings.runtime import Trap
from golem_fakes.compiled import signals
if {disable_guard!r}:
    signals.ensure = lambda: None
import probe_component
g = Golem()
g.add_component("p", wasm=str(probe_component.build()))
faulthandler.disable(); faulthandler.enable()  # pytest's unconfigure of a pytester run
try:
    g.invoke("p", "w", "run", "log.bad_level_traps")  # componentize-py panics: unreachable
except Trap:
    print("trapped cleanly")
'''


def _run(disable_guard: bool) -> subprocess.CompletedProcess[str]:
    code = SCRIPT.format(wasmtime_dir=str(HERE.parent / "wasmtime"), disable_guard=disable_guard)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=600)


def test_a_guest_trap_after_faulthandler_disable_is_a_trap(linker_wasm: Path) -> None:
    pytest.importorskip("wasmtime")
    ok = _run(disable_guard=False)
    assert ok.returncode == 0 and "trapped cleanly" in ok.stdout, ok.stderr[-2000:]
    broken = _run(disable_guard=True)  # without the guard the process dies
    assert broken.returncode != 0 and "trapped cleanly" not in broken.stdout
