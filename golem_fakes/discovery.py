"""Find the WIT a project's worker code was generated from, the way Golem lays it out.

A Golem Python application (``golem-cli app new ... python``; the templates in
golemcloud/golem-cli ``golem-templates/templates/python``) looks like::

    golem.yaml                      includes: [common-*/golem.yaml, components-*/*/golem.yaml]
                                    witDeps: [wit/deps]
    wit/deps/{golem-1.x,http,io,...}   the shared WIT packages (golem host API, WASI)
    common-python/golem.yaml        templates: python: build: [componentize-py ... bindings,
                                                               componentize-py ... componentize]
                                                       sourceWit: wit, generatedWit: wit-generated
    components-python/shop-cart/
        golem.yaml                  components: {shop:cart: {template: python}}
        pyproject.toml              componentize-py==0.17.0 (the layout of the bindings)
        wit/shop-cart.wit           package shop:cart; world shop-cart { import ...; export ... }
        wit-generated/              written by ``golem-cli app build``: wit/ + the deps it uses
        src/component.py            ``from wit_world import exports``

:func:`discover` decides what :func:`golem_fakes.install` should generate, in this
order:

1. **A Golem application** (a ``golem.yaml`` in the rootdir or a parent, up to the
   repository root; the topmost one is the application root, as golem-cli finds it).
   The component is the one named by ``golem_component``, else the one whose directory
   holds the rootdir, else the only one. Its WIT is the build's ``wit-generated/``
   (the ``--wit-path`` of its componentize-py command) when that is present and not
   older than the sources; else the component's ``wit/`` with the application's
   ``witDeps`` folders as ``deps/`` (a merged copy in the cache, written atomically).
   ``--world``, ``--world-module``, ``--import-interface-name``,
   ``--export-interface-name``, ``--features`` and ``--full-names`` are read from the
   componentize-py command lines of its build steps (component first, then its
   template); the componentize-py release (hence the layout) from a
   ``componentize-py==X`` pin in its ``pyproject.toml``.
2. **A plain ``wit/``** folder under the rootdir (a project built with
   ``componentize-py -d wit``).
3. **The vendored golem-wit** ``all-imports`` world (everything a Golem worker may
   import).

``golem.yaml`` is read with PyYAML when it is installed, else with a small reader of the
YAML subset golem-cli's manifests use (block mappings and sequences, quoted and plain
scalars, ``|``/``>`` block scalars, ``[a, b]`` flow lists, comments).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Literal, Mapping

__all__ = [
    "Discovery",
    "DiscoveryError",
    "GolemApp",
    "AppComponent",
    "ComponentizeOptions",
    "discover",
    "find_app",
    "load_manifest",
    "parse_yaml",
    "parse_componentize_command",
    "componentize_py_pin",
]

MANIFEST_NAME = "golem.yaml"


class DiscoveryError(ValueError):
    """The project layout names something that cannot be used (the message says what,
    where, and how to fix it)."""


# --------------------------------------------------------------------------------------
# A small YAML reader (the subset golem.yaml files use)
# --------------------------------------------------------------------------------------


def parse_yaml(text: str, source: str = "<yaml>") -> Any:
    """Parse ``text`` with PyYAML if available, else with :class:`_MiniYaml`."""
    try:
        import yaml  # type: ignore[import-untyped]
    except ImportError:
        return _MiniYaml(text, source).parse()
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as e:  # pragma: no cover - depends on PyYAML being installed
        raise DiscoveryError(f"{source}: not valid YAML: {e}") from None


_INT = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")


class _MiniYaml:
    """Block-structured YAML subset: enough for golem-cli application manifests."""

    def __init__(self, text: str, source: str) -> None:
        self.source = source
        self.raw = text.splitlines()
        # (indent, content) per raw line; None for blank / comment-only lines
        self.lines: list[tuple[int, str] | None] = []
        for line in self.raw:
            if "\t" in line[: len(line) - len(line.lstrip())]:
                raise self._error(len(self.lines), "tabs are not allowed in indentation")
            content = _strip_comment(line).rstrip()
            stripped = content.lstrip(" ")
            if not stripped or stripped in ("---", "..."):
                self.lines.append(None)
            else:
                self.lines.append((len(content) - len(stripped), stripped))

    def _error(self, i: int, what: str) -> DiscoveryError:
        return DiscoveryError(
            f"{self.source}:{i + 1}: {what} (golem-fakes reads a YAML subset without "
            f"PyYAML; `pip install pyyaml` to read any YAML, or set golem_wit in the "
            f"pytest configuration to skip reading golem.yaml)")

    def _next(self, i: int) -> int:
        while i < len(self.lines) and self.lines[i] is None:
            i += 1
        return i

    def parse(self) -> Any:
        i = self._next(0)
        if i >= len(self.lines):
            return None
        value, i = self._node(i, self.lines[i][0])  # type: ignore[index]
        i = self._next(i)
        if i < len(self.lines):
            raise self._error(i, "unexpected content (check the indentation)")
        return value

    def _node(self, i: int, indent: int) -> tuple[Any, int]:
        ind, content = self.lines[i]  # type: ignore[misc]
        if ind < indent:
            raise self._error(i, "bad indentation")
        if content == "-" or content.startswith("- "):
            return self._seq(i, ind)
        if _split_key(content) is not None:
            return self._map(i, ind)
        return self._plain_scalar(i, ind, content, ind - 1)

    def _seq(self, i: int, ind: int) -> tuple[list[Any], int]:
        out: list[Any] = []
        while i < len(self.lines):
            line = self.lines[i]
            if line is None:
                i += 1
                continue
            lind, content = line
            if lind != ind or not (content == "-" or content.startswith("- ")):
                if lind > ind:
                    raise self._error(i, "bad indentation in a list")
                break
            rest = content[1:].lstrip(" ")
            if not rest:
                j = self._next(i + 1)
                if j < len(self.lines) and self.lines[j][0] > ind:  # type: ignore[index]
                    value, i = self._node(j, ind + 1)
                else:
                    value, i = None, i + 1
            else:
                # "- key: value" opens a mapping whose lines are indented to "key".
                self.lines[i] = (ind + len(content) - len(rest), rest)
                value, i = self._node(i, ind + 1)
            out.append(value)
        return out, i

    def _map(self, i: int, ind: int) -> tuple[dict[Any, Any], int]:
        out: dict[Any, Any] = {}
        while i < len(self.lines):
            line = self.lines[i]
            if line is None:
                i += 1
                continue
            lind, content = line
            if lind != ind:
                if lind > ind:
                    raise self._error(i, "bad indentation in a mapping")
                break
            kv = _split_key(content)
            if kv is None:
                raise self._error(i, f"expected 'key: value', found {content!r}")
            key, rest = kv
            if key in out:
                raise self._error(i, f"duplicate key {key!r}")
            if not rest:
                j = self._next(i + 1)
                nxt = self.lines[j] if j < len(self.lines) else None
                if nxt is not None and (nxt[0] > ind or (
                        nxt[0] == ind and (nxt[1] == "-" or nxt[1].startswith("- ")))):
                    value, i = self._node(j, nxt[0])
                else:
                    value, i = None, i + 1
            elif rest[0] in "|>":
                value, i = self._block_scalar(i, ind, rest)
            else:
                value, i = self._plain_scalar(i, ind, rest, ind)
            out[key] = value
        return out, i

    def _plain_scalar(self, i: int, ind: int, text: str, parent: int) -> tuple[Any, int]:
        if text[0] in "\"'[{":
            return _scalar(text, lambda what: self._error(i, what)), i + 1
        parts = [text]
        j = i + 1
        while j < len(self.lines):
            line = self.lines[j]
            if line is None:
                j += 1
                continue
            if line[0] <= parent:
                break
            parts.append(line[1])  # a multi-line plain scalar folds with spaces
            j += 1
        return _scalar(" ".join(parts), lambda what: self._error(i, what)), j

    def _block_scalar(self, i: int, ind: int, header: str) -> tuple[str, int]:
        style, chomp = header[0], header[1:].strip()
        body: list[str] = []
        j = i + 1
        block_indent: int | None = None
        while j < len(self.raw):
            raw = self.raw[j]
            if raw.strip():
                lead = len(raw) - len(raw.lstrip(" "))
                if lead <= ind:
                    break
                if block_indent is None:
                    block_indent = lead
                body.append(raw[block_indent:])
            else:
                body.append("")
            j += 1
        while body and not body[-1]:
            body.pop()
        if style == "|":
            text = "\n".join(body)
        else:
            text = " ".join(p for p in body if p)
        if chomp != "-" and body:
            text += "\n"
        return text, j


def _strip_comment(line: str) -> str:
    """``line`` without its ``# comment`` (a ``#`` after whitespace, outside quotes)."""
    quote = ""
    k = 0
    while k < len(line):
        ch = line[k]
        if quote:
            if ch == "\\" and quote == '"':
                k += 1  # skip the escaped character
            elif ch == "'" == quote and line[k + 1:k + 2] == "'":
                k += 1  # '' inside a single-quoted scalar
            elif ch == quote:
                quote = ""
        elif ch in "\"'" and (k == 0 or line[k - 1] in " :-[{,="):
            quote = ch
        elif ch == "#" and (k == 0 or line[k - 1] in " \t"):
            return line[:k]
        k += 1
    return line


