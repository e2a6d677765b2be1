"""Behaviour of ``golem:rdbms/mysql@0.0.1`` (``golem-rpc-rdbms-semantics.md`` §3.2–§3.6,
§3.8, §3.9; RDB-MY, RDB-MYSQLX) on a real MySQL or MariaDB server through PyMySQL.

Statements use ``?`` placeholders, as with Golem's sqlx. PyMySQL has no server-side
prepared statements, so each ``?`` (outside string literals, quoted identifiers and
comments) is replaced by the parameter as an escaped SQL literal of the type the
``db-value`` case binds as (§3.8: ``boolean`` → ``TRUE``/``FALSE``, ``bit`` → its u64,
``binary``… → ``X'..'``, ``datetime``/``timestamp`` → the naive value, the session time
zone being ``+00:00`` as sqlx sets it, ``null`` → ``NULL``); a wrong number of parameters
is a ``query-execution-failure``. Results are read in the text protocol and decoded by
the column type the server reports, named as sqlx names it (``BOOLEAN`` for
``TINYINT(1)``, ``INT UNSIGNED``, ``VARCHAR``, …):

* ``bit`` reads back as the value's binary digits without leading zeros (``b'0101'`` →
  ``[true, false, true]``, 0 → ``[]``); more than 64 bits in a parameter is
  ``query-parameter-failure("Bit vector is too large")``;
* ``decimal`` and ``json`` inputs are parsed strictly; JSON outputs re-serialised compactly;
* MySQL ``TIME`` values outside 00:00:00–23:59:59 and zero dates fail to read;
* the ``NULL`` column type (``SELECT NULL``) and ``GEOMETRY`` are not supported.

MariaDB reports its ``JSON`` columns as ``LONGTEXT`` (its JSON is an alias), so they read
back as ``longtext`` there — server behaviour, as on Golem.

Creating a pool creates Golem's ``golem_transactions`` table in the database; a
transaction's id is a UUIDv4 inserted there (``InProgress``) before ``BEGIN``, marked
``Committed`` inside the transaction on commit and ``RolledBack`` through the pool on
rollback, and deleted afterwards (§3.5).
"""

from __future__ import annotations

import json
import re
import struct
import uuid
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from golem_fakes.interfaces import golem_rdbms as r
from golem_fakes.interfaces.golem_rdbms import Failure, plain
from golem_fakes.interfaces.golem_rdbms._time import check_date, check_time

MY = "golem:rdbms/mysql@0.0.1"

CREATE_TRANSACTIONS = ("CREATE TABLE IF NOT EXISTS golem_transactions (id varchar(50) primary "
                       "key, status varchar(25), created_on timestamp default now())")

_UNSIGNED, _BINARY_FLAG, _ENUM_FLAG, _SET_FLAG = 32, 128, 256, 2048
_BINARY_CHARSET = 63
_INTS = {1: "TINYINT", 2: "SMALLINT", 9: "MEDIUMINT", 3: "INT", 8: "BIGINT"}
#: sqlx type name → db-column-type case
_CASES = {
    "BOOLEAN": "boolean", "TINYINT": "tinyint", "SMALLINT": "smallint",
    "MEDIUMINT": "mediumint", "INT": "int", "BIGINT": "bigint",
    "TINYINT UNSIGNED": "tinyint-unsigned", "SMALLINT UNSIGNED": "smallint-unsigned",
    "MEDIUMINT UNSIGNED": "mediumint-unsigned", "INT UNSIGNED": "int-unsigned",
    "BIGINT UNSIGNED": "bigint-unsigned", "FLOAT": "float", "DOUBLE": "double",
    "DECIMAL": "decimal", "DATE": "date", "DATETIME": "datetime", "TIMESTAMP": "timestamp",
    "TIME": "time", "YEAR": "year", "CHAR": "fixchar", "VARCHAR": "varchar",
    "TINYTEXT": "tinytext", "TEXT": "text", "MEDIUMTEXT": "mediumtext", "LONGTEXT": "longtext",
    "BINARY": "binary", "VARBINARY": "varbinary", "TINYBLOB": "tinyblob", "BLOB": "blob",
    "MEDIUMBLOB": "mediumblob", "LONGBLOB": "longblob", "ENUM": "enumeration", "SET": "set",
    "BIT": "bit", "JSON": "json",
}


