"""Build the probe component once per content hash and cache it.

The key hashes the probe world (``wit/probe.wit``), the WIT packages it uses (copied
from ``golem_fakes/data/wit/deps``), ``probe_app.py``, every file of ``probes/`` and the
componentize-py version. Layout under ``$GOLEM_FAKES_CACHE/probes`` (default
``~/.cache/golem-fakes/probes``)::

    <key>/wit/probe.wit, <key>/wit/deps/...   the WIT the component is built from
                                               (also what the fake side installs)
    <key>/src/probe_app.py, <key>/src/probes/...     the app, as built
    <key>.wasm                                 the component (written atomically)
    <key>.cwasm                                wasmtime's compiled form (optional)

Old builds are pruned after a build (:func:`prune`: the three newest are kept).

Nothing here is committed; a fresh machine needs only the ``test`` extra
(componentize-py) to build.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from golem_fakes.bindings.importer import cache_root
from golem_fakes.compiled.build import _componentize_py_version as componentize_py_version
from golem_fakes.compiled.build import componentize_py as find_componentize_py
from golem_fakes.compiled.build import prune_cache

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEPS_SRC = REPO / "golem_fakes" / "data" / "wit" / "deps"
#: the WIT packages the probe world needs (wasi:cli includes sockets; wasi:http)
DEPS = ("cli", "clocks", "config", "filesystem", "http", "io", "logging", "random", "sockets")
WORLD = "probe"


def cache_dir() -> Path:
    return cache_root() / "probes"


def componentize_py() -> str:
    """The componentize-py executable next to the running interpreter, else on PATH."""
    found = find_componentize_py()
    if not found:
        raise RuntimeError("componentize-py not found: install the test extra "
                           "(pip install -e '.[test]')")
    return found


def source_files() -> list[tuple[str, Path]]:
    """(relative name, path) of every input of the build, sorted."""
    files: list[tuple[str, Path]] = [("wit/probe.wit", HERE / "wit" / "probe.wit"),
                                     ("src/probe_app.py", HERE / "probe_app.py")]
    for p in sorted((HERE / "probes").glob("*.py")):
        files.append((f"src/probes/{p.name}", p))
    for dep in DEPS:
        for p in sorted((DEPS_SRC / dep).rglob("*.wit")):
            files.append((f"wit/deps/{dep}/{p.relative_to(DEPS_SRC / dep).as_posix()}", p))
    return files


def content_key(files: list[tuple[str, Path]] | None = None,
                tool_version: str | None = None) -> str:
    """Hash of every build input and the componentize-py version."""
    h = hashlib.sha256()
    h.update(f"componentize-py {tool_version or componentize_py_version()}\n".encode())
    for name, path in files if files is not None else source_files():
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:24]


def _atomic_copy_tree(files: list[tuple[str, Path]], dest: Path) -> None:
    if dest.exists():
        return
    tmp = Path(tempfile.mkdtemp(prefix=dest.name + ".", dir=dest.parent))
    try:
        for name, path in files:
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        try:
            os.rename(tmp, dest)
        except OSError:  # another process won the race
            if not dest.exists():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def prepare() -> tuple[str, Path]:
    """Write the build inputs for the current content key; ``(key, directory)``."""
    files = source_files()
    key = content_key(files)
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    directory = root / key
    _atomic_copy_tree(files, directory)
    return key, directory


def wit_dir() -> Path:
    """The WIT directory of the current probe world (with ``deps/``)."""
    return prepare()[1] / "wit"


def build() -> Path:
    """The component for the current sources: built if not cached; its path."""
    key, directory = prepare()
    out = cache_dir() / f"{key}.wasm"
    if out.exists():
        return out
    tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
    cmd = [componentize_py(), "-d", str(directory / "wit"), "-w", WORLD, "componentize",
           "-p", str(directory / "src"), "-o", str(tmp), "probe_app"]
    env = dict(os.environ)
    env.pop("VIRTUAL_ENV", None)  # keep site-packages out of the component
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(directory / "src"),
                          env=env)
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        raise RuntimeError(f"componentize-py failed ({proc.returncode}):\n{' '.join(cmd)}\n"
                           f"{proc.stdout}\n{proc.stderr}")
    os.replace(tmp, out)
    prune(keep=key)
    return out


def prune(keep: str, newest: int = 3, min_age: float = 3600.0) -> None:
    """Delete old builds (each is tens of MB): all but the ``newest`` few and ``keep``,
    and only those untouched for ``min_age`` seconds (another checkout may use them)."""
    prune_cache(cache_dir(), keep, newest, min_age)


if __name__ == "__main__":
    print(build())
