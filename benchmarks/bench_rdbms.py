"""Cost of a one-row ``golem:rdbms`` query through the generated bindings vs the same
query straight through the driver, in one run, on a real PostgreSQL and MySQL/MariaDB.

Through the bindings a ``db-connection.query`` crosses the seam, converts the
parameter, takes a pooled connection, sends the statement with ``$1``/``?`` and Golem's
parameter type, decodes the row by its column type, and records one
``imported-function-invoked`` entry (``rdbms::<db>::db-connection::query``, write-remote,
committed). Baselines, measured interleaved in the same run:

* ``same work`` — the driver call the fake makes (psycopg's ``PGconn.exec_params`` with
  the typed parameter / PyMySQL's ``cursor.execute`` of the bound text) plus a call
  record appended to a list;
* ``bare op`` — the query as an application would write it with the driver
  (``conn.execute(...).fetchall()`` / ``cursor.execute(...); fetchall()``).

The servers: ``$GOLEM_POSTGRES_URL`` / ``$GOLEM_MYSQL_URL``, else throwaway servers
started from the distribution's binaries (``pytest_golem.databases``); a database with
neither is left out. Prints medians (µs per call) and ratios. Run:
``python benchmarks/bench_rdbms.py``.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import golem_fakes  # noqa: E402
from _bench import Case, now_ms, run_cases  # noqa: E402

GOAL_RATIO = 3.0


def _servers() -> tuple[dict[str, str], list[Any]]:
    from pytest_golem import databases

    urls, started = {}, []
    for kind, start in (("postgres", databases.start_postgres), ("mysql", databases.start_mysql)):
        url = os.environ.get(f"GOLEM_{kind.upper()}_URL")
        if not url:
            try:
                server = start()
            except FileNotFoundError as e:
                print(f"({kind} left out: {e})")
                continue
            started.append(server)
            url = server.url
        urls[kind] = url
    return urls, started


def cases(urls: dict[str, str]) -> list[Case]:
    golem_fakes.install()
    from wit_world.imports import mysql, postgres

    log: list[Any] = []
    out: list[Case] = []
    if "postgres" in urls:
        import psycopg

        pg_url = urls["postgres"]
        pg_raw = psycopg.connect(pg_url, autocommit=True)
        pg_raw.execute("CREATE TABLE IF NOT EXISTS bench_rdbms (id int4 PRIMARY KEY, v text)")
        pg_raw.execute("INSERT INTO bench_rdbms VALUES (1, 'one') ON CONFLICT DO NOTHING")
        pg_sql = "SELECT id, v FROM bench_rdbms WHERE id = $1"

        def pg_via(g: Any, number: int) -> Callable[[], None]:
            c = postgres.DbConnection.open(pg_url)
            param = [postgres.DbValue_Int4(1)]

            def run() -> None:
                for _ in range(number):
                    c.query(pg_sql, param)
            return run

        def pg_same(number: int) -> Callable[[], None]:
            def run() -> None:
                for _ in range(number):
                    res = pg_raw.pgconn.exec_params(pg_sql.encode(), [b"1"], [23])
                    rows = [(res.get_value(0, 0), res.get_value(0, 1))]
                    log.append(("rdbms::postgres::db-connection::query", pg_sql, rows, now_ms()))
            return run

        def pg_op(number: int) -> Callable[[], None]:
            def run() -> None:
                for _ in range(number):
                    pg_raw.execute("SELECT id, v FROM bench_rdbms WHERE id = %s", (1,)).fetchall()
            return run

        out.append(Case("postgres query", pg_via, pg_same, pg_op, log.clear))
    if "mysql" in urls:
        import pymysql
        from urllib.parse import urlsplit

        my_url = urls["mysql"]
        u = urlsplit(my_url)
        my_raw = pymysql.connect(host=u.hostname, port=u.port, user=u.username, password=u.password,
                              database=u.path.lstrip("/"), autocommit=True)
        with my_raw.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS bench_rdbms (id int PRIMARY KEY, v text)")
            cur.execute("INSERT IGNORE INTO bench_rdbms VALUES (1, 'one')")
        my_sql = "SELECT id, v FROM bench_rdbms WHERE id = ?"

        def my_via(g: Any, number: int) -> Callable[[], None]:
            c = mysql.DbConnection.open(my_url)
            param = [mysql.DbValue_Int(1)]

            def run() -> None:
                for _ in range(number):
                    c.query(my_sql, param)
            return run

        def my_same(number: int) -> Callable[[], None]:
            def run() -> None:
                for _ in range(number):
                    with my_raw.cursor() as cur:
                        cur.execute("SELECT id, v FROM bench_rdbms WHERE id = 1")
                        rows = cur.fetchall()
                    log.append(("rdbms::mysql::db-connection::query", my_sql, rows, now_ms()))
            return run

        def my_op(number: int) -> Callable[[], None]:
            def run() -> None:
                for _ in range(number):
                    with my_raw.cursor() as cur:
                        cur.execute("SELECT id, v FROM bench_rdbms WHERE id = %s", (1,))
                        cur.fetchall()
            return run

        out.append(Case("mysql query", my_via, my_same, my_op, log.clear))
    return out


def main(number: int = 300, repeat: int = 7) -> dict[str, float]:
    urls, started = _servers()
    try:
        return run_cases(cases(urls), number, repeat, 16, GOAL_RATIO)
    finally:
        from golem_fakes.interfaces.golem_rdbms import close_idle_connections

        close_idle_connections()
        for s in started:
            s.stop()


if __name__ == "__main__":
    main()
