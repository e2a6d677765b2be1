"""Build the TypeScript test worker (``src/cart.ts``) to a component, cached.

A Golem TypeScript worker is an ES module turned into a component by componentize-js
(SpiderMonkey/StarlingMonkey compiled to wasm, with the module's source and a snapshot
of its initialised heap baked in). This module builds the test worker the same way, with
the npm toolchain pinned in ``package.json`` / ``package-lock.json`` beside it:

``@bytecodealliance/componentize-js`` 0.19.3
    Turns ``dist/cart.js`` into ``cart.wasm``. The last 0.19 release; its
    StarlingMonkey imports WASI at ``@0.2.3``, the version of the vendored WIT (and of
    Golem v1.3's host), so every import of the component (its own ``wasi:cli/stdout``,
    ``wasi:io/streams``, ``wasi:clocks/*``, ``wasi:random/random``, ``wasi:filesystem/*``
    and terminal interfaces, and the world's) is named exactly as an interface of the
    installed bindings. The newest, 0.23.0, embeds a StarlingMonkey importing
    ``@0.2.10`` (with jco 1.35 its components import all of WASI at ``@0.2.12``). ``http`` and ``fetch-event``
    are disabled (``-d http fetch-event``): the world uses neither, so nothing of
    ``wasi:http`` is imported.
``@bytecodealliance/jco`` 1.32.1
    Generates the TypeScript declarations of the world (``jco guest-types``: one
    ``declare module "wasi:keyvalue/eventual@0.1.0"`` etc. per import, and the export
    interface), which ``tsc`` type-checks the worker against; componentize-js also
    builds the component with jco's ``componentNew`` (its ``^1.15.1``: npm resolves it
    to this copy) and jco's WASI preview1 adapter, whose imports are merged into the
    component's. 1.32.1 is the newest jco whose adapter imports WASI ``@0.2.3`` (1.33.0
    and later ship a ``@0.2.12`` adapter, which lifts every WASI import of the component
    to ``@0.2.12``); 1.35.0's ``guest-types`` cannot read a WIT directory at all (its
    preview2-shim 0.26 starts with no preopened directory: "No such file or
    directory").
``typescript`` 5.9.3
    ``tsc -p tsconfig.json`` type-checks (``strict``) and emits ES2022 JavaScript
    (``dist/cart.js``); componentize-js only takes JavaScript. The generated
    declarations make a call with a wrong type, or an export missing from the WIT, a
    build error rather than a trap at run time.

With ``GOLEM_FAKES_TS_LATEST=1`` the worker tests (``test_ts_worker.py``) also run
against a component built by the newest componentize-js and jco on the npm registry
(:func:`latest_toolchain`; :func:`build` with ``componentizer=``): declarations and
``tsc`` stay the pinned install's, the component is the new componentize-js's (with the
new jco's ``componentNew`` and WASI adapter). Off by default, as the newest versions
move; verified with componentize-js 0.23.0 + jco 1.35.0 (every WASI import at
``@0.2.12``) and componentize-js 0.23.0 + jco 1.32.1 (at ``@0.2.10``): both link, by
semver, to the installed ``@0.2.3`` interfaces, and all the worker tests pass.

Node.js 20 or newer is required: the versions above were verified on node 20.20 with
npm 11 (Debian 12's node 18 was not, and the tests skip on it).

Cache layout under ``$GOLEM_FAKES_CACHE`` (default ``~/.cache/golem-fakes``)::

    npm/<lock key>/node_modules/...        `npm ci` of package.json + package-lock.json
    npm/<lock key>/.complete                  written last: the install is whole
    npm-latest/<versions key>/node_modules/...  GOLEM_FAKES_TS_LATEST's install
    npm/.lock, ts-components/.lock            held while installing / building
    ts-components/<key>/wit/, src/, tsconfig.json   the inputs, as built
    ts-components/<key>/types/, dist/         jco's declarations, tsc's output
    ts-components/<key>.wasm                  the component (written atomically)

``<lock key>`` hashes the two npm files; ``<key>`` hashes every input (the world, the
WIT packages it uses as copied from ``golem_fakes/data/wit/deps``, the TypeScript
sources, ``tsconfig.json``, ``package.json``, ``package-lock.json``), the versions of
the three installed tools and node's version. Nothing is installed into the repository;
old builds and installs are pruned (:func:`prune_components`,
:func:`prune_installs`).

Skips and failures: :class:`ToolchainUnavailable` (the tests skip with its message)
when ``node`` or ``npm`` is not on ``PATH``, when node is older than 20, or when
``npm ci`` fails (offline, registry unreachable); its message says what to install.
A failing build (``jco``, ``tsc`` or componentize-js reporting an error) is a
:class:`BuildError`, and the tests fail with the tool's output: the sources are wrong.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from golem_fakes.bindings.importer import cache_root
from golem_fakes.compiled.build import prune_cache

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent.parent
DEPS_SRC = REPO / "golem_fakes" / "data" / "wit" / "deps"
#: the vendored WIT packages the ts-cart world uses (golem:api/host uses golem:rpc
#: types and wasi:clocks; wasi:keyvalue uses wasi:io streams)
DEPS = ("golem-1.x", "golem-rpc", "keyvalue", "clocks", "logging", "io")
WORLD = "ts-cart"
ENTRY = "cart"
#: the npm packages whose installed versions enter the build key
TOOLS = ("@bytecodealliance/componentize-js", "@bytecodealliance/jco", "typescript")
MIN_NODE = (20, 0)
#: the packages :func:`latest_toolchain` installs at their newest release
LATEST_TOOLS = ("@bytecodealliance/componentize-js", "@bytecodealliance/jco")
#: the environment variable that turns on the worker tests of the newest toolchain
LATEST_ENV = "GOLEM_FAKES_TS_LATEST"
#: componentize-js features the world does not use (so nothing of wasi:http is imported)
DISABLED_FEATURES = ("http", "fetch-event")

INSTALL_HINT = ("install Node.js 20 or newer with npm (Debian 13 / Ubuntu 24.10: "
                "`apt-get install nodejs npm`; .ci/run installs them when missing)")


class ToolchainUnavailable(RuntimeError):
    """The npm toolchain cannot be had here: the TypeScript tests skip with this."""


class BuildError(RuntimeError):
    """A build step failed: the worker's sources, its world or the toolchain are wrong."""


def node_executables() -> tuple[str, str]:
    """``(node, npm)`` from ``PATH``, checked: :class:`ToolchainUnavailable` if either is
    missing or node is older than :data:`MIN_NODE`."""
    node, npm = shutil.which("node"), shutil.which("npm")
    missing = [name for name, path in (("node", node), ("npm", npm)) if path is None]
    if missing:
        raise ToolchainUnavailable(
            f"{' and '.join(missing)} not found on PATH: the TypeScript worker "
            f"(tests/compiled/js) is built with componentize-js; {INSTALL_HINT}")
    assert node is not None and npm is not None
    version = node_version(node)
    if version[:2] < MIN_NODE:
        raise ToolchainUnavailable(
            f"node {'.'.join(map(str, version))} at {node} is older than "
            f"{'.'.join(map(str, MIN_NODE))}, which the pinned jco 1.32 / "
            f"componentize-js 0.19 were verified with; {INSTALL_HINT}")
    return node, npm


def node_version(node: str) -> tuple[int, ...]:
    proc = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=60)
    text = proc.stdout.strip().lstrip("v")
    try:
        return tuple(int(part) for part in text.split("."))
    except ValueError:
        raise ToolchainUnavailable(f"`{node} --version` printed {proc.stdout!r} "
                                   f"{proc.stderr!r}, not a version; {INSTALL_HINT}") from None


