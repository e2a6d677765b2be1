"""Build the Rust test worker (``lib.rs``) to a component, cached.

A Golem Rust worker is built by cargo-component (``cargo component build --release``):
rustc compiles the crate for the
``wasm32-wasi`` (preview1; ``wasm32-wasip1`` since Rust 1.78) target to a ``cdylib``
core module, wit-bindgen's generated glue lowering the world's imports and exports to
the canonical ABI and carrying the world as a ``component-type`` custom section, and
cargo-component then runs wit-component (``wasm-tools component new``) with the
``wasi_snapshot_preview1`` *reactor* adapter, which turns the module's preview1 imports
(Rust's std: ``fd_write`` for ``println!``, ``environ_get`` for ``std::env``,
``path_open`` for ``std::fs``, ...) into WASI 0.2 imports (``wasi:cli/*``,
``wasi:io/streams``, ``wasi:filesystem/*``).

crates.io cannot be reached from this project's machines, so neither cargo-component
nor wit-bindgen can be had, and rustup's toolchains have no wasm target here. This
module does the same steps with what can be installed:

``/usr/bin/rustc`` (Debian 12's ``rustc`` 1.63 with ``libstd-rust-dev-wasm32``, linking
with ``rust-lld`` → ``lld-14``)
    ``rustc --edition 2021 --target wasm32-wasi --crate-type cdylib --crate-name
    rust_test -C opt-level=3 -C strip=debuginfo lib.rs`` (cargo's release profile;
    run in the build directory, so a panic names ``lib.rs``). The canonical-ABI glue
    is written by hand in ``lib.rs`` the way wit-bindgen generates it (see its
    docstring). rustup's ``rustc`` (first on ``PATH`` on the developers' machines) has
    no wasm32 standard library, hence the explicit path.
``jco embed`` (``@bytecodealliance/jco`` 1.32.1, ``wasm-tools component embed``)
    ``jco embed rust_test.wasm --wit wit -n rust-test -o embedded.wasm``: the world as
    the ``component-type`` custom section (what wit-bindgen's ``#[link_section]``
    gives a cargo-component build).
``jco new --wasi-reactor`` (``wasm-tools component new --adapt``)
    with jco's bundled ``wasi_snapshot_preview1.reactor.wasm``, which imports WASI at
    ``@0.2.3`` (jco 1.33 and later ship a ``@0.2.12`` adapter).

jco is the npm toolchain of ``tests/compiled/js`` (``package.json`` pins jco 1.32.1),
installed once by :func:`ts_component.toolchain` into ``$GOLEM_FAKES_CACHE/npm`` and
shared with the TypeScript worker's build; Node.js 20+ and npm are required.

Cache layout under ``$GOLEM_FAKES_CACHE`` (default ``~/.cache/golem-fakes``)::

    rust-components/.lock                    held while building
    rust-components/<key>/lib.rs, wit/       the inputs, as built
    rust-components/<key>/rust_test.wasm     rustc's core module
    rust-components/<key>/embedded.wasm      the same with the world embedded
    rust-components/<key>.wasm               the component (written atomically)

``<key>`` hashes every input (``lib.rs``, the world, the WIT packages it uses as copied
from ``golem_fakes/data/wit/deps``, the npm files of ``tests/compiled/js``), the
rustc flags, ``rustc -vV``, rust-lld's version, jco's and node's versions.

Skips and failures: :class:`ToolchainUnavailable` (the tests skip with its message)
when ``/usr/bin/rustc`` or its wasm32-wasi standard library or ``rust-lld`` is missing
(``apt-get install rustc libstd-rust-dev-wasm32 lld``; ``.ci/run`` installs them), or
when the npm toolchain cannot be had (see :mod:`ts_component`). A failing step is a
:class:`BuildError` with the tool's output: the sources are wrong.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
JS = HERE.parent / "js"
if str(JS) not in sys.path:
    sys.path.insert(0, str(JS))

import ts_component  # noqa: E402  (the npm toolchain: jco)
from ts_component import BuildError, _hash_files, _prune, cache_root  # noqa: E402

__all__ = ["BuildError", "ToolchainUnavailable", "build", "rustc_executable", "RUSTC",
           "TARGET", "RUSTC_FLAGS", "source_files", "content_key", "last_build"]

REPO = HERE.parent.parent.parent
DEPS_SRC = REPO / "golem_fakes" / "data" / "wit" / "deps"
#: the vendored WIT packages the rust-test world uses (golem:api/host uses golem:rpc
#: types and wasi:clocks; golem:rpc uses wasi:io)
DEPS = ("golem-1.x", "golem-rpc", "clocks", "io", "random")
WORLD = "rust-test"
CRATE = "rust_test"
#: Debian's rustc: rustup's (first on PATH here) has no wasm32 standard library
RUSTC = "/usr/bin/rustc"
#: the preview1 target: cargo-component's (``wasm32-wasip1`` is its name since Rust 1.78)
TARGET = "wasm32-wasi"
#: cargo's release profile for a cdylib (opt-level 3, no debug info: strip=debuginfo is
#: cargo's release default since 1.77); --crate-type cdylib is what cargo-component builds
RUSTC_FLAGS = ("--edition", "2021", "--target", TARGET, "--crate-type", "cdylib",
               "--crate-name", CRATE, "-C", "opt-level=3", "-C", "strip=debuginfo")

INSTALL_HINT = ("install Debian's rustc with its wasm32-wasi standard library and lld "
                "(`apt-get install rustc libstd-rust-dev-wasm32 lld`; .ci/run installs "
                "them when missing)")


class ToolchainUnavailable(RuntimeError):
    """rustc for wasm32-wasi, or jco, cannot be had here: the Rust tests skip with this."""


def _output(cmd: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


def rustc_executable() -> str:
    """:data:`RUSTC`, checked: :class:`ToolchainUnavailable` if it is missing, has no
    :data:`TARGET` standard library, or its linker ``rust-lld`` cannot be run."""
    if not (os.path.isfile(RUSTC) and os.access(RUSTC, os.X_OK)):
        raise ToolchainUnavailable(
            f"{RUSTC} not found: the Rust worker (tests/compiled/rust) is compiled with "
            f"Debian's rustc for {TARGET} (crates.io, and so cargo-component, cannot be "
            f"reached); {INSTALL_HINT}")
    proc = _output([RUSTC, "--print", "target-libdir", "--target", TARGET])
    libdir = Path(proc.stdout.strip())
    if proc.returncode != 0 or not any(libdir.glob("libstd-*.rlib")):
        raise ToolchainUnavailable(
            f"{RUSTC} has no {TARGET} standard library (no libstd-*.rlib in "
            f"{proc.stdout.strip() or proc.stderr.strip()!r}); {INSTALL_HINT}")
    if _rust_lld(RUSTC) is None:
        raise ToolchainUnavailable(
            f"rust-lld, the linker {RUSTC} uses for {TARGET}, is not on PATH or is a "
            f"dangling link (Debian's rustc links /usr/bin/rust-lld to the lld package "
            f"of its LLVM: lld-14 on Debian 12); {INSTALL_HINT}")
    return RUSTC


def _rust_lld(rustc: str) -> str | None:
    """The ``rust-lld`` rustc will run: on ``PATH``, or in the sysroot's host ``bin``
    (rustup's layout), or beside ``rustc``; ``None`` if none can be executed (a
    dangling symbolic link fails ``os.access``)."""
    proc = _output([rustc, "-vV"])
    host = next((line.split(":", 1)[1].strip() for line in proc.stdout.splitlines()
                 if line.startswith("host:")), "")
    sysroot = _output([rustc, "--print", "sysroot"]).stdout.strip()
    path = os.pathsep.join([str(Path(sysroot) / "lib" / "rustlib" / host / "bin"),
                            str(Path(rustc).parent), os.environ.get("PATH", "")])
    return shutil.which("rust-lld", path=path)


def rust_versions(rustc: str) -> dict[str, str]:
    """``rustc -vV`` (the release, commit and LLVM version) and rust-lld's version."""
    lld = _rust_lld(rustc)
    lld_version = _output([lld, "-flavor", "wasm", "--version"]).stdout.strip() if lld else ""
    return {"rustc": _output([rustc, "-vV"]).stdout.strip(), "rust-lld": lld_version}


