"""The npm toolchain build of the TypeScript worker: what it produces, its cache key and
its skip conditions (``ts_component.py``)."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

import ts_component

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

#: every interface the component imports: the world's, and what StarlingMonkey and the
#: preview1 adapter need (stdio for console.log, clocks, random, the filesystem's
#: descriptors for the adapter's stdio), all at the vendored WIT's versions
EXPECTED_IMPORTS = {
    "golem:api/host@1.1.7", "golem:rpc/types@0.2.2",
    "wasi:keyvalue/eventual@0.1.0", "wasi:keyvalue/types@0.1.0",
    "wasi:keyvalue/wasi-keyvalue-error@0.1.0", "wasi:logging/logging",
    "wasi:clocks/wall-clock@0.2.3", "wasi:clocks/monotonic-clock@0.2.3",
    "wasi:io/poll@0.2.3", "wasi:io/error@0.2.3", "wasi:io/streams@0.2.3",
    "wasi:cli/stdin@0.2.3", "wasi:cli/stdout@0.2.3", "wasi:cli/stderr@0.2.3",
    "wasi:cli/terminal-input@0.2.3", "wasi:cli/terminal-output@0.2.3",
    "wasi:cli/terminal-stdin@0.2.3", "wasi:cli/terminal-stdout@0.2.3",
    "wasi:cli/terminal-stderr@0.2.3",
    "wasi:filesystem/types@0.2.3", "wasi:filesystem/preopens@0.2.3",
    "wasi:random/random@0.2.3",
}


def test_the_component_loads_with_the_world_s_imports_and_exports(ts_cart_wasm: Path) -> None:
    import golem_fakes
    from golem_fakes.compiled import CompiledComponent

    golem_fakes.install()
    compiled = CompiledComponent.get(ts_cart_wasm)   # a wasmtime.component.Component
    engine, component = compiled.engine, compiled.component
    assert isinstance(component, wc.Component)
    imports = component.type.imports(engine)
    assert set(imports) == EXPECTED_IMPORTS
    # no wasi:http: the http and fetch-event features are disabled
    assert not any(name.startswith("wasi:http") for name in imports)
    exports = component.type.exports(engine)
    assert set(exports) == {"golem-fakes:ts-cart/cart"}
    cart = exports["golem-fakes:ts-cart/cart"].ty.exports(engine)
    funcs = {k: v.ty for k, v in cart.items() if isinstance(v.ty, wc.FuncType)}
    assert set(funcs) == {"add-item", "lines", "checkout", "read", "clocks", "whoami"}
    assert funcs["add-item"].params == [("sku", wc.String()), ("qty", wc.U32())]
    assert funcs["add-item"].result == wc.U32()
    assert isinstance(funcs["checkout"].result, wc.ResultType)
    assert cart["receipt"].ty.fields == [("order-id", wc.String()), ("items", wc.U32()),
                                         ("placed-at-ms", wc.U64()), ("oplog-index", wc.U64())]
    # golem:api/host is imported whole, with the functions the worker calls
    host = imports["golem:api/host@1.1.7"].ty.exports(engine)
    assert {"generate-idempotency-key", "get-oplog-index", "get-self-metadata"} <= set(host)
    # the linker serves every function of every import: none links as a trap
    assert compiled.report.trapping == {}
    assert len(compiled.report.linked) == sum(
        isinstance(item.ty, wc.FuncType)
        for ext in imports.values() for item in ext.ty.exports(engine).values())


def test_a_second_build_is_the_cached_one(ts_cart_wasm: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tool(cmd: list[str], cwd: Path, step: str) -> None:
        raise AssertionError(f"{step} ran although nothing changed: {cmd}")

    monkeypatch.setattr(ts_component, "_run", no_tool)
    assert ts_component.build() == ts_cart_wasm
    assert ts_component.last_build == {}   # no step ran
    assert ts_cart_wasm.parent == ts_component.cache_root() / "ts-components"


def _copy_sources(tmp_path: Path) -> Path:
    dest = tmp_path / "sources"
    for name in ("wit", "src"):
        shutil.copytree(ts_component.HERE / name, dest / name)
    shutil.copyfile(ts_component.HERE / "tsconfig.json", dest / "tsconfig.json")
    return dest


def test_the_key_covers_every_input_and_tool(tmp_path: Path) -> None:
    versions = {"node": "20.20.2", "typescript": "5.9.3",
                "@bytecodealliance/jco": "1.32.1", "@bytecodealliance/componentize-js": "0.19.3"}
    sources = _copy_sources(tmp_path)
    files = ts_component.source_files(sources)
    names = {name for name, _ in files}
    assert {"tsconfig.json", "wit/ts-cart.wit", "src/cart.ts", "package.json",
            "package-lock.json", "wit/deps/golem-1.x/golem-host.wit",
            "wit/deps/keyvalue/eventual.wit", "wit/deps/io/streams.wit"} <= names
    key = ts_component.content_key(files, versions)
    assert key == ts_component.content_key(ts_component.source_files(sources), dict(versions))
    assert key == ts_component.content_key(ts_component.source_files(), versions)  # same bytes

    for changed in ({**versions, "node": "22.1.0"},
                    {**versions, "@bytecodealliance/componentize-js": "0.19.2"}):
        assert ts_component.content_key(files, changed) != key
    source = sources / "src" / "cart.ts"
    source.write_text(source.read_text() + "\n// one more line\n")
    assert ts_component.content_key(ts_component.source_files(sources), versions) != key
    (sources / "src" / "extra.ts").write_text("export const x = 1;\n")
    assert "src/extra.ts" in {n for n, _ in ts_component.source_files(sources)}


def _script(directory: Path, name: str, body: str) -> Path:
    path = directory / name
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_node_or_npm_the_tests_skip_saying_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))   # neither node nor npm
    with pytest.raises(ts_component.ToolchainUnavailable) as e:
        ts_component.node_executables()
    assert "node and npm not found on PATH" in str(e.value)
    assert "apt-get install nodejs npm" in str(e.value)

    _script(tmp_path, "npm", "exit 0")
    _script(tmp_path, "node", "echo v18.20.4")   # Debian 12's
    with pytest.raises(ts_component.ToolchainUnavailable, match=r"node 18\.20\.4 .* older than 20\.0"):
        ts_component.node_executables()

    _script(tmp_path, "node", "echo v20.20.2")
    assert ts_component.node_executables() == (str(tmp_path / "node"), str(tmp_path / "npm"))


def test_a_failing_npm_install_skips_and_leaves_no_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(cache))
    npm = _script(tmp_path, "npm", "echo 'npm error code ENOTFOUND' >&2; exit 1")
    with pytest.raises(ts_component.ToolchainUnavailable) as e:
        ts_component.toolchain(str(npm))
    assert "`npm ci` of tests/compiled/js/package-lock.json failed (1" in str(e.value)
    assert "ENOTFOUND" in str(e.value)
    assert [p.name for p in (cache / "npm").iterdir()] == [".lock"]   # nothing half-installed


def test_an_install_is_complete_or_absent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``npm ci`` runs in a temporary directory renamed into place when it succeeded: a
    run killed part-way leaves nothing that a later run would take for an install."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(cache))
    npm = _script(tmp_path, "npm", f"echo \"$PWD\" >> {tmp_path / 'calls'}; "
                                   "mkdir -p node_modules/typescript; exit 0")
    first = ts_component.toolchain(str(npm))
    assert first == cache / "npm" / ts_component.lock_key()
    assert (first / ".complete").exists() and (first / "node_modules" / "typescript").is_dir()
    assert (first / "package-lock.json").read_bytes() == \
        (ts_component.HERE / "package-lock.json").read_bytes()
    assert ts_component.toolchain(str(npm)) == first   # reused: npm not run again
    calls = (tmp_path / "calls").read_text().splitlines()
    assert len(calls) == 1 and Path(calls[0]).parent == first.parent


def test_a_type_error_in_the_worker_fails_the_build(ts_cart_wasm: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """tsc checks the worker against the declarations jco generates from the WIT: a call
    with a wrong argument type is a build error naming the file and line, not a skip."""
    cache = tmp_path / "cache"   # the installed toolchain, an empty component cache
    cache.mkdir()
    (cache / "npm").symlink_to(ts_component.cache_root() / "npm", target_is_directory=True)
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(cache))
    sources = _copy_sources(tmp_path)
    source = sources / "src" / "cart.ts"
    text = source.read_text()
    assert 'log("info", "cart",' in text
    source.write_text(text.replace('log("info", "cart",', 'log("loud", "cart",'))
    with pytest.raises(ts_component.BuildError) as e:
        ts_component.build(sources)
    assert "tsc failed" in str(e.value)
    assert "src/cart.ts(" in str(e.value) and '"loud"' in str(e.value)
    assert not list((cache / "ts-components").glob("*.wasm*"))   # no component, no .tmp
