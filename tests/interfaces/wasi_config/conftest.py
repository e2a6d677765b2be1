"""Fixtures for the wasi:config behaviour tests."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def cfg() -> SimpleNamespace:
    golem_fakes.install()
    from componentize_py_types import Err, Ok
    from wit_world.imports import store

    return SimpleNamespace(get=store.get, get_all=store.get_all, Ok=Ok, Err=Err)
