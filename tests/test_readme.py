"""The README's examples run: the ``python`` blocks of each tested section are executed
in order, in one namespace, with ``golem`` bound to a fresh :class:`golem_fakes.Golem`
entered as the fixture enters it (so the blocks run inside an invocation of its default
worker). An example that stops matching the code fails here, naming the block."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

import golem_fakes
from golem_fakes.state import blobstore as blob_state
from golem_fakes.state import keyvalue as kv_state

README = Path(__file__).parents[1] / "README.md"
STORES = "## Key-value and blob stores"
WASI = "## Files, clocks and randomness"
HTTP = "## Stubbing HTTP"
SOCKETS = "## Sockets"


def section(title: str) -> str:
    text = README.read_text(encoding="utf-8")
    assert title in text, f"README.md has no section {title!r}"
    return text.split(title, 1)[1].split("\n## ", 1)[0]


def run_blocks(title: str, minimum: int) -> dict[str, Any]:
    """Execute the section's python blocks in one namespace; return the namespace."""
    blocks = re.findall(r"```python\n(.*?)```", section(title), flags=re.S)
    assert len(blocks) >= minimum, f"the section {title!r} lost its examples"
    golem_fakes.install()
    with golem_fakes.Golem(seed=0) as golem:
        namespace: dict[str, Any] = {"golem": golem, "__name__": "readme_example"}
        for i, code in enumerate(blocks):
            try:
                exec(compile(code, f"README.md[{title}] block {i + 1}", "exec"), namespace)
            except BaseException as e:   # noqa: BLE001 - say which block, then re-raise
                raise AssertionError(f"README block {i + 1} of {title!r} failed:\n{code}") from e
    return namespace


def test_readme_store_examples_run() -> None:
    ns = run_blocks(STORES, 5)
    golem = ns["golem"]
    assert golem.keyvalue.backend == "redis" and golem.blobstore.backend == "s3"


@pytest.mark.parametrize("flavour", kv_state.BACKENDS + blob_state.BACKENDS)
def test_readme_tables_cover_every_flavour(flavour: str) -> None:
    assert f"`\"{flavour}\"`" in section(STORES)


def test_readme_wasi_examples_run() -> None:
    ns = run_blocks(WASI, 7)
    assert ns["golem"].clock.skips, "the clock example no longer sleeps"


def test_readme_http_examples_run() -> None:
    ns = run_blocks(HTTP, 7)
    golem = ns["golem"]
    assert golem.http["item"].call_count == 1
    assert golem.clock.skips, "the timeout example no longer waits on the virtual clock"


def test_readme_sockets_example_runs() -> None:
    ns = run_blocks(SOCKETS, 1)
    with golem_fakes.Golem(seed=0) as golem:
        ns["test_worker_queries_the_database"](golem)
        assert golem.network.hosts["db.local"] == ["10.0.0.5"]


RPC = "## Several workers and components"
DATABASES = "## Databases"


def test_readme_rpc_example_names_the_bindings() -> None:
    """The section's example imports and defines (its test needs the reader's own
    component ``src``); tests/rpc/test_wasm_rpc.py runs the same call for real."""
    ns = run_blocks(RPC, 1)
    assert callable(ns["buy"]) and ns["rpc"].WasmRpc


def test_readme_database_example_runs(golem_postgres_url: str) -> None:
    ns = run_blocks(DATABASES, 1)
    with golem_fakes.Golem(seed=0) as golem:
        db = ns["pg"].DbConnection.open(golem_postgres_url)
        db.execute("DROP TABLE IF EXISTS orders", [])
        try:
            ns["test_orders_are_stored"](golem, golem_postgres_url)
        finally:
            db.execute("DROP TABLE IF EXISTS orders", [])
