"""Fixtures for the wasi:logging behaviour tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def wl() -> SimpleNamespace:
    golem_fakes.install()
    from wit_world.imports import logging

    return SimpleNamespace(log=logging.log, Level=logging.Level)


@pytest.fixture
def g(wl: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem
