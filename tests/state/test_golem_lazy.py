"""A fresh ``Golem`` / ``Environment`` makes its state on first use, and a ``with golem:``
block keeps its activation in the environment frame of its context."""

from __future__ import annotations

import gc
import weakref

import pytest

import golem_fakes
from golem_fakes.state.environment import Environment


def test_fresh_environment_makes_nothing_until_used() -> None:
    g = golem_fakes.Golem(seed=1)
    assert not {"bindings", "handles", "handle_ids", "_runtimes", "updates",
                "forks", "reverts"} & set(vars(g))
    assert g.updates == [] and g.forks == [] and g.reverts == [] and g.handles == {}
    assert g.retry_policy is golem_fakes.Golem.retry_policy and g._registry is None
    env = Environment()
    assert vars(env) == {}
    assert env.call_counts() == {} and env.live_handles() == {}
    with pytest.raises(AttributeError, match="no attribute 'nothing_here'"):
        env.nothing_here  # noqa: B018


def test_an_unused_golem_is_freed_without_the_cycle_collector() -> None:
    gc.disable()
    try:
        g = golem_fakes.Golem(seed=1)
        with g:
            pass
        g.bindings  # noqa: B018 - the binding table refers to g weakly
        ref = weakref.ref(g)
        del g
        assert ref() is None
    finally:
        gc.enable()


def test_exit_of_a_golem_inside_its_run_as_block_is_refused() -> None:
    g = golem_fakes.Golem(seed=1)
    with g:
        with g.run_as("c", "w"):
            with pytest.raises(RuntimeError, match="not the innermost Golem"):
                g.__exit__(None, None, None)
        assert g.current_worker.name == "worker-1"
    with pytest.raises(RuntimeError, match="not the innermost Golem"):
        g.__exit__(None, None, None)
