"""Fixtures for the wasi:cli behaviour tests: the generated modules of the vendored
all-imports world, and a fresh Golem entered for the test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def cli() -> SimpleNamespace:
    golem_fakes.install()
    from componentize_py_types import Err, Ok
    from wit_world.imports import (
        environment,
        exit,
        poll,
        stderr,
        stdin,
        stdout,
        streams,
        terminal_input,
        terminal_output,
        terminal_stderr,
        terminal_stdin,
        terminal_stdout,
    )

    return SimpleNamespace(environment=environment, exit=exit, stdin=stdin, stdout=stdout,
                           stderr=stderr, streams=streams, poll=poll,
                           terminal_input=terminal_input, terminal_output=terminal_output,
                           terminal_stdin=terminal_stdin, terminal_stdout=terminal_stdout,
                           terminal_stderr=terminal_stderr, Ok=Ok, Err=Err)


@pytest.fixture
def g(cli: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem
