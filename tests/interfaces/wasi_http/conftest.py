"""Fixtures for the wasi:http behaviour tests: the generated modules of the vendored
all-imports world, and a fresh Golem entered per test."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def http() -> SimpleNamespace:
    """``t`` (wasi:http/types), ``oh`` (outgoing-handler), ``streams``, ``poll``, ``error``."""
    golem_fakes.install()
    from wit_world.imports import error, outgoing_handler, poll, streams, wasi_http_types

    return SimpleNamespace(t=wasi_http_types, oh=outgoing_handler, streams=streams, poll=poll,
                           error=error)


@pytest.fixture
def g() -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem
