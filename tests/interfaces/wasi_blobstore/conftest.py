"""Fixtures for the wasi:blobstore behaviour tests."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def bs() -> SimpleNamespace:
    """The generated binding modules used by these tests."""
    golem_fakes.install()
    from wit_world.imports import blobstore, container, streams, wasi_blobstore_types

    return SimpleNamespace(blobstore=blobstore, container=container, streams=streams,
                           types=wasi_blobstore_types)


@pytest.fixture
def g(bs: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem
