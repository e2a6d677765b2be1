"""Fixtures for the wasi:io behaviour tests: streams are handed to the guest through
``wasi:cli/stdin`` / ``stdout`` ``get-*`` functions replaced per test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.state.streams import InputStreamRep, OutputStreamRep


@pytest.fixture(scope="session")
def io() -> SimpleNamespace:
    golem_fakes.install()
    from componentize_py_types import Err
    from wit_world.imports import error, poll, stdin, stdout, streams

    return SimpleNamespace(streams=streams, poll=poll, error=error, stdin=stdin,
                           stdout=stdout, Err=Err)


@pytest.fixture
def env(io: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as g:
        yield g


@pytest.fixture
def guest_input(io: SimpleNamespace, env: golem_fakes.Golem) -> Any:
    """``guest_input(rep)`` -> the generated ``InputStream`` wrapping ``rep``."""
    def make(rep: InputStreamRep) -> Any:
        env.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: rep)
        return io.stdin.get_stdin()
    return make


@pytest.fixture
def guest_output(io: SimpleNamespace, env: golem_fakes.Golem) -> Any:
    """``guest_output(rep)`` -> the generated ``OutputStream`` wrapping ``rep``."""
    def make(rep: OutputStreamRep) -> Any:
        env.implement("wasi:cli/stdout@0.2.3", "get-stdout", lambda e: rep)
        return io.stdout.get_stdout()
    return make