def type_name(field: Any) -> str:
    """sqlx's name of a result column's MySQL type (``MySqlTypeInfo``'s ``name``)."""
    code, flags = field.type_code, field.flags
    binary = field.charsetnr == _BINARY_CHARSET
    if code in _INTS:
        if code == 1 and field.length == 1 and not flags & _UNSIGNED:
            return "BOOLEAN"
        return _INTS[code] + (" UNSIGNED" if flags & _UNSIGNED else "")
    simple = {4: "FLOAT", 5: "DOUBLE", 0: "DECIMAL", 246: "DECIMAL", 10: "DATE", 14: "DATE",
              12: "DATETIME", 7: "TIMESTAMP", 11: "TIME", 13: "YEAR", 16: "BIT", 245: "JSON",
              6: "NULL", 255: "GEOMETRY"}
    if code in simple:
        return simple[code]
    if flags & _ENUM_FLAG or code == 247:
        return "ENUM"
    if flags & _SET_FLAG or code == 248:
        return "SET"
    if code == 254:
        return "BINARY" if binary else "CHAR"
    if code in (253, 15):
        return "VARBINARY" if binary else "VARCHAR"
    if code in (249, 250, 251, 252):
        # the length is in bytes: characters times the charset's widest character
        n = field.length if binary else field.length // _char_width(field.charsetnr)
        size = "TINY" if n <= 255 else "" if n <= 65535 else "MEDIUM" if n <= 16777215 else "LONG"
        return size + ("BLOB" if binary else "TEXT")
    return f"UNKNOWN({code})"


def _char_width(charsetnr: int) -> int:
    """Bytes of the widest character of a MySQL character set (by collation id)."""
    from pymysql.charset import charset_by_id

    try:
        name = charset_by_id(charsetnr).name
    except KeyError:
        return 1
    return {"utf8mb4": 4, "utf8mb3": 3, "utf8": 3, "ucs2": 2, "utf16": 4, "utf16le": 4,
            "utf32": 4, "big5": 2, "gbk": 2, "gb2312": 2, "sjis": 2, "cp932": 2, "ujis": 3,
            "eucjpms": 3, "euckr": 2, "gb18030": 4}.get(name, 1)


# --- parameters -----------------------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def _date(d: dict[str, Any]) -> str:
    y, m, day = check_date(d)
    return f"{y:04d}-{m:02d}-{day:02d}"


def _time(t: dict[str, Any]) -> str:
    h, mi, s, ns = check_time(t)
    return f"{h:02d}:{mi:02d}:{s:02d}.{min(ns // 1000, 999_999):06d}"