def _split_key(content: str) -> tuple[Any, str] | None:
    """``key: rest`` → (key, rest); None when the line is not a mapping entry."""
    if content[0] in "\"'":
        q = content[0]
        end = content.find(q, 1)
        while q == '"' and end > 0 and content[end - 1] == "\\":
            end = content.find(q, end + 1)
        if end < 0 or not content[end + 1:].startswith(":"):
            return None
        rest = content[end + 2:]
        if rest and not rest.startswith(" "):
            return None
        return _scalar(content[: end + 1], _raise), rest.strip()
    if content[0] in "[{":
        return None
    m = re.search(r":( |$)", content)
    if m is None:
        return None
    key = content[: m.start()].strip()
    return (_scalar(key, _raise) if key else None), content[m.end():].strip()


def _raise(what: str) -> Exception:
    return DiscoveryError(what)


def _scalar(text: str, error: Any) -> Any:
    text = text.strip()
    if not text:
        return None
    if text[0] == '"':
        if len(text) < 2 or text[-1] != '"':
            raise error("unterminated double-quoted string")
        try:
            return json.loads(text.replace("\\/", "/"))
        except ValueError:
            raise error(f"bad escape in {text}") from None
    if text[0] == "'":
        if len(text) < 2 or text[-1] != "'":
            raise error("unterminated single-quoted string")
        return text[1:-1].replace("''", "'")
    if text[0] == "[":
        if text[-1] != "]":
            raise error("unterminated flow sequence (write the list one '- item' a line)")
        inner = text[1:-1].strip()
        return [_scalar(p, error) for p in _split_flow(inner)] if inner else []
    if text[0] == "{":
        if text[-1] != "}":
            raise error("unterminated flow mapping")
        out: dict[Any, Any] = {}
        for part in _split_flow(text[1:-1].strip()):
            kv = _split_key(part)
            if kv is None:
                raise error(f"expected 'key: value' in flow mapping, found {part!r}")
            out[kv[0]] = _scalar(kv[1], error)
        return out
    low = text.lower()
    if low in ("true", "false"):
        return low == "true"
    if low in ("null", "~"):
        return None
    if _INT.match(text):
        return int(text)
    return text


def _split_flow(inner: str) -> list[str]:
    parts, depth, quote, start = [], 0, "", 0
    for k, ch in enumerate(inner):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:k])
            start = k + 1
    parts.append(inner[start:])
    return [p.strip() for p in parts if p.strip()]


