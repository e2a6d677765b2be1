"""Fixtures for the wasi:clocks tests: the generated modules and a fresh Golem."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.state.streams import InputStreamRep


@pytest.fixture(scope="session")
def wasi() -> SimpleNamespace:
    golem_fakes.install()
    from wit_world.imports import monotonic_clock, poll, stdin, wall_clock

    return SimpleNamespace(wall_clock=wall_clock, monotonic_clock=monotonic_clock, poll=poll,
                           stdin=stdin)


@pytest.fixture
def g(wasi: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as g:
        yield g


@pytest.fixture
def never_ready(wasi: SimpleNamespace, g: golem_fakes.Golem) -> Any:
    """A guest pollable that can never become ready (an input stream whose source
    never produces data), handed out through ``wasi:cli/stdin``."""
    rep = InputStreamRep(lambda n: b"", name="silent-stream", ready=lambda: False)
    g.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: rep)
    return wasi.stdin.get_stdin().subscribe()
