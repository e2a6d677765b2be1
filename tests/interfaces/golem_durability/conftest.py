"""Fixtures for the golem:durability behaviour tests (the test-only replay stand-in is
in ``durability_replay.py``)."""

from __future__ import annotations

from types import ModuleType

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def dur() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import durability

    return durability


@pytest.fixture(scope="session")
def op() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import oplog

    return oplog


@pytest.fixture(scope="session")
def t() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import golem_rpc_types

    return golem_rpc_types


@pytest.fixture(scope="session")
def host() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import host as h

    return h