def load_manifest(path: Path) -> dict[str, Any]:
    """Read one ``golem.yaml`` (an empty file is an empty mapping)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise DiscoveryError(f"cannot read {path}: {e}") from None
    data = parse_yaml(text, str(path))
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise DiscoveryError(f"{path}: a golem.yaml must be a mapping at the top level")
    return data


# --------------------------------------------------------------------------------------
# componentize-py command lines
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ComponentizeOptions:
    """The flags of one ``componentize-py`` command line that shape the bindings."""

    command: str
    subcommand: str | None = None
    wit_path: str | None = None
    worlds: tuple[str, ...] = ()
    world_module: str | None = None
    import_names: tuple[tuple[str, str], ...] = ()
    export_names: tuple[tuple[str, str], ...] = ()
    features: tuple[str, ...] = ()
    all_features: bool = False
    full_names: bool = False
    #: ``componentize -p PATH`` directories (the module search path), in order
    python_path: tuple[str, ...] = ()
    #: ``componentize ... APP_NAME``: the Python module with the app
    app: str | None = None

    def describe(self) -> str:
        """The flags as they were written (for the session header)."""
        flags: list[str] = []
        if self.wit_path:
            flags.append(f"--wit-path {self.wit_path}")
        flags += [f"--world {w}" for w in self.worlds]
        if self.world_module:
            flags.append(f"--world-module {self.world_module}")
        flags += [f"--import-interface-name {k}={v}" for k, v in self.import_names]
        flags += [f"--export-interface-name {k}={v}" for k, v in self.export_names]
        if self.features:
            flags.append(f"--features {','.join(self.features)}")
        if self.all_features:
            flags.append("--all-features")
        if self.full_names:
            flags.append("--full-names")
        return " ".join(flags) or "no binding flags"


_VALUE_FLAGS = {
    "-d": "wit_path", "--wit-path": "wit_path",
    "-w": "world", "--world": "world",
    "--world-module": "world_module",
    "--import-interface-name": "import", "--export-interface-name": "export",
    "--features": "features",
}
#: Options of ``componentize-py componentize`` (after the subcommand) that take a value.
_COMPONENTIZE_VALUE_FLAGS = {
    "-p": "python_path", "--python-path": "python_path",
    "-o": None, "--output": None, "-m": None, "--module-worlds": None,
}
_SUBCOMMANDS = ("bindings", "componentize", "test-generator")
_SHELL_SEPARATORS = ("&&", "||", ";", "|", "&")


def _render_template(command: str, component: str | None) -> str:
    """Expand golem-cli's ``{{ component_name | to_snake_case }}`` placeholders."""
    if component is None:
        return command

    def words(s: str) -> list[str]:
        s = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", s)
        return [w.lower() for w in re.split(r"[^A-Za-z0-9]+", s) if w]

    filters = {
        "to_snake_case": lambda s: "_".join(words(s)),
        "to_kebab_case": lambda s: "-".join(words(s)),
        "to_pascal_case": lambda s: "".join(w.title() for w in words(s)),
        "to_camel_case": lambda s: (lambda ws: ws[0] + "".join(w.title() for w in ws[1:]))(
            words(s) or [""]),
        "to_lower_case": str.lower,
        "to_upper_case": str.upper,
    }

    def sub(m: re.Match[str]) -> str:
        value = component
        for f in [p.strip() for p in (m.group(1) or "").split("|") if p.strip()]:
            value = filters.get(f, lambda s: s)(value)
        return value

    return re.sub(r"\{\{\s*component_name\s*((?:\|\s*\w+\s*)*)\}\}", sub, command)


def parse_componentize_command(command: str, component: str | None = None) -> \
        ComponentizeOptions | None:
    """The componentize-py flags of a build command line, or None when the command
    does not run componentize-py (``uv run componentize-py ...``, ``python -m
    componentize_py ...`` and ``... && componentize-py ...`` all count)."""
    try:
        tokens = shlex.split(_render_template(command, component), posix=True)
    except ValueError:
        return None
    start = None
    for k, tok in enumerate(tokens):
        base = tok.rsplit("/", 1)[-1]
        if base in ("componentize-py", "componentize-py.exe") or (
                base == "componentize_py" and k > 0 and tokens[k - 1] == "-m"):
            start = k + 1
            break
    if start is None:
        return None
    values: dict[str, Any] = {"world": [], "import": [], "export": [], "features": [],
                              "python_path": []}
    app: str | None = None
    flags: set[str] = set()
    subcommand = None
    k = start
    while k < len(tokens):
        tok = tokens[k]
        if tok in _SHELL_SEPARATORS:
            break
        name, eq, inline = tok.partition("=") if tok.startswith("--") else (tok, "", "")
        if tok in _SUBCOMMANDS and subcommand is None:
            subcommand = tok
        elif subcommand == "componentize" and name in _COMPONENTIZE_VALUE_FLAGS:
            if eq:
                value = inline
            elif k + 1 < len(tokens):
                k += 1
                value = tokens[k]
            else:
                break
            slot = _COMPONENTIZE_VALUE_FLAGS[name]
            if slot is not None:
                values[slot].append(value)
        elif subcommand == "componentize" and name in _VALUE_FLAGS and not name.startswith("--"):
            k += 1  # a top-level short flag after the subcommand: not ours, skip its value
        elif subcommand == "componentize" and not tok.startswith("-") and app is None:
            app = tok
        elif name in _VALUE_FLAGS and (name.startswith("--") or subcommand is None):
            if eq:
                value = inline
            elif k + 1 < len(tokens):
                k += 1
                value = tokens[k]
            else:
                break
            slot = _VALUE_FLAGS[name]
            if isinstance(values.get(slot), list):
                values[slot].append(value)
            else:
                values[slot] = value
        elif tok in ("--all-features", "--full-names"):
            flags.add(tok)
        k += 1

    if subcommand is None:
        return None  # e.g. ``pip install componentize-py``: generates no bindings

    def pairs(items: list[str], flag: str) -> tuple[tuple[str, str], ...]:
        out = []
        for item in items:
            key, sep, name = item.rpartition("=")
            if not sep:
                raise DiscoveryError(
                    f"{flag} {item!r} in the build command {command!r} is not KEY=NAME")
            out.append((key.strip().strip('"'), name.strip().strip('"')))
        return tuple(out)

    features: list[str] = []
    for f in values["features"]:
        features += [p for p in re.split(r"[,\s]+", f) if p]
    return ComponentizeOptions(
        command=command, subcommand=subcommand, wit_path=values.get("wit_path"),
        worlds=tuple(values["world"]), world_module=values.get("world_module"),
        import_names=pairs(values["import"], "--import-interface-name"),
        export_names=pairs(values["export"], "--export-interface-name"),
        features=tuple(features), all_features="--all-features" in flags,
        full_names="--full-names" in flags, python_path=tuple(values["python_path"]),
        app=app)


