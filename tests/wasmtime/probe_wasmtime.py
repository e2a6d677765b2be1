"""Run probes inside the probe component under wasmtime-py's real WASI p2 host.

Every probe gets a fresh store and instance, a fresh temporary directory seeded with
:data:`probe_setup.FILES` and preopened as ``/`` and ``.``, the arguments and the
environment of :mod:`probe_setup`, an empty stdin (wasmtime's default: reads report
``closed``), and stdout/stderr captured to files.

``wasi:http`` is wasmtime's (``Linker.add_wasi_http()``, ``Store.set_wasi_http()``):
the ``http`` probes send real requests to the loopback server of :mod:`http_server`,
whose address they find in the environment (:func:`http_env`).

``wasi:logging/logging`` and ``wasi:config/store@0.2.0-draft`` are not provided by
wasmtime; they are defined here on the linker **with Golem's semantics** (golem-io-
semantics.md §3: every call captured, never fails; §4: ``get`` exact key match,
``get-all`` sorted by key, never errors). That side of the comparison is therefore
Golem's behaviour implemented host-side, not wasmtime's: what it proves is that the
values cross a real component boundary (enum levels, options, results, lists of
tuples) the way the fakes hand them over.
"""

from __future__ import annotations

import ctypes
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import wasmtime
from wasmtime import component as wc

import probe_setup as setup
from probe_component import build

_ENGINE_LOCK = threading.Lock()
_CACHE: dict[str, Any] = {}


def use_component(wasm: Path) -> None:
    """Run probes from this component file (default: :func:`probe_component.build` of
    the current sources, on first use)."""
    with _ENGINE_LOCK:
        if _CACHE.get("wasm") != wasm:
            _CACHE.clear()
            _CACHE["wasm"] = wasm


def _engine_and_component() -> tuple[wasmtime.Engine, wc.Component]:
    with _ENGINE_LOCK:
        if "component" not in _CACHE:
            wasm = _CACHE.get("wasm") or build()
            engine = wasmtime.Engine()
            cwasm = wasm.with_suffix(".cwasm")
            comp = None
            if cwasm.exists():
                try:
                    comp = wc.Component.deserialize_file(engine, str(cwasm))
                except Exception:  # noqa: BLE001 - stale / other wasmtime version
                    comp = None
            if comp is None:
                comp = wc.Component.from_file(engine, str(wasm))
                tmp = cwasm.with_name(f"{cwasm.name}.{os.getpid()}.tmp")
                tmp.write_bytes(bytes(comp.serialize()))
                os.replace(tmp, cwasm)
            _CACHE["engine"], _CACHE["component"] = engine, comp
        return _CACHE["engine"], _CACHE["component"]


def _seed(directory: Path) -> None:
    for rel, data in setup.FILES.items():
        p = directory / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)


class _Host:
    """Per-run state of the host-side logging and config."""

    def __init__(self) -> None:
        self.logs: list[tuple[str, str, str]] = []

    def linker(self, engine: wasmtime.Engine) -> wc.Linker:
        linker = wc.Linker(engine)
        linker.add_wasip2()
        linker.add_wasi_http()  # wasi:http/types + outgoing-handler (wasmtime-wasi-http)
        with linker.root() as root:
            with root.add_instance("wasi:logging/logging") as inst:
                inst.add_func("log", self._log)
            with root.add_instance("wasi:config/store@0.2.0-draft") as inst:
                inst.add_func("get", self._get)
                inst.add_func("get-all", self._get_all)
        return linker

    def _log(self, store: Any, level: str, context: str, message: str) -> None:
        self.logs.append((level, context, message))

    def _get(self, store: Any, key: str) -> Any:
        return setup.CONFIG.get(key)  # ok(some(v)) / ok(none); never err

    def _get_all(self, store: Any) -> Any:
        return setup.config_pairs()


def network_allowed(name: str | None) -> bool:
    """Probes of area ``sockets_net`` run with every socket address allowed (the fake:
    ``golem.network.allow()``); every other probe with Golem's network configuration."""
    return bool(name) and name.split(".", 1)[0] == "sockets_net"


