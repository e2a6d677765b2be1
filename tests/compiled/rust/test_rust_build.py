"""The build of the Rust worker (``rust_component.py``): what it produces (a core module
importing preview1, a component importing WASI 0.2 through the reactor adapter, every
import linked to the fakes), its cache key, and its skip and failure conditions."""

from __future__ import annotations

import os
import re
import shutil
import stat
from pathlib import Path

import pytest

import rust_component

wasmtime = pytest.importorskip("wasmtime")
from wasmtime import component as wc  # noqa: E402

API = "golem-fakes:rust-test/api"
#: the world's imports, and what the preview1 adapter imports for what Rust's std calls
#: (fd_write: the stdio streams; environ_get: the environment; path_open, fd_read,
#: fd_filestat_get, fd_prestat_*: the filesystem and its preopens; proc_exit: exit), all at
#: jco 1.32.1's adapter's version, the vendored WIT's
WORLD_IMPORTS = {"golem:api/host@1.1.7", "golem:rpc/types@0.2.2",
                 "wasi:random/random@0.2.3", "wasi:clocks/wall-clock@0.2.3"}
ADAPTER_IMPORTS = {
    "wasi:cli/environment@0.2.3", "wasi:cli/exit@0.2.3",
    "wasi:cli/stdin@0.2.3", "wasi:cli/stdout@0.2.3", "wasi:cli/stderr@0.2.3",
    "wasi:cli/terminal-input@0.2.3", "wasi:cli/terminal-output@0.2.3",
    "wasi:cli/terminal-stdin@0.2.3", "wasi:cli/terminal-stdout@0.2.3",
    "wasi:cli/terminal-stderr@0.2.3",
    "wasi:io/error@0.2.3", "wasi:io/streams@0.2.3",
    "wasi:filesystem/types@0.2.3", "wasi:filesystem/preopens@0.2.3",
}
EXPORTS = {"greet", "oplog-index", "idempotency-key", "random", "now", "env", "read-file",
           "write-file", "note", "notes", "stamp", "fail"}


def test_the_core_module_is_wasm32_wasi_with_the_canonical_abi_by_hand(rust_wasm: Path) -> None:
    core = rust_wasm.with_suffix("") / f"{rust_component.CRATE}.wasm"   # rustc's output
    module = wasmtime.Module.from_file(wasmtime.Engine(), str(core))
    imports = {(i.module, i.name) for i in module.imports}
    assert {m for m, _ in imports} == {"golem:api/host@1.1.7", "wasi:random/random@0.2.3",
                                       "wasi:clocks/wall-clock@0.2.3", "wasi_snapshot_preview1"}
    assert {("wasi_snapshot_preview1", f) for f in ("fd_write", "environ_get", "path_open",
                                                   "fd_prestat_get")} <= imports
    exports = {e.name for e in module.exports}
    assert {f"{API}#{name}" for name in EXPORTS} <= exports
    assert {"cabi_realloc", f"cabi_post_{API}#greet", f"cabi_post_{API}#notes"} <= exports
    # run_ctors_once references __wasm_call_ctors: wasm-ld wrapped no export in it
    assert not any(name.endswith(".command_export") for name in exports)


def test_the_component_imports_the_adapter_s_wasi_and_every_import_links(
        rust_wasm: Path) -> None:
    import golem_fakes
    from golem_fakes.compiled import CompiledComponent

    golem_fakes.install()
    compiled = CompiledComponent.get(rust_wasm)
    engine, component = compiled.engine, compiled.component
    imports = component.type.imports(engine)
    assert set(imports) == WORLD_IMPORTS | ADAPTER_IMPORTS   # no wasi_snapshot_preview1 left
    exports = component.type.exports(engine)
    assert set(exports) == {API}
    api = exports[API].ty.exports(engine)
    funcs = {k: v.ty for k, v in api.items() if isinstance(v.ty, wc.FuncType)}
    assert set(funcs) == EXPORTS
    assert funcs["greet"].params == [("name", wc.String())] and funcs["greet"].result == wc.String()
    assert isinstance(funcs["read-file"].result, wc.ResultType)
    assert isinstance(funcs["notes"].result, wc.ListType)
    assert funcs["notes"].result.element == wc.String()
    # the link report: every function of every import served by the fakes, none a trap
    report = compiled.report
    assert report.trapping == {}
    assert len(report.linked) == sum(
        isinstance(item.ty, wc.FuncType)
        for ext in imports.values() for item in ext.ty.exports(engine).values())
    assert {"wasi:cli/environment@0.2.3#get-environment",
            "wasi:cli/stdout@0.2.3#get-stdout",
            "wasi:io/streams@0.2.3#[method]output-stream.blocking-write-and-flush",
            "wasi:filesystem/preopens@0.2.3#get-directories",
            "wasi:filesystem/types@0.2.3#[method]descriptor.open-at",
            "golem:api/host@1.1.7#get-oplog-index",
            "wasi:random/random@0.2.3#get-random-u64",
            "wasi:clocks/wall-clock@0.2.3#now"} <= set(report.linked)
    assert {"wasi:filesystem/types@0.2.3#descriptor",
            "wasi:io/streams@0.2.3#output-stream"} <= set(report.resources)