def source_files(sources: Path = HERE) -> list[tuple[str, Path]]:
    """(name in the build directory, path) of every input of the build: ``lib.rs`` and
    ``wit/*.wit`` of ``sources`` (this directory; a test passes a changed copy), the
    vendored WIT packages of :data:`DEPS`, and the npm files of ``tests/compiled/js``
    (jco's install)."""
    files: list[tuple[str, Path]] = [("lib.rs", sources / "lib.rs")]
    files += [(f"wit/{p.name}", p) for p in sorted((sources / "wit").glob("*.wit"))]
    for dep in DEPS:
        for p in sorted((DEPS_SRC / dep).rglob("*.wit")):
            files.append((f"wit/deps/{dep}/{p.relative_to(DEPS_SRC / dep).as_posix()}", p))
    return files + ts_component.npm_files()


def content_key(files: list[tuple[str, Path]], versions: dict[str, str]) -> str:
    """Hash of every build input, the rustc flags and every tool version."""
    return _hash_files(files, " ".join(RUSTC_FLAGS),
                       *(f"{k} {v}" for k, v in sorted(versions.items())))


def commands(rustc: str, node: str, jco: str, directory: Path, out: Path) -> list[tuple[str, list[str]]]:
    """``(step, command)`` of the build, each run in ``directory`` (the copied inputs)."""
    core, embedded = f"{CRATE}.wasm", "embedded.wasm"
    return [
        ("rustc", [rustc, *RUSTC_FLAGS, "lib.rs", "-o", core]),
        ("jco embed", [node, jco, "embed", core, "--wit", "wit", "-n", WORLD, "-o", embedded]),
        ("jco new", [node, jco, "new", embedded, "--wasi-reactor", "-o", str(out)]),
    ]



