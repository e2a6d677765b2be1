"""Fixtures for the golem:rdbms behaviour tests: the generated binding modules, the
servers (the plugin's ``golem_postgres_url`` / ``golem_mysql_url``: throwaway servers
from the distribution's binaries, or the URLs given), and helpers that read results back
as plain data."""

from __future__ import annotations

import dataclasses
import uuid
from types import ModuleType, SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes


@pytest.fixture(scope="session")
def pg() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import postgres

    return postgres


@pytest.fixture(scope="session")
def my() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import mysql

    return mysql


@pytest.fixture(scope="session")
def t() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import golem_rdbms_types

    return golem_rdbms_types


@pytest.fixture
def g() -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem


@pytest.fixture(scope="session")
def pg_admin(golem_postgres_url: str) -> Iterator[Any]:
    """A psycopg connection of the test itself (setup and checks, not the worker's)."""
    import psycopg

    conn = psycopg.connect(golem_postgres_url, autocommit=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def my_admin(golem_mysql_url: str) -> Iterator[Any]:
    import pymysql
    from urllib.parse import urlsplit

    u = urlsplit(golem_mysql_url)
    conn = pymysql.connect(host=u.hostname, port=u.port or 3306, user=u.username,
                           password=u.password or "", database=u.path.lstrip("/"),
                           autocommit=True)
    yield conn
    conn.close()


@pytest.fixture(scope="session")
def pg_types(pg_admin: Any) -> SimpleNamespace:
    """User-defined types (unique names per session: servers given by URL are shared)."""
    s = uuid.uuid4().hex[:8]
    names = SimpleNamespace(mood=f"mood_{s}", complex=f"complex_{s}", posint=f"posint_{s}",
                            floatrange=f"floatrange_{s}")
    pg_admin.execute(f"CREATE TYPE {names.mood} AS ENUM ('sad', 'ok', 'happy')")
    pg_admin.execute(f"CREATE TYPE {names.complex} AS (r float8, i float8, label text)")
    pg_admin.execute(f"CREATE DOMAIN {names.posint} AS int4 CHECK (VALUE > 0)")
    pg_admin.execute(f"CREATE TYPE {names.floatrange} AS RANGE (subtype = float8)")
    return names