def _hash_files(files: list[tuple[str, Path]], *extra: str) -> str:
    h = hashlib.sha256()
    for line in extra:
        h.update(f"{line}\n".encode())
    for name, path in files:
        data = path.read_bytes()
        h.update(f"{name}\0{len(data)}\0".encode())
        h.update(data)
    return h.hexdigest()[:24]


def npm_files() -> list[tuple[str, Path]]:
    return [("package.json", HERE / "package.json"),
            ("package-lock.json", HERE / "package-lock.json")]


def lock_key() -> str:
    """The key of the npm install: a hash of ``package.json`` and its lock file."""
    return _hash_files(npm_files())


@contextlib.contextmanager
def _locked(name: str) -> Iterator[None]:
    """An exclusive lock on ``<cache root>/<name>/.lock`` (pytest-xdist workers and
    parallel checkouts install and build once)."""
    root = cache_root() / name
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)


def toolchain(npm: str | None = None) -> Path:
    """The directory whose ``node_modules`` holds the pinned toolchain: ``npm ci`` into
    ``$GOLEM_FAKES_CACHE/npm/<lock key>`` the first time, then reused."""
    if npm is None:
        npm = node_executables()[1]
    directory = cache_root() / "npm" / lock_key()
    _install(directory, [(name, path.read_text()) for name, path in npm_files()],
             [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
             "`npm ci` of tests/compiled/js/package-lock.json",
             "the TypeScript worker needs componentize-js, jco and typescript")
    prune_installs(keep=directory.name)
    return directory


def latest_versions(npm: str) -> dict[str, str]:
    """The newest release of each of :data:`LATEST_TOOLS` (``npm view <name> version``:
    one registry look-up each); :class:`ToolchainUnavailable` if the registry cannot
    be asked."""
    versions = {}
    for name in LATEST_TOOLS:
        try:
            proc = subprocess.run([npm, "view", name, "version"], capture_output=True,
                                  text=True, timeout=120)
        except subprocess.TimeoutExpired:
            proc = None
        if proc is None or proc.returncode != 0 or not proc.stdout.strip():
            detail = "timed out" if proc is None else (proc.stdout + proc.stderr).strip()[-500:]
            raise ToolchainUnavailable(
                f"`npm view {name} version` failed ({detail}): {LATEST_ENV}=1 builds the "
                f"worker with the newest {' and '.join(LATEST_TOOLS)} from the npm "
                f"registry; unset it to test the pinned toolchain only")
        versions[name] = proc.stdout.strip().splitlines()[-1]
    return versions


def latest_toolchain(npm: str | None = None) -> Path:
    """The directory whose ``node_modules`` holds the newest componentize-js and jco
    (:func:`latest_versions`, installed together so componentize-js resolves its
    ``^1.15.1`` jco to that jco): ``npm install`` into
    ``$GOLEM_FAKES_CACHE/npm-latest/<versions key>`` once per pair of versions."""
    if npm is None:
        npm = node_executables()[1]
    versions = latest_versions(npm)
    key = _hash_files([], *(f"{k} {v}" for k, v in sorted(versions.items())))
    directory = cache_root() / "npm-latest" / key
    package = {"name": "golem-fakes-ts-cart-latest", "version": "0.0.0", "private": True,
               "type": "module", "dependencies": versions}
    _install(directory, [("package.json", json.dumps(package, indent=2) + "\n")],
             [npm, "install", "--no-audit", "--no-fund", "--loglevel=error"],
             f"`npm install` of {', '.join(f'{k}@{v}' for k, v in versions.items())}",
             f"{LATEST_ENV}=1 needs the newest componentize-js and jco")
    _prune(cache_root() / "npm-latest", directory.name, newest=2, min_age=3600.0)
    return directory


def _install(directory: Path, files: list[tuple[str, str]], cmd: list[str], what: str,
             need: str) -> None:
    """Run ``cmd`` (an npm install) in a fresh directory holding ``files`` and move it
    to ``directory`` when it succeeded; nothing when ``directory`` is already complete.
    :class:`ToolchainUnavailable` (the tests skip) when npm fails or takes 15 minutes."""
    if (directory / ".complete").exists():
        return
    with _locked(directory.parent.name):
        if (directory / ".complete").exists():
            return
        directory.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=directory.name + ".", dir=directory.parent))
        try:
            for name, text in files:
                (tmp / name).write_text(text)
            env = dict(os.environ, npm_config_update_notifier="false", npm_config_fund="false",
                       npm_config_audit="false")
            try:
                proc = subprocess.run(cmd, cwd=tmp, capture_output=True, text=True,
                                      env=env, timeout=900)
            except subprocess.TimeoutExpired:
                raise ToolchainUnavailable(
                    f"{what} did not finish in 15 minutes (is the npm registry "
                    f"reachable?)") from None
            if proc.returncode != 0:
                tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
                raise ToolchainUnavailable(
                    f"{what} failed ({proc.returncode}; offline, or the npm registry "
                    f"unreachable?): {need} from the npm registry once (cached in "
                    f"{directory.parent}).\n{tail}")
            (tmp / ".complete").write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
            if directory.exists():  # an incomplete install left by a killed run
                shutil.rmtree(directory, ignore_errors=True)
            os.rename(tmp, directory)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)


