"""Generate ``docs/coverage.md``: what golem-fakes fakes of the vendored WIT, where the
real behaviour is defined, and which tests exercise each callable.

Regenerate (one command, from the repository root)::

    python tools/coverage.py --write

``python tools/coverage.py`` prints the page; ``--check`` exits 1 when the committed
page differs (``tests/test_coverage_page.py`` runs that check).

Where each column comes from
----------------------------
* **callables**: every interface imported by the vendored ``all-imports`` world
  (``golem_fakes/data/wit``, every interface a Golem worker may import) and each of its
  functions, resource constructors, methods and statics, in WIT order, under
  wit-parser's canonical names (``[method]descriptor.read``); the Python name is the
  one the generated bindings give it (componentize-py 0.19.3 naming).
* **faked**: whether the behaviour registry (:mod:`golem_fakes.bindings.registry`) has
  a behaviour for it — the same lookup the seam does, so the page and
  ``tests/unfaked.txt`` (``tests/test_unfaked.py``) agree by construction.
* **reference**: :data:`REFERENCES` below, per interface, with per-callable overrides
  in :data:`CALLABLE_REFERENCES` — the source of the real host (golemcloud/golem at
  v1.3.0-dev.25, the release whose WIT the vendored files are; v1.3.1 where
  ``golem-host-semantics.md`` §0.2 takes it; and for the WASI interfaces Golem wraps,
  wasmtime 33.0.0, the version Golem v1.3.0-dev.25 links) and the section of the
  design notes (``docs/golem-*-semantics.md``) that describes it.
* **tests**: a *static* scan of the test sources (:func:`scan_tests`), no test is run:
  deterministic, and cheap enough (about a second) for the staleness test to
  redo on every run. A test exercises a callable when its code — including the
  module-level helpers, fixtures (``conftest.py``) and sibling helper modules it
  refers to, transitively — calls it through a generated binding:

  - a function, constructor or static: referenced through its generated module
    (``host.get_oplog_index``, ``fs.Descriptor``, ``from wit_world.imports.host import
    fork``, ``WasmRpc.ephemeral``);
  - a method: its Python name used as an attribute (``.read_via_stream``) in a test
    that can hold that resource: the test names the resource's class, or calls a
    callable whose result type contains the resource (``get_directories`` gives
    descriptors, ``read_via_stream`` gives an input-stream, ``subscribe`` a pollable),
    followed to a fixed point.

  Module names are resolved against the world the file runs in: ``all-imports`` for
  the suite, the probe world (``tests/wasmtime/wit/probe.wit``) for the differential
  probes, whose functions ``probe_<x>`` in ``tests/wasmtime/probes/<area>.py`` are
  reported as ``test_differential.py::test_probe[<area>.<x>]``. Tests that drive
  every callable generically (``test_strategies.py``, ``test_unfaked.py``, the parity
  suite) are not attributed; nor are behaviours called directly by identity
  (``env.implement``), which replace the fake rather than test it. The scan can
  over-attribute a method whose name two reachable resources share (``write`` of a
  descriptor and of an output-stream); it never misses a call written as above.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `python tools/coverage.py` from a checkout
    sys.path.insert(0, str(ROOT))

from golem_fakes.bindings.naming import (  # noqa: E402
    InterfaceKey,
    escape,
    interface_names,
    snake,
    upper_camel,
)
from golem_fakes.bindings.registry import lookup  # noqa: E402
from golem_fakes.wit import load  # noqa: E402
from golem_fakes.wit.model import (  # noqa: E402
    Function,
    HandleType,
    Interface,
    ListType,
    OptionType,
    Record,
    Resource,
    ResultType,
    TupleType,
    TypeDef,
    Variant,
    World,
)

PAGE = ROOT / "docs" / "coverage.md"
TESTS = ROOT / "tests"
VENDORED = ROOT / "golem_fakes" / "data" / "wit"
PROBE_WIT = TESTS / "wasmtime" / "wit" / "probe.wit"
PROBES = TESTS / "wasmtime" / "probes"
WORLD = "all-imports"
COMMAND = "python tools/coverage.py --write"

# --- references: the real host, as data ------------------------------------------------

GOLEM = "golemcloud/golem"
DEV25 = "v1.3.0-dev.25"
V131 = "v1.3.1"
WASMTIME = ("bytecodealliance/wasmtime", "v33.0.0")
DH = "golem-worker-executor/src/durable_host/"
IO_DOC = "golem-io-semantics.md"
HOST_DOC = "golem-host-semantics.md"
RDBMS_DOC = "golem-rpc-rdbms-semantics.md"


@dataclass(frozen=True)
class Source:
    """One file of the real host: ``path`` in GitHub repository ``repo`` at ``tag``."""

    repo: str
    tag: str
    path: str

    @property
    def project(self) -> str:
        """``golem v1.3.0-dev.25``, ``wasmtime 33.0.0``."""
        name = self.repo.split("/")[1]
        return f"{name} {self.tag.removeprefix('v') if name == 'wasmtime' else self.tag}"

    @property
    def url(self) -> str:
        return f"https://github.com/{self.repo}/blob/{self.tag}/{self.path}"

    def render(self) -> str:
        return f"{self.project} [`{self.path}`]({self.url})"


@dataclass(frozen=True)
class Reference:
    """Where the behaviour of an interface (or one callable) is defined: the host
    sources, the design-notes section (``docs/<doc> §N``) and a note on the real host
    where it matters (a function Golem does not implement)."""

    sources: tuple[Source, ...]
    doc: str = ""
    note: str = ""

    def render(self) -> str:
        parts: list[str] = []
        last = None
        for src in self.sources:  # one project label for consecutive files of it
            link = f"[`{src.path}`]({src.url})"
            if src.project == last:
                parts[-1] += f", {link}"
            else:
                parts.append(f"{src.project} {link}")
                last = src.project
        if self.doc:
            name, _, section = self.doc.partition(" ")
            parts.append(f"[{name}]({name}) {section}".rstrip())
        text = "; ".join(parts)
        return f"{text} — {self.note}" if self.note else text


def _golem(*paths: str, tag: str = DEV25) -> tuple[Source, ...]:
    return tuple(Source(GOLEM, tag, DH + p) for p in paths)


def _wasmtime(*paths: str) -> tuple[Source, ...]:
    return tuple(Source(*WASMTIME, p) for p in paths)


_WASI_P2 = "crates/wasi/src/p2/"
_STDIO = _golem("io/mod.rs") + _wasmtime(_WASI_P2 + "stdio.rs")

#: Per interface (without its ``@version``). Golem's ``durable_host`` wrapper first;
#: for the WASI interfaces it wraps, the wasmtime host it delegates to.
REFERENCES: dict[str, Reference] = {
    "wasi:io/poll": Reference(_golem("io/poll.rs") + _wasmtime("crates/wasi-io/src/impls.rs"),
                              f"{IO_DOC} §5.2"),
    "wasi:io/error": Reference(_golem("io/error.rs") + _wasmtime("crates/wasi-io/src/impls.rs"),
                               f"{IO_DOC} §5.1"),
    "wasi:io/streams": Reference(
        _golem("io/streams.rs", "io/mod.rs")
        + _wasmtime("crates/wasi-io/src/impls.rs", "crates/wasi-io/src/streams.rs",
                    _WASI_P2 + "pipe.rs", _WASI_P2 + "filesystem.rs"),
        f"{IO_DOC} §5"),
    "wasi:clocks/monotonic-clock": Reference(
        _golem("clocks/monotonic_clock.rs") + _wasmtime(_WASI_P2 + "host/clocks.rs"),
        f"{IO_DOC} §5.2"),
    "wasi:clocks/wall-clock": Reference(
        _golem("clocks/wall_clock.rs") + _wasmtime(_WASI_P2 + "host/clocks.rs"),
        f"{IO_DOC} §5.2"),
    "golem:rpc/types": Reference(_golem("wasm_rpc/mod.rs"), f"{HOST_DOC} §1"),
    "golem:api/host": Reference(_golem("golem/v1x.rs", tag=V131) + _golem("golem/v1x.rs"),
                                f"{HOST_DOC} §2",
                                "v1.3.1 semantics where v1.3.1 has the function (§0.2)"),
    "golem:api/context": Reference(_golem("golem/invocation_context_api.rs"),
                                   f"{HOST_DOC} §12"),
    "golem:api/oplog": Reference(_golem("golem/v1x.rs"), f"{HOST_DOC} §11"),
    "golem:durability/durability": Reference(
        _golem("durability.rs", "mod.rs") + _golem("mod.rs", tag=V131), f"{HOST_DOC} §13",
        "begin_function/end_function in mod.rs; begin-durable-function's replay return "
        "value from v1.3.1 (last replayed non-hint index)"),
    "golem:rdbms/types": Reference(_golem("rdbms/types.rs", tag=V131), f"{RDBMS_DOC} §3.7"),
    "golem:rdbms/postgres": Reference(
        _golem("rdbms/mod.rs", "rdbms/postgres.rs", tag=V131), f"{RDBMS_DOC} §3",
        "v1.3.1 semantics on a real PostgreSQL (psycopg 3); errors returned at once "
        "(no retry-before-error)"),
    "golem:rdbms/mysql": Reference(
        _golem("rdbms/mod.rs", "rdbms/mysql.rs", tag=V131), f"{RDBMS_DOC} §3",
        "v1.3.1 semantics on a real MySQL/MariaDB (PyMySQL); errors returned at once "
        "(no retry-before-error)"),
    "wasi:blobstore/types": Reference(_golem("blobstore/types.rs"), f"{IO_DOC} §2.5"),
    "wasi:blobstore/container": Reference(_golem("blobstore/container.rs"),
                                          f"{IO_DOC} §2.3–2.4"),
    "wasi:blobstore/blobstore": Reference(_golem("blobstore/mod.rs"), f"{IO_DOC} §2.2"),
    "wasi:keyvalue/wasi-keyvalue-error": Reference(_golem("keyvalue/error.rs"),
                                                   f"{IO_DOC} §1.7"),
    "wasi:keyvalue/types": Reference(_golem("keyvalue/types.rs"), f"{IO_DOC} §1.2"),
    "wasi:keyvalue/eventual": Reference(_golem("keyvalue/eventual.rs"), f"{IO_DOC} §1.3"),
    "wasi:keyvalue/atomic": Reference(
        _golem("keyvalue/atomic.rs"), f"{IO_DOC} §1.5",
        "Golem panics (`unimplemented!`, the executor aborts); the fake traps"),
    "wasi:keyvalue/eventual-batch": Reference(_golem("keyvalue/eventual_batch.rs"),
                                              f"{IO_DOC} §1.4"),
    "wasi:keyvalue/cache": Reference(
        _golem("keyvalue/caching.rs"), f"{IO_DOC} §1.6",
        "Golem panics (`unimplemented!`, the executor aborts); the fake traps"),
    "wasi:cli/environment": Reference(
        _golem("cli/environment.rs") + _wasmtime(_WASI_P2 + "host/env.rs"), f"{IO_DOC} §5.4"),
    "wasi:cli/exit": Reference(_golem("cli/exit.rs") + _wasmtime(_WASI_P2 + "host/exit.rs"),
                               f"{IO_DOC} §5.7"),
    "wasi:cli/stdin": Reference(_golem("cli/stdin.rs") + _STDIO, f"{IO_DOC} §5.6"),
    "wasi:cli/stdout": Reference(_golem("cli/stdout.rs") + _STDIO, f"{IO_DOC} §5.6"),
    "wasi:cli/stderr": Reference(_golem("cli/stderr.rs") + _STDIO, f"{IO_DOC} §5.6"),
    "wasi:cli/terminal-input": Reference(_golem("cli/terminal_input.rs") + _STDIO,
                                         f"{IO_DOC} §5.6"),
    "wasi:cli/terminal-output": Reference(_golem("cli/terminal_output.rs") + _STDIO,
                                          f"{IO_DOC} §5.6"),
    "wasi:cli/terminal-stdin": Reference(_golem("cli/terminal_stdin.rs") + _STDIO,
                                         f"{IO_DOC} §5.6"),
    "wasi:cli/terminal-stdout": Reference(_golem("cli/terminal_stdout.rs") + _STDIO,
                                          f"{IO_DOC} §5.6"),
    "wasi:cli/terminal-stderr": Reference(_golem("cli/terminal_stderr.rs") + _STDIO,
                                          f"{IO_DOC} §5.6"),
    "wasi:config/store": Reference(_golem("config/mod.rs"), f"{IO_DOC} §4"),
    "wasi:filesystem/types": Reference(
        _golem("filesystem/types.rs")
        + _wasmtime(_WASI_P2 + "host/filesystem.rs", _WASI_P2 + "filesystem.rs",
                    "crates/wasi/src/fs.rs"),
        f"{IO_DOC} §5.5"),
    "wasi:filesystem/preopens": Reference(
        _golem("filesystem/preopens.rs") + _wasmtime(_WASI_P2 + "host/filesystem.rs"),
        f"{IO_DOC} §5.5"),
    "wasi:http/types": Reference(
        _golem("http/types.rs") + _wasmtime("crates/wasi-http/src/types_impl.rs"),
        f"{IO_DOC} §5.8"),
    "wasi:http/outgoing-handler": Reference(
        _golem("http/outgoing_http.rs") + _wasmtime("crates/wasi-http/src/http_impl.rs"),
        f"{IO_DOC} §5.8"),
    "wasi:logging/logging": Reference(_golem("logging/logging.rs"), f"{IO_DOC} §3"),
    "wasi:random/random": Reference(
        _golem("random/random.rs") + _wasmtime(_WASI_P2 + "host/random.rs"), f"{IO_DOC} §5.3"),
    "wasi:random/insecure": Reference(
        _golem("random/insecure.rs") + _wasmtime(_WASI_P2 + "host/random.rs"),
        f"{IO_DOC} §5.3"),
    "wasi:random/insecure-seed": Reference(
        _golem("random/insecure_seed.rs") + _wasmtime(_WASI_P2 + "host/random.rs"),
        f"{IO_DOC} §5.3"),
    "wasi:sockets/network": Reference(
        _golem("sockets/network.rs") + _wasmtime(_WASI_P2 + "host/network.rs"),
        f"{IO_DOC} §5.9"),
    "wasi:sockets/instance-network": Reference(
        _golem("sockets/instance_network.rs") + _wasmtime(_WASI_P2 + "host/instance_network.rs"),
        f"{IO_DOC} §5.9"),
    "wasi:sockets/tcp": Reference(
        _golem("sockets/tcp.rs") + _wasmtime(_WASI_P2 + "host/tcp.rs"), f"{IO_DOC} §5.9"),
    "wasi:sockets/tcp-create-socket": Reference(
        _golem("sockets/tcp_create_socket.rs") + _wasmtime(_WASI_P2 + "host/tcp_create_socket.rs"),
        f"{IO_DOC} §5.9"),
    "wasi:sockets/udp": Reference(
        _golem("sockets/udp.rs") + _wasmtime(_WASI_P2 + "host/udp.rs"), f"{IO_DOC} §5.9"),
    "wasi:sockets/udp-create-socket": Reference(
        _golem("sockets/udp_create_socket.rs") + _wasmtime(_WASI_P2 + "host/udp_create_socket.rs"),
        f"{IO_DOC} §5.9"),
    "wasi:sockets/ip-name-lookup": Reference(
        _golem("sockets/ip_name_lookup.rs") + _wasmtime(_WASI_P2 + "ip_name_lookup.rs"),
        f"{IO_DOC} §5.9"),
}

_DEV25_ONLY = "not in v1.3.1 (replaced there by `get-promise`)"
_GET_WORKERS = Reference(_golem("golem/v1x.rs", tag=V131) + _golem("golem/v1x.rs"),
                         f"{HOST_DOC} §10", "`HostGetWorkers` (v1.3.1: `HostGetAgents`)")

#: Per callable (``(interface without version, canonical name)``), where it differs
#: from its interface's entry.
CALLABLE_REFERENCES: dict[tuple[str, str], Reference] = {
    ("golem:api/host", "await-promise"): Reference(_golem("golem/v1x.rs"), f"{HOST_DOC} §3.3",
                                                   _DEV25_ONLY),
    ("golem:api/host", "poll-promise"): Reference(_golem("golem/v1x.rs"), f"{HOST_DOC} §3.4",
                                                  _DEV25_ONLY),
    ("golem:api/host", "delete-promise"): Reference(_golem("golem/v1x.rs"), f"{HOST_DOC} §3.6",
                                                    _DEV25_ONLY),
    ("golem:api/host", "[constructor]get-workers"): _GET_WORKERS,
    ("golem:api/host", "[method]get-workers.get-next"): _GET_WORKERS,
}


def reference(interface: str, callable_name: str | None = None) -> Reference | None:
    """The reference of ``interface`` (with or without ``@version``), or of one of
    its callables when it has its own entry."""
    base = interface.split("@", 1)[0]
    if callable_name is not None:
        own = CALLABLE_REFERENCES.get((base, callable_name))
        if own is not None:
            return own
    return REFERENCES.get(base)


# --- the world: interfaces, callables, Python names --------------------------------------


@dataclass(frozen=True)
class WitCallable:
    """One callable of an interface, with the names the generated bindings give it."""

    interface: Interface
    fn: Function

    @property
    def iid(self) -> str:
        return self.interface.qualified_name

    @cached_property
    def py_name(self) -> str:
        """``get_oplog_index``; ``Descriptor`` (constructor); ``Descriptor.read``."""
        if self.fn.kind == "freestanding":
            return escape(snake(self.fn.name))
        cls = resource_class(self.fn.resource)
        if self.fn.kind == "constructor":
            return cls
        return f"{cls}.{escape(snake(self.fn.item_name))}"

    @property
    def member(self) -> str:
        """The attribute name of a method/static (``read``), else the function or class."""
        return self.py_name.rsplit(".", 1)[-1]


def resource_class(td: TypeDef | None) -> str:
    assert td is not None
    return escape(upper_camel(td.name))


def load_world() -> World:
    return load(VENDORED).world(WORLD)


def world_interfaces(world: World) -> list[Interface]:
    return [it.item for it in world.imports if isinstance(it.item, Interface)]


def callables(iface: Interface) -> list[WitCallable]:
    """Functions, constructors, methods and statics (``[resource-drop]`` is not one)."""
    return [WitCallable(iface, fn) for fn in iface.functions.values()]


def _module_names(ifaces: Iterable[Interface]) -> dict[str, Interface]:
    """Generated module name (``host``, ``wasi_filesystem_types``) → interface, as
    componentize-py names the imports of a world made of ``ifaces``."""
    keyed: dict[InterfaceKey, Interface] = {}
    for iface in ifaces:
        pn = iface.package.name  # type: ignore[union-attr]
        key = InterfaceKey(iface.name, pn.namespace, pn.name, pn.version)  # type: ignore[arg-type]
        keyed[key] = iface
    names = interface_names(keyed.keys(), None, False)
    return {escape(snake(names[k])): iface for k, iface in keyed.items()}


def _probe_interfaces(world: World) -> list[Interface]:
    """The interfaces the probe world imports (``import ns:pkg/iface@ver;`` lines of
    ``probe.wit``), taken from the vendored WIT (the probe build copies its deps)."""
    by_name = {i.qualified_name: i for i in world_interfaces(world)}
    wanted = re.findall(r"^\s*import\s+([\w:/.@-]+)\s*;", PROBE_WIT.read_text(), re.M)
    return [by_name[n] for n in wanted if n in by_name]


def _resources_in(ty: Any, out: set[int], seen: set[int]) -> None:
    """The resources a value of ``ty`` may hold (ids of their dealiased TypeDefs)."""
    if ty is None or id(ty) in seen:
        return
    seen.add(id(ty))
    if isinstance(ty, HandleType):
        _resources_in(ty.resource, out, seen)
    elif isinstance(ty, OptionType):
        _resources_in(ty.inner, out, seen)
    elif isinstance(ty, ResultType):
        _resources_in(ty.ok, out, seen)
        _resources_in(ty.err, out, seen)
    elif isinstance(ty, TupleType):
        for t in ty.types:
            _resources_in(t, out, seen)
    elif isinstance(ty, ListType):
        _resources_in(ty.element, out, seen)
    elif isinstance(ty, TypeDef):
        d = ty.dealias()
        if d is not ty:
            _resources_in(d, out, seen)
        elif isinstance(ty.kind, Resource):
            out.add(id(ty))
        elif isinstance(ty.kind, Record):
            for f in ty.kind.fields:
                _resources_in(f.type, out, seen)
        elif isinstance(ty.kind, Variant):
            for c in ty.kind.cases:
                _resources_in(c.type, out, seen)


def _produces(c: WitCallable) -> set[int]:
    out: set[int] = set()
    _resources_in(c.fn.result, out, set())
    if c.fn.kind == "constructor" and c.fn.resource is not None:
        out.add(id(c.fn.resource.dealias()))
    return out


# --- the static scan of the tests ------------------------------------------------------


@dataclass
class Evidence:
    """What a piece of test code refers to, resolved against its file's imports."""

    module_members: set[tuple[str, str]] = field(default_factory=set)  # (module, member)
    class_members: set[tuple[str, str, str]] = field(default_factory=set)  # (module, cls, m)
    attributes: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)  # bare names (helpers, fixtures)

    def update(self, other: "Evidence") -> None:
        self.module_members |= other.module_members
        self.class_members |= other.class_members
        self.attributes |= other.attributes
        self.names |= other.names