_PIN = re.compile(r"^\s*componentize[-_]py\s*===?\s*([0-9]+(?:\.[0-9]+)*)\s*(?:;.*)?$", re.I)


def componentize_py_pin(pyproject: Path) -> str | None:
    """The exact ``componentize-py==X`` pin of a ``pyproject.toml`` (project
    dependencies, optional dependencies, PEP 735 dependency groups, ``tool.uv``
    dev-dependencies), or None."""
    if not pyproject.is_file():
        return None
    import tomllib

    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    requirements: list[Any] = []
    project = data.get("project", {})
    requirements += project.get("dependencies", []) or []
    for group in (project.get("optional-dependencies", {}) or {}).values():
        requirements += group or []
    for group in (data.get("dependency-groups", {}) or {}).values():
        requirements += group or []
    requirements += ((data.get("tool", {}) or {}).get("uv", {}) or {}).get(
        "dev-dependencies", []) or []
    for req in requirements:
        if isinstance(req, str):
            m = _PIN.match(req)
            if m:
                return m.group(1)
    return None


# --------------------------------------------------------------------------------------
# Golem applications
# --------------------------------------------------------------------------------------


@dataclass
class AppComponent:
    """One ``components:`` entry of a Golem application."""

    name: str
    directory: Path
    manifest: Path
    #: the component's properties with its template's filled in (and a profile applied)
    properties: dict[str, Any]
    template: str | None = None


@dataclass
class GolemApp:
    """A Golem application found on disk (see :func:`find_app`)."""

    root: Path
    manifests: list[Path]
    components: dict[str, AppComponent]
    templates: dict[str, dict[str, Any]]
    wit_deps: list[Path]
    #: ``dependencies:`` of the manifests: component → ``[(type, target)]`` (golem-cli's
    #: ``app_raw::Dependency``; only ``target`` dependencies, i.e. on app components)
    dependencies: dict[str, list[tuple[str, str]]] = field(default_factory=dict)

    def wasm_rpc_targets(self, component: str) -> list[str]:
        """The app components ``component`` calls through generated clients: its
        ``type: wasm-rpc`` dependencies (golem-cli's ``DependencyType::DynamicWasmRpc``;
        ``static-wasm-rpc`` composes a compiled stub instead and is not faked)."""
        out = []
        for kind, target in self.dependencies.get(component, []):
            if kind == "wasm-rpc" and target not in out:
                out.append(target)
        return out

    def built_wasm(self, component: str | None = None) -> Path | None:
        """The built ``.wasm`` of ``component`` (default: the only component) after
        ``golem app build``: its ``linkedWasm`` if that file exists (the component
        golem-cli uploads, linked with its dependencies), else its ``componentWasm``
        (the componentize output), else ``None``. The paths are the manifest's, with
        ``{{ component_name | ... }}`` expanded, relative to the component's
        directory (where golem-cli runs the build). For
        ``golem.add_component(name, wasm=...)``."""
        if component is None:
            if len(self.components) != 1:
                raise DiscoveryError(
                    f"the application at {self.root} has {len(self.components)} components "
                    f"({', '.join(sorted(self.components)) or 'none'}): name the one whose "
                    f".wasm you want")
            component = next(iter(self.components))
        c = self.components.get(component)
        if c is None:
            raise DiscoveryError(f"the application at {self.root} has no component "
                                 f"{component!r} (it has {', '.join(sorted(self.components))})")
        for key in ("linkedWasm", "componentWasm"):
            value = c.properties.get(key)
            if isinstance(value, str) and value:
                path = (c.directory / _render_template(value, c.name)).resolve()
                if path.is_file():
                    return path
        return None

    def component_at(self, path: Path) -> AppComponent | None:
        """The component whose directory holds ``path``."""
        path = path.resolve()
        best: AppComponent | None = None
        for c in self.components.values():
            d = c.directory.resolve()
            if (path == d or d in path.parents) and (
                    best is None or len(d.parts) > len(best.directory.resolve().parts)):
                best = c
        return best


def _find_root_manifest(start: Path) -> Path | None:
    """The topmost ``golem.yaml`` in ``start`` and its parents, not going above the
    repository root (a folder with ``.git``)."""
    found: Path | None = None
    here = start.resolve()
    for d in (here, *here.parents):
        m = d / MANIFEST_NAME
        if m.is_file():
            found = m
        if (d / ".git").exists():
            break
    return found


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _apply_profile(props: dict[str, Any]) -> dict[str, Any]:
    profiles = props.get("profiles")
    if not isinstance(profiles, dict) or not profiles:
        return props
    name = props.get("defaultProfile") or next(iter(profiles))
    chosen = profiles.get(name) or {}
    merged = {k: v for k, v in props.items() if k not in ("profiles", "defaultProfile")}
    merged.update(chosen if isinstance(chosen, dict) else {})
    return merged


