"""Generated clients of an *ephemeral* target (golem.yaml ``componentType: ephemeral``;
semantics §1.16 [dev.25]): the constructors take no worker name, ``custom`` takes a
``component-id``, and every connection goes to a fresh, recorded worker name."""

from __future__ import annotations

import shutil
import sys
import uuid
from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.runtime import Trap
from golem_fakes.rpc import stubgen

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "worker"))
sys.path.insert(0, str(HERE))
from test_clients import (  # noqa: E402
    CALLER, TARGET, WIT, caller_sources, client, target_world)


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    client = stubgen.client_def(target_world(), TARGET, ephemeral=True)
    wit = tmp_path_factory.mktemp("wit")
    shutil.copy(WIT / "world.wit", wit / "world.wit")
    (wit / "deps").mkdir()
    for entry in (WIT / "deps").iterdir():
        if entry.name != "target-client":
            (wit / "deps" / entry.name).symlink_to(entry.resolve())
    (wit / "deps" / "target-client").mkdir()
    (wit / "deps" / "target-client" / "client.wit").write_text(client.text)
    with caller_sources(tmp_path_factory, wit, client) as d:
        yield d


@pytest.fixture
def g(src: Path) -> Iterator[golem_fakes.Golem]:
    golem = golem_fakes.Golem(seed=9, component=CALLER)
    golem.add_component(TARGET, code="target", path=src)
    with golem:
        yield golem


def test_the_ephemeral_client_wit() -> None:
    text = stubgen.client_def(target_world(), TARGET, ephemeral=True).text
    assert "  resource api {\n    constructor();\n" in text
    assert "custom: static func(component-id: golem-rpc-component-id) -> api;" in text
    assert "constructor(start: u64);" in text
    assert "custom: static func(component-id: golem-rpc-component-id, start: u64) -> counter;" \
        in text


def test_each_connection_goes_to_a_fresh_worker(g) -> None:
    def call() -> tuple[int, int]:
        with client().Api() as a, client().Api() as b:
            return a.blocking_add("x", 1), b.blocking_add("x", 2)

    assert g.invoke(CALLER, "c1", call) == (1, 2)
    names = sorted(w.name for w in g.workers if w.component.name == TARGET)
    assert len(names) == 2 and all(uuid.UUID(n).version == 4 for n in names)
    called = [e["function_name"] for e in g.oplog(CALLER, "c1").entries
              if e.kind == "imported-function-invoked"]
    assert called.count("golem::rpc::wasm-rpc::generate_unique_local_worker_id") == 2


def test_custom_takes_a_component_id(g) -> None:
    def call() -> int:
        from wit_world.imports import types as rpc

        cid = rpc.ComponentId(rpc.parse_uuid(str(g.registry.component(TARGET).component_id)))
        with client().Api.custom(cid) as api:
            return api.blocking_add("y", 4)

    assert g.invoke(CALLER, "c1", call) == 4


def test_a_resource_stubs_methods_reach_another_fresh_worker(g) -> None:
    """dev.25 opens the resource's connection to a second fresh name after the remote
    constructor: the methods go to a worker that does not hold the resource."""
    def call() -> None:
        from wit_world.imports import types as rpc

        cid = rpc.ComponentId(rpc.parse_uuid(str(g.registry.component(TARGET).component_id)))
        with client().Counter.custom(cid, 5) as counter:
            counter.blocking_get()

    with pytest.raises(Trap, match="cannot resolve handle belonging to a different worker"):
        g.invoke(CALLER, "c1", call)