@dataclass
class _File:
    path: Path
    modules: dict[str, str]  # local alias → generated module name
    members: dict[str, tuple[str, str]]  # local name → (module, member)
    defs: dict[str, ast.AST]  # module-level functions and classes
    tree: ast.Module
    #: fixture/helper name → the generated modules it returns: ``{None: module}`` for
    #: ``return host``, ``{"poll": "poll", ...}`` for ``SimpleNamespace(poll=poll, ...)``
    provides: dict[str, dict[str | None, str]] = field(default_factory=dict)


_PACKAGE = "wit_world"


def _parse(path: Path) -> _File:
    tree = ast.parse(path.read_text(), str(path))
    modules: dict[str, str] = {}
    members: dict[str, tuple[str, str]] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            parts = node.module.split(".")
            if parts == [_PACKAGE, "imports"]:
                for a in node.names:
                    modules[a.asname or a.name] = a.name
            elif parts[:2] == [_PACKAGE, "imports"] and len(parts) == 3:
                for a in node.names:
                    members[a.asname or a.name] = (parts[2], a.name)
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[:2] == [_PACKAGE, "imports"] and len(parts) == 3 and a.asname:
                    modules[a.asname] = parts[2]
    defs: dict[str, ast.AST] = {}
    provides: dict[str, dict[str | None, str]] = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defs[node.name] = node
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            given = _provided(node, modules)
            if given:
                provides[node.name] = given
    return _File(path, modules, members, defs, tree, provides)


