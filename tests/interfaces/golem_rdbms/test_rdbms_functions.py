"""golem:rdbms postgres and mysql: every function of ``db-connection``, ``db-transaction``
and ``db-result-stream`` on real servers, with the oplog entries Golem writes
(``golem-rpc-rdbms-semantics.md`` §3.2–§3.6, §3.9). Each test runs once per database."""

from __future__ import annotations

import socket
from types import SimpleNamespace
from typing import Any

import pytest

import golem_fakes
from componentize_py_types import Err
from rdbms_helpers import table_name, unlazy


@pytest.fixture(params=["postgres", "mysql"])
def db(request) -> SimpleNamespace:
    """One database: its binding module, URL, a test-side ``sql`` runner, how to write
    the n-th placeholder and an int value of the database's int type."""
    if request.param == "postgres":
        mod = request.getfixturevalue("pg")
        url = request.getfixturevalue("golem_postgres_url")
        admin = request.getfixturevalue("pg_admin")

        def sql(q: str) -> list[tuple[Any, ...]]:
            cur = admin.execute(q)
            return cur.fetchall() if cur.description else []
        return SimpleNamespace(name="postgres", m=mod, url=url, sql=sql,
                               ph=lambda i: f"${i}", int=mod.DbValue_Int4, int_case="int4",
                               text=mod.DbValue_Text, scheme="postgres")
    mod = request.getfixturevalue("my")
    url = request.getfixturevalue("golem_mysql_url")
    admin = request.getfixturevalue("my_admin")

    def sql(q: str) -> list[tuple[Any, ...]]:
        with admin.cursor() as c:
            c.execute(q)
            return list(c.fetchall())
    return SimpleNamespace(name="mysql", m=mod, url=url, sql=sql, ph=lambda i: "?",
                           int=mod.DbValue_Int, int_case="int", text=mod.DbValue_Varchar,
                           scheme="mysql")


def entries(g: golem_fakes.Golem, prefix: str = "rdbms::") -> list[Any]:
    return [e for e in g.oplog() if e.kind != "log" and (
        e.kind != "imported-function-invoked" or e["function_name"].startswith(prefix))]


def fn_names(g: golem_fakes.Golem) -> list[str]:
    return [e["function_name"] for e in g.oplog() if e.kind == "imported-function-invoked"
            and e["function_name"].startswith("rdbms::")]


def err_case(info: pytest.ExceptionInfo[Err]) -> tuple[str, str]:
    e = info.value.value
    return type(e).__name__.split("_", 1)[1], e.value


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def table(db: SimpleNamespace, rows: int = 0) -> str:
    name = table_name()
    db.sql(f"CREATE TABLE {name} (id int PRIMARY KEY, v varchar(20))")
    if rows:
        db.sql(f"INSERT INTO {name} (id, v) VALUES " +
               ",".join(f"({i}, 'v{i}')" for i in range(rows)))
    return name


# --- open ------------------------------------------------------------------------------


def test_open_checks_the_url_and_scheme(db, g):
    with pytest.raises(Err) as info:
        db.m.DbConnection.open("not a url")
    assert err_case(info)[0] == "ConnectionFailure"
    with pytest.raises(Err) as info:
        db.m.DbConnection.open("redis://localhost/0")
    assert err_case(info) == ("ConnectionFailure", "scheme 'redis' in url is invalid")
    other = "mysql" if db.name == "postgres" else "postgres"
    with pytest.raises(Err) as info:
        db.m.DbConnection.open(f"{other}://u@localhost/x")
    assert err_case(info) == ("ConnectionFailure", f"scheme '{other}' in url is invalid")


def test_open_connects_at_once_and_fails_when_the_server_is_unreachable(db, g):
    with pytest.raises(Err) as info:
        db.m.DbConnection.open(f"{db.scheme}://u:p@127.0.0.1:{_closed_port()}/x")
    assert err_case(info)[0] == "ConnectionFailure"


def test_open_is_not_recorded_and_connections_of_one_url_share_a_pool(db, g):
    a = db.m.DbConnection.open(db.url)
    b = db.m.DbConnection.open(db.url)
    assert a is not b
    assert fn_names(g) == []
    pools = g.__dict__["_rdbms"].pools
    assert list(pools) == [(db.name, db.url)]


# --- query / execute -------------------------------------------------------------------


def test_query_returns_all_rows_and_columns_of_the_first_row(db, g):
    t = table(db, rows=3)
    c = db.m.DbConnection.open(db.url)
    res = c.query(f"SELECT id, v FROM {t} WHERE id >= {db.ph(1)} ORDER BY id", [db.int(1)])
    assert [c.name for c in res.columns] == ["id", "v"]
    assert [c.ordinal for c in res.columns] == [0, 1]
    assert [[unlazy(v) for v in r.values] for r in res.rows] == [
        [(db.int_case, 1), ("varchar", "v1")], [(db.int_case, 2), ("varchar", "v2")]]