def tool_versions(toolchain_dir: Path, node: str,
                  tools: tuple[str, ...] = TOOLS) -> dict[str, str]:
    """The installed version of each of ``tools`` (:data:`TOOLS`), and node's."""
    versions = {"node": ".".join(map(str, node_version(node)))}
    for name in tools:
        meta = json.loads((toolchain_dir / "node_modules" / name / "package.json").read_text())
        versions[name] = meta["version"]
    return versions


def source_files(sources: Path = HERE) -> list[tuple[str, Path]]:
    """(name in the build directory, path) of every input of the build, sorted:
    ``tsconfig.json``, ``wit/*.wit`` and ``src/**/*.ts`` of ``sources`` (this directory;
    a test passes a changed copy), the vendored WIT packages of :data:`DEPS`, and the
    npm files of this directory (the toolchain is always this directory's)."""
    files: list[tuple[str, Path]] = [("tsconfig.json", sources / "tsconfig.json")]
    files += [(f"wit/{p.name}", p) for p in sorted((sources / "wit").glob("*.wit"))]
    files += [(f"src/{p.relative_to(sources / 'src').as_posix()}", p)
              for p in sorted((sources / "src").rglob("*.ts"))]
    for dep in DEPS:
        for p in sorted((DEPS_SRC / dep).rglob("*.wit")):
            files.append((f"wit/deps/{dep}/{p.relative_to(DEPS_SRC / dep).as_posix()}", p))
    return files + npm_files()


def content_key(files: list[tuple[str, Path]], versions: dict[str, str]) -> str:
    """Hash of every build input and every tool version."""
    return _hash_files(files, *(f"{k} {v}" for k, v in sorted(versions.items())))


def _bin(toolchain_dir: Path, name: str) -> str:
    """The script behind ``node_modules/.bin/<name>`` (run with the checked node)."""
    return str((toolchain_dir / "node_modules" / ".bin" / name).resolve())


def _run(cmd: list[str], cwd: Path, step: str) -> None:
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=900)
    if proc.returncode != 0:
        raise BuildError(f"{step} failed ({proc.returncode}) in {cwd}:\n{' '.join(cmd)}\n"
                         f"{proc.stdout[-6000:]}\n{proc.stderr[-6000:]}")


#: seconds each step of the last build in this process took ({} when it was cached)
last_build: dict[str, float] = {}