def literal(conn: Any, v: Any) -> str:
    """A plain ``db-value`` as the SQL literal it binds as (§3.8)."""
    case, p = v
    if case == "null":
        return "NULL"
    if case == "boolean":
        return "TRUE" if p else "FALSE"
    if case in ("tinyint", "smallint", "mediumint", "int", "bigint", "tinyint-unsigned",
                "smallint-unsigned", "mediumint-unsigned", "int-unsigned", "bigint-unsigned",
                "year"):
        return str(int(p))
    if case == "float":
        return repr(struct.unpack("<f", struct.pack("<f", p))[0])
    if case == "double":
        return repr(float(p))
    if case == "decimal":
        if not _DECIMAL.match(p):
            raise Failure("query-parameter-failure", f"Invalid decimal value: '{p}'")
        return p
    if case == "date":
        return f"'{_date(p)}'"
    if case in ("datetime", "timestamp"):
        return f"'{_date(p['date'])} {_time(p['time'])}'"
    if case == "time":
        return f"'{_time(p)}'"
    if case in ("fixchar", "varchar", "tinytext", "text", "mediumtext", "longtext",
                "enumeration", "set"):
        return str(conn.escape(p))
    if case in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"):
        return f"X'{bytes(p).hex()}'"
    if case == "bit":
        if len(p) > 64:
            raise Failure("query-parameter-failure", "Bit vector is too large")
        n = 0
        for b in p:
            n = (n << 1) | bool(b)
        return str(n)
    if case == "json":
        def bad(c: str) -> Any:
            raise ValueError(f"{c} is not valid JSON")
        try:
            json.loads(p, parse_constant=bad)
        except ValueError as e:
            raise Failure("query-parameter-failure", f"Invalid JSON value: {e}") from None
        return str(conn.escape(p))
    raise Failure("query-parameter-failure", f"Type '{case}' is not supported")


def bind(conn: Any, statement: str, params: list[Any]) -> str:
    """``statement`` with each ``?`` placeholder (outside quotes and comments) replaced by
    the literal of the next parameter."""
    out: list[str] = []
    i, n, k = 0, len(statement), 0
    literals = [literal(conn, v) for v in params]
    while i < n:
        c = statement[i]
        if c in "'\"`":
            j = i + 1
            while j < n:
                if statement[j] == "\\" and c != "`":
                    j += 2
                    continue
                if statement[j] == c:
                    if j + 1 < n and statement[j + 1] == c:
                        j += 2
                        continue
                    break
                j += 1
            out.append(statement[i:j + 1])
            i = j + 1
            continue
        if c == "#" or statement.startswith("-- ", i):
            j = statement.find("\n", i)
            j = n if j < 0 else j
            out.append(statement[i:j])
            i = j
            continue
        if statement.startswith("/*", i):
            j = statement.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(statement[i:j])
            i = j
            continue
        if c == "?":
            if k >= len(literals):
                raise Failure("query-execution-failure",
                              f"error returned from database: 1210 (HY000): Incorrect "
                              f"arguments to mysqld_stmt_execute (the statement has more "
                              f"placeholders than the {len(literals)} parameters given)")
            out.append(literals[k])
            k += 1
            i += 1
            continue
        out.append(c)
        i += 1
    if k != len(literals):
        raise Failure("query-execution-failure",
                      f"error returned from database: 1210 (HY000): Incorrect arguments to "
                      f"mysqld_stmt_execute (the statement has {k} placeholders, "
                      f"{len(literals)} parameters given)")
    return "".join(out)


# --- results --------------------------------------------------------------------------


def _ts(s: str) -> dict[str, Any]:
    m = re.match(r"(\d{4})-(\d\d)-(\d\d)(?: (\d\d):(\d\d):(\d\d)(?:\.(\d+))?)?\Z", s)
    if not m or m.group(2) == "00" or m.group(3) == "00":
        raise Failure("query-response-failure", f"error occurred while decoding: date/time "
                                                f"value '{s}' is not a valid date")
    y, mo, d, h, mi, sec, frac = m.groups()
    return {"date": {"year": int(y), "month": int(mo), "day": int(d)},
            "time": {"hour": int(h or 0), "minute": int(mi or 0), "second": int(sec or 0),
                     "nanosecond": int((frac or "").ljust(9, "0")[:9])}}


def _time_of_day(s: str) -> dict[str, Any]:
    m = re.match(r"(\d+):(\d\d):(\d\d)(?:\.(\d+))?\Z", s)
    if not m or int(m.group(1)) >= 24:
        raise Failure("query-response-failure",
                      f"error occurred while decoding: TIME value '{s}' is outside "
                      f"00:00:00..23:59:59 and cannot be represented as a time of day")
    h, mi, sec, frac = m.groups()
    return {"hour": int(h), "minute": int(mi), "second": int(sec),
            "nanosecond": int((frac or "").ljust(9, "0")[:9])}


def value(case: str, raw: Any) -> Any:
    """A result cell (text protocol: ``str``, or ``bytes`` for binary columns) → plain."""
    if raw is None:
        return ("null", None)
    s = raw.decode("utf-8", "surrogateescape") if isinstance(raw, bytes) and case not in (
        "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob", "bit") else raw
    if case == "boolean":
        return (case, int(s) != 0)
    if case in ("tinyint", "smallint", "mediumint", "int", "bigint", "tinyint-unsigned",
                "smallint-unsigned", "mediumint-unsigned", "int-unsigned", "bigint-unsigned",
                "year"):
        return (case, int(s))
    if case in ("float", "double"):
        return (case, float(s))
    if case == "decimal":
        return (case, s)
    if case == "date":
        return (case, _ts(s)["date"])
    if case in ("datetime", "timestamp"):
        return (case, _ts(s))
    if case == "time":
        return (case, _time_of_day(s))
    if case in ("binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob"):
        return (case, bytes(raw) if isinstance(raw, (bytes, bytearray)) else raw.encode())
    if case == "bit":
        n = int.from_bytes(raw if isinstance(raw, bytes) else raw.encode("latin-1"), "big")
        return (case, [c == "1" for c in (bin(n)[2:] if n else "")])
    if case == "json":
        return (case, json.dumps(json.loads(s), separators=(",", ":"), sort_keys=True,
                                 ensure_ascii=False))
    return (case, s)


def guest_value(v: Any) -> Any:
    case, p = v
    return case if p is None else (case, p)


