"""Build a Golem application's Python component with componentize-py, cached by content.

``build_app_component("shop:cart", start=".")`` runs the component's own
``componentize-py ... componentize`` build step from its ``golem.yaml`` (the template's
``build:`` commands, as ``golem-cli app build`` runs them: in the component's
directory) and returns the built ``.wasm`` for ``golem.add_component(name, wasm=...)``.
What differs from golem-cli, and why:

- The command runs with the componentize-py next to the running interpreter (else on
  ``PATH``) instead of its ``uv run --package NAME`` prefix: the test environment has it
  installed already, and uv would create another environment per component.
- ``--wit-path`` (``-d``) is the WIT golem-cli generates into ``wit-generated/``: the
  component's ``wit/`` (or an up-to-date ``wit-generated/``) with the application's
  ``witDeps``, and, for ``type: wasm-rpc`` dependencies, the generated client packages
  imported by the world (``golem-cli/src/app/build/gen_rpc.rs``). This is the folder
  :func:`golem_fakes.discovery.discover` installs, without the ``include`` of the
  targets' worlds that golem-fakes adds there only because it runs every component of
  the application in one process (one set of bindings).
- ``-o`` is ``$GOLEM_FAKES_CACHE/built/<key>.wasm`` (default cache root
  ``~/.cache/golem-fakes``), where ``key`` is the sha256 of every input: the rendered
  command line, the componentize-py version, each WIT file and each file under the
  ``-p`` directories (``__pycache__`` excluded). An unchanged component is not built
  again; a build is written to a temporary name and renamed, so concurrent pytest-xdist
  workers may build the same key at once. The output is never written into the
  application (nothing to commit).
- ``VIRTUAL_ENV`` is removed from the build's environment: componentize-py adds an
  active virtual environment's site-packages to the component's module search path,
  which would bundle the test environment (pytest, golem-fakes) into the component.

The result is the ``componentWasm`` golem-cli builds, not its ``linkedWasm``: golem-cli
links the generated client component into the caller; golem-fakes links the client's
imports to its generated clients directly (the same behaviour registry the Python
bindings use), so the unlinked component runs as is.
"""

from __future__ import annotations

import hashlib
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from golem_fakes.bindings import importer
from golem_fakes.discovery import (DiscoveryError, _build_commands, _render_template,
                                   componentize_py_pin, discover, find_app,
                                   parse_componentize_command)

__all__ = ["BuildError", "build_app_component", "componentize_py", "built_root",
           "prune_cache"]


class BuildError(RuntimeError):
    """The component could not be built (no build step, no componentize-py, or
    componentize-py failed: the message holds its command line and output)."""


def built_root() -> Path:
    """``$GOLEM_FAKES_CACHE/built`` (default ``~/.cache/golem-fakes/built``)."""
    return importer.cache_root() / "built"


def prune_cache(root: Path, keep: str, newest: int = 3, min_age: float = 3600.0) -> None:
    """Delete old builds in ``root``: the entries named ``<24 hex>`` / ``<24 hex>.*``
    (a content key, and its files or directories) but ``keep``, the ``newest`` few, and
    any touched within ``min_age`` seconds (another checkout may use them). The test
    suites' component builders (probes, TypeScript and Rust workers) prune with it."""
    import time

    if not root.is_dir():
        return
    keys: dict[str, float] = {}
    for p in root.iterdir():
        k = p.name.split(".", 1)[0]
        if len(k) == 24 and all(c in "0123456789abcdef" for c in k):
            try:
                keys[k] = max(keys.get(k, 0.0), p.stat().st_mtime)
            except OSError:
                continue
    recent = set(sorted(keys, key=keys.__getitem__, reverse=True)[:newest])
    now = time.time()
    for k, mtime in keys.items():
        if k == keep or k in recent or now - mtime < min_age:
            continue
        for p in root.glob(f"{k}*"):
            if p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
            else:
                try:
                    p.unlink()
                except OSError:
                    pass


def componentize_py() -> str | None:
    """The componentize-py executable next to the running interpreter, else on PATH."""
    here = Path(sys.executable).parent / "componentize-py"
    if here.exists():
        return str(here)
    return shutil.which("componentize-py")


def _componentize_py_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("componentize-py")
    except PackageNotFoundError:
        return "unknown"


def _tool(pin: str | None, component: str) -> tuple[list[str], str]:
    """The command that runs componentize-py ``pin`` (the component's
    ``componentize-py==X`` in its ``pyproject.toml``, which ``uv run --package`` would
    use), and its version: the installed componentize-py when it is that version (or
    nothing is pinned), else ``$GOLEM_FAKES_CACHE/tools/componentize-py-X`` installed
    once with ``pip install --no-deps --target`` (componentize-py has no dependencies;
    its releases differ in the Python API they generate, e.g. ``wit_world.types``
    before 0.18, ``componentize_py_types`` after, so a component only builds with the
    release it was written for)."""
    installed = _componentize_py_version() if componentize_py() is not None else None
    if pin is None or pin == installed:
        tool = componentize_py()
        if tool is None:
            raise BuildError(
                f"componentize-py is not installed in the test environment: "
                f"`pip install componentize-py` to build {component!r}")
        return [tool], installed or "unknown"
    target = built_root().parent / "tools" / f"componentize-py-{pin}"
    if not (target / "componentize_py").is_dir():
        tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        proc = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps",
                               "--target", str(tmp), f"componentize-py=={pin}"],
                              capture_output=True, text=True)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            raise BuildError(
                f"{component!r} pins componentize-py=={pin} (pyproject.toml) and the test "
                f"environment has {installed or 'none'}; installing {pin} into {target} "
                f"failed:\n{proc.stdout}{proc.stderr}")
        try:
            os.replace(tmp, target)
        except OSError:   # another process installed it meanwhile
            shutil.rmtree(tmp, ignore_errors=True)
    run = (f"import sys; sys.path.insert(0, {str(target)!r}); "
           f"import componentize_py; componentize_py.script()")
    return [sys.executable, "-c", run], pin