def find_app(start: Path) -> GolemApp | None:
    """The Golem application holding ``start`` (its root ``golem.yaml``, the manifests
    it includes, their components, templates and ``witDeps``), or None."""
    root_manifest = _find_root_manifest(start)
    if root_manifest is None:
        return None
    root = root_manifest.parent
    manifests = [root_manifest]
    root_data = load_manifest(root_manifest)
    for pattern in _as_list(root_data.get("includes")):
        for p in sorted(root.glob(str(pattern))):
            if p.is_file() and p.resolve() != root_manifest.resolve() and p not in manifests:
                manifests.append(p)
    components: dict[str, AppComponent] = {}
    raw_components: list[tuple[str, Path, dict[str, Any]]] = []
    templates: dict[str, dict[str, Any]] = {}
    wit_deps: list[Path] = []
    dependencies: dict[str, list[tuple[str, str]]] = {}
    for m in manifests:
        data = root_data if m == root_manifest else load_manifest(m)
        for cname, deps in (data.get("dependencies") or {}).items():
            for dep in _as_list(deps):
                if not isinstance(dep, dict) or "type" not in dep:
                    raise DiscoveryError(
                        f"{m}: dependencies of {cname!r}: {dep!r} is not a mapping with a "
                        f"'type' (golem-cli's form: `- type: wasm-rpc` and `target: "
                        f"<component>`)")
                if dep.get("target") is not None:
                    dependencies.setdefault(str(cname), []).append(
                        (str(dep["type"]), str(dep["target"])))
        for dep in _as_list(data.get("witDeps")):
            wit_deps.append((m.parent / str(dep)))
        for name, props in (data.get("templates") or {}).items():
            templates[str(name)] = props if isinstance(props, dict) else {}
        for name, props in (data.get("components") or {}).items():
            raw_components.append((str(name), m, props if isinstance(props, dict) else {}))
    for name, m, props in raw_components:
        if name in components:
            raise DiscoveryError(
                f"component {name!r} is defined twice: in {components[name].manifest} and "
                f"in {m}; golem-cli rejects this too.")
        template = props.get("template")
        merged: dict[str, Any] = {}
        if template is not None:
            if str(template) not in templates:
                raise DiscoveryError(
                    f"component {name!r} in {m} uses template {template!r}, which no "
                    f"included golem.yaml defines (templates found: "
                    f"{', '.join(sorted(templates)) or 'none'}).")
            merged.update(_apply_profile(dict(templates[str(template)])))
        own = _apply_profile({k: v for k, v in props.items() if k != "template"})
        merged.update(own)
        components[name] = AppComponent(name=name, directory=m.parent, manifest=m,
                                        properties=merged,
                                        template=None if template is None else str(template))
    for cname, deps in dependencies.items():
        for kind, target in deps:
            if kind == "wasm-rpc" and (target not in components or cname not in components):
                unknown = target if target not in components else cname
                raise DiscoveryError(
                    f"a wasm-rpc dependency {cname} -> {target} in the Golem application at "
                    f"{root} names the unknown component {unknown!r} (components: "
                    f"{', '.join(sorted(components)) or 'none'}); golem-cli rejects it too.")
    return GolemApp(root=root, manifests=manifests, components=components,
                    templates=templates, wit_deps=wit_deps, dependencies=dependencies)


def _build_commands(props: Mapping[str, Any]) -> list[str]:
    out = []
    for step in _as_list(props.get("build")):
        if isinstance(step, str):
            out.append(step)
        elif isinstance(step, dict) and isinstance(step.get("command"), str):
            out.append(step["command"])
    return out


def _componentize_options(component: AppComponent) -> ComponentizeOptions | None:
    """The flags of the component's componentize-py build step (``componentize``
    preferred: it builds what runs; else ``bindings``)."""
    found = [o for o in (parse_componentize_command(c, component.name)
                         for c in _build_commands(component.properties)) if o is not None]
    for sub in ("componentize", "bindings", None):
        for o in found:
            if o.subcommand == sub:
                return o
    return found[0] if found else None


# --------------------------------------------------------------------------------------
# WIT folders
# --------------------------------------------------------------------------------------


def _wit_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path] if path.suffix == ".wit" else []
    if not path.is_dir():
        return []
    return sorted(p for p in path.rglob("*.wit") if p.is_file())


def _newest(paths: Iterable[Path]) -> float:
    newest = 0.0
    for p in paths:
        for f in _wit_files(p):
            try:
                newest = max(newest, f.stat().st_mtime)
            except OSError:
                continue
    return newest


def merged_wit(source: Path, dep_dirs: Iterable[Path]) -> Path:
    """A WIT folder (in the golem-fakes cache) holding ``source``'s package files and
    ``deps/``: ``source/deps`` first, then every entry of each ``dep_dirs`` folder whose
    name is not taken yet — what golem-cli assembles into ``wit-generated/``. Written
    once per content (atomic rename), so concurrent pytest-xdist workers share it."""
    import hashlib

    from golem_fakes.bindings import importer

    files: dict[str, str] = {}
    for f in sorted(source.glob("*.wit")):
        files[f.name] = f.read_text(encoding="utf-8")
    taken: set[str] = set()
    for deps in [source / "deps", *dep_dirs]:
        if not deps.is_dir():
            continue
        for entry in sorted(deps.iterdir()):
            if entry.name in taken or not (entry.is_dir() or entry.suffix == ".wit"):
                continue
            taken.add(entry.name)
            for f in _wit_files(entry):
                rel = f.relative_to(deps).as_posix()
                files[f"deps/{rel}"] = f.read_text(encoding="utf-8")
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    directory = importer.cache_root() / "wit-merged" / h.hexdigest()[:32]
    if importer.read_manifest(directory) is None:
        importer.write_tree(directory, files, {"source": str(source),
                                               "deps": [str(d) for d in dep_dirs]})
    return directory