def test_a_query_without_rows_has_no_columns(db, g):
    t = table(db)
    res = db.m.DbConnection.open(db.url).query(f"SELECT id, v FROM {t}", [])
    assert (res.columns, res.rows) == ([], [])


def test_execute_returns_the_rows_affected(db, g):
    t = table(db, rows=5)
    c = db.m.DbConnection.open(db.url)
    assert c.execute(f"UPDATE {t} SET v = {db.ph(1)} WHERE id < 3", [db.text("x")]) == 3
    assert c.execute(f"DELETE FROM {t} WHERE id > 100", []) == 0
    assert db.sql(f"SELECT count(*) FROM {t} WHERE v = 'x'")[0][0] == 3


def test_statements_are_recorded_as_write_remote_calls(db, g):
    t = table(db, rows=1)
    c = db.m.DbConnection.open(db.url)
    c.query(f"SELECT v FROM {t} WHERE id = {db.ph(1)}", [db.int(0)])
    c.execute(f"DELETE FROM {t}", [])
    q, x = [e for e in g.oplog() if e.kind == "imported-function-invoked"
            and e["function_name"].startswith("rdbms::")]
    assert q["function_name"] == f"rdbms::{db.name}::db-connection::query"
    assert x["function_name"] == f"rdbms::{db.name}::db-connection::execute"
    assert q["durable_function_type"] == x["durable_function_type"] == "write-remote"
    assert q["request"] == {"pool_key": db.url, "statement": f"SELECT v FROM {t} WHERE id = {db.ph(1)}",
                            "params": [(db.int_case, 0)], "transaction_id": None}
    rows = q["response"].value["rows"]
    assert rows == [[("varchar", "v0")]]
    assert x["response"].value == 1
    assert g.oplog().committed_index == len(g.oplog())


def test_sql_errors_are_query_execution_failures_and_recorded(db, g):
    t = table(db, rows=1)
    c = db.m.DbConnection.open(db.url)
    with pytest.raises(Err) as info:
        c.query("SELEC 1", [])
    assert err_case(info)[0] == "QueryExecutionFailure"
    with pytest.raises(Err) as info:
        c.execute(f"INSERT INTO {t} (id, v) VALUES (0, 'dup')", [])
    assert err_case(info)[0] == "QueryExecutionFailure"
    last = [e for e in g.oplog() if e.kind == "imported-function-invoked"][-1]
    assert last["response"].value[0] == "query-execution-failure"


def test_no_session_state_is_needed_between_calls_but_each_call_works(db, g):
    c = db.m.DbConnection.open(db.url)
    assert unlazy(c.query(f"SELECT {db.ph(1)} AS v", [db.text("a")]).rows[0].values[0])[1] == "a"
    assert unlazy(c.query(f"SELECT {db.ph(1)} AS v", [db.text("b")]).rows[0].values[0])[1] == "b"


# --- query-stream ----------------------------------------------------------------------


def test_query_stream_hands_out_batches_of_50_rows(db, g):
    t = table(db, rows=120)
    c = db.m.DbConnection.open(db.url)
    s = c.query_stream(f"SELECT id FROM {t} ORDER BY id", [])
    assert fn_names(g)[-1] == f"rdbms::{db.name}::db-connection::query-stream"
    cols = s.get_columns()
    assert [x.name for x in cols] == ["id"]
    sizes, ids = [], []
    while (batch := s.get_next()) is not None:
        sizes.append(len(batch))
        ids += [unlazy(r.values[0])[1] for r in batch]
    assert sizes == [50, 50, 20]
    assert ids == list(range(120))
    assert s.get_next() is None
    del s
    kinds = [e.kind for e in entries(g)]
    begin = next(e for e in g.oplog() if e.kind == "begin-remote-write")
    end = next(e for e in g.oplog() if e.kind == "end-remote-write")
    assert end["begin_index"] == begin.index
    inside = [e for e in g.oplog() if begin.index < e.index < end.index
              and e.kind == "imported-function-invoked"]
    assert [e["function_name"].rsplit("::", 2)[-2:] for e in inside] == [
        ["db-connection", "query-stream"], ["db-result-stream", "get-columns"]] + [
        ["db-result-stream", "get-next"]] * 5
    assert all(e["durable_function_type"] == ("write-remote-batched", begin.index)
               for e in inside)
    assert kinds[-1] == "end-remote-write"