class MySql(r.Dialect):
    name = "mysql"
    interface = MY
    schemes = ("mysql",)

    def connect(self, url: str) -> Any:
        import pymysql
        from pymysql import converters

        u = urlsplit(url)
        q = {k: v[-1] for k, v in parse_qs(u.query).items()}
        encoders = {k: v for k, v in converters.conversions.items() if type(k) is not int}
        try:
            conn = pymysql.connect(
                host=u.hostname or "localhost", port=u.port or 3306,
                user=unquote(u.username or "root"), password=unquote(u.password or ""),
                database=unquote(u.path.lstrip("/")) or None, autocommit=True,
                charset=q.get("charset", "utf8mb4"), conv=encoders, connect_timeout=3,
                init_command="SET time_zone = '+00:00'",
                unix_socket=q.get("socket"))
        except pymysql.err.MySQLError as e:
            raise Failure("connection-failure", _text(e)) from None
        except (OSError, ValueError) as e:
            raise Failure("connection-failure", str(e)) from None
        return conn

    def close(self, conn: Any) -> None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def on_pool_created(self, pool: r.Pool, conn: Any) -> None:
        import pymysql

        try:
            with conn.cursor() as c:
                c.execute(CREATE_TRANSACTIONS)
        except pymysql.err.MySQLError as e:
            if e.args and e.args[0] == 1142:
                raise Failure("other", f"{_text(e)}: the database user needs the CREATE "
                                       f"privilege for Golem's golem_transactions table "
                                       f"(see the Golem rdbms documentation)") from None
            raise Failure("other", _text(e)) from None

    def params(self, values: list[Any]) -> list[Any]:
        """Converted at the call as RDB-MY does: decimals, dates and times checked here
        (JSON and bit length when the statement binds)."""
        out = [plain(v) for v in values]
        for case, p in out:
            if case == "decimal" and not _DECIMAL.match(p):
                raise Failure("query-parameter-failure", f"Invalid decimal value: '{p}'")
            if case == "date":
                check_date(p)
            elif case == "time":
                check_time(p)
            elif case in ("datetime", "timestamp"):
                check_date(p["date"])
                check_time(p["time"])
        return out

    def _exec(self, conn: Any, sql: str, fetch: bool) -> Any:
        import pymysql

        try:
            with conn.cursor() as c:
                c.execute(sql)
                if not fetch:
                    return c.rowcount if c.rowcount >= 0 else 0
                rows = c.fetchall()
                fields = getattr(c._result, "fields", None) or []
                return fields, (rows if fields else [])
        except pymysql.err.MySQLError as e:
            raise Failure("query-execution-failure", _text(e)) from None
        except Exception as e:  # noqa: BLE001 - a broken link, text the charset cannot encode
            raise Failure("query-execution-failure", str(e)) from None

    def run(self, pool: r.Pool, conn: Any, statement: str, params: list[Any],
            fetch: bool) -> Any:
        sql = bind(conn, statement, params)
        out = self._exec(conn, sql, fetch)
        if not fetch:
            return out
        fields, rows = out
        if not rows:
            return [], []
        names = [type_name(f) for f in fields]
        cases = []
        for n in names:
            if n not in _CASES:
                raise Failure("query-response-failure", f"Column type '{n}' is not supported")
            cases.append(_CASES[n])
        columns = [{"ordinal": j, "name": f.name, "db_type": (cases[j], None),
                    "db_type_name": names[j]} for j, f in enumerate(fields)]
        return columns, [[value(cases[j], x) for j, x in enumerate(row)] for row in rows]

    def begin(self, pool: r.Pool, conn: Any) -> str:
        txid = str(uuid.uuid4())
        other = pool.acquire()
        try:
            self._exec(other, "INSERT INTO golem_transactions (id, status) VALUES "
                              f"('{txid}', 'InProgress')", False)
        finally:
            pool.release(other)
        self._exec(conn, "BEGIN", False)
        return txid

    def pre_commit(self, pool: r.Pool, conn: Any, txid: str) -> None:
        n = self._exec(conn, "UPDATE golem_transactions SET status = 'Committed' WHERE "
                             f"id = '{txid}'", False)
        if n == 0:
            raise Failure("other", "Pre-commit transaction status not updated, transaction "
                                   "not found")

    def pre_rollback(self, pool: r.Pool, conn: Any, txid: str) -> None:
        other = pool.acquire()
        try:
            self._exec(other, "UPDATE golem_transactions SET status = 'RolledBack' WHERE "
                              f"id = '{txid}'", False)
        finally:
            pool.release(other)

    def end(self, pool: r.Pool, conn: Any, sql: str) -> None:
        self._exec(conn, sql, False)

    def cleanup(self, pool: r.Pool, txid: str) -> None:
        try:
            other = pool.acquire()
        except Failure:
            return
        try:
            self._exec(other, f"DELETE FROM golem_transactions WHERE id = '{txid}'", False)
        except Failure:
            pass  # errors ignored (§3.5)
        finally:
            pool.release(other)

    def committed(self, pool: r.Pool, txid: str) -> bool:
        conn = pool.acquire()
        try:
            _, rows = self._exec(conn, "SELECT status FROM golem_transactions WHERE "
                                       f"id = '{txid}'", True)
        finally:
            pool.release(conn)
        return bool(rows) and rows[0][0] == "Committed"

    def guest_result(self, result: Any) -> Any:
        cols, rows = result
        return {"columns": self.guest_columns(cols), "rows": self.guest_rows(rows)}

    def guest_columns(self, columns: list[Any]) -> list[Any]:
        return [{"ordinal": c["ordinal"], "name": c["name"], "db_type": c["db_type"][0],
                 "db_type_name": c["db_type_name"]} for c in columns]

    def guest_rows(self, rows: list[Any]) -> list[Any]:
        return [{"values": [guest_value(v) for v in row]} for row in rows]


def _text(e: Exception) -> str:
    if len(e.args) >= 2:
        return f"error returned from database: {e.args[0]}: {e.args[1]}"
    return f"error returned from database: {e}"


DIALECT = MySql()


r.register_dialect(MY, DIALECT)
