"""A compiled component file: compiled once per process, cached across runs.

``CompiledComponent.get(path)`` reads the file, hashes it (sha256) and compiles it with
the process's one ``wasmtime.Engine`` (default configuration) — or, when a previous run
left it, deserializes wasmtime's compiled form from
``$GOLEM_FAKES_CACHE/components/<sha256>-wasmtime-<version>.cwasm`` (default cache root
``~/.cache/golem-fakes``, as ``tests/wasmtime/probe_component.py`` uses). The key holds
the wasmtime-py version because ``Component.deserialize`` only accepts what the same
wasmtime (and engine configuration) serialized; a file that fails to deserialize
anyway is compiled again and overwritten. Within a process the same contents are
compiled and linked once, whatever the path.

The linker (:mod:`golem_fakes.compiled.linker`) is built once per component too: host
functions find the worker's instance in a context variable, so all workers share it.
"""

from __future__ import annotations

import hashlib
import os
import threading
from importlib.metadata import version as _dist_version
from pathlib import Path

import wasmtime
from wasmtime import component as wc

from golem_fakes.compiled import signals
from golem_fakes.compiled.exports import WasmExports
from golem_fakes.compiled.linker import Model, WasmInstance, build_linker

__all__ = ["CompiledComponent", "cache_root", "engine", "wasmtime_version"]

_LOCK = threading.RLock()
_ENGINE: wasmtime.Engine | None = None
_BY_HASH: dict[tuple[str, int], "CompiledComponent"] = {}


#: What differs from wasmtime's default configuration (part of the cache key).
ENGINE_CONFIG = "concurrency-support=off"


def engine() -> wasmtime.Engine:
    """The process's wasmtime engine: wasmtime's default configuration with
    component-model concurrency support off.

    Why: with it on (the default of wasmtime 50), a guest call of a *dynamically
    defined* host function (the only kind wasmtime-py's ``LinkerInstance.add_func``
    makes) that passes two or more ``borrow`` handles traps inside wasmtime with
    ``BUG: deferred host scope has no call context``
    (``crates/wasmtime/src/runtime/vm/component/resources.rs:328``, wasmtime 50.0.0):
    ``wasi:keyvalue/eventual.set(bucket, key, value)``, ``descriptor.is-same-object``,
    ``poll([a, b])`` all fail. Reproducer: any component calling an imported
    ``f: func(a: borrow<r>, b: borrow<r>)`` linked with ``add_func`` on a default
    ``wasmtime.Engine()``. WASI 0.2 and Golem 1.3 components use no component-model
    async, so turning it off changes nothing else."""
    global _ENGINE
    with _LOCK:
        if _ENGINE is None:
            from wasmtime import _ffi

            config = wasmtime.Config()
            _ffi.wasmtime_config_concurrency_support_set(config.ptr(), False)
            _ENGINE = wasmtime.Engine(config)
            wasmtime.Store(_ENGINE)  # wasmtime's trap handlers are in place from here
            signals.remember()
        return _ENGINE


def wasmtime_version() -> str:
    try:
        return _dist_version("wasmtime")
    except Exception:  # noqa: BLE001 - not installed as a distribution
        return "unknown"


def cache_root() -> Path:
    """``$GOLEM_FAKES_CACHE/components`` (default ``~/.cache/golem-fakes/components``)."""
    from golem_fakes.bindings.importer import cache_root as root

    return root() / "components"


def _compile(eng: wasmtime.Engine, path: Path, data: bytes, digest: str) -> tuple[wc.Component, bool]:
    """The component, from the serialized cache when possible; ``(component, cached)``."""
    root = cache_root()
    cwasm = root / f"{digest}-wasmtime-{wasmtime_version()}-{ENGINE_CONFIG}.cwasm"
    if cwasm.exists():
        try:
            return wc.Component.deserialize_file(eng, str(cwasm)), True
        except Exception:  # noqa: BLE001 - stale or foreign: compile again
            pass
    try:
        comp = wc.Component(eng, data)
    except wasmtime.WasmtimeError as e:
        raise ValueError(f"{path} is not a WebAssembly component wasmtime can compile: {e}") from None
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp = cwasm.with_name(f"{cwasm.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        tmp.write_bytes(bytes(comp.serialize()))
        os.replace(tmp, cwasm)
    except OSError:  # a read-only cache only costs the compilation next time
        pass
    return comp, False


class CompiledComponent:
    """A compiled component linked to the fakes: ``exports`` by name, ``report`` of the
    linking, :meth:`instantiate` for one worker's :class:`WasmInstance`."""

    def __init__(self, path: Path, digest: str, component: wc.Component, model: Model,
                 from_cache: bool) -> None:
        self.path = path
        self.sha256 = digest
        self.engine = engine()
        self.component = component
        self.model = model
        #: whether wasmtime's compiled form came from the cache (no compilation)
        self.from_cache = from_cache
        self.linker, self.report = build_linker(self.engine, component, model)
        self.exports = WasmExports(self.engine, component, model)

    def __repr__(self) -> str:
        return f"<CompiledComponent {self.path.name} sha256={self.sha256[:12]}>"

    @classmethod
    def get(cls, path: str | os.PathLike[str]) -> "CompiledComponent":
        """The compiled, linked component of the file ``path`` (once per contents and
        installed bindings in the process)."""
        p = Path(path).expanduser().resolve()
        try:
            data = p.read_bytes()
        except OSError as e:
            raise FileNotFoundError(
                f"golem.add_component(wasm={str(path)!r}): cannot read the component: {e}. "
                f"Build it first (componentize-py componentize ..., golem app build).") from None
        digest = hashlib.sha256(data).hexdigest()
        model = Model.installed()
        key = (digest, id(model.strategies))
        with _LOCK:
            hit = _BY_HASH.get(key)
            if hit is not None:
                return hit
            comp, cached = _compile(engine(), p, data, digest)
            out = cls(p, digest, comp, model, cached)
            _BY_HASH[key] = out
            return out

    def instantiate(self) -> WasmInstance:
        """A new instance in its own store (call inside the worker's invocation: the
        component's start-up host calls, if any, go through the seam)."""
        return WasmInstance(self)