def test_a_stream_of_no_rows_has_no_columns_and_one_empty_batch(db, g):
    t = table(db)
    s = db.m.DbConnection.open(db.url).query_stream(f"SELECT id FROM {t}", [])
    assert s.get_columns() == []
    assert s.get_next() == []
    assert s.get_next() is None


def test_query_stream_does_not_run_the_sql_until_the_first_read(db, g):
    t = table(db)
    c = db.m.DbConnection.open(db.url)
    s = c.query_stream(f"INSERT INTO {t} (id, v) VALUES (1, 'x')", [])
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 0
    s.get_next()
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 1
    bad = c.query_stream("SELEC nothing", [])  # ok(stream) even for invalid SQL
    with pytest.raises(golem_fakes.Trap, match="no error channel"):
        bad.get_next()


def test_a_parameter_failure_in_query_stream_closes_its_region(db, g):
    c = db.m.DbConnection.open(db.url)
    bad = (db.m.DbValue_Numeric("x") if db.name == "postgres" else db.m.DbValue_Decimal("x"))
    with pytest.raises(Err) as info:
        c.query_stream(f"SELECT {db.ph(1)}", [bad])
    assert err_case(info)[0] == "QueryParameterFailure"
    kinds = [e.kind for e in entries(g)]
    assert kinds[-3:] == ["begin-remote-write", "imported-function-invoked", "end-remote-write"]


# --- transactions ----------------------------------------------------------------------


def test_commit_makes_the_work_visible_and_writes_golems_markers(db, g):
    t = table(db)
    c = db.m.DbConnection.open(db.url)
    tx = c.begin_transaction()
    assert tx.execute(f"INSERT INTO {t} (id, v) VALUES ({db.ph(1)}, 'a')", [db.int(1)]) == 1
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 0          # not visible yet
    res = tx.query(f"SELECT v FROM {t}", [])                         # visible inside
    assert unlazy(res.rows[0].values[0]) == ("varchar", "a")
    tx.commit()
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 1
    log = entries(g)
    begin = next(e for e in log if e.kind == "begin-remote-transaction")
    stmts = [e for e in log if e.kind == "imported-function-invoked"]
    assert [e["function_name"] for e in stmts] == [
        f"rdbms::{db.name}::db-transaction::execute", f"rdbms::{db.name}::db-transaction::query"]
    assert all(e["durable_function_type"] == ("write-remote-transaction", begin.index)
               for e in stmts)
    assert all(e["request"]["transaction_id"] == begin["transaction_id"] for e in stmts)
    assert [(e.kind, e.get("begin_index")) for e in log[-2:]] == [
        ("pre-commit-remote-transaction", begin.index),
        ("committed-remote-transaction", begin.index)]
    assert g.oplog().committed_index == len(g.oplog())


def test_rollback_discards_the_work(db, g):
    t = table(db)
    tx = db.m.DbConnection.open(db.url).begin_transaction()
    tx.execute(f"INSERT INTO {t} (id, v) VALUES (1, 'a')", [])
    tx.rollback()
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 0
    assert [e.kind for e in entries(g)][-2:] == ["pre-rollback-remote-transaction",
                                                 "rolled-back-remote-transaction"]


def test_a_closed_transaction_rejects_statements_but_closes_again_quietly(db, g):
    tx = db.m.DbConnection.open(db.url).begin_transaction()
    tx.commit()
    for call in (lambda: tx.query("SELECT 1", []), lambda: tx.execute("SELECT 1", []),
                 lambda: tx.query_stream("SELECT 1", [])):
        with pytest.raises(Err) as info:
            call()
        assert err_case(info) == ("Other", "Transaction is closed")
    tx.commit()
    tx.rollback()
    kinds = [e.kind for e in entries(g)]
    assert kinds[-4:] == ["pre-commit-remote-transaction", "committed-remote-transaction",
                          "pre-rollback-remote-transaction", "rolled-back-remote-transaction"]


def test_dropping_an_open_transaction_rolls_it_back(db, g):
    t = table(db)
    tx = db.m.DbConnection.open(db.url).begin_transaction()
    tx.execute(f"INSERT INTO {t} (id, v) VALUES (1, 'a')", [])
    tx.__exit__(None, None, None)
    assert db.sql(f"SELECT count(*) FROM {t}")[0][0] == 0
    assert [e.kind for e in entries(g)][-2:] == ["pre-rollback-remote-transaction",
                                                 "rolled-back-remote-transaction"]


def test_the_transaction_id_is_the_databases(db, g):
    tx = db.m.DbConnection.open(db.url).begin_transaction()
    txid = next(e for e in g.oplog() if e.kind == "begin-remote-transaction")["transaction_id"]
    if db.name == "postgres":
        got = unlazy(tx.query("SELECT pg_current_xact_id()::text AS x", []).rows[0].values[0])
        assert got == ("text", txid)
    else:
        assert db.sql(f"SELECT status FROM golem_transactions WHERE id = '{txid}'") == [
            ("InProgress",)]
    tx.commit()
    if db.name == "mysql":  # the bookkeeping row is deleted after the commit
        assert db.sql(f"SELECT status FROM golem_transactions WHERE id = '{txid}'") == []


def test_a_transaction_stream_is_lazy_and_blocks_its_transaction_until_it_ends(db, g):
    t = table(db, rows=60)
    tx = db.m.DbConnection.open(db.url).begin_transaction()
    s = tx.query_stream(f"SELECT id FROM {t} ORDER BY id", [])
    assert len(s.get_next()) == 50
    with pytest.raises(golem_fakes.Trap, match="wait forever"):
        tx.query("SELECT 1", [])
    assert len(s.get_next()) == 10
    assert s.get_next() is None
    assert unlazy(tx.query(f"SELECT count(*) AS n FROM {t}", []).rows[0].values[0])[1] == 60
    begin = next(e for e in g.oplog() if e.kind == "begin-remote-transaction")
    gets = [e for e in g.oplog() if e.kind == "imported-function-invoked"
            and "db-result-stream" in e["function_name"]]
    assert all(e["durable_function_type"] == ("write-remote-transaction", begin.index)
               for e in gets)
    tx.commit()
    assert "begin-remote-write" not in [e.kind for e in g.oplog()]


def test_mysql_creates_golems_transaction_table_on_the_first_open(my, g, golem_mysql_url, my_admin):
    my.DbConnection.open(golem_mysql_url)
    with my_admin.cursor() as c:
        c.execute("SHOW COLUMNS FROM golem_transactions")
        assert [r[0] for r in c.fetchall()] == ["id", "status", "created_on"]


@pytest.mark.parametrize("which", ["postgres", "mysql"])
def test_one_session_through_every_method(which, pg, my, g, request):
    """Each method once on each database, called through the binding modules by name."""
    if which == "postgres":
        url = request.getfixturevalue("golem_postgres_url")
        c = pg.DbConnection.open(url)
        ph, one = "$1", pg.DbValue_Int4(1)
    else:
        url = request.getfixturevalue("golem_mysql_url")
        c = my.DbConnection.open(url)
        ph, one = "?", my.DbValue_Int(1)
    t = table_name()
    assert c.execute(f"CREATE TABLE {t} (id int PRIMARY KEY)", []) == 0
    tx = c.begin_transaction()
    assert tx.execute(f"INSERT INTO {t} (id) VALUES ({ph})", [one]) == 1
    assert len(tx.query(f"SELECT id FROM {t}", []).rows) == 1
    s = tx.query_stream(f"SELECT id FROM {t}", [])
    assert [x.name for x in s.get_columns()] == ["id"]
    assert len(s.get_next()) == 1 and s.get_next() is None
    tx.commit()
    tx2 = c.begin_transaction()
    tx2.execute(f"DELETE FROM {t}", [])
    tx2.rollback()
    s2 = c.query_stream(f"SELECT id FROM {t} WHERE id = {ph}", [one])
    assert [unlazy(r.values[0])[1] for r in s2.get_next()] == [1]
    assert len(c.query(f"SELECT id FROM {t}", []).rows) == 1
    c.execute(f"DROP TABLE {t}", [])


def test_the_public_oplog_shows_transaction_markers_as_no_ops(db, g):
    """golem:api/oplog@1.1.7 (the dev.25 WIT) has no transaction cases: the markers read
    as ``no-op`` at their index, the statements as ``write-remote-batched(begin)``."""
    from wit_world.imports import host, oplog

    tx = db.m.DbConnection.open(db.url).begin_transaction()
    tx.execute("SELECT 1", [])
    tx.commit()
    reader = oplog.GetOplog(host.get_self_metadata().worker_id, 1)
    public: list[Any] = []
    while (batch := reader.get_next()) is not None:
        public += batch
    own = list(g.oplog())[:len(public)]
    for e, p in zip(own, public):
        if e.kind.endswith("-remote-transaction"):
            assert type(p).__name__ == "OplogEntry_NoOp"
        if e.kind == "imported-function-invoked" and e["function_name"].startswith("rdbms::"):
            assert type(p.value.wrapped_function_type).__name__ == \
                "WrappedFunctionType_WriteRemoteBatched"
    assert sum(e.kind.endswith("-remote-transaction") for e in own) == 3