def _provided(fn: ast.AST, modules: dict[str, str]) -> dict[str | None, str]:
    """The generated modules a fixture hands out (see :attr:`_File.provides`)."""
    out: dict[str | None, str] = {}
    for n in ast.walk(fn):
        if isinstance(n, ast.Return) and isinstance(n.value, ast.Name) and n.value.id in modules:
            out[None] = modules[n.value.id]
        elif isinstance(n, ast.keyword) and n.arg and isinstance(n.value, ast.Name) \
                and n.value.id in modules:
            out[n.arg] = modules[n.value.id]
        elif isinstance(n, ast.Dict):
            for k, v in zip(n.keys, n.values):
                if isinstance(k, ast.Constant) and isinstance(k.value, str) \
                        and isinstance(v, ast.Name) and v.id in modules:
                    out[k.value] = modules[v.id]
    return out


def _chain(node: ast.AST) -> list[str] | None:
    """``a.b.c`` → ``["a", "b", "c"]`` (None when not rooted at a name)."""
    out: list[str] = []
    while isinstance(node, ast.Attribute):
        out.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        out.append(node.id)
        return out[::-1]
    return None


def _evidence(f: _File, node: ast.AST, provides: dict[str, dict[str | None, str]]) -> Evidence:
    """What ``node`` (code of file ``f``) refers to; ``provides``: the fixtures in scope
    that hand out generated modules."""
    ev = Evidence()
    for n in ast.walk(node):
        if isinstance(n, ast.Attribute):
            ev.attributes.add(n.attr)
            chain = _chain(n)
            if not chain or len(chain) < 2:
                continue
            root, rest = chain[0], chain[1:]
            if root in f.modules:
                mod: str | None = f.modules[root]
            elif root in f.members:
                mod, member = f.members[root]
                rest = [member, *rest]
            elif root in provides:
                given = provides[root]
                if None in given:
                    mod = given[None]
                else:
                    mod = given.get(rest[0])
                    rest = rest[1:]
            else:
                mod = None
            if mod is not None and rest:
                ev.module_members.add((mod, rest[0]))
                if len(rest) >= 2:
                    ev.class_members.add((mod, rest[0], rest[1]))
        elif isinstance(n, ast.Name):
            ev.names.add(n.id)
            if n.id in f.members:
                ev.module_members.add(f.members[n.id])
        elif isinstance(n, ast.arg):
            ev.names.add(n.arg)  # a fixture parameter
    return ev


