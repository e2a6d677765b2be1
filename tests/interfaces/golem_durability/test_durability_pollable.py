"""golem:durability lazy-initialized-pollable (golem-host-semantics.md §13;
``LazyInitializedPollableEntry`` in durability.rs, wasmtime's ``dynamic_subscribe``)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import golem_fakes
from golem_fakes import Deadlock, Golem, Trap
from golem_fakes.state.durability import ObservedCall
from golem_fakes.state.streams import InputStreamRep


@pytest.fixture(scope="module")
def io() -> Any:
    golem_fakes.install()
    from wit_world.imports import monotonic_clock, poll, stdin

    return monotonic_clock, poll, stdin


def _stream(g: Golem, stdin: ModuleType, ready: list[bool]) -> tuple[Any, InputStreamRep]:
    """A guest input stream whose readiness the test controls."""
    rep = InputStreamRep(lambda n: b"x" if ready[0] else b"", ready=lambda: ready[0],
                         name="controlled")
    g.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: rep)
    return stdin.get_stdin(), rep


def test_an_empty_lazy_pollable_is_ready(dur: ModuleType, io: Any) -> None:
    """The implementation's answer, not the WIT comment's ("never ready until attached")."""
    _, poll, _ = io
    with Golem():
        lazy = dur.LazyInitializedPollable()
        p = lazy.subscribe()
        assert p.ready()
        p.block()
        assert poll.poll([p]) == [0]


def test_subscribe_delegates_to_the_attached_pollable(dur: ModuleType, io: Any) -> None:
    _, poll, stdin = io
    g = Golem()
    with g:
        flag = [False]
        stream, _ = _stream(g, stdin, flag)
        lazy = dur.LazyInitializedPollable()
        p = lazy.subscribe()                       # made before the pollable is attached
        lazy.set(stream.subscribe())
        assert not p.ready()
        with pytest.raises(Deadlock, match="pollable.block"):
            p.block()
        flag[0] = True
        assert p.ready() and poll.poll([p]) == [0]


def test_a_clock_pollable_behind_it_skips_time(dur: ModuleType, io: Any) -> None:
    monotonic, poll, _ = io
    g = Golem()
    with g:
        lazy = dur.LazyInitializedPollable()
        lazy.set(monotonic.subscribe_duration(3_000_000_000))
        start = monotonic.now()
        p = lazy.subscribe()
        assert not p.ready()
        p.block()                                   # the virtual clock jumps, no sleep
        assert monotonic.now() - start == 3_000_000_000
        lazy.set(monotonic.subscribe_duration(2_000_000_000))
        assert poll.poll([p]) == [0]
        assert monotonic.now() - start == 5_000_000_000


def test_dropping_it_drops_the_attached_pollable(dur: ModuleType, io: Any) -> None:
    _, _, stdin = io
    g = Golem()
    with g:
        stream, rep = _stream(g, stdin, [True])
        lazy = dur.LazyInitializedPollable()
        lazy.set(stream.subscribe())
        assert rep.children == 1                  # the stream could not be dropped now
        lazy.__exit__(None, None, None)
        assert rep.children == 0
        stream.__exit__(None, None, None)         # now it can go


def test_dropping_it_while_its_subscription_lives_traps(dur: ModuleType) -> None:
    with Golem():
        lazy = dur.LazyInitializedPollable()
        p = lazy.subscribe()
        with pytest.raises(Trap, match="resource has children") as ei:
            lazy.__exit__(None, None, None)
        assert ei.value.interface == "golem:durability/durability@1.2.1"
        p.__exit__(None, None, None)


def test_its_calls_are_observed(dur: ModuleType, io: Any) -> None:
    monotonic, _, _ = io
    g = Golem()
    with g:
        lazy = dur.LazyInitializedPollable()
        lazy.set(monotonic.subscribe_duration(0))
        with lazy.subscribe():
            pass
        lazy.__exit__(None, None, None)
        calls = g.runtime().observed_calls
        oplog_kinds = g.oplog().kinds()
    iface = "durability::lazy_initialized_pollable"
    assert calls == [ObservedCall(iface, f) for f in ("new", "set", "subscribe", "drop")]
    # nothing of the pollable itself is recorded (the clock's subscribe is)
    assert oplog_kinds[2:] == ["imported-function-invoked"]
