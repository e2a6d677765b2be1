"""Behaviour of ``golem:rdbms/postgres@0.0.1`` (``golem-rpc-rdbms-semantics.md`` §3.2–§3.7,
§3.9; RDB-PG, RDB-PGSQLX) on a real PostgreSQL server through psycopg 3.

Statements go to the server as Golem's sqlx sends them: one extended-protocol
statement with ``$1, $2, …`` placeholders (``PGconn.exec_params``), each parameter
declared with the PostgreSQL type chosen from its ``db-value`` case (§3.7 binding rule:
``int4`` → ``int4``, ``character`` → ``"char"``, ``null`` and an empty array → NULL of
type ``unknown``, user enums/composites/domains/ranges by their type name), results read
by the column type oids the server reports (catalogue looked up once per pool). Values
travel in PostgreSQL's text format, converted exactly as Golem converts them:

* ``timestamptz`` input is local time with ``offset`` seconds **east** of UTC; output is
  the UTC time with offset 0. ``timetz`` offsets are seconds **west** of UTC both ways
  (``10:00+02`` reads as offset −7200).
* ``json``/``jsonb`` inputs must parse (strict JSON, no NaN); outputs are re-serialised
  compactly with sorted keys (serde_json without ``preserve_order``).
* ``numeric`` inputs must be decimal numbers (no NaN/Infinity); ``NaN`` read back fails.
* ``inet``/``cidr`` carry an address only: a value with a shorter prefix fails to read.
* an empty array binds NULL; array elements must all be of one kind and not ``null``;
  an array read back holding NULL fails (query-response-failure).
* an empty range reads back as ``(unbounded, unbounded)`` (sqlx's ``PgRange``).

Columns of other types fail with ``query-response-failure("Column type '<NAME>' is not
supported")`` (e.g. ``NAME``, ``POINT``, ``MACADDR8``, ``RECORD``, ``VOID``).
"""

from __future__ import annotations

import json
import math
import re
import struct
from decimal import Decimal
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import golem_rdbms as r
from golem_fakes.interfaces.golem_rdbms import Failure, Lazy, plain
from golem_fakes.interfaces.golem_rdbms._time import (
    MICROS_PER_DAY,
    check_date,
    check_time,
    civil_from_days,
    days_from_civil,
)

PG = "golem:rdbms/postgres@0.0.1"
UNKNOWN_OID = 705

#: db-value case → the built-in PostgreSQL type it binds as (§3.7)
BUILTIN_TYPES: dict[str, tuple[int, str]] = {
    "character": (18, "char"), "int2": (21, "int2"), "int4": (23, "int4"), "int8": (20, "int8"),
    "float4": (700, "float4"), "float8": (701, "float8"), "numeric": (1700, "numeric"),
    "boolean": (16, "bool"), "text": (25, "text"), "varchar": (1043, "varchar"),
    "bpchar": (1042, "bpchar"), "timestamp": (1114, "timestamp"),
    "timestamptz": (1184, "timestamptz"), "date": (1082, "date"), "time": (1083, "time"),
    "timetz": (1266, "timetz"), "interval": (1186, "interval"), "bytea": (17, "bytea"),
    "json": (114, "json"), "jsonb": (3802, "jsonb"), "jsonpath": (4072, "jsonpath"),
    "xml": (142, "xml"), "uuid": (2950, "uuid"), "inet": (869, "inet"), "cidr": (650, "cidr"),
    "macaddr": (829, "macaddr"), "bit": (1560, "bit"), "varbit": (1562, "varbit"),
    "int4range": (3904, "int4range"), "int8range": (3926, "int8range"),
    "numrange": (3906, "numrange"), "tsrange": (3908, "tsrange"),
    "tstzrange": (3910, "tstzrange"), "daterange": (3912, "daterange"),
    "money": (790, "money"), "oid": (26, "oid"),
}
#: pg_catalog type name → db-column-type case (§3.7 "Column types recognised on read")
COLUMN_CASES: dict[str, str] = {pgname: case for case, (_, pgname) in BUILTIN_TYPES.items()}
RANGE_SUBTYPE = {"int4range": "int4", "int8range": "int8", "numrange": "numeric",
                 "tsrange": "timestamp", "tstzrange": "timestamptz", "daterange": "date"}


def _type_name(pgname: str) -> str:
    """sqlx's display name of a built-in type: upper case; ``bpchar`` is ``CHAR`` and the
    one-byte ``char`` is ``"CHAR"``."""
    if pgname == "char":
        return '"CHAR"'
    if pgname == "bpchar":
        return "CHAR"
    return pgname.upper()


# --- text encoding of parameters ------------------------------------------------------

_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?\Z")