def test_a_second_build_is_the_cached_one(rust_wasm: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    def no_tool(cmd: list[str], cwd: Path, step: str) -> None:
        raise AssertionError(f"{step} ran although nothing changed: {cmd}")

    monkeypatch.setattr(rust_component.ts_component, "_run", no_tool)  # the shared builder's
    assert rust_component.build() == rust_wasm
    assert rust_component.last_build == {}   # no step ran
    assert rust_wasm.parent == rust_component.cache_root() / "rust-components"


def _copy_sources(tmp_path: Path) -> Path:
    dest = tmp_path / "sources"
    shutil.copytree(rust_component.HERE / "wit", dest / "wit")
    shutil.copyfile(rust_component.HERE / "lib.rs", dest / "lib.rs")
    return dest


def test_the_key_covers_every_input_and_tool(tmp_path: Path) -> None:
    versions = {"node": "20.20.2", "jco": "1.32.1", "rust-lld": "LLD 14.0.6",
                "rustc": "rustc 1.63.0\nbinary: rustc\nLLVM version: 14.0.6"}
    sources = _copy_sources(tmp_path)
    files = rust_component.source_files(sources)
    names = {name for name, _ in files}
    assert {"lib.rs", "wit/rust-test.wit", "wit/deps/golem-1.x/golem-host.wit",
            "wit/deps/random/random.wit", "wit/deps/clocks/wall-clock.wit",
            "package.json", "package-lock.json"} <= names
    key = rust_component.content_key(files, versions)
    assert key == rust_component.content_key(rust_component.source_files(), versions)  # same bytes
    for changed in ({**versions, "rustc": "rustc 1.85.0"}, {**versions, "jco": "1.33.0"},
                    {**versions, "rust-lld": "LLD 19.1.7"}):
        assert rust_component.content_key(files, changed) != key
    source = sources / "lib.rs"
    source.write_text(source.read_text() + "\n// one more line\n")
    assert rust_component.content_key(rust_component.source_files(sources), versions) != key


def _script(path: Path, body: str) -> Path:
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_without_rustc_for_wasm32_wasi_the_tests_skip_saying_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    hint = "apt-get install rustc libstd-rust-dev-wasm32 lld"
    monkeypatch.setattr(rust_component, "RUSTC", str(tmp_path / "bin" / "rustc"))
    with pytest.raises(rust_component.ToolchainUnavailable) as e:
        rust_component.rustc_executable()
    assert f"{tmp_path}/bin/rustc not found" in str(e.value) and hint in str(e.value)

    (tmp_path / "bin").mkdir()
    libdir = tmp_path / "sysroot" / "lib" / "rustlib" / "wasm32-wasi" / "lib"
    libdir.mkdir(parents=True)
    _script(tmp_path / "bin" / "rustc", f"""case "$*" in
  "--print target-libdir --target wasm32-wasi") echo {libdir} ;;
  "--print sysroot") echo {tmp_path / 'sysroot'} ;;
  -vV) printf 'rustc 1.63.0\\nhost: x86_64-unknown-linux-gnu\\n' ;;
esac""")
    with pytest.raises(rust_component.ToolchainUnavailable,
                       match="has no wasm32-wasi standard library"):
        rust_component.rustc_executable()   # rustc without libstd-rust-dev-wasm32

    (libdir / "libstd-0123abcd.rlib").write_bytes(b"")
    monkeypatch.setenv("PATH", str(tmp_path / "path"))
    (tmp_path / "path").mkdir()
    os.symlink("lld-14", tmp_path / "bin" / "rust-lld")   # Debian's link, without lld-14
    with pytest.raises(rust_component.ToolchainUnavailable) as e:
        rust_component.rustc_executable()
    assert "rust-lld" in str(e.value) and "dangling" in str(e.value) and hint in str(e.value)

    _script(tmp_path / "bin" / "lld-14", "exit 0")
    assert rust_component.rustc_executable() == str(tmp_path / "bin" / "rustc")


def _empty_component_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"   # the installed npm toolchain, no component
    cache.mkdir()
    (cache / "npm").symlink_to(rust_component.cache_root() / "npm", target_is_directory=True)
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(cache))
    return cache


def test_a_type_error_in_the_worker_fails_the_build(rust_wasm: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _empty_component_cache(tmp_path, monkeypatch)
    sources = _copy_sources(tmp_path)
    source = sources / "lib.rs"
    text = source.read_text()
    assert "notes.len() as i32" in text
    source.write_text(text.replace("notes.len() as i32", "notes.len()"))
    with pytest.raises(rust_component.BuildError) as e:
        rust_component.build(sources)
    assert "rustc failed" in str(e.value)
    assert "mismatched types" in str(e.value) and re.search(r"lib\.rs:\d+:\d+", str(e.value))
    assert not list((cache / "rust-components").glob("*.wasm*"))   # no component, no .tmp


def test_an_export_the_world_has_and_the_module_lacks_fails_the_build(
        rust_wasm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """wit-component checks the module against the embedded world, as for a
    cargo-component build: the hand-written glue cannot drift from the WIT."""
    _empty_component_cache(tmp_path, monkeypatch)
    sources = _copy_sources(tmp_path)
    source = sources / "lib.rs"
    text = source.read_text()
    assert '#[export_name = "golem-fakes:rust-test/api#random"]' in text
    source.write_text(text.replace('#[export_name = "golem-fakes:rust-test/api#random"]',
                                   "#[no_mangle]"))
    with pytest.raises(rust_component.BuildError) as e:
        rust_component.build(sources)
    assert "jco new failed" in str(e.value)
    assert ("failed to find export of interface `golem-fakes:rust-test/api` function "
            "`random`") in str(e.value)


def test_the_readme_shows_the_build_s_commands() -> None:
    """README "### A Rust worker" lists the commands :func:`rust_component.commands` runs."""
    readme = (rust_component.REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("### A Rust worker", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1
    shown = [line for line in blocks[0].splitlines() if line and not line.startswith("#")]
    expected = [" ".join(cmd) for _, cmd in rust_component.commands(
        rust_component.RUSTC, "node", "jco", Path("."), Path("rust-test.wasm"))]
    assert shown == [cmd.replace("node jco ", "jco ") for cmd in expected]
