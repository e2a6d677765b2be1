"""The fidelity proof: golem-fakes' bindings against ``componentize-py bindings``.

For each world and componentize-py release, both packages are imported in separate
subprocesses and described as JSON (``dump.py``): the module set; every public
symbol — functions (parameter names, kinds, annotations, return annotation,
docstring), classes (bases, MRO, methods and classmethods with signatures, dataclass
fields in order, Enum/Flag members and values, docstrings), variant ``Union``
aliases, the preamble's imports (described by reference) and module docstrings.
Everything must match. Not compared (not served by golem-fakes):
``componentize_py_runtime.pyi``, ``poll_loop.py`` and ``componentize_py_async_support``
(which need the component runtime).

As a second, stricter measure the stub text we generate (``stub=True``) is compared
file by file with componentize-py's, after sorting the relative-import lines and the
Protocol classes of ``exports/__init__.py`` (componentize-py emits those in Rust hash
order, which changes between runs).

componentize-py 0.19.3 comes from the test environment; 0.25.1, 0.17.2 and 0.16.0
are installed with ``pip install --target`` into the golem-fakes cache directory on
first use (skipped, saying why, when PyPI is unreachable).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.parity

HERE = Path(__file__).parent
WORLDS = HERE / "worlds"
DUMP = HERE / "dump.py"
REPO = HERE.parent.parent


def vendored_wit() -> Path:
    return REPO / "golem_fakes" / "data" / "wit"


GOLEM_TEMPLATE_NAMES = {"wasi:http/types@0.2.3": "types",
                        "wasi:http/outgoing-handler@0.2.3": "outgoing_handler"}


@dataclass(frozen=True)
class Case:
    id: str
    wit: str  # directory under worlds/, or "@vendored"
    world: str
    versions: tuple[str, ...]
    package: str | None = None
    interface_names: dict[str, str] = field(default_factory=dict)
    export_interface_names: dict[str, str] = field(default_factory=dict)
    full_names: bool = False

    @property
    def wit_path(self) -> Path:
        return vendored_wit() if self.wit == "@vendored" else WORLDS / self.wit


NEW = ("0.19.3", "0.25.1")
CASES = [
    Case("all-imports", "@vendored", "all-imports", ("0.19.3", "0.25.1", "0.17.2", "0.16.0")),
    Case("bare", "bare", "bare-world", NEW),
    Case("qualified", "qualified", "qualified-world", NEW),
    Case("versions", "versions", "versions-world", NEW),
    Case("keywords", "keywords", "keywords-world", NEW),
    Case("same-name", "samename", "samename-world", NEW),
    Case("world-module", "override", "override-world", NEW + ("0.17.2",), package="mybind"),
    Case("kitchen", "kitchen", "kitchen-world", NEW + ("0.17.2", "0.16.0")),
    Case("golem-template-names", "@vendored", "all-imports", NEW,
         interface_names=GOLEM_TEMPLATE_NAMES),
    Case("doc-comments", "docs", "docs-world", NEW),
    # a caller importing the client golem-cli generates (golem_fakes/rpc/stubgen.py;
    # deps/target-client/client.wit is its output, checked by tests/rpc/test_clients.py)
    Case("rpc-client", "rpcclient", "caller-world", NEW + ("0.17.2",),
         interface_names=GOLEM_TEMPLATE_NAMES),
    Case("export-name-override", "samename", "samename-world", NEW,
         export_interface_names={"golem-fakes:samename/host": "my-host"}),
    Case("full-names", "qualified", "qualified-world", ("0.25.1",), full_names=True),
    Case("full-names-versions", "versions", "versions-world", ("0.25.1",), full_names=True),
]


def tools_dir() -> Path:
    root = os.environ.get("GOLEM_FAKES_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "golem-fakes"
    return base / "parity-tools"


def componentize_py(version: str) -> list[str]:
    """Command running componentize-py ``version`` (installed on demand)."""
    from importlib.metadata import PackageNotFoundError, version as installed_version

    try:
        if installed_version("componentize-py") == version:
            exe = shutil.which("componentize-py", path=str(Path(sys.executable).parent))
            if exe:
                return [exe]
    except PackageNotFoundError:
        pass
    target = tools_dir() / f"componentize-py-{version}"
    if not (target / "componentize_py").is_dir():
        tmp = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             "--no-deps", "--target", str(tmp), f"componentize-py=={version}"],
            capture_output=True, text=True, timeout=600)
        if proc.returncode != 0:
            shutil.rmtree(tmp, ignore_errors=True)
            pytest.skip(f"cannot install componentize-py {version} from PyPI "
                        f"(pip exit {proc.returncode}): {proc.stderr.strip()[-300:]}")
        try:
            os.rename(tmp, target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
    return [sys.executable, "-c",
            f"import sys; sys.path.insert(0, {str(target)!r}); "
            "from componentize_py import script; sys.argv[0] = 'componentize-py'; "
            "sys.exit(script())"]


def run_theirs(case: Case, version: str, out: Path) -> Path:
    cmd = componentize_py(version) + ["-d", str(case.wit_path), "-w", case.world]
    if case.package:
        cmd += ["--world-module", case.package]
    for k, v in case.interface_names.items():
        cmd += ["--import-interface-name", f"{k}={v}"]
    for k, v in case.export_interface_names.items():
        cmd += ["--export-interface-name", f"{k}={v}"]
    if case.full_names:
        cmd += ["--full-names"]
    cmd += ["bindings", str(out)]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return out


def dump(args: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> dict[str, Any]:
    proc = subprocess.run([sys.executable, str(DUMP), *args], capture_output=True, text=True,
                          env=env, cwd=cwd, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout)


def their_package(case: Case, version: str) -> str:
    if case.package:
        return case.package
    if tuple(int(x) for x in version.split(".")) < (0, 17):
        return re.sub(r"[^a-z0-9]+", "_", case.world.lower())
    return "wit_world"


def our_options(case: Case, version: str) -> dict[str, Any]:
    opts: dict[str, Any] = {"wit": str(case.wit_path), "world": case.world, "version": version}
    if case.package:
        opts["package"] = case.package
    if case.interface_names:
        opts["interface_names"] = case.interface_names
    if case.export_interface_names:
        opts["export_interface_names"] = case.export_interface_names
    if case.full_names:
        opts["full_names"] = True
    return opts


def _normalise(text: str, path: str) -> str:
    """Sort what componentize-py emits in hash order: relative-import lines, and the
    Protocol classes of ``exports/__init__.py``."""
    lines = text.split("\n")
    imports = sorted(i for i, l in enumerate(lines) if re.match(r"from \.\.?(imports|exports) import ", l))
    if imports:
        block = sorted(lines[i] for i in imports)
        for i, l in zip(imports, block):
            lines[i] = l
    text = "\n".join(lines)
    if path.endswith("exports/__init__.py"):
        head, sep, rest = text.partition("\n\nclass ")
        if sep:
            classes = sorted(("class " + c).rstrip("\n") for c in rest.split("\n\nclass "))
            text = head + "\n\n" + "\n\n".join(classes) + "\n"
    return text


def _stub_text_parity(case: Case, version: str, theirs: Path) -> tuple[int, int, list[str]]:
    """Files whose stub text is identical (after :func:`_normalise`)."""
    from golem_fakes.bindings import codegen
    from golem_fakes.bindings.naming import resolve_flavor
    from golem_fakes.bindings.install import select_world
    from golem_fakes.wit import load

    world = select_world(load(case.wit_path), case.world)
    flavor = resolve_flavor(world.name, version=version, package=case.package)
    ours = codegen.generate(world, flavor, import_names=case.interface_names,
                            export_names=case.export_interface_names,
                            full_names=case.full_names, stub=True).files
    same, differing = 0, []
    compared = [p for p in ours if not p.endswith("types.py") or "/imports/" in p or "/exports/" in p]
    for rel in compared:
        if rel in ("componentize_py_types.py",) or rel.endswith(f"{flavor.package}/types.py"):
            continue
        p = theirs / rel
        if p.exists() and _normalise(p.read_text(), rel) == _normalise(ours[rel], rel):
            same += 1
        else:
            differing.append(rel)
    total = same + len(differing)
    return same, total, differing


def doc_only(a: Any, b: Any) -> bool:
    """Whether two descriptions differ only in their docstring."""
    if not (isinstance(a, dict) and isinstance(b, dict)):
        return False
    return {k: v for k, v in a.items() if k != "doc"} == {k: v for k, v in b.items() if k != "doc"}


def compare(ours: dict[str, Any], theirs: dict[str, Any]) -> tuple[int, int, list[str]]:
    problems: list[str] = []
    if ours["modules"] != theirs["modules"]:
        problems.append(f"module sets differ: only ours {sorted(set(ours['modules']) - set(theirs['modules']))}, "
                        f"only theirs {sorted(set(theirs['modules']) - set(ours['modules']))}")
    o, t = ours["symbols"], theirs["symbols"]
    keys = sorted(set(o) | set(t))
    matched = 0
    for k in keys:
        if o.get(k) == t.get(k):
            matched += 1
        else:
            kind = " (docstring only)" if doc_only(o.get(k), t.get(k)) else ""
            problems.append(f"{k}{kind}:\n    ours:   {json.dumps(o.get(k), sort_keys=True)[:600]}\n"
                            f"    theirs: {json.dumps(t.get(k), sort_keys=True)[:600]}")
    return len(keys), matched, problems


def summary(config: pytest.Config) -> list[tuple[str, str, int, int, int, int, int]]:
    """Rows printed by ``conftest.pytest_terminal_summary``."""
    if not hasattr(config, "_golem_parity_summary"):
        config._golem_parity_summary = []  # type: ignore[attr-defined]
    return config._golem_parity_summary  # type: ignore[attr-defined,no-any-return]


PARAMS = [pytest.param(c, v, id=f"{c.id}-{v}") for c in CASES for v in c.versions]


@pytest.mark.parametrize("case, version", PARAMS)
def test_parity(case: Case, version: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    theirs_dir = run_theirs(case, version, tmp_path / "theirs")
    theirs = dump(["theirs", str(theirs_dir), their_package(case, version)], cwd=tmp_path)
    env = dict(os.environ, GOLEM_FAKES_CACHE=str(tmp_path / "cache"))
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")])
    ours = dump(["ours", json.dumps(our_options(case, version))], env=env, cwd=tmp_path)
    compared, matched, problems = compare(ours, theirs)
    docs_only = sum("(docstring only)" in p for p in problems)
    same, files, differing = _stub_text_parity(case, version, theirs_dir)
    summary(request.config).append((case.id, version, compared, matched, len(theirs["modules"]), same, files))
    print(f"\nparity {case.id} componentize-py {version}: {matched}/{compared} symbols, "
          f"{len(theirs['modules'])} modules, stub text identical in {same}/{files} files"
          + (f"; {docs_only} of {len(problems)} differences are docstrings only" if problems else "")
          + (f" (differ: {differing})" if differing else ""))
    assert not problems, f"{len(problems)} differences:\n" + "\n".join(problems[:40])
    assert compared > 0
    # Stronger than symbol parity: the stub text (bodies aside) is componentize-py's own.
    assert same == files, f"stub text differs from componentize-py {version} in: {differing}"