def _decimal(s: str) -> str:
    """bigdecimal's ``BigDecimal::from_str`` accepts plain decimal and exponent forms only."""
    if not _DECIMAL.match(s):
        raise Failure("query-parameter-failure", f"Invalid decimal value: '{s}'")
    return s


def _json(s: str) -> str:
    def bad(c: str) -> Any:
        raise ValueError(f"{c} is not valid JSON")
    try:
        json.loads(s, parse_constant=bad)
    except ValueError as e:
        raise Failure("query-parameter-failure", f"Invalid JSON value: {e}") from None
    return s


def _date_text(d: dict[str, Any]) -> str:
    y, m, day = check_date(d)
    if y <= 0:
        return f"{1 - y:04d}-{m:02d}-{day:02d} BC"
    return f"{y:04d}-{m:02d}-{day:02d}"


def _time_text(t: dict[str, Any]) -> str:
    h, mi, s, ns = check_time(t)
    us = ns // 1000
    if us >= 1_000_000:  # a chrono leap second: PostgreSQL has none (60 → next minute)
        s, us = s + 1, us - 1_000_000
    return f"{h:02d}:{mi:02d}:{s:02d}.{us:06d}"


def _micros(ts: dict[str, Any]) -> int:
    y, m, d = check_date(ts["date"])
    h, mi, s, ns = check_time(ts["time"])
    return (days_from_civil(y, m, d) * MICROS_PER_DAY
            + ((h * 60 + mi) * 60 + s) * 1_000_000 + ns // 1000)


def _ts_from_micros(us: int) -> dict[str, Any]:
    days, rest = divmod(us, MICROS_PER_DAY)
    y, m, d = civil_from_days(days)
    secs, frac = divmod(rest, 1_000_000)
    return {"date": {"year": y, "month": m, "day": d},
            "time": {"hour": secs // 3600, "minute": secs // 60 % 60, "second": secs % 60,
                     "nanosecond": frac * 1000}}


def _ts_text(ts: dict[str, Any]) -> str:
    date = _date_text(ts["date"])
    time = _time_text(ts["time"])
    if date.endswith(" BC"):
        return f"{date[:-3]} {time} BC"
    return f"{date} {time}"


def _offset_text(east: int) -> str:
    sign = "-" if east < 0 else "+"
    east = abs(east)
    return f"{sign}{east // 3600:02d}:{east // 60 % 60:02d}:{east % 60:02d}"


def _check_offset(offset: int) -> None:
    if not -86_399 <= offset <= 86_399:
        raise Failure("query-parameter-failure", f"Offset value is not valid: {offset}")


def _tstz_text(v: dict[str, Any]) -> str:
    _check_offset(v["offset"])
    utc = _micros(v["timestamp"]) - v["offset"] * 1_000_000  # offset: seconds east
    return _ts_text(_ts_from_micros(utc)) + "+00"


def _quote(s: str) -> str:
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _bound_pair(start: Any, end: Any, enc: Any) -> str:
    def side(b: Any, opening: bool) -> tuple[str, str]:
        case, payload = b
        if case == "unbounded":
            return ("(" if opening else ")"), ""
        inc = case == "included"
        return (("[" if inc else "(") if opening else ("]" if inc else ")")), _quote(enc(payload))
    lo, lv = side(start, True)
    hi, hv = side(end, False)
    return f"{lo}{lv},{hv}{hi}"


class PgTypes:
    """The type catalogue of one pool: oids of user type names, type info of oids."""

    def __init__(self, pool: r.Pool) -> None:
        self.pool = pool
        self.by_name: dict[str, int] = {}
        self.info: dict[int, tuple[Any, ...]] = {}
        self.attrs: dict[int, list[tuple[str, int]]] = {}

    def _one(self, conn: Any, sql: str, params: list[str]) -> list[tuple[str | None, ...]]:
        try:
            res = conn.pgconn.exec_params(sql.encode(), [p.encode() for p in params])
        except Exception as e:  # noqa: BLE001 - a NUL byte, a lone surrogate, a broken link
            raise Failure("query-execution-failure", str(e)) from None
        if res.status not in (1, 2):  # COMMAND_OK, TUPLES_OK
            raise Failure("query-execution-failure", _error_text(res))
        return [tuple(None if res.get_value(i, j) is None else res.get_value(i, j).decode()
                      for j in range(res.nfields)) for i in range(res.ntuples)]

    def oid_of(self, conn: Any, name: str) -> int:
        oid = self.by_name.get(name)
        if oid is None:
            rows = self._one(conn, "SELECT to_regtype($1)::oid", [name])
            if not rows or rows[0][0] is None or rows[0][0] == "0":
                raise Failure("query-execution-failure", f"error returned from database: "
                                                         f"type \"{name}\" does not exist")
            oid = self.by_name[name] = int(rows[0][0])
        return oid

    def array_of(self, conn: Any, elem: int) -> int:
        info = self.type_info(conn, elem)
        if not info[6]:
            raise Failure("query-parameter-failure", f"type oid {elem} has no array type")
        return int(info[6])

    def type_info(self, conn: Any, oid: int) -> tuple[Any, ...]:
        """``(name, typtype, category, elem, basetype, relid, array, rngsubtype, namespace)``."""
        hit = self.info.get(oid)
        if hit is None:
            rows = self._one(conn, "SELECT t.typname, t.typtype, t.typcategory, t.typelem, "
                                   "t.typbasetype, t.typrelid, t.typarray, rg.rngsubtype, "
                                   "n.nspname FROM pg_type t JOIN pg_namespace n ON "
                                   "n.oid = t.typnamespace LEFT JOIN pg_range rg ON "
                                   "rg.rngtypid = t.oid WHERE t.oid = $1::oid", [str(oid)])
            if not rows:
                raise Failure("query-response-failure", f"Column type oid {oid} is unknown")
            n, tt, cat, elem, base, rel, arr, sub, ns = rows[0]
            hit = self.info[oid] = (n, tt, cat, int(elem or 0), int(base or 0), int(rel or 0),
                                    int(arr or 0), int(sub or 0), ns)
        return hit

    def attributes(self, conn: Any, relid: int) -> list[tuple[str, int]]:
        hit = self.attrs.get(relid)
        if hit is None:
            rows = self._one(conn, "SELECT attname, atttypid FROM pg_attribute WHERE "
                                   "attrelid = $1::oid AND attnum > 0 AND NOT attisdropped "
                                   "ORDER BY attnum", [str(relid)])
            hit = self.attrs[relid] = [(str(a), int(str(t))) for a, t in rows]
        return hit


def _error_text(res: Any) -> str:
    msg = (res.error_message or b"").decode(errors="replace").strip()
    return f"error returned from database: {msg.removeprefix('ERROR:').strip()}"


def _kind(v: Any) -> Any:
    """The type identity of a value for the array homogeneity check."""
    case, payload = v
    if case in ("enumeration", "composite", "domain", "range"):
        return (case, payload["name"])
    return case


class Encoder:
    """Plain ``db-value`` → ``(type oid, text | None)`` for one statement."""

    def __init__(self, types: PgTypes, conn: Any) -> None:
        self.types, self.conn = types, conn

    def param(self, v: Any) -> tuple[int, str | None]:
        case, payload = v
        if case == "null":
            return UNKNOWN_OID, None
        if case == "array":
            if not payload:
                return UNKNOWN_OID, None
            elem_oid = self.oid(payload[0])
            return self.types.array_of(self.conn, elem_oid), self.text(v)
        return self.oid(v), self.text(v)

    def oid(self, v: Any) -> int:
        case, payload = v
        if case in BUILTIN_TYPES:
            return BUILTIN_TYPES[case][0]
        if case in ("enumeration", "composite", "domain", "range"):
            return self.types.oid_of(self.conn, payload["name"])
        if case == "array":
            if not payload:
                raise Failure("query-parameter-failure", "Array element type is not known "
                                                         "for an empty nested array")
            return self.types.array_of(self.conn, self.oid(payload[0]))
        raise Failure("query-parameter-failure", f"Type '{case}' is not supported")

    def text(self, v: Any) -> str:
        case, p = v
        if case == "character":
            b = p & 0xFF
            return "" if b == 0 else (chr(b) if b < 128 else f"\\{b:03o}")
        if case in ("int2", "int4", "int8", "oid"):
            return str(p)
        if case in ("float4", "float8"):
            if math.isnan(p):
                return "NaN"
            if math.isinf(p):
                return "Infinity" if p > 0 else "-Infinity"
            if case == "float4":
                return repr(struct.unpack("<f", struct.pack("<f", p))[0])
            return repr(float(p))
        if case == "numeric":
            return _decimal(p)
        if case == "boolean":
            return "t" if p else "f"
        if case in ("text", "varchar", "bpchar", "jsonpath", "xml"):
            return p
        if case in ("json", "jsonb"):
            return _json(p)
        if case == "timestamp":
            return _ts_text(p)
        if case == "timestamptz":
            return _tstz_text(p)
        if case == "date":
            return _date_text(p)
        if case == "time":
            return _time_text(p)
        if case == "timetz":
            _check_offset(p["offset"])
            return _time_text(p["time"]) + _offset_text(-p["offset"])  # offset: seconds west
        if case == "interval":
            return f"{p['months']} months {p['days']} days {p['microseconds']} microseconds"
        if case == "bytea":
            return "\\x" + bytes(p).hex()
        if case == "uuid":
            n = (p["high_bits"] << 64) | p["low_bits"]
            h = f"{n:032x}"
            return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
        if case in ("inet", "cidr"):
            kind, parts = p
            if kind == "ipv4":
                return ".".join(str(x) for x in parts) + "/32"
            return ":".join(f"{x:x}" for x in parts) + "/128"
        if case == "macaddr":
            return ":".join(f"{x:02x}" for x in p["octets"])
        if case in ("bit", "varbit"):
            return "".join("1" if b else "0" for b in p)
        if case in RANGE_SUBTYPE:
            sub = RANGE_SUBTYPE[case]
            return _bound_pair(p["start"], p["end"], lambda x: self.text((sub, x)))
        if case == "money":
            sign = "-" if p < 0 else ""
            whole, cents = divmod(abs(p), 100)
            return f"{sign}{whole}.{cents:02d}"
        if case == "enumeration":
            return p["value"]
        if case == "domain":
            return self.text(p["value"])
        if case == "composite":
            fields = []
            for x in p["values"]:
                fields.append("" if x[0] == "null" else _quote(self.text(x)))
            return "(" + ",".join(fields) + ")"
        if case == "range":
            rng = p["value"]
            return _bound_pair(rng["start"], rng["end"], self.text)
        if case == "array":
            kind0 = _kind(p[0]) if p else None
            items = []
            for i, x in enumerate(p):
                if x[0] == "null":
                    raise Failure("query-parameter-failure",
                                  f"Array element '{x[0]}' with index {i} is not supported "
                                  f"(null elements)")
                if _kind(x) != kind0:
                    raise Failure("query-parameter-failure",
                                  f"Array element '{x[0]}' with index {i} has different type "
                                  f"than expected (value: {_kind(x)}, expected: {kind0})")
                items.append(_quote(self.text(x)))
            return "{" + ",".join(items) + "}"
        raise Failure("query-parameter-failure", f"Type '{case}' is not supported")


# --- text decoding of results ---------------------------------------------------------


def _split_composite(s: str) -> list[str | None]:
    """Fields of a composite's text form ``(a,"b c",)``; ``None`` for NULL (empty) fields."""
    body = s[1:-1]
    out: list[str | None] = []
    i, n = 0, len(body)
    while True:
        if i >= n or body[i] == ",":
            out.append(None)
        else:
            buf = []
            quoted = False
            while i < n and (quoted or body[i] != ","):
                c = body[i]
                if c == '"':
                    if quoted and i + 1 < n and body[i + 1] == '"':
                        buf.append('"')
                        i += 2
                        continue
                    quoted = not quoted
                elif c == "\\":
                    i += 1
                    buf.append(body[i])
                else:
                    buf.append(c)
                i += 1
            out.append("".join(buf))
        if i >= n:
            break
        i += 1  # the comma
    return out


def _split_array(s: str) -> list[str | None]:
    """Elements of a one-dimensional array's text form; ``None`` for NULL."""
    if s.startswith("["):  # explicit bounds: [0:1]={...}
        s = s[s.index("=") + 1:]
    assert s[0] == "{" and s[-1] == "}", s
    body = s[1:-1]
    if not body:
        return []
    if body.startswith("{"):
        raise Failure("query-response-failure", "multi-dimensional arrays are not supported")
    out: list[str | None] = []
    i, n = 0, len(body)
    while i <= n:
        buf = []
        quoted = body[i:i + 1] == '"'
        if quoted:
            i += 1
            while body[i] != '"':
                if body[i] == "\\":
                    i += 1
                buf.append(body[i])
                i += 1
            i += 1
            out.append("".join(buf))
        else:
            j = body.find(",", i)
            j = n if j < 0 else j
            tok = body[i:j].strip()
            out.append(None if tok == "NULL" else tok)
            i = j
        i += 1  # the comma (or past the end)
    return out


def _split_range(s: str) -> tuple[Any, Any] | None:
    """``(lower, upper)`` of a range's text form, each ``(inclusive, text | None)``;
    ``None`` for ``empty``."""
    if s == "empty":
        return None
    lo_inc, hi_inc = s[0] == "[", s[-1] == "]"
    parts = _split_composite("(" + s[1:-1] + ")")
    lo, hi = (parts + [None, None])[:2]
    return (lo_inc, lo), (hi_inc, hi)


_TS = re.compile(r"(\d+)-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-]\d\d(?::?\d\d){0,2})?( BC)?\Z")
_TIME = re.compile(r"(\d\d):(\d\d):(\d\d)(?:\.(\d+))?([+-]\d\d(?::?\d\d){0,2})?\Z")


def _frac_ns(frac: str | None) -> int:
    return int((frac or "").ljust(9, "0")[:9])


def _zone_secs(z: str | None) -> int:
    """A ``+HH[:MM[:SS]]`` zone as seconds east of UTC."""
    if not z:
        return 0
    sign = -1 if z[0] == "-" else 1
    parts = z[1:].split(":") if ":" in z else [z[1:3], z[3:5] or "0", z[5:7] or "0"]
    h, m, s = (int(x or 0) for x in (parts + ["0", "0"])[:3])
    return sign * (h * 3600 + m * 60 + s)


def _parse_ts(s: str) -> tuple[dict[str, Any], int]:
    m = _TS.match(s)
    if not m:
        raise Failure("query-response-failure", f"timestamp value '{s}' cannot be decoded")
    y, mo, d, h, mi, sec, frac, zone, bc = m.groups()
    year = int(y)
    if bc:
        year = 1 - year
    return ({"date": {"year": year, "month": int(mo), "day": int(d)},
             "time": {"hour": int(h), "minute": int(mi), "second": int(sec),
                      "nanosecond": _frac_ns(frac)}}, _zone_secs(zone))


def _parse_date(s: str) -> dict[str, Any]:
    m = re.match(r"(\d+)-(\d\d)-(\d\d)( BC)?\Z", s)
    if not m:
        raise Failure("query-response-failure", f"date value '{s}' cannot be decoded")
    year = int(m.group(1))
    return {"year": 1 - year if m.group(4) else year, "month": int(m.group(2)),
            "day": int(m.group(3))}


def _parse_time(s: str) -> tuple[dict[str, Any], int]:
    m = _TIME.match(s)
    if not m:
        raise Failure("query-response-failure", f"time value '{s}' cannot be decoded")
    h, mi, sec, frac, zone = m.groups()
    if int(h) >= 24:  # 24:00:00 is a valid PostgreSQL time, not a chrono one
        raise Failure("query-response-failure", f"time value '{s}' cannot be decoded")
    return ({"hour": int(h), "minute": int(mi), "second": int(sec),
             "nanosecond": _frac_ns(frac)}, _zone_secs(zone))


_IV_UNIT = re.compile(r"([+-]?\d+) (year|mon|day)s?")
_IV_TIME = re.compile(r"([+-])?(\d+):(\d\d):(\d\d)(?:\.(\d+))?")


def _parse_interval(s: str) -> dict[str, Any]:
    """An interval in the default ``postgres`` IntervalStyle."""
    months = days = 0
    for n, unit in _IV_UNIT.findall(s):
        if unit == "year":
            months += int(n) * 12
        elif unit == "mon":
            months += int(n)
        else:
            days += int(n)
    us = 0
    t = _IV_TIME.search(s)
    if t:
        sign, h, m, sec, frac = t.groups()
        us = ((int(h) * 60 + int(m)) * 60 + int(sec)) * 1_000_000 + int((frac or "").ljust(6, "0")[:6])
        if sign == "-":
            us = -us
    return {"months": months, "days": days, "microseconds": us}


def _parse_ip(s: str) -> Any:
    import ipaddress

    addr, _, prefix = s.partition("/")
    ip = ipaddress.ip_address(addr)
    if prefix and int(prefix) != ip.max_prefixlen:
        raise Failure("query-response-failure",
                      f"error occurred while decoding: lossy decode from inet/cidr: '{s}' "
                      f"has a network prefix (golem:rdbms carries a host address only)")
    if ip.version == 4:
        return ("ipv4", tuple(ip.packed))
    return ("ipv6", struct.unpack(">8H", ip.packed))


def _compact_json(s: str) -> str:
    return json.dumps(json.loads(s), separators=(",", ":"), sort_keys=True, ensure_ascii=False)


class Decoder:
    """Result texts → plain ``db-value`` by the column type oids the server reports."""

    def __init__(self, types: PgTypes, conn: Any) -> None:
        self.types, self.conn = types, conn
        self.col_types: dict[int, Any] = {}

    def column_type(self, oid: int) -> Any:
        """Plain ``db-column-type`` of ``oid`` (§3.7)."""
        hit = self.col_types.get(oid)
        if hit is not None:
            return hit
        name, tt, cat, elem, base, rel, _, sub, ns = self.types.type_info(self.conn, oid)
        if ns == "pg_catalog" and name in COLUMN_CASES:
            t: Any = (COLUMN_CASES[name], None)
        elif cat == "A" and elem:
            t = ("array", self.column_type(elem))
        elif tt == "e":
            t = ("enumeration", {"name": name})
        elif tt == "c" and ns != "pg_catalog":
            t = ("composite", {"name": name, "attributes": [
                (a, self.column_type(aoid)) for a, aoid in self.types.attributes(self.conn, rel)]})
        elif tt == "d":
            t = ("domain", {"name": name, "base_type": self.column_type(base)})
        elif tt == "r":
            t = ("range", {"name": name, "base_type": self.column_type(sub)})
        else:
            raise Failure("query-response-failure", f"Column type '{name.upper()}' is not supported")
        self.col_types[oid] = t
        return t

    def type_name(self, oid: int) -> str:
        name, tt, cat, elem, _, _, _, _, ns = self.types.type_info(self.conn, oid)
        if cat == "A" and elem:
            return self.type_name(elem) + "[]"
        if ns == "pg_catalog":
            return _type_name(name)
        return name

    def value(self, t: Any, s: str | None) -> Any:
        if s is None:
            return ("null", None)
        case, p = t
        if case == "character":
            if s == "":
                b = 0
            elif s.startswith("\\") and len(s) == 4:
                b = int(s[1:], 8)
            else:
                b = s.encode()[0]
            return (case, b - 256 if b >= 128 else b)
        if case in ("int2", "int4", "int8", "oid"):
            return (case, int(s))
        if case in ("float4", "float8"):
            return (case, float(s))
        if case == "numeric":
            if s in ("NaN", "Infinity", "-Infinity"):
                raise Failure("query-response-failure",
                              f"error occurred while decoding: numeric {s} is not supported")
            return (case, s)
        if case == "boolean":
            return (case, s == "t")
        if case in ("text", "varchar", "bpchar", "jsonpath", "xml"):
            return (case, s)
        if case in ("json", "jsonb"):
            return (case, _compact_json(s))
        if case == "timestamp":
            if s in ("infinity", "-infinity"):
                raise Failure("query-response-failure", f"timestamp {s} cannot be decoded")
            return (case, _parse_ts(s)[0])
        if case == "timestamptz":
            if s in ("infinity", "-infinity"):
                raise Failure("query-response-failure", f"timestamptz {s} cannot be decoded")
            ts, east = _parse_ts(s)
            utc = _micros_unchecked(ts) - east * 1_000_000
            return (case, {"timestamp": _ts_from_micros(utc), "offset": 0})
        if case == "date":
            if s in ("infinity", "-infinity"):
                raise Failure("query-response-failure", f"date {s} cannot be decoded")
            return (case, _parse_date(s))
        if case == "time":
            return (case, _parse_time(s)[0])
        if case == "timetz":
            tm, east = _parse_time(s)
            return (case, {"time": tm, "offset": -east})
        if case == "interval":
            return (case, _parse_interval(s))
        if case == "bytea":
            return (case, bytes.fromhex(s[2:]))
        if case == "uuid":
            n = int(s.replace("-", ""), 16)
            return (case, {"high_bits": n >> 64, "low_bits": n & ((1 << 64) - 1)})
        if case in ("inet", "cidr"):
            return (case, _parse_ip(s))
        if case == "macaddr":
            return (case, {"octets": tuple(int(x, 16) for x in s.split(":"))})
        if case in ("bit", "varbit"):
            return (case, [c == "1" for c in s])
        if case in RANGE_SUBTYPE:
            return (case, self._range(s, (RANGE_SUBTYPE[case], None), plain_bounds=True))
        if case == "money":
            neg = "-" in s or s.startswith("(")
            digits = re.sub(r"[^0-9.]", "", s)
            whole, _, frac = digits.partition(".")
            v = int(whole or 0) * 100 + int((frac + "00")[:2])
            return (case, -v if neg else v)
        if case == "enumeration":
            return (case, {"name": p["name"], "value": s})
        if case == "domain":
            return (case, {"name": p["name"], "value": self.value(p["base_type"], s)})
        if case == "composite":
            fields = _split_composite(s)
            return (case, {"name": p["name"], "values": [
                self.value(at, f) for (_, at), f in zip(p["attributes"], fields)]})
        if case == "range":
            return (case, {"name": p["name"],
                           "value": self._range(s, p["base_type"], plain_bounds=False)})
        if case == "array":
            items = _split_array(s)
            out = []
            for i, x in enumerate(items):
                if x is None:
                    raise Failure("query-response-failure",
                                  f"error occurred while decoding column: array element "
                                  f"{i} is NULL, which golem:rdbms arrays cannot hold")
                out.append(self.value(p, x))
            return (case, out)
        raise Failure("query-response-failure", f"Column type '{case}' is not supported")

    def _range(self, s: str, sub: Any, plain_bounds: bool) -> dict[str, Any]:
        parts = _split_range(s)
        if parts is None:
            return {"start": ("unbounded", None), "end": ("unbounded", None)}

        def bound(b: tuple[bool, str | None]) -> Any:
            inc, text = b
            if text is None:
                return ("unbounded", None)
            v = self.value(sub, text)
            return ("included" if inc else "excluded", v[1] if plain_bounds else v)
        return {"start": bound(parts[0]), "end": bound(parts[1])}


def _micros_unchecked(ts: dict[str, Any]) -> int:
    d, t = ts["date"], ts["time"]
    return (days_from_civil(d["year"], d["month"], d["day"]) * MICROS_PER_DAY
            + ((t["hour"] * 60 + t["minute"]) * 60 + t["second"]) * 1_000_000
            + t["nanosecond"] // 1000)


# --- guest forms ----------------------------------------------------------------------


def guest_value(v: Any) -> Any:
    """Plain ``db-value`` → what the binding lifts (nested values as lazy reps)."""
    case, p = v
    if p is None:
        return case
    if case == "array":
        return (case, [Lazy(x) for x in p])
    if case == "composite":
        return (case, {"name": p["name"], "values": [Lazy(x) for x in p["values"]]})
    if case == "domain":
        return (case, {"name": p["name"], "value": Lazy(p["value"])})
    if case == "range":
        rng = p["value"]
        return (case, {"name": p["name"], "value": {
            "start": _guest_bound(rng["start"]), "end": _guest_bound(rng["end"])}})
    if case in RANGE_SUBTYPE:
        return (case, {"start": _plain_bound(p["start"]), "end": _plain_bound(p["end"])})
    return (case, p)


def _plain_bound(b: Any) -> Any:
    return b[0] if b[1] is None else b


def _guest_bound(b: Any) -> Any:
    return b[0] if b[1] is None else (b[0], Lazy(b[1]))


def guest_type(t: Any) -> Any:
    """Plain ``db-column-type`` → what the binding lifts."""
    case, p = t
    if p is None:
        return case
    if case == "array":
        return (case, Lazy(p))
    if case == "composite":
        return (case, {"name": p["name"], "attributes": [(a, Lazy(at)) for a, at in p["attributes"]]})
    if case in ("domain", "range"):
        return (case, {"name": p["name"], "base_type": Lazy(p["base_type"])})
    return (case, p)


def _norm_value(v: Any) -> Any:
    """A lowered argument's plain form with range bounds as ``(case, payload)`` pairs."""
    case, p = v
    if case in RANGE_SUBTYPE:
        return (case, {"start": _pair(p["start"]), "end": _pair(p["end"])})
    if case == "range":
        rng = p["value"]
        return (case, {"name": p["name"], "value": {"start": _pair(rng["start"]),
                                                   "end": _pair(rng["end"])}})
    return v


def _pair(b: Any) -> Any:
    return b if isinstance(b, tuple) else (b, None)


def _validate(v: Any) -> None:
    """The conversion of a WIT value to Golem's internal value (RDB-PG §to_db_value):
    decimals, dates, times and offsets are checked here, at the call (JSON and array
    homogeneity only when the statement binds)."""
    case, p = v
    if case == "numeric":
        _decimal(p)
    elif case == "date":
        check_date(p)
    elif case == "time":
        check_time(p)
    elif case == "timestamp":
        check_date(p["date"])
        check_time(p["time"])
    elif case == "timestamptz":
        _check_offset(p["offset"])
        _validate(("timestamp", p["timestamp"]))
    elif case == "timetz":
        _check_offset(p["offset"])
        check_time(p["time"])
    elif case in RANGE_SUBTYPE:
        for b in (p["start"], p["end"]):
            if b[0] != "unbounded":
                _validate((RANGE_SUBTYPE[case], b[1]))
    elif case == "array":
        for x in p:
            _validate(x)
    elif case == "composite":
        for x in p["values"]:
            _validate(x)
    elif case == "domain":
        _validate(p["value"])
    elif case == "range":
        for b in (p["value"]["start"], p["value"]["end"]):
            if b[0] != "unbounded":
                _validate(b[1])


# --- the dialect ----------------------------------------------------------------------


class Postgres(r.Dialect):
    name = "postgres"
    interface = PG
    schemes = ("postgres", "postgresql")

    def connect(self, url: str) -> Any:
        import psycopg

        try:
            return psycopg.connect(url, autocommit=True, connect_timeout=3)
        except psycopg.Error as e:
            raise Failure("connection-failure", str(e).strip()) from None
        except Exception as e:  # noqa: BLE001 - a URL libpq rejects
            raise Failure("connection-failure", str(e).strip()) from None

    def close(self, conn: Any) -> None:
        try:
            conn.close()
        except Exception:  # noqa: BLE001 - closing a broken connection
            pass

    def params(self, values: list[Any]) -> list[Any]:
        out = [_norm_value(plain(v)) for v in values]
        for v in out:
            _validate(v)
        return out

    def _types(self, pool: r.Pool) -> PgTypes:
        t = pool.cache.get("types")
        if t is None:
            t = pool.cache["types"] = PgTypes(pool)
        return t

    def run(self, pool: r.Pool, conn: Any, statement: str, params: list[Any],
            fetch: bool) -> Any:
        types = self._types(pool)
        enc = Encoder(types, conn)
        oids, texts = [], []
        for v in params:
            oid, text = enc.param(v)
            oids.append(oid)
            try:
                texts.append(None if text is None else text.encode())
            except UnicodeEncodeError as e:
                raise Failure("query-parameter-failure", str(e)) from None
        try:
            res = conn.pgconn.exec_params(statement.encode(), texts, oids)
        except Exception as e:  # noqa: BLE001 - the connection broke
            raise Failure("query-execution-failure", str(e)) from None
        if res.status not in (1, 2):  # COMMAND_OK, TUPLES_OK
            raise Failure("query-execution-failure", _error_text(res))
        if not fetch:
            tuples = res.command_tuples
            return int(tuples or 0)
        if res.ntuples == 0:
            return [], []
        dec = Decoder(types, conn)
        col_types = [dec.column_type(res.ftype(j)) for j in range(res.nfields)]
        columns = [{"ordinal": j, "name": res.fname(j).decode(), "db_type": col_types[j],
                    "db_type_name": dec.type_name(res.ftype(j))} for j in range(res.nfields)]
        rows = []
        for i in range(res.ntuples):
            row = []
            for j in range(res.nfields):
                raw = res.get_value(i, j)
                row.append(dec.value(col_types[j], None if raw is None else raw.decode()))
            rows.append(row)
        return columns, rows

    def begin(self, pool: r.Pool, conn: Any) -> str:
        res = conn.pgconn.exec_(b"BEGIN")
        if res.status != 1:
            raise Failure("query-execution-failure", _error_text(res))
        res = conn.pgconn.exec_(b"SELECT pg_current_xact_id()::text")
        if res.status != 2:
            raise Failure("query-execution-failure", _error_text(res))
        return str(res.get_value(0, 0).decode())

    def end(self, pool: r.Pool, conn: Any, sql: str) -> None:
        res = conn.pgconn.exec_(sql.encode())
        if res.status != 1:
            raise Failure("query-execution-failure", _error_text(res))

    def committed(self, pool: r.Pool, txid: str) -> bool:
        conn = pool.acquire()
        try:
            res = conn.pgconn.exec_params(b"SELECT pg_xact_status($1::xid8)", [txid.encode()])
            return res.status == 2 and res.get_value(0, 0) == b"committed"
        finally:
            pool.release(conn)

    def guest_result(self, result: Any) -> Any:
        cols, rows = result
        return {"columns": self.guest_columns(cols), "rows": self.guest_rows(rows)}

    def guest_columns(self, columns: list[Any]) -> list[Any]:
        return [{"ordinal": c["ordinal"], "name": c["name"], "db_type": guest_type(c["db_type"]),
                 "db_type_name": c["db_type_name"]} for c in columns]

    def guest_rows(self, rows: list[Any]) -> list[Any]:
        return [{"values": [guest_value(v) for v in row]} for row in rows]


DIALECT = Postgres()


# --- registrations --------------------------------------------------------------------


r.register_dialect(PG, DIALECT)


@implements(PG, "[constructor]lazy-db-value")
def lazy_value(env: Any, value: Any) -> Lazy:
    """Converts at once (RDB-PG §HostLazyDbValue::new); a conversion error is a trap."""
    try:
        return Lazy(_norm_value(plain(value)))
    except (TypeError, KeyError) as e:
        raise Trap(f"golem:rdbms/postgres lazy-db-value: cannot convert {value!r}: {e}",
                   interface=PG, function="[constructor]lazy-db-value") from None


@implements(PG, "[method]lazy-db-value.get")
def lazy_value_get(env: Any, rep: Lazy) -> Any:
    return rep.guest(guest_value)


@implements(PG, "[constructor]lazy-db-column-type")
def lazy_type(env: Any, value: Any) -> Lazy:
    try:
        return Lazy(plain(value))
    except (TypeError, KeyError) as e:
        raise Trap(f"golem:rdbms/postgres lazy-db-column-type: cannot convert {value!r}: {e}",
                   interface=PG, function="[constructor]lazy-db-column-type") from None


@implements(PG, "[method]lazy-db-column-type.get")
def lazy_type_get(env: Any, rep: Lazy) -> Any:
    return rep.guest(guest_type)