def _build_wit(start: Path, component: str) -> Path:
    """The WIT folder of ``component``'s build (see the module docstring), in the cache."""

    d = discover(start, component=component)
    installed = Path(d.install_kwargs["wit"])
    app = find_app(start)
    assert app is not None  # discover() found it
    others = {name for name in app.components if name != component}
    files: dict[str, str] = {}
    for f in sorted(installed.rglob("*.wit")):
        files[f.relative_to(installed).as_posix()] = f.read_text(encoding="utf-8")
    include = re.compile(r"^[ \t]*include[ \t]+([\w.:-]+)/[\w-]+(?:@[\w.+-]+)?[ \t]*;[ \t]*\n",
                         re.M)
    for rel, text in files.items():
        if "/" not in rel:   # the component's own package: its world
            files[rel] = include.sub(lambda m: "" if m.group(1) in others else m.group(0), text)
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    directory = importer.cache_root() / "wit-build" / h.hexdigest()[:32]
    if importer.read_manifest(directory) is None:
        importer.write_tree(directory, files, {"component": component, "from": str(installed)})
    return directory


def _inputs(directories: list[Path]) -> list[Path]:
    out: list[Path] = []
    for d in directories:
        if d.is_file():
            out.append(d)
        elif d.is_dir():
            out += sorted(p for p in d.rglob("*")
                          if p.is_file() and "__pycache__" not in p.parts)
    return out


def build_app_component(component: str, start: str | os.PathLike[str] = ".") -> Path:
    """The built ``.wasm`` of Python component ``component`` of the Golem application
    holding ``start`` (built now unless an unchanged build is cached; see the module
    docstring). For ``golem.add_component(component, wasm=...)``.

    :raises BuildError: the component has no ``componentize-py ... componentize``
        build step, componentize-py is not installed, or the build failed.
    :raises golem_fakes.discovery.DiscoveryError: no such application or component.
    """
    root = Path(start).resolve()
    app = find_app(root)
    if app is None:
        raise DiscoveryError(f"no golem.yaml of a Golem application at or above {root}")
    comp = app.components.get(component)
    if comp is None:
        raise DiscoveryError(f"the Golem application at {app.root} has no component "
                             f"{component!r} (it has {', '.join(sorted(app.components))})")
    command = next((c for c in _build_commands(comp.properties)
                    if (o := parse_componentize_command(c, comp.name)) is not None
                    and o.subcommand == "componentize"), None)
    if command is None:
        raise BuildError(
            f"component {component!r} ({comp.manifest}) has no `componentize-py ... "
            f"componentize` build step (golem.yaml `build:` of the component or its "
            f"template), so golem-fakes does not know how to build it. Build it yourself "
            f"and pass the .wasm to golem.add_component({component!r}, wasm=...).")
    pin = componentize_py_pin(comp.directory / "pyproject.toml") or \
        componentize_py_pin(app.root / "pyproject.toml")
    tool, tool_version = _tool(pin, component)
    tokens = shlex.split(_render_template(command, comp.name), posix=True)
    first = next(k for k, t in enumerate(tokens)
                 if t.rsplit("/", 1)[-1] in ("componentize-py", "componentize-py.exe"))
    args = tokens[first + 1:]
    wit = _build_wit(root, component)
    out_dir = built_root()
    # the command with the WIT and output replaced (placeholders hashed as written)
    rendered: list[str] = []
    python_path: list[Path] = []
    k = 0
    while k < len(args):
        tok = args[k]
        name, eq, _ = tok.partition("=")
        if name in ("-d", "--wit-path", "-o", "--output"):
            slot = "{wit}" if name in ("-d", "--wit-path") else "{out}"
            rendered.append(f"{name}={slot}" if eq else name)
            if not eq:
                rendered.append(slot)
                k += 1
        else:
            if name in ("-p", "--python-path") and not eq and k + 1 < len(args):
                python_path.append(comp.directory / args[k + 1])
            elif name in ("-p", "--python-path") and eq:
                python_path.append(comp.directory / tok.partition("=")[2])
            rendered.append(tok)
        k += 1
    if not python_path:
        python_path = [comp.directory]   # componentize-py's default: `-p .`
    h = hashlib.sha256(f"componentize-py {tool_version}\0"
                       f"{shlex.join(rendered)}\0".encode())
    for f in sorted(wit.rglob("*.wit")):
        h.update(f"wit/{f.relative_to(wit).as_posix()}\0".encode() + f.read_bytes() + b"\0")
    for f in _inputs(python_path):
        h.update(f"src/{f.relative_to(comp.directory).as_posix()}\0".encode()
                 + f.read_bytes() + b"\0")
    key = h.hexdigest()[:32]
    out = out_dir / f"{comp.name.replace(':', '_')}-{key}.wasm"
    if out.is_file():
        return out
    out_dir.mkdir(parents=True, exist_ok=True)
    tmp = out_dir / f".{out.name}.{os.getpid()}.tmp"
    cmd = tool + [t.replace("{wit}", str(wit)).replace("{out}", str(tmp)) for t in rendered]
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    try:
        proc = subprocess.run(cmd, cwd=comp.directory, env=env, capture_output=True,
                              text=True)
        if proc.returncode != 0 or not tmp.is_file():
            raise BuildError(
                f"building {component!r} failed (componentize-py exit {proc.returncode}) "
                f"in {comp.directory}:\n{shlex.join(cmd)}\n{proc.stdout}{proc.stderr}")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out
