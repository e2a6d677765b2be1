"""Fixtures for the wasi:keyvalue behaviour tests: the generated binding modules."""

from __future__ import annotations

from types import ModuleType, SimpleNamespace

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def kv() -> SimpleNamespace:
    """The generated modules of every wasi:keyvalue interface (vendored all-imports world)."""
    golem_fakes.install()
    from wit_world.imports import (
        atomic,
        cache,
        eventual,
        eventual_batch,
        wasi_keyvalue_error,
        wasi_keyvalue_types,
    )

    mods: dict[str, ModuleType] = dict(types=wasi_keyvalue_types, eventual=eventual,
                                       batch=eventual_batch, atomic=atomic, cache=cache,
                                       error=wasi_keyvalue_error)
    return SimpleNamespace(**mods)


@pytest.fixture
def g() -> golem_fakes.Golem:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem
