"""Fixtures for the wasi:random tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def wasi() -> SimpleNamespace:
    golem_fakes.install()
    from wit_world.imports import insecure, insecure_seed, random

    return SimpleNamespace(random=random, insecure=insecure, insecure_seed=insecure_seed)


@pytest.fixture
def g(wasi: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as g:
        yield g