def build(sources: Path = HERE, componentizer: Path | None = None) -> Path:
    """The component of the current sources (:func:`source_files`): built if not cached;
    its path.

    Steps, in ``ts-components/<key>/``: ``jco guest-types wit -n ts-cart -o types``,
    ``tsc -p tsconfig.json`` (writes ``dist/cart.js``), ``componentize-js dist/cart.js
    --wit wit -n ts-cart -d http fetch-event -o <key>.wasm``. The first two always run
    the pinned install's tools; ``componentizer`` (:func:`latest_toolchain`'s directory)
    runs that install's componentize-js instead (its versions enter the key).
    """
    node, npm = node_executables()
    t0 = time.perf_counter()
    tools = toolchain(npm)
    install_s = time.perf_counter() - t0
    files = source_files(sources)
    versions = tool_versions(tools, node)
    if componentizer is not None:
        versions.update({f"componentizer {name}": version for name, version
                         in tool_versions(componentizer, node, LATEST_TOOLS).items()})
    key = content_key(files, versions)

    def steps(directory: Path, tmp: Path) -> list[tuple[str, list[str]]]:
        return [
            ("jco guest-types", [node, _bin(tools, "jco"), "guest-types", str(directory / "wit"),
                                 "-n", WORLD, "-o", str(directory / "types"), "-q"]),
            ("tsc", [node, _bin(tools, "tsc"), "-p", str(directory / "tsconfig.json")]),
            ("componentize-js",
             [node, _bin(componentizer or tools, "componentize-js"),
              str(directory / "dist" / f"{ENTRY}.js"), "--wit", str(directory / "wit"),
              "-n", WORLD, "-d", *DISABLED_FEATURES, "-o", str(tmp)]),
        ]

    out = cached_build("ts-components", key, files, steps, {"npm ci": install_s}, last_build)
    prune_components(keep=key)
    return out


def cached_build(kind: str, key: str, files: list[tuple[str, Path]],
                 steps: Callable[[Path, Path], list[tuple[str, list[str]]]],
                 timings: dict[str, float], record: dict[str, float]) -> Path:
    """``$GOLEM_FAKES_CACHE/<kind>/<key>.wasm``, built if missing (under the ``kind``
    lock): the inputs ``files`` copied into ``<kind>/<key>/``, then each ``(step,
    command)`` of ``steps(directory, tmp)`` run there, the last writing ``tmp``, which is
    renamed into place. ``record`` (the builder's ``last_build``) is cleared, and filled
    with ``timings`` plus each step's seconds when a build ran. Shared by this builder
    and the Rust one (``tests/compiled/rust/rust_component.py``)."""
    root = cache_root() / kind
    out = root / f"{key}.wasm"
    record.clear()
    if out.exists():
        return out
    with _locked(kind):
        if out.exists():
            return out
        root.mkdir(parents=True, exist_ok=True)
        directory = root / key
        if directory.exists():  # a build that failed or was killed part-way
            shutil.rmtree(directory)
        for name, path in files:
            target = directory / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        tmp = out.with_name(f"{out.name}.{os.getpid()}.tmp")
        try:
            for step, cmd in steps(directory, tmp):
                started = time.perf_counter()
                _run(cmd, directory, step)
                timings[step] = time.perf_counter() - started
            if not tmp.exists():
                raise BuildError(f"{step} exited 0 but wrote no {tmp}")
            os.replace(tmp, out)
        finally:
            tmp.unlink(missing_ok=True)
        record.update(timings)
    return out


#: old builds and installs go (the shared pruning of the test builders)
_prune = prune_cache


def prune_components(keep: str) -> None:
    """Old components (about 14 MB each): the three newest are kept."""
    _prune(cache_root() / "ts-components", keep, newest=3, min_age=3600.0)


def prune_installs(keep: str) -> None:
    """Old toolchain installs (about 400 MB each): one besides the current is kept."""
    _prune(cache_root() / "npm", keep, newest=2, min_age=3600.0)


if __name__ == "__main__":
    started = time.perf_counter()
    path = build()
    print(path)
    print(f"{time.perf_counter() - started:.1f} s", last_build or "(cached)")
