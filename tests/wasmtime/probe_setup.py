"""The one setup both hosts of the differential suite share.

* :data:`FILES` — the initial files (guest path → bytes; some in subdirectories, two
  empty, one of 100 KiB). wasmtime side: written into a fresh temporary directory
  that is preopened as both ``/`` and ``.``. Fake side: the component's initial
  files, **read-write** (Golem copies read-write files into the worker's directory,
  golem-io-semantics.md §5.5, so they behave like plain files under wasmtime).
* :data:`ARGS`, :data:`WORKER_ENV`, :data:`CONFIG` — the worker's arguments,
  environment variables and wasi-config-vars.
* :func:`environment` — exactly what Golem's ``get-environment`` returns for the
  worker: its env followed by ``GOLEM_WORKER_NAME``, ``GOLEM_COMPONENT_ID``,
  ``GOLEM_COMPONENT_VERSION`` (golem-io-semantics.md §5.4). wasmtime is given this
  list, so the two hosts coincide without any override.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

SEED = 7
COMPONENT = "probe"
WORKER = "w"

#: deterministic 100 KiB content (no randomness: a fixed byte pattern)
_LARGE = bytes((i * 7 + (i >> 8)) & 0xFF for i in range(100 * 1024))

FILES: dict[str, bytes] = {
    "hello.txt": b"hello, world\n",
    "empty.txt": b"",
    "lines.txt": b"one\ntwo\nthree\n",
    "data/a.bin": bytes(range(256)),
    "data/nested/deep.txt": b"deep file\n",
    "data/nested/empty": b"",
    "docs/readme.md": b"# Probe\n\nSeeded file for the differential suite.\n",
    "large.bin": _LARGE,
}

ARGS: list[str] = ["probe", "--flag", "x y"]

WORKER_ENV: list[tuple[str, str]] = [
    ("PROBE_MODE", "differential"),
    ("EMPTY", ""),
    ("WITH_EQUALS", "a=b=c"),
    ("UNICODE", "h\u00e9llo \u2603"),
]

#: the worker's wasi-config-vars (deliberately not in key order: get-all sorts)
CONFIG: dict[str, str] = {
    "zeta": "last",
    "alpha": "first",
    "Beta": "upper-case sorts before lower-case",
    "empty": "",
    "k=v": "key with equals",
}


def make_golem(extra_env: list[tuple[str, str]] = ()) -> Any:
    """A fresh fake Golem with the probe component and worker (no bindings needed);
    ``extra_env`` is appended to the worker's environment (the ``http`` probes' server
    addresses, :func:`probe_wasmtime.http_env`)."""
    from golem_fakes import Golem

    g = Golem(seed=SEED)
    g.add_component(COMPONENT, files=initial_files())
    g.add_worker(COMPONENT, WORKER, args=ARGS, env=WORKER_ENV + list(extra_env), config=CONFIG)
    return g


def initial_files() -> dict[str, Any]:
    """:data:`FILES` as read-write initial files of the fake component."""
    from golem_fakes.state.filesystem import InitialFile

    return {"/" + path: InitialFile(data, permission="read-write") for path, data in FILES.items()}


def environment() -> list[tuple[str, str]]:
    """The worker env plus the ``GOLEM_*`` variables Golem appends (§5.4)."""
    from golem_fakes import Golem

    g = Golem(seed=SEED)
    comp = g.add_component(COMPONENT)
    w = g.add_worker(COMPONENT, WORKER, args=ARGS, env=WORKER_ENV, config=CONFIG)
    return list(w.env) + [
        ("GOLEM_WORKER_NAME", w.name),
        ("GOLEM_COMPONENT_ID", str(comp.component_id)),
        ("GOLEM_COMPONENT_VERSION", str(comp.version)),
    ]


def config_pairs() -> list[tuple[str, str]]:
    """``get-all``'s answer under Golem: every pair sorted by key (§4)."""
    return sorted(CONFIG.items())


def probe_names_from_source() -> list[str]:
    """Every probe name, read from ``probes/*.py`` without importing them (the test
    process has the all-imports bindings, not the probe world's): module-level
    ``def probe_*`` in modules not starting with ``_`` — the rule of
    ``probes/__init__.py``."""
    names = []
    for path in sorted((Path(__file__).resolve().parent / "probes").glob("*.py")):
        if path.name.startswith("_"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("probe_"):
                names.append(f"{path.stem}.{node.name[len('probe_'):]}")
    return sorted(names)
