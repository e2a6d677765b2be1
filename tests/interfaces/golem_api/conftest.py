"""Fixtures for the golem:api/host behaviour tests."""

from __future__ import annotations

from types import ModuleType

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def host() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import host as h

    return h