#: seconds each step of the last build in this process took ({} when it was cached)
last_build: dict[str, float] = {}


def _jco_toolchain() -> tuple[str, Path, dict[str, str]]:
    """(node, the npm install holding jco, node's and jco's versions)."""
    try:
        node, npm = ts_component.node_executables()
        tools = ts_component.toolchain(npm)
    except ts_component.ToolchainUnavailable as e:
        raise ToolchainUnavailable(
            f"the Rust worker's core module is made a component with jco "
            f"(`jco embed`, `jco new --wasi-reactor`), from tests/compiled/js's npm "
            f"toolchain: {e}") from None
    versions = ts_component.tool_versions(tools, node)
    return node, tools, {"node": versions["node"],
                         "jco": versions["@bytecodealliance/jco"]}


def build(sources: Path = HERE) -> Path:
    """The component of the current sources (:func:`source_files`): built if not cached;
    its path. Steps (:func:`commands`), in ``rust-components/<key>/``: rustc, ``jco
    embed``, ``jco new --wasi-reactor``."""
    rustc = rustc_executable()
    t0 = time.perf_counter()
    node, tools, versions = _jco_toolchain()
    install_s = time.perf_counter() - t0
    versions.update(rust_versions(rustc))
    files = source_files(sources)
    key = content_key(files, versions)
    jco = ts_component._bin(tools, "jco")
    out = ts_component.cached_build(
        "rust-components", key, files,
        lambda directory, tmp: list(commands(rustc, node, jco, directory, tmp)),
        {"npm ci": install_s}, last_build)
    prune_components(keep=key)
    return out


def prune_components(keep: str) -> None:
    """Old components (about 150 kB each) and their build directories: the three
    newest are kept."""
    _prune(cache_root() / "rust-components", keep, newest=3, min_age=3600.0)


if __name__ == "__main__":
    started = time.perf_counter()
    path = build()
    print(path)
    print(f"{time.perf_counter() - started:.1f} s", last_build or "(cached)")
