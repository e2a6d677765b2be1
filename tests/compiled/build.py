"""Build a Python component with componentize-py once per content hash.

:func:`build` (``wit_dir``, ``world``, ``src_dir``, ``module``) hashes every input — the
WIT files (with the golem-fakes deps they need, copied from
``golem_fakes/data/wit/deps``), the app sources and the componentize-py version — and
builds ``$GOLEM_FAKES_CACHE/compiled-tests/<key>.wasm`` (default cache root
``~/.cache/golem-fakes``) unless it exists: ``componentize-py -d WIT -w WORLD
componentize -p SRC MODULE -o OUT``. A build takes tens of seconds; later runs reuse it.
It generalises ``tests/wasmtime/probe_component.py`` (which builds the probe world).
Nothing here is committed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from golem_fakes.bindings.importer import cache_root
from golem_fakes.compiled.build import _componentize_py_version as _version
from golem_fakes.compiled.build import componentize_py

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
DEPS_SRC = REPO / "golem_fakes" / "data" / "wit" / "deps"


def cache_dir() -> Path:
    return cache_root() / "compiled-tests"


def inputs(wit_dir: Path, src_dir: Path, deps: tuple[str, ...]) -> list[tuple[str, Path]]:
    """(relative name, path) of every input of a build, sorted."""
    files = [(f"wit/{p.relative_to(wit_dir).as_posix()}", p) for p in sorted(wit_dir.rglob("*.wit"))]
    files += [(f"src/{p.relative_to(src_dir).as_posix()}", p) for p in sorted(src_dir.rglob("*.py"))]
    for dep in deps:
        for p in sorted((DEPS_SRC / dep).rglob("*.wit")):
            files.append((f"wit/deps/{dep}/{p.relative_to(DEPS_SRC / dep).as_posix()}", p))
    return files


def build(wit_dir: Path, world: str, src_dir: Path, module: str,
          deps: tuple[str, ...]) -> Path:
    """The component for these inputs (built if not cached); its path."""
    files = inputs(wit_dir, src_dir, deps)
    h = hashlib.sha256(f"componentize-py {_version()}\n{world}\n{module}\n".encode())
    for name, path in files:
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    key = h.hexdigest()[:24]
    root = cache_dir()
    out = root / f"{key}.wasm"
    if out.exists():
        return out
    tool = componentize_py()
    if tool is None:
        raise RuntimeError("componentize-py not found: install the test extra "
                           "(pip install -e '.[test]')")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f"{key}.", dir=root) as tmp:
        d = Path(tmp)
        for name, path in files:
            target = d / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        wasm = d / "out.wasm"
        cmd = [tool, "-d", str(d / "wit"), "-w", world, "componentize", "-p", str(d / "src"),
               "-o", str(wasm), module]
        env = dict(os.environ)
        env.pop("VIRTUAL_ENV", None)  # keep site-packages out of the component
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=str(d / "src"), env=env)
        if proc.returncode != 0:
            raise RuntimeError(f"componentize-py failed ({proc.returncode}):\n{' '.join(cmd)}\n"
                               f"{proc.stdout}\n{proc.stderr}")
        os.replace(wasm, out)
    return out


#: the WIT packages the linker test world needs
LINKER_TEST_DEPS = ("cli", "clocks", "filesystem", "golem-1.x", "golem-rpc", "io", "keyvalue",
                    "random", "sockets")


def linker_test_component() -> Path:
    """The linker's test component (``wit/linker-test.wit``, ``app/linker_app.py``)."""
    return build(HERE / "wit", "linker-test", HERE / "app", "linker_app", LINKER_TEST_DEPS)


RESOURCE_TEST_DEPS = ("clocks", "golem-1.x", "golem-rpc", "io", "random")


def resource_test_component(suffix: str = "") -> Path:
    """The exported-resource test component (``wit_res/``, ``app_res/resource_app.py``);
    with ``suffix``, another version of it whose counters' names end in ``suffix``
    (``app_res/version.py`` replaced)."""
    src = HERE / "app_res"
    if suffix:
        cache_dir().mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256(suffix.encode())
        for p in sorted((HERE / "app_res").glob("*.py")):
            h.update(p.name.encode() + b"\0" + p.read_bytes())
        src = cache_dir() / f"app_res-{h.hexdigest()[:16]}"
        if not (src / "version.py").exists():
            tmp = Path(tempfile.mkdtemp(prefix="app_res.", dir=cache_dir()))
            for p in (HERE / "app_res").glob("*.py"):
                shutil.copyfile(p, tmp / p.name)
            (tmp / "version.py").write_text(f"SUFFIX = {suffix!r}\n")
            try:
                os.rename(tmp, src)
            except OSError:  # another process made it first
                shutil.rmtree(tmp, ignore_errors=True)
    return build(HERE / "wit_res", "resource-test", src, "resource_app", RESOURCE_TEST_DEPS)


def bench_component() -> Path:
    """The benchmark's component (world ``bench``, ``app/bench_app.py``)."""
    return build(HERE / "wit", "bench", HERE / "app", "bench_app", LINKER_TEST_DEPS)


if __name__ == "__main__":
    print(linker_test_component())
    print(bench_component())