@dataclass
class Unit:
    """One test (or probe) and everything its code refers to."""

    file: str  # relative to tests/
    name: str  # the test as pytest names it (without parameters, but probes)
    evidence: Evidence
    world: str  # "suite" or "probe"


def _units_of(f: _File) -> Iterator[tuple[str, ast.AST]]:
    probes = f.path.parent == PROBES
    for node in f.tree.body:
        if probes:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("probe_"):
                yield f"test_probe[{f.path.stem}.{node.name[len('probe_'):]}]", node
            continue
        if (isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
                and node.name.startswith("test")):
            yield node.name, node
        elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
            methods = [m for m in node.body
                       if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))]
            tests = [m for m in methods if m.name.startswith("test")]
            if not tests:
                yield node.name, node
            for m in tests:
                yield f"{node.name}::{m.name}", _ClassTest(node, m)
        elif isinstance(node, ast.Assign) and len(node.targets) == 1:
            # TestX = Machine.TestCase (hypothesis stateful tests)
            target = node.targets[0]
            chain = _chain(node.value)
            if (isinstance(target, ast.Name) and target.id.startswith("Test") and chain
                    and chain[-1] == "TestCase" and chain[0] in f.defs):
                yield target.id, f.defs[chain[0]]


class _ClassTest(ast.AST):
    """A test method with its class (so helper methods of the class count)."""

    _fields = ("cls", "method")

    def __init__(self, cls: ast.ClassDef, method: ast.AST) -> None:
        super().__init__()
        self.cls = cls
        self.method = method


