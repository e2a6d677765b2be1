"""golem:rdbms/mysql: every ``db-value`` case written to a column of its type on a real
MySQL/MariaDB server and read back, with the column's ``db-column-type`` and sqlx's type
name (``golem-rpc-rdbms-semantics.md`` §3.8), and the conversion errors of §3.6."""

from __future__ import annotations

from typing import Any

import pytest

from componentize_py_types import Err
from rdbms_helpers import table_name, unlazy

SAME = object()


def ts(t, y, mo, d, h=0, mi=0, s=0, ns=0):
    return t.Timestamp(t.Date(y, mo, d), t.Time(h, mi, s, ns))


# (id, SQL column type, make(my, t) → db-value, expected read back (SAME: as written),
#  expected db-column-type case, expected db-type-name)
CASES: list[tuple[str, str, Any, Any, str, str]] = [
    ("boolean", "boolean", lambda my, t: my.DbValue_Boolean(True), SAME, "boolean", "BOOLEAN"),
    ("tinyint", "tinyint", lambda my, t: my.DbValue_Tinyint(-128), SAME, "tinyint", "TINYINT"),
    ("smallint", "smallint", lambda my, t: my.DbValue_Smallint(-32768), SAME, "smallint", "SMALLINT"),
    ("mediumint", "mediumint", lambda my, t: my.DbValue_Mediumint(-8388608), SAME, "mediumint", "MEDIUMINT"),
    ("int", "int", lambda my, t: my.DbValue_Int(2**31 - 1), SAME, "int", "INT"),
    ("bigint", "bigint", lambda my, t: my.DbValue_Bigint(-2**63), SAME, "bigint", "BIGINT"),
    ("tinyint-unsigned", "tinyint unsigned", lambda my, t: my.DbValue_TinyintUnsigned(255), SAME,
     "tinyint-unsigned", "TINYINT UNSIGNED"),
    ("smallint-unsigned", "smallint unsigned", lambda my, t: my.DbValue_SmallintUnsigned(65535), SAME,
     "smallint-unsigned", "SMALLINT UNSIGNED"),
    ("mediumint-unsigned", "mediumint unsigned", lambda my, t: my.DbValue_MediumintUnsigned(16777215),
     SAME, "mediumint-unsigned", "MEDIUMINT UNSIGNED"),
    ("int-unsigned", "int unsigned", lambda my, t: my.DbValue_IntUnsigned(2**32 - 1), SAME,
     "int-unsigned", "INT UNSIGNED"),
    ("bigint-unsigned", "bigint unsigned", lambda my, t: my.DbValue_BigintUnsigned(2**64 - 1), SAME,
     "bigint-unsigned", "BIGINT UNSIGNED"),
    ("float", "float", lambda my, t: my.DbValue_Float(1.5), SAME, "float", "FLOAT"),
    ("double", "double", lambda my, t: my.DbValue_Double(-2.25e-300), SAME, "double", "DOUBLE"),
    ("decimal", "decimal(12,4)", lambda my, t: my.DbValue_Decimal("-1234.5"), ("decimal", "-1234.5000"),
     "decimal", "DECIMAL"),
    ("date", "date", lambda my, t: my.DbValue_Date(t.Date(2024, 2, 29)), SAME, "date", "DATE"),
    ("datetime", "datetime(6)", lambda my, t: my.DbValue_Datetime(ts(t, 2024, 2, 29, 23, 59, 58, 123456000)),
     SAME, "datetime", "DATETIME"),
    ("timestamp", "timestamp(6) NULL", lambda my, t: my.DbValue_Timestamp(ts(t, 2020, 6, 1, 12, 0, 0, 5000)),
     SAME, "timestamp", "TIMESTAMP"),
    ("time", "time(6)", lambda my, t: my.DbValue_Time(t.Time(23, 59, 59, 999999000)), SAME, "time", "TIME"),
    ("year", "year", lambda my, t: my.DbValue_Year(2155), SAME, "year", "YEAR"),
    ("fixchar", "char(4)", lambda my, t: my.DbValue_Fixchar("ab"), SAME, "fixchar", "CHAR"),
    ("varchar", "varchar(20)", lambda my, t: my.DbValue_Varchar("héllo '\\ \"?"), SAME, "varchar", "VARCHAR"),
    ("tinytext", "tinytext", lambda my, t: my.DbValue_Tinytext("tiny"), SAME, "tinytext", "TINYTEXT"),
    ("text", "text", lambda my, t: my.DbValue_Text("text ?"), SAME, "text", "TEXT"),
    ("mediumtext", "mediumtext", lambda my, t: my.DbValue_Mediumtext("medium"), SAME, "mediumtext", "MEDIUMTEXT"),
    ("longtext", "longtext", lambda my, t: my.DbValue_Longtext("long"), SAME, "longtext", "LONGTEXT"),
    ("binary", "binary(3)", lambda my, t: my.DbValue_Binary(b"\x00\x01\xff"), SAME, "binary", "BINARY"),
    ("varbinary", "varbinary(8)", lambda my, t: my.DbValue_Varbinary(b"\x00'?"), SAME, "varbinary", "VARBINARY"),
    ("tinyblob", "tinyblob", lambda my, t: my.DbValue_Tinyblob(b"t"), SAME, "tinyblob", "TINYBLOB"),
    ("blob", "blob", lambda my, t: my.DbValue_Blob(b"\xff" * 300), SAME, "blob", "BLOB"),
    ("mediumblob", "mediumblob", lambda my, t: my.DbValue_Mediumblob(b"m"), SAME, "mediumblob", "MEDIUMBLOB"),
    ("longblob", "longblob", lambda my, t: my.DbValue_Longblob(b"l"), SAME, "longblob", "LONGBLOB"),
    ("enumeration", "enum('sad','ok','happy')", lambda my, t: my.DbValue_Enumeration("ok"), SAME,
     "enumeration", "ENUM"),
    ("set", "set('a','b','c')", lambda my, t: my.DbValue_Set("c,a"), ("set", "a,c"), "set", "SET"),
    ("bit", "bit(4)", lambda my, t: my.DbValue_Bit([False, True, False, True]),
     ("bit", [True, False, True]), "bit", "BIT"),
    ("bit-zero", "bit(4)", lambda my, t: my.DbValue_Bit([False]), ("bit", []), "bit", "BIT"),
    ("null", "int", lambda my, t: my.DbValue_Null(), ("null", None), None, None),
]


@pytest.fixture
def conn(my, g, golem_mysql_url):
    return my.DbConnection.open(golem_mysql_url)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_every_db_value_case_round_trips_through_a_column_of_its_type(case, my, t, conn, my_admin):
    _, sql_type, make, expected, col_case, type_name = case
    table = table_name()
    with my_admin.cursor() as c:
        c.execute(f"CREATE TABLE {table} (id int, v {sql_type})")
    value = make(my, t)
    want = unlazy(value) if expected is SAME else expected
    assert conn.execute(f"INSERT INTO {table} (id, v) VALUES (1, ?)", [value]) == 1
    res = conn.query(f"SELECT v FROM {table}", [])
    assert unlazy(res.rows[0].values[0]) == want
    col = res.columns[0]
    assert (col.ordinal, col.name) == (0, "v")
    if col_case is not None:
        assert unlazy(col.db_type)[0] == col_case
        assert col.db_type_name == type_name
    # the value read back binds again as the same value
    if want[0] != "null":
        conn.execute(f"INSERT INTO {table} (id, v) VALUES (2, ?)", [res.rows[0].values[0]])
        again = conn.query(f"SELECT COUNT(DISTINCT v) AS n FROM {table}", [])
        assert unlazy(again.rows[0].values[0])[1] == 1


def test_json_is_parsed_bound_and_re_serialised_compactly(my, conn, my_admin):
    table = table_name()
    with my_admin.cursor() as c:
        c.execute(f"CREATE TABLE {table} (v json)")
        c.execute("SELECT VERSION()")
        mariadb = "MariaDB" in c.fetchone()[0]
    conn.execute(f"INSERT INTO {table} VALUES (?)", [my.DbValue_Json('{"b": 1, "a": [true]}')])
    res = conn.query(f"SELECT v FROM {table}", [])
    got = unlazy(res.rows[0].values[0])
    if mariadb:  # MariaDB's JSON is an alias of LONGTEXT (with a validity check)
        assert got == ("longtext", '{"b": 1, "a": [true]}')
    else:
        assert got == ("json", '{"a":[true],"b":1}')
    with pytest.raises(Err) as info:
        conn.execute(f"INSERT INTO {table} VALUES (?)", [my.DbValue_Json("{oops")])
    assert type(info.value.value).__name__ == "Error_QueryParameterFailure"


@pytest.mark.parametrize("make, fragment", [
    (lambda my, t: my.DbValue_Decimal("1e"), "Invalid decimal"),
    (lambda my, t: my.DbValue_Bit([True] * 65), "Bit vector is too large"),
    (lambda my, t: my.DbValue_Date(t.Date(2023, 2, 29)), "Date value is not valid"),
    (lambda my, t: my.DbValue_Time(t.Time(12, 60, 0, 0)), "Time value is not valid"),
], ids=["decimal", "bit", "date", "time"])
def test_unconvertible_parameters_are_query_parameter_failures(my, t, conn, make, fragment):
    with pytest.raises(Err) as info:
        conn.query("SELECT ? AS v", [make(my, t)])
    err = info.value.value
    assert type(err).__name__ == "Error_QueryParameterFailure"
    assert fragment in err.value


@pytest.mark.parametrize("sql, fragment", [
    ("SELECT NULL AS v", "Column type 'NULL' is not supported"),
    ("SELECT POINT(1, 2) AS v", "Column type 'GEOMETRY' is not supported"),
    ("SELECT CAST('-01:00:00' AS TIME) AS v", "TIME value"),
])
def test_undecodable_results_are_query_response_failures(conn, sql, fragment):
    with pytest.raises(Err) as info:
        conn.query(sql, [])
    err = info.value.value
    assert type(err).__name__ == "Error_QueryResponseFailure"
    assert fragment in err.value


def test_placeholders_inside_literals_and_comments_are_not_parameters(my, conn):
    res = conn.query("SELECT '?' AS a, ? AS b /* ? */, `x?` FROM (SELECT 1 AS `x?`) s -- ?",
                     [my.DbValue_Int(7)])
    assert [unlazy(v) for v in res.rows[0].values] == [("varchar", "?"), ("int", 7), ("int", 1)]


@pytest.mark.parametrize("params", [[], ["a", "b"]], ids=["too-few", "too-many"])
def test_a_wrong_parameter_count_is_a_query_execution_failure(my, conn, params):
    with pytest.raises(Err) as info:
        conn.query("SELECT ? AS v", [my.DbValue_Varchar(p) for p in params])
    assert type(info.value.value).__name__ == "Error_QueryExecutionFailure"
