"""A library doing its own durability with golem:durability, as Golem's SDKs do for calls
the host does not wrap: live it performs the side effect and persists the result; in
replay it reads the persisted result instead of repeating the side effect."""

from __future__ import annotations

from types import ModuleType
from typing import Any, Callable

import pytest
from durability_replay import invocation_entries, replaying

import golem_fakes
from golem_fakes import Golem


def _string_vat(s: str) -> Any:
    from wit_world.imports import golem_rpc_types as t

    return t.ValueAndType(t.WitValue([t.WitNode_PrimString(s)]),
                          t.WitType([t.NamedWitTypeNode(None, None, t.WitTypeNode_PrimStringType())]))


def durable_fetch(url: str, fetch: Callable[[str], str]) -> str:
    """The library's helper: ``fetch(url)`` exactly once per occurrence, whatever the
    number of replays."""
    from wit_world.imports import durability, oplog

    ft = oplog.WrappedFunctionType_WriteRemote()
    begin = durability.begin_durable_function(ft)
    if durability.current_durable_execution_state().is_live:
        body = fetch(url)
        durability.persist_typed_durable_function_invocation(
            "my-lib::fetch", _string_vat(url), _string_vat(body), ft)
    else:
        p = durability.read_persisted_typed_durable_function_invocation()
        if p.function_name != "my-lib::fetch":
            raise RuntimeError(f"diverged: replaying {p.function_name}")
        body = p.response.value.nodes[0].value
    durability.end_durable_function(ft, begin, False)
    return body


@pytest.fixture(scope="module")
def host() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import host as h

    return h


@pytest.mark.parametrize("idempotent", [True, False])
def test_live_then_replay_gives_the_same_results_without_the_side_effect(
        host: ModuleType, idempotent: bool) -> None:
    calls: list[str] = []

    def fetch(url: str) -> str:
        calls.append(url)
        return f"<body of {url} #{len(calls)}>"

    g = Golem()
    with g.run_as("lib", "w"):
        host.set_idempotence_mode(idempotent)
        live = [durable_fetch("https://a", fetch), durable_fetch("https://b", fetch)]
        first = g.current_invocation
    assert calls == ["https://a", "https://b"]
    kinds = [e.kind for e in invocation_entries(g, first)]
    brackets = [] if idempotent else ["begin-remote-write"]
    ends = [] if idempotent else ["end-remote-write"]
    assert kinds == (brackets + ["imported-function-invoked"] + ends) * 2
    assert g.oplog(first.worker).committed_index >= first.start_index + len(kinds)  # write-remote commits

    with g.run_as("lib", "w"):                      # the worker restarts and replays
        host.set_idempotence_mode(idempotent)
        size = g.oplog(first.worker).current_index
        with replaying(g, invocation_entries(g, first)) as r:
            replayed = [durable_fetch("https://a", fetch), durable_fetch("https://b", fetch)]
            assert r.position == len(r.entries)     # every recorded entry was consumed
        assert g.oplog(first.worker).current_index == size   # nothing new was written
    assert replayed == live
    assert calls == ["https://a", "https://b"]      # no second side effect


def test_a_diverging_replay_is_noticed(host: ModuleType) -> None:
    from wit_world.imports import durability, oplog

    g = Golem()
    with g.run_as("lib", "w"):
        durability.persist_typed_durable_function_invocation(
            "other-lib::op", _string_vat("x"), _string_vat("y"),
            oplog.WrappedFunctionType_WriteRemote())
        first = g.current_invocation
    with g.run_as("lib", "w"):
        with replaying(g, invocation_entries(g, first)):
            with pytest.raises(RuntimeError, match="diverged: replaying other-lib::op"):
                durable_fetch("https://a", lambda u: "never")