# --------------------------------------------------------------------------------------
# discover()
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Discovery:
    """What to install and why."""

    kind: Literal["golem-app", "wit-dir", "vendored"]
    #: keyword arguments for :func:`golem_fakes.install`
    install_kwargs: dict[str, Any]
    #: one line for the session header: where the WIT came from and why
    reason: str
    #: the Golem component name worker code runs as (``shop:cart``), if known
    component: str | None = None
    #: the component's code: ``(module, source directory)`` from its ``componentize -p
    #: PATH MODULE`` build step (each worker runs its own instance of it), if found
    code: tuple[str, Path] | None = None
    #: further remarks (ignored flags, ...)
    notes: tuple[str, ...] = field(default=())
    #: the generated RPC clients of the component's ``type: wasm-rpc`` targets (and of
    #: theirs): :class:`golem_fakes.rpc.stubgen.ClientDef`, to :func:`~golem_fakes.rpc.stubgen.link`
    clients: tuple[Any, ...] = field(default=())
    #: the export sites of each application component in the installed (united) world,
    #: for :func:`golem_fakes.worker.executor.set_component_exports`
    component_exports: dict[str, frozenset[str]] = field(default_factory=dict)
    #: the code ``(module, directory)`` of the other application components the
    #: installed world holds (the targets), added to every test's Golem
    other_code: dict[str, tuple[str, Path]] = field(default_factory=dict)


def _rel(path: Path, base: Path) -> str:
    try:
        return os.path.relpath(path, base)
    except ValueError:  # pragma: no cover - other drive on Windows
        return str(path)


def _choose_component(app: GolemApp, rootdir: Path, wanted: str | None) -> AppComponent:
    names = ", ".join(sorted(app.components)) or "none"
    if wanted:
        if wanted not in app.components:
            raise DiscoveryError(
                f"golem_component = {wanted!r}, but the Golem application at {app.root} "
                f"defines the components: {names}. Set golem_component to one of them.")
        return app.components[wanted]
    here = app.component_at(rootdir)
    if here is not None:
        return here
    if len(app.components) == 1:
        return next(iter(app.components.values()))
    raise DiscoveryError(
        f"the Golem application at {app.root} has {len(app.components)} components "
        f"({names}) and pytest's rootdir {rootdir} is not inside any of them, so "
        f"golem-fakes cannot tell whose bindings to install (one set per process). "
        f"Set golem_component = <name> in the pytest configuration, or run pytest from "
        f"the component's directory (with its own pytest configuration).")


def _discover_app(app: GolemApp, rootdir: Path, wanted: str | None) -> Discovery:
    comp = _choose_component(app, rootdir, wanted)
    props = comp.properties
    opts = _componentize_options(comp)
    notes: list[str] = []
    source = comp.directory / str(props.get("sourceWit") or "wit")
    generated = comp.directory / str(
        (opts.wit_path if opts and opts.wit_path else None) or props.get("generatedWit")
        or "wit-generated")
    dep_dirs = [d for d in app.wit_deps if d.is_dir()]
    where = f"component {comp.name!r} of the Golem application at {app.root}"
    if (generated.resolve() != source.resolve() and _wit_files(generated)
            and _newest([generated]) >= _newest([source, *dep_dirs])):
        wit: Path = generated
        how = f"{_rel(generated, app.root)} (the build's generated WIT)"
    elif _wit_files(source):
        wit = merged_wit(source, dep_dirs)
        why = ("older than its sources" if _wit_files(generated) else "not built yet")
        how = (f"{_rel(source, app.root)} + witDeps "
               f"{', '.join(_rel(d, app.root) for d in dep_dirs) or '(none)'} "
               f"({_rel(generated, app.root)} {why})")
    else:
        raise DiscoveryError(
            f"{where} (manifest {comp.manifest}) has no WIT: neither {source} nor "
            f"{generated} holds .wit files. Create the component with `golem-cli "
            f"component new python <ns:name>`, run `golem-cli app build`, or set golem_wit "
            f"in the pytest configuration.")
    clients: tuple[Any, ...] = ()
    exports: dict[str, frozenset[str]] = {}
    other_code: dict[str, tuple[str, Path]] = {}
    if app.wasm_rpc_targets(comp.name):
        wit, clients, exports, other_code, united = _app_wit(app, comp, wit, dep_dirs, opts)
        how += (f"; with the generated clients of {', '.join(c.component for c in clients)} "
                f"(golem.yaml wasm-rpc dependencies){united}")
    kwargs: dict[str, Any] = {"wit": wit}
    if opts is not None:
        if opts.worlds:
            kwargs["world"] = opts.worlds[0]
            if len(opts.worlds) > 1:
                notes.append(f"several --world flags ({', '.join(opts.worlds)}); "
                             f"golem-fakes installs the first")
        if opts.world_module:
            kwargs["package"] = opts.world_module
        if opts.import_names:
            kwargs["interface_names"] = dict(opts.import_names)
        if opts.export_names:
            kwargs["export_interface_names"] = dict(opts.export_names)
        if opts.features:
            kwargs["features"] = opts.features
        if opts.full_names:
            kwargs["full_names"] = True
        if opts.all_features:
            kwargs["all_features"] = True
    pin = componentize_py_pin(comp.directory / "pyproject.toml") or \
        componentize_py_pin(app.root / "pyproject.toml")
    if pin is not None:
        kwargs["version"] = pin
    flags = f"; flags: {opts.describe()}" if opts is not None else \
        "; no componentize-py build step found"
    pinned = f"; componentize-py=={pin} from pyproject.toml" if pin else ""
    code = _component_code(comp)
    shown = (f"; code: {code[0]} in {_rel(code[1], app.root)}" if code is not None else "")
    return Discovery(kind="golem-app", install_kwargs=kwargs,
                     reason=f"from golem.yaml: {where}: {how}{flags}{pinned}{shown}",
                     component=comp.name, notes=tuple(notes), code=code, clients=clients,
                     component_exports=exports, other_code=other_code)