def _configure_network(wasi: wasmtime.WasiConfig, name: str | None) -> None:
    """Golem's network configuration (``create_context`` in Golem v1.3.0-dev.25's
    ``wasi_host/mod.rs``: ``allow_ip_name_lookup(true)`` and nothing else, so wasmtime's
    default socket address check denies every address; golem-io-semantics.md §5.9);
    for :func:`network_allowed` probes also ``inherit_network`` (every address allowed,
    loopback only in the probes). wasmtime-py 50 has no Python method for either, so
    the C API functions are called directly."""
    from wasmtime import _ffi

    allow = _ffi.dll.wasi_config_allow_ip_name_lookup
    allow.restype = None
    allow.argtypes = [ctypes.c_void_p, ctypes.c_bool]
    ptr = ctypes.cast(wasi.ptr(), ctypes.c_void_p)
    allow(ptr, True)
    if network_allowed(name):
        inherit = _ffi.dll.wasi_config_inherit_network
        inherit.restype = None
        inherit.argtypes = [ctypes.c_void_p]
        inherit(ptr)


def is_http(name: str | None) -> bool:
    """Probes of area ``http`` talk to the loopback server of :mod:`http_server`."""
    return bool(name) and name.split(".", 1)[0] == "http"


def http_env(name: str | None) -> list[tuple[str, str]]:
    """The extra environment of probe ``name``: the server's addresses for ``http``
    probes (the probes look them up by name), else none."""
    if not is_http(name):
        return []
    import http_server

    return http_server.environment()


def run(name: str | None) -> dict[str, Any]:
    """Run probe ``name`` (``None``: call ``names``) in a fresh instance.

    Returns ``{"outcome": "ok" | "trap" | "exit", "lines": [...], "stdout": str,
    "stderr": str, "logs": [[level, context, message], ...], "detail": str}``;
    ``exit`` carries the code in ``detail``; a trap its message."""
    engine, comp = _engine_and_component()
    # wasmtime installs its trap handlers once per process; an in-process pytester run
    # of an earlier test uninstalls them (faulthandler.disable()). If golem_fakes.compiled
    # made the process's first engine, it recorded them: put them back
    # (golem_fakes/compiled/signals.py), or the probe's first trap kills the process.
    from golem_fakes.compiled import signals

    signals.ensure()
    host = _Host()
    linker = host.linker(engine)
    with tempfile.TemporaryDirectory(prefix="probe-wasmtime-") as tmp:
        root = Path(tmp) / "root"
        root.mkdir()
        _seed(root)
        wasi = wasmtime.WasiConfig()
        wasi.argv = setup.ARGS
        wasi.env = setup.environment() + http_env(name)
        wasi.preopen_dir(str(root), "/")
        wasi.preopen_dir(str(root), ".")
        out_path, err_path = Path(tmp) / "stdout", Path(tmp) / "stderr"
        wasi.stdout_file = str(out_path)
        wasi.stderr_file = str(err_path)
        _configure_network(wasi, name)
        store = wasmtime.Store(engine)
        store.set_wasi(wasi)
        store.set_wasi_http()  # wasmtime's default WasiHttpCtx: real outgoing requests
        result: dict[str, Any] = {"outcome": "ok", "lines": [], "detail": ""}
        try:
            instance = linker.instantiate(store, comp)
            if name is None:
                fn = instance.get_func(store, "names")
                assert fn is not None
                value = fn(store)
                result["lines"] = list(value)
            else:
                fn = instance.get_func(store, "run")
                assert fn is not None
                value = fn(store, name)
                result["lines"] = value.split("\n") if value else []
        except wasmtime.ExitTrap as e:
            result["outcome"], result["detail"] = "exit", str(e.code)
        except (wasmtime.Trap, wasmtime.WasmtimeError) as e:
            result["outcome"], result["detail"] = "trap", str(e)
        result["stdout"] = out_path.read_bytes().decode("utf-8", "replace") if out_path.exists() else ""
        result["stderr"] = err_path.read_bytes().decode("utf-8", "replace") if err_path.exists() else ""
        result["logs"] = [list(x) for x in host.logs]
        return result


def names() -> list[str]:
    r = run(None)
    if r["outcome"] != "ok":
        raise RuntimeError(f"names() failed inside the component: {r}")
    return r["lines"]


if __name__ == "__main__":
    import json
    import sys

    ns = sys.argv[1:] or names()
    print(json.dumps({n: run(n) for n in ns}, indent=1))
