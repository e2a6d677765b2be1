"""Probe programs for the wasmtime differential suite.

The convention (other helpers add probes against it)
----------------------------------------------------
* A probe module is ``probes/<area>.py`` (``streams``, ``cli``, ``clocks``, ``rand``,
  ``log``, ``config``, ``fs_*``...). A module whose name starts with ``_`` is not a
  probe module (``_util.py`` holds helpers).
* A probe is a module-level function ``def probe_xxx(out: list[str]) -> None`` whose
  name is ``<area>.<xxx>`` in :data:`PROBES`. It uses only ``from wit_world.imports
  import ...`` (the world imports two ``types`` interfaces, so they are
  ``wasi_filesystem_types`` and ``wasi_http_types``), ``componentize_py_types`` and
  :mod:`probes._util`, and appends
  deterministic text lines to ``out``: relations, lengths, error case names — never
  timestamps, random bytes or resource handle numbers.
* A probe runs twice with the same setup (:mod:`tests.wasmtime.setup`): inside ONE
  componentize-py component under wasmtime-py's real WASI p2 host, and natively on
  golem-fakes; the lines, the stdout/stderr bytes and the outcome (``ok`` / ``trap``
  / ``exit``) must be identical, except where the test's ``EXPECTED_OVERRIDES`` table
  (with a citation of Golem's docs) says Golem deliberately differs.
* Every probe starts from a fresh host: a fresh temporary directory seeded with
  :data:`setup.FILES`, preopened as both ``/`` and ``.`` (Golem's two preopens of one
  directory, golem-io-semantics.md §5.5), arguments :data:`setup.ARGS`, environment
  :func:`setup.environment` (the worker env plus the ``GOLEM_*`` variables Golem
  injects), config vars :data:`setup.CONFIG`, empty stdin.
* Only modules imported at build time exist inside the component
  (componentize-py.md §7): import what you need at module top level, never in a
  function body. This package imports every probe module when it is imported (the
  build imports it while pre-initialising), found by listing this directory; the
  runner checks that the component and the fake see the same probe names.
"""

from __future__ import annotations

import importlib
import os
from typing import Callable

# Statically imported (the listing below also finds them; being explicit makes
# sure the core areas are there even if listing were to fail at build time).
from . import _util  # noqa: F401
from . import cli, clocks, config, log, rand, streams  # noqa: F401

Probe = Callable[[list[str]], None]

_HERE = os.path.dirname(os.path.abspath(__file__))


def _modules() -> list[str]:
    names = []
    for entry in sorted(os.listdir(_HERE)):
        if entry.endswith(".py") and not entry.startswith("_"):
            names.append(entry[:-3])
    return names


def _collect() -> dict[str, Probe]:
    probes: dict[str, Probe] = {}
    for mod_name in _modules():
        mod = importlib.import_module(f"{__name__}.{mod_name}")
        for attr in sorted(vars(mod)):
            if attr.startswith("probe_") and callable(getattr(mod, attr)):
                fn = getattr(mod, attr)
                if getattr(fn, "__module__", None) != mod.__name__:
                    continue  # imported from elsewhere
                probes[f"{mod_name}.{attr[len('probe_'):]}"] = fn
    return probes


#: every probe, by name ``<area>.<fn name without probe_>``, sorted
PROBES: dict[str, Probe] = _collect()
