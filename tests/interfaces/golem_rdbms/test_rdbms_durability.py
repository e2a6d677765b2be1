"""golem:rdbms under crash and replay (``golem-rpc-rdbms-semantics.md`` §3.9): a recovered
worker gets the recorded rows instead of querying again and does not write twice; an
unfinished transaction or stream region is done again live behind a ``jump``.

The component (``rdbmsapp``, world ``tests/data/rdbmsapp``) is real worker code invoked
by export name; each test runs on PostgreSQL and on MySQL/MariaDB."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from rdbms_helpers import table_name

TESTS = Path(__file__).resolve().parents[2]
DATA = TESTS / "data" / "rdbmsapp"
C = "test:rdbmsapp"

COMPONENT = '''
from wit_world import exports
from wit_world.imports import mysql, postgres
from componentize_py_types import Err

history = []


def _db(db):
    return postgres if db == "postgres" else mysql


def _ph(db, i):
    return f"${i}" if db == "postgres" else "?"


def _int(db, v):
    return postgres.DbValue_Int4(v) if db == "postgres" else mysql.DbValue_Int(v)


def _text(db, v):
    return postgres.DbValue_Text(v) if db == "postgres" else mysql.DbValue_Varchar(v)


class Api(exports.Api):
    def add(self, db, url, table, id, name):
        c = _db(db).DbConnection.open(url)
        try:
            return c.execute(f"INSERT INTO {table} (id, v) VALUES ({_ph(db, 1)}, {_ph(db, 2)})",
                             [_int(db, id), _text(db, name)])
        except Err as e:
            history.append([type(e.value).__name__])
            return 0

    def names(self, db, url, table):
        c = _db(db).DbConnection.open(url)
        res = c.query(f"SELECT v FROM {table} ORDER BY id", [])
        out = [r.values[0].value for r in res.rows]
        history.append(out)
        return out

    def add_in_transaction(self, db, url, table, id, name):
        c = _db(db).DbConnection.open(url)
        tx = c.begin_transaction()
        tx.execute(f"INSERT INTO {table} (id, v) VALUES ({_ph(db, 1)}, {_ph(db, 2)})",
                   [_int(db, id), _text(db, name)])
        res = tx.query(f"SELECT count(*) AS n FROM {table}", [])
        tx.commit()
        return int(res.rows[0].values[0].value)

    def stream_names(self, db, url, table):
        c = _db(db).DbConnection.open(url)
        s = c.query_stream(f"SELECT v FROM {table} ORDER BY id", [])
        out = []
        while True:
            batch = s.get_next()
            if batch is None:
                break
            out += [r.values[0].value for r in batch]
        del s
        history.append(out)
        return out

    def history(self):
        return list(history)
'''


def _worker_world() -> Any:
    name = "worker_world"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, TESTS / "worker" / "worker_world.py")
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    sys.modules[name] = mod
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with _worker_world().component_sources(tmp_path_factory, DATA, "rdbms-world",
                                           {"rdbmsapp": COMPONENT}) as d:
        yield d


@pytest.fixture(params=["postgres", "mysql"])
def db(request) -> tuple[str, str, Any]:
    """``(name, url, sql)`` with ``sql`` running a statement as the test (not the worker)."""
    if request.param == "postgres":
        url = request.getfixturevalue("golem_postgres_url")
        import psycopg

        def sql(q: str) -> list[tuple[Any, ...]]:
            with psycopg.connect(url, autocommit=True) as conn:
                cur = conn.execute(q)
                return cur.fetchall() if cur.description else []
        return "postgres", url, sql
    url = request.getfixturevalue("golem_mysql_url")
    import pymysql
    from urllib.parse import urlsplit

    u = urlsplit(url)

    def sql(q: str) -> list[tuple[Any, ...]]:
        conn = pymysql.connect(host=u.hostname, port=u.port, user=u.username,
                               password=u.password, database=u.path.lstrip("/"), autocommit=True)
        try:
            with conn.cursor() as c:
                c.execute(q)
                return list(c.fetchall())
        finally:
            conn.close()
    return "mysql", url, sql


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=3)
    g.add_component(C, code="rdbmsapp", path=src)
    g.add_worker(C, "w")
    return g


@pytest.fixture
def table(db) -> str:
    name = table_name()
    db[2](f"CREATE TABLE {name} (id int PRIMARY KEY, v varchar(20))")
    return name


def kinds(g: golem_fakes.Golem) -> list[str]:
    return [e.kind for e in g.oplog(C, "w") if e.kind != "log"]


def test_replay_after_a_crash_returns_the_recorded_rows(g, db, table):
    name, url, sql = db
    assert g.invoke(C, "w", "add", name, url, table, 1, "ann") == 1
    assert g.invoke(C, "w", "names", name, url, table) == ["ann"]
    sql(f"DELETE FROM {table}")                   # the database changes behind the worker
    sql(f"INSERT INTO {table} VALUES (9, 'zed')")
    g.crash(C, "w")                               # between invocations: replays both
    # the replayed instance rebuilt its state from the recorded rows, and `add` was
    # not executed again (the table still has only the row the test inserted)
    assert g.invoke(C, "w", "history") == [["ann"]]
    assert sql(f"SELECT id, v FROM {table}") == [(9, "zed")]
    # live again: a new query sees the database as it is now
    assert g.invoke(C, "w", "names", name, url, table) == ["zed"]


def test_a_crash_right_after_a_write_does_not_write_twice(g, db, table):
    name, url, sql = db
    g.invoke(C, "w", "history")                   # the instance has started
    g.crash(C, "w", after=1)                      # right after the execute is recorded
    assert g.invoke(C, "w", "add", name, url, table, 1, "ann") == 1
    assert g.runtime(C, "w").crashes == 1
    assert sql(f"SELECT count(*) FROM {table}")[0][0] == 1


def test_a_crash_inside_a_transaction_begins_it_again_live(g, db, table):
    name, url, sql = db
    g.invoke(C, "w", "history")
    g.crash(C, "w", after=1)                      # after the INSERT inside the transaction
    assert g.invoke(C, "w", "add-in-transaction", name, url, table, 1, "ann") == 1
    assert g.runtime(C, "w").crashes == 1
    assert sql(f"SELECT id, v FROM {table}") == [(1, "ann")]   # once: the first died
    log = [e for e in g.oplog(C, "w") if e.kind != "log"]
    begins = [e for e in log if e.kind == "begin-remote-transaction"]
    assert len(begins) == 2
    assert begins[1]["original_begin_index"] == begins[0].index
    assert begins[0]["transaction_id"] != begins[1]["transaction_id"]
    jump = next(e for e in log if e.kind == "jump")
    assert jump["start"] == begins[0].index
    assert [e.kind for e in log][-3:] == ["pre-commit-remote-transaction",
                                          "committed-remote-transaction",
                                          "exported-function-completed"]
    # and a later recovery replays the finished transaction without touching the database
    sql(f"DELETE FROM {table}")
    g.crash(C, "w")
    assert sql(f"SELECT count(*) FROM {table}")[0][0] == 0


def test_a_crash_inside_a_stream_region_runs_the_query_again(g, db, table):
    name, url, sql = db
    sql(f"INSERT INTO {table} VALUES " + ",".join(f"({i}, 'n{i}')" for i in range(60)))
    g.invoke(C, "w", "history")
    g.crash(C, "w", after=2)                      # after query-stream and the first get-next
    out = g.invoke(C, "w", "stream-names", name, url, table)
    assert out == [f"n{i}" for i in range(60)]
    assert g.runtime(C, "w").crashes == 1
    assert "jump" in kinds(g)
    assert kinds(g)[-2:] == ["end-remote-write", "exported-function-completed"]


def test_replay_returns_recorded_errors_too(g, db, table):
    name, url, sql = db
    assert g.invoke(C, "w", "add", name, url, table, 1, "ann") == 1
    assert g.invoke(C, "w", "add", name, url, table, 1, "again") == 0   # duplicate key
    sql(f"DELETE FROM {table}")
    g.crash(C, "w")  # both adds replay from the record: nothing reaches the database
    assert sql(f"SELECT count(*) FROM {table}")[0][0] == 0
    assert g.invoke(C, "w", "history") == [["Error_QueryExecutionFailure"]]


def test_a_pre_commit_without_its_committed_marker_asks_the_database(g, db, table):
    """§3.9: the executor died between ``pre-commit-remote-transaction`` and
    ``committed-remote-transaction``; the transaction did commit, so recovery replays it
    as committed (no restart, no second INSERT) and writes the missing marker."""
    name, url, sql = db
    g.invoke(C, "w", "history")
    assert g.invoke(C, "w", "add-in-transaction", name, url, table, 1, "ann") == 1
    log = g.oplog(C, "w")
    pre = next(e for e in log if e.kind == "pre-commit-remote-transaction")
    log.truncate(pre.index)                      # the committed marker was never written
    if name == "mysql":  # Golem deletes the bookkeeping row only after the marker
        txid = next(e for e in log if e.kind == "begin-remote-transaction")["transaction_id"]
        sql(f"INSERT INTO golem_transactions (id, status) VALUES ('{txid}', 'Committed')")
    g.crash(C, "w")
    assert sql(f"SELECT id, v FROM {table}") == [(1, "ann")]
    kinds_now = kinds(g)
    assert "jump" not in kinds_now
    assert kinds_now.count("begin-remote-transaction") == 1
    assert kinds_now[kinds_now.index("pre-commit-remote-transaction") + 1] == \
        "committed-remote-transaction"


def test_a_restarted_transaction_replays_cleanly_afterwards(g, db, table):
    """After a restart (the jump hides the lost attempt), later recoveries replay the
    second attempt from the oplog: nothing is executed again."""
    name, url, sql = db
    g.invoke(C, "w", "history")
    g.crash(C, "w", after=1)
    assert g.invoke(C, "w", "add-in-transaction", name, url, table, 1, "ann") == 1
    sql(f"DELETE FROM {table}")
    g.crash(C, "w")
    g.crash(C, "w")
    assert sql(f"SELECT count(*) FROM {table}")[0][0] == 0
    assert g.invoke(C, "w", "names", name, url, table) == []