def _closure(unit_node: ast.AST, f: _File, scope: list[_File],
             provides: dict[str, dict[str | None, str]],
             cache: dict[int, Evidence]) -> Evidence:
    """The unit's evidence plus that of every helper, fixture or helper method it
    names, transitively, looked up in its own file, then sibling helper modules and
    the conftest files of its directory and above (``scope``; ``provides`` is theirs,
    ``cache`` the evidence of helpers already seen from this file)."""
    if isinstance(unit_node, _ClassTest):
        ev = _evidence(f, unit_node.method, provides)
        # methods of the class called as self.x
        by_name = {m.name: m for m in unit_node.cls.body
                   if isinstance(m, (ast.FunctionDef, ast.AsyncFunctionDef))}
        todo_methods = [n for n in ev.attributes if n in by_name]
        done: set[str] = set()
        while todo_methods:
            name = todo_methods.pop()
            if name in done:
                continue
            done.add(name)
            sub = _evidence(f, by_name[name], provides)
            ev.update(sub)
            todo_methods.extend(n for n in sub.attributes if n in by_name)
        for base in unit_node.cls.bases:
            ev.update(_evidence(f, base, provides))
    else:
        ev = _evidence(f, unit_node, provides)
    seen: set[tuple[Path, str]] = set()
    todo = sorted(ev.names)
    while todo:
        name = todo.pop()
        for g in scope:
            node = g.defs.get(name)
            if node is None or node is unit_node:
                continue
            key = (g.path, name)
            if key in seen:
                break
            seen.add(key)
            sub = cache.get(id(node))
            if sub is None:
                sub = cache[id(node)] = _evidence(g, node, provides)
            ev.update(sub)
            todo.extend(sorted(sub.names))
            break
    return ev


