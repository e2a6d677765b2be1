"""A component's world installed for one test module, and its source files (imported by
name from tests/worker, so it must not be called ``conftest``)."""

from __future__ import annotations

import contextlib
import importlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Iterator, Mapping

import pytest

import golem_fakes

install_mod = importlib.import_module("golem_fakes.bindings.install")


def install_kwargs(options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    """``golem_fakes.install`` keyword arguments that recreate an installation from its
    ``InstalledBindings.options``."""
    o = dict(options)
    return {k: (dict(o[k]) if k in ("interface_names", "export_interface_names") else o[k])
            for k in ("wit", "world", "package", "layout", "version", "interface_names",
                      "export_interface_names", "features", "all_features", "full_names")}


@contextlib.contextmanager
def component_sources(tmp_path_factory: pytest.TempPathFactory, wit: Path, world: str,
                      modules: Mapping[str, str], version: str = "0.19.3") -> Iterator[Path]:
    """Install ``world`` of ``wit`` (in a private binding cache) and write ``modules``
    (module name → source) into a fresh source directory, yielded; afterwards the
    modules are forgotten and the bindings installed before are installed again."""
    previous = install_mod.installed()
    old_cache = os.environ.get("GOLEM_FAKES_CACHE")
    os.environ["GOLEM_FAKES_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    install_mod._uninstall()
    golem_fakes.install(wit=wit, world=world, version=version)
    d = tmp_path_factory.mktemp("src")
    for name, text in modules.items():
        (d / f"{name}.py").write_text(text)
    try:
        yield d
    finally:
        for name in modules:
            sys.modules.pop(name, None)
        install_mod._uninstall()
        if old_cache is None:
            os.environ.pop("GOLEM_FAKES_CACHE", None)
        else:
            os.environ["GOLEM_FAKES_CACHE"] = old_cache
        if previous is not None:
            golem_fakes.install(**install_kwargs(previous.options))


def componentize_py_poll_loop(tmp_path_factory: pytest.TempPathFactory, wit: Path,
                              world: str) -> str:
    """The ``poll_loop.py`` componentize-py writes beside the bindings of ``world``
    (``componentize-py -d WIT -w WORLD bindings OUT``, run with this interpreter)."""
    out = tmp_path_factory.mktemp("componentize-py-bindings")
    proc = subprocess.run(
        [sys.executable, "-c", "import sys; from componentize_py import script; "
         "sys.argv[0] = 'componentize-py'; sys.exit(script())",
         "-d", str(wit), "-w", world, "bindings", str(out)],
        capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return (out / "poll_loop.py").read_text()