def _component_wit(app: GolemApp, c: AppComponent, dep_dirs: list[Path]) -> tuple[Path, Path]:
    """``(source wit/, the WIT folder to load)`` of an application component, as for
    the component under test: its generated WIT when built and up to date, else its
    ``wit/`` with the application's ``witDeps``."""
    opts = _componentize_options(c)
    source = c.directory / str(c.properties.get("sourceWit") or "wit")
    generated = c.directory / str(
        (opts.wit_path if opts and opts.wit_path else None) or c.properties.get("generatedWit")
        or "wit-generated")
    if (generated.resolve() != source.resolve() and _wit_files(generated)
            and _newest([generated]) >= _newest([source, *dep_dirs])):
        return generated, generated
    if not _wit_files(source):
        raise DiscoveryError(
            f"component {c.name!r} of the Golem application at {app.root} (manifest "
            f"{c.manifest}) is the target of a wasm-rpc dependency but has no WIT in "
            f"{source}: golem-cli generates its client from it.")
    return source, merged_wit(source, dep_dirs)


_WORLD_DECL = r"(\bworld\s+%?{name}\s*\{{)"


def _add_to_world(text: str, world: str, lines: list[str], where: str) -> str:
    """``text`` with ``lines`` added at the top of world ``world`` (golem-cli's
    ``add_world_named_interface_import`` adds the client import the same way)."""
    rx = re.compile(_WORLD_DECL.format(name=re.escape(world)))
    if not rx.search(text):
        raise DiscoveryError(f"{where}: cannot find `world {world} {{` to add the generated "
                             f"client imports to")
    return rx.sub(lambda m: m.group(1) + "".join(f"\n  {ln}" for ln in lines), text, count=1)


def _app_wit(app: GolemApp, comp: AppComponent, wit: Path, dep_dirs: list[Path],
             opts: "ComponentizeOptions | None") -> tuple[Path, tuple[Any, ...],
                                                          dict[str, frozenset[str]],
                                                          dict[str, tuple[str, Path]], str]:
    """The WIT to install for a component with ``type: wasm-rpc`` dependencies.

    As ``golem-cli app build`` does (``golem-cli/src/app/build/gen_rpc.rs``
    §build_client, §add_client_deps; ``wasm_rpc_stubgen/wit_generate.rs``
    §add_client_as_dependency_to_wit_dir): each target's client package is generated
    from the target's world (:func:`golem_fakes.rpc.stubgen.client_def`) into
    ``deps/<ns>_<name>-client/client.wit``, the target's own package is copied into
    ``deps/<ns>_<name>/`` (the client ``use``s its types), and the caller's world gets
    ``import <ns>:<name>-client/<world>-client;``.

    golem-fakes runs every component in one process with one set of bindings, so the
    caller's world also ``include``s the world of every component it reaches (their
    imports and exports; each component keeps only its own exports,
    :func:`golem_fakes.worker.executor.set_component_exports`)."""
    import hashlib

    from golem_fakes.bindings import importer
    from golem_fakes.rpc.stubgen import exports_package_wit
    from golem_fakes.wit import WitError, load

    closure = [comp.name]
    for name in closure:
        for t in app.wasm_rpc_targets(name):
            if t not in closure:
                closure.append(t)
    worlds: dict[str, Any] = {}
    sources: dict[str, Path] = {}
    clients: dict[str, Any] = {}
    # leaves first: a component's world may import the clients of its own targets
    # already (a WIT golem-cli generated); they are then added to load it
    for name in reversed(closure):
        c = app.components[name]
        folder = wit if name == comp.name else _component_wit(app, c, dep_dirs)[1]
        o = opts if name == comp.name else _componentize_options(c)
        world_name = o.worlds[0] if o is not None and o.worlds else None
        for t in app.wasm_rpc_targets(name):
            if t not in clients and t in worlds:
                clients[t] = _client(app, t, worlds[t])
        try:
            worlds[name] = load(folder).world(world_name)
        except WitError:
            known = [clients[t] for t in app.wasm_rpc_targets(name) if t in clients]
            if not known:
                raise
            worlds[name] = load(_with_clients(Path(folder), known, worlds, sources)
                                ).world(world_name)
        sources[name] = Path(folder)
    for name in closure:
        for t in app.wasm_rpc_targets(name):
            if t not in clients:
                clients[t] = _client(app, t, worlds[t])
    from golem_fakes.wit.model import Function, Interface

    exports = {name: frozenset("" if isinstance(wi.item, Function) else _export_site(wi)
                               for wi in w.exports if isinstance(wi.item, (Function, Interface)))
               for name, w in worlds.items()}

    files: dict[str, str] = {}
    main_world = worlds[comp.name]
    for f in sorted(Path(wit).glob("*.wit")):
        files[f.name] = f.read_text(encoding="utf-8")
    deps = Path(wit) / "deps"
    if deps.is_dir():
        for f in sorted(deps.rglob("*.wit")):
            files[f"deps/{f.relative_to(deps).as_posix()}"] = f.read_text(encoding="utf-8")

    def edit(texts: dict[str, str], name: str, world: Any, extra: list[str]) -> None:
        lines = [f"import {clients[t].interface_id};" for t in app.wasm_rpc_targets(name)]
        lines += extra
        for rel, text in texts.items():
            if re.search(_WORLD_DECL.format(name=re.escape(world.name)), text):
                # a WIT golem-cli generated already imports its clients
                lines = [ln for ln in lines if not re.search(
                    r"(^|[\s{;])" + re.escape(ln[:-1]) + r"\s*;", text)]
                texts[rel] = _add_to_world(text, world.name, lines, rel) if lines else text
                return
        raise DiscoveryError(f"cannot find `world {world.name} {{` of component {name!r} in "
                             f"{sources[name]}")

    main = {k: v for k, v in files.items() if "/" not in k}
    others = [worlds[n] for n in closure if n != comp.name]
    edit(main, comp.name, main_world, [f"include {w.qualified_name};" for w in others])
    files.update(main)
    for name in closure[1:]:
        w = worlds[name]
        pn = w.package.name
        own = {f.name: f.read_text(encoding="utf-8")
               for f in sorted(Path(sources[name]).glob("*.wit"))}
        if any(isinstance(wi.item, Interface) and wi.item.package is w.package
               for wi in w.exports):   # not extracted yet (a target golem-cli built is)
            for rel, text in own.items():
                files.setdefault(f"deps/{pn.namespace}_{pn.name}-exports/{rel}",
                                 exports_package_wit(text, pn))
        edit(own, name, w, [])
        for rel, text in own.items():
            files[f"deps/{pn.namespace}_{pn.name}/{rel}"] = text
        _add_missing_deps(files, sources[name])
    for d in clients.values():
        files[f"deps/{d.dep_dir}/client.wit"] = d.text
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    directory = importer.cache_root() / "wit-app" / h.hexdigest()[:32]
    if importer.read_manifest(directory) is None:
        importer.write_tree(directory, files, {"component": comp.name, "closure": closure})
    other_code = {}
    for name in closure[1:]:
        code = _component_code(app.components[name])
        if code is not None:
            other_code[name] = code
    united = (f"; the world includes {', '.join(w.qualified_name for w in others)} (one "
              f"world per process)" if others else "")
    return directory, tuple(clients.values()), exports, other_code, united