def _scope(f: _File, files: dict[Path, _File], tests: Path) -> list[_File]:
    out = [f]
    d = f.path.parent
    out += [g for p, g in sorted(files.items())
            if p.parent == d and p != f.path and not p.name.startswith("test_")
            and p.name != "conftest.py"]
    while True:
        c = files.get(d / "conftest.py")
        if c is not None and c is not f:
            out.append(c)
        if d == tests or d == d.parent:
            break
        d = d.parent
    return out


def scan_tests(tests: Path = TESTS) -> list[Unit]:
    """Every test (and differential probe) under ``tests``, with its evidence."""
    files = {p: _parse(p) for p in sorted(tests.rglob("*.py")) if "__pycache__" not in p.parts}
    units: list[Unit] = []
    for path, f in files.items():
        probes = path.parent == PROBES
        if not (path.name.startswith("test_") or probes) or path.name == "__init__.py":
            continue
        scope = _scope(f, files, tests)
        provides: dict[str, dict[str | None, str]] = {}
        for g in reversed(scope):  # the nearest definition wins
            provides.update(g.provides)
        cache: dict[int, Evidence] = {}
        rel = ("wasmtime/test_differential.py" if probes
               else path.relative_to(tests).as_posix())
        for name, node in _units_of(f):
            units.append(Unit(rel, name, _closure(node, f, scope, provides, cache),
                              "probe" if probes else "suite"))
    return units


