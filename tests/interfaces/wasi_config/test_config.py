"""wasi:config/store: the worker's wasi-config-vars, sorted, never an error, not recorded
(docs/golem-io-semantics.md §4, §6 rule 17)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes

CONFIG = {"b": "2", "a": "1", "B": "upper", "ä": "umlaut", "a.b": "dot", "": "empty key",
          "z": ""}


def test_get_by_exact_key(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem(config=CONFIG):
        assert cfg.get("a") == "1"
        assert cfg.get("z") == ""
        assert cfg.get("") == "empty key"
        assert cfg.get("A") is None  # exact match: case-sensitive
        assert cfg.get("a ") is None
        assert cfg.get("missing") is None


def test_get_all_is_sorted_bytewise(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem(config=CONFIG):
        pairs = cfg.get_all()
    assert pairs == [("", "empty key"), ("B", "upper"), ("a", "1"), ("a.b", "dot"),
                     ("b", "2"), ("z", ""), ("ä", "umlaut")]
    assert [k.encode() for k, _ in pairs] == sorted(k.encode() for k in CONFIG)


def test_empty_by_default(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem():
        assert cfg.get_all() == []
        assert cfg.get("anything") is None


def test_values_are_the_calling_workers(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem(config={"who": "default"}) as g:
        g.add_worker(g.current_worker.component, "other", config={"who": "other"})
        with g.run_as(g.current_worker.component, "other"):
            assert cfg.get("who") == "other"
            assert cfg.get_all() == [("who", "other")]
        with g.run_as(g.current_worker.component, "implicit"):
            # created implicitly by its first invocation: an empty map
            assert cfg.get_all() == []
        assert cfg.get("who") == "default"


def test_component_env_is_not_config(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem() as g:
        g.add_component("c", env={"K": "v"})
        with g.run_as("c", "w"):
            assert cfg.get("K") is None


def test_not_recorded(cfg: SimpleNamespace) -> None:
    with golem_fakes.Golem(config={"a": "1"}) as g:
        start = len(g.oplog())
        cfg.get("a")
        cfg.get_all()
        assert len(g.oplog()) == start


def test_needs_a_golem(cfg: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="wasi:config/store@0.2.0-draft#get"):
            cfg.get("a")
        with pytest.raises(golem_fakes.NotFaked, match="get-all"):
            cfg.get_all()