def _add_missing_deps(files: dict[str, str], folder: Path) -> None:
    """Add the packages of ``folder/deps`` (a target's WIT) that ``files`` (relative
    path → text) has no ``deps/`` entry for."""
    have = {k.split("/")[1] for k in files if k.startswith("deps/")}
    tdeps = folder / "deps"
    if tdeps.is_dir():
        for f in sorted(tdeps.rglob("*.wit")):
            rel = f.relative_to(tdeps).as_posix()
            if rel.split("/")[0] not in have:
                files[f"deps/{rel}"] = f.read_text(encoding="utf-8")


def _client(app: GolemApp, target: str, world: Any) -> Any:
    """The client of ``target`` (golem.yaml ``componentType: ephemeral``: golem-cli's
    ``is_ephemeral``)."""
    from golem_fakes.rpc.stubgen import client_def

    kind = app.components[target].properties.get("componentType")
    return client_def(world, target, ephemeral=kind == "ephemeral")


def _with_clients(folder: Path, clients: list[Any], worlds: dict[str, Any],
                  sources: dict[str, Path]) -> Path:
    """``folder`` with the client packages (and the packages their types come from)
    added to its ``deps/`` (in the cache), to load a world that imports them."""
    import hashlib

    from golem_fakes.bindings import importer
    from golem_fakes.rpc.stubgen import exports_package_wit

    files: dict[str, str] = {}
    for f in sorted(folder.rglob("*.wit")):
        files[f.relative_to(folder).as_posix()] = f.read_text(encoding="utf-8")
    for d in clients:
        files[f"deps/{d.dep_dir}/client.wit"] = d.text
        w = worlds[d.component]
        pn = w.package.name
        for src in sorted(sources[d.component].glob("*.wit")):
            text = src.read_text(encoding="utf-8")
            files.setdefault(f"deps/{pn.namespace}_{pn.name}/{src.name}", text)
            files.setdefault(f"deps/{pn.namespace}_{pn.name}-exports/{src.name}",
                             exports_package_wit(text, pn))
        _add_missing_deps(files, sources[d.component])
    h = hashlib.sha256()
    for rel in sorted(files):
        h.update(rel.encode() + b"\0" + files[rel].encode() + b"\0")
    directory = importer.cache_root() / "wit-app" / h.hexdigest()[:32]
    if importer.read_manifest(directory) is None:
        importer.write_tree(directory, files, {"source": str(folder)})
    return directory


def _export_site(wi: Any) -> str:
    item = wi.item
    if item.package is not None and item.name is not None:
        return item.qualified_name
    return wi.key


def _component_code(component: AppComponent) -> tuple[str, Path] | None:
    """``(module, directory)`` of the component's ``componentize -p PATH MODULE`` step:
    the first ``-p`` directory (relative to the component's directory, where golem-cli
    runs build commands) holding ``MODULE.py`` or the package ``MODULE/``, else the
    first ``-p`` (componentize-py's default is ``.``)."""
    for command in _build_commands(component.properties):
        o = parse_componentize_command(command, component.name)
        if o is None or o.subcommand != "componentize" or not o.app:
            continue
        top = o.app.split(".")[0]
        dirs = [component.directory / d for d in (o.python_path or (".",))]
        for d in dirs:
            if (d / f"{top}.py").is_file() or (d / top / "__init__.py").is_file():
                return o.app, d.resolve()
        return o.app, dirs[0].resolve()
    return None


def discover(rootdir: str | os.PathLike[str], *, component: str | None = None) -> Discovery:
    """Decide what to install for a project whose pytest rootdir is ``rootdir`` (see
    the module docstring for the order). ``component`` selects the component of a
    multi-component Golem application (``golem_component``).

    :raises DiscoveryError: the layout is ambiguous or broken; the message says how to
        fix it.
    """
    root = Path(rootdir)
    app = find_app(root)
    if app is not None and app.components:
        return _discover_app(app, root, component)
    plain = root / "wit"
    if _wit_files(plain) and any(plain.glob("*.wit")):
        return Discovery(kind="wit-dir", install_kwargs={"wit": plain},
                         reason=f"from the plain wit/ folder under the rootdir ({plain})",
                         component=component)
    from golem_fakes.bindings.install import DEFAULT_WORLD

    extra = (f"; the golem.yaml at {app.root} defines no components" if app is not None
             else "")
    return Discovery(kind="vendored", install_kwargs={},
                     reason=f"vendored golem-wit {DEFAULT_WORLD!r} world (no golem.yaml "
                            f"or wit/ folder under the rootdir{extra})",
                     component=component)