#: Tests that call every callable generically; not attributed (see the module docstring).
GENERIC = ("test_strategies.py", "test_unfaked.py", "parity/")


def attribute(units: list[Unit], world: World) -> dict[tuple[str, str], list[Unit]]:
    """``(interface id, canonical name)`` → the units that exercise it."""
    ifaces = world_interfaces(world)
    worlds = {"suite": _module_names(ifaces), "probe": _module_names(_probe_interfaces(world))}
    # Indexes of the callables by what a test must name to call them.
    by_member: dict[tuple[int, str], list[WitCallable]] = defaultdict(list)  # function, class
    by_static: dict[tuple[int, str, str], list[WitCallable]] = defaultdict(list)
    # method name → (resource, callable)
    by_method: dict[str, list[tuple[int, WitCallable]]] = defaultdict(list)
    produces: dict[int, set[int]] = {}
    classes: dict[tuple[int, str], int] = {}  # (interface, class name) → resource
    for i in ifaces:
        for td in i.types.values():
            if isinstance(td.kind, Resource):
                classes[(id(i), resource_class(td))] = id(td)
        for c in callables(i):
            produces[id(c)] = _produces(c)
            kind, py = c.fn.kind, c.py_name
            if kind in ("freestanding", "constructor"):
                by_member[(id(i), py)].append(c)
            elif kind == "static":
                cls, member = py.split(".")
                by_static[(id(i), cls, member)].append(c)
            elif c.fn.resource is not None:
                by_method[c.member].append((id(c.fn.resource.dealias()), c))

    out: dict[tuple[str, str], list[Unit]] = defaultdict(list)
    for u in units:
        if any(g in u.file for g in GENERIC):
            continue
        iface_of = worlds[u.world]
        ev = u.evidence
        matched: dict[int, WitCallable] = {}
        reachable: set[int] = set()
        for mod, member in ev.module_members:
            if mod in iface_of:
                key = (id(iface_of[mod]), member)
                for c in by_member.get(key, ()):
                    matched[id(c)] = c
                if key in classes:
                    reachable.add(classes[key])
        for mod, cls, member in ev.class_members:
            if mod in iface_of:
                for c in by_static.get((id(iface_of[mod]), cls, member), ()):
                    matched[id(c)] = c
        for c in list(matched.values()):
            reachable |= produces[id(c)]
        methods = [rc for name in ev.attributes for rc in by_method.get(name, ())]
        changed = True
        while changed:  # a method is callable once its resource is reachable
            changed = False
            for rid, c in methods:
                if rid in reachable and id(c) not in matched:
                    matched[id(c)] = c
                    new = produces[id(c)] - reachable
                    if new:
                        reachable |= new
                        changed = True
        for c in matched.values():
            out[(c.iid, c.fn.name)].append(u)
    return out


# --- the page ----------------------------------------------------------------------------


def _tests_cell(units: list[Unit]) -> str:
    if not units:
        return "—"
    by_file: dict[str, list[str]] = defaultdict(list)
    for u in units:
        by_file[u.file].append(u.name)
    return ", ".join(f"`{file}` ({len(set(by_file[file]))})" for file in sorted(by_file))


def _anchor(iid: str) -> str:
    return re.sub(r"[^a-z0-9 -]", "", iid.lower()).replace(" ", "-")


def render(world: World | None = None, units: list[Unit] | None = None) -> str:
    """The whole page (Markdown)."""
    world = world or load_world()
    units = scan_tests() if units is None else units
    tested = attribute(units, world)
    ifaces = world_interfaces(world)
    rows = []
    total = faked_total = tested_total = 0
    for i in ifaces:
        cs = callables(i)
        faked = sum(lookup(c.iid, c.fn.name) is not None for c in cs)
        with_tests = sum(bool(tested.get((c.iid, c.fn.name))) for c in cs)
        total += len(cs)
        faked_total += faked
        tested_total += with_tests
        rows.append((i, cs, faked, with_tests))

    lines = [
        "# Coverage: what golem-fakes fakes",
        "",
        f"<!-- generated by tools/coverage.py from the behaviour registry, the vendored WIT "
        f"and a static scan of tests/; do not edit: run `{COMMAND}` -->",
        "",
        f"Every interface a Golem worker may import (the vendored `{WORLD}` world of "
        "`golem_fakes/data/wit`) and each of its functions, resource constructors, methods and "
        "statics: whether golem-fakes has a behaviour for it, where the real host defines it, and "
        "which tests exercise it. A callable without a behaviour raises "
        "`golem_fakes.NotFaked` (give it one with `env.implement(...)`).",
        "",
        f"**{faked_total} of {total} callables faked; {tested_total} exercised by a test.**",
        "",
        "References: golemcloud/golem at `v1.3.0-dev.25` (the release whose WIT these are; "
        "`v1.3.1` where [golem-host-semantics.md](golem-host-semantics.md) §0.2 takes it), and "
        "for the WASI hosts Golem wraps, bytecodealliance/wasmtime at `v33.0.0` (the version "
        "Golem v1.3.0-dev.25 links). Tests: file under `tests/` (number of its tests calling "
        "it; a differential probe counts as one test); how they are found is described in "
        "`tools/coverage.py`. Regenerate with `" + COMMAND + "`.",
        "",
        "| interface | faked | tested | reference |",
        "|---|---|---|---|",
    ]
    for i, cs, faked, with_tests in rows:
        ref = reference(i.qualified_name)
        first = ref.sources[0].render() if ref and ref.sources else "—"
        lines.append(f"| [`{i.qualified_name}`](#{_anchor(i.qualified_name)}) | "
                     f"{faked}/{len(cs)} | {with_tests}/{len(cs)} | {first} |")
    for i, cs, faked, with_tests in rows:
        ref = reference(i.qualified_name)
        lines += ["", f"## {i.qualified_name}", ""]
        lines.append(f"Reference: {ref.render() if ref else '—'}")
        lines.append("")
        if not cs:
            lines.append("No functions (types only).")
            continue
        lines += ["| callable | Python | faked | tests |", "|---|---|---|---|"]
        for c in cs:
            own = CALLABLE_REFERENCES.get((i.qualified_name.split("@", 1)[0], c.fn.name))
            name = f"`{c.fn.name}`"
            if own is not None:  # the sources only where they differ from the interface's
                same = ref is not None and own.sources == ref.sources
                name += f" ({Reference((), own.doc, own.note).render() if same else own.render()})"
            mark = "yes" if lookup(c.iid, c.fn.name) is not None else "**no**"
            lines.append(f"| {name} | `{c.py_name}` | {mark} | "
                         f"{_tests_cell(tested.get((c.iid, c.fn.name), []))} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help=f"write {PAGE.relative_to(ROOT)}")
    group.add_argument("--check", action="store_true",
                       help="exit 1 if the committed page is stale")
    args = parser.parse_args(argv)
    page = render()
    if args.write:
        PAGE.write_text(page)
        return 0
    if args.check:
        if not PAGE.exists() or PAGE.read_text() != page:
            print(f"{PAGE.relative_to(ROOT)} is stale; regenerate it with: {COMMAND}",
                  file=sys.stderr)
            return 1
        return 0
    sys.stdout.write(page)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
