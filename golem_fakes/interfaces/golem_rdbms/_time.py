"""Date and time helpers shared by the PostgreSQL and MySQL conversions: the checks of
chrono (which Golem converts ``date``/``time``/``timestamp`` records with, RDB-TYPES) and
proleptic-Gregorian arithmetic for any year (Python's ``datetime`` stops at 1..9999)."""

from __future__ import annotations

from typing import Any

from golem_fakes.interfaces.golem_rdbms import Failure

__all__ = ["check_date", "check_time", "days_from_civil", "civil_from_days", "MICROS_PER_DAY"]

MICROS_PER_DAY = 86_400_000_000
#: chrono's ``NaiveDate`` range (years −262 143 ..= 262 142)
_MIN_YEAR, _MAX_YEAR = -262_143, 262_142


def _leap(y: int) -> bool:
    return y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)


def _month_days(y: int, m: int) -> int:
    return [31, 29 if _leap(y) else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]


def check_date(d: dict[str, Any]) -> tuple[int, int, int]:
    """``NaiveDate::from_ymd_opt``: ``Date value is not valid`` (query-parameter-failure)."""
    y, m, day = d["year"], d["month"], d["day"]
    if not (_MIN_YEAR <= y <= _MAX_YEAR and 1 <= m <= 12 and 1 <= day <= _month_days(y, m)):
        raise Failure("query-parameter-failure", "Date value is not valid")
    return y, m, day


def check_time(t: dict[str, Any]) -> tuple[int, int, int, int]:
    """``NaiveTime::from_hms_nano_opt``: hour < 24, minute < 60, second < 60, nanosecond
    < 2·10⁹ (a leap second only at second 59); else ``Time value is not valid``."""
    h, mi, s, ns = t["hour"], t["minute"], t["second"], t["nanosecond"]
    ok = h < 24 and mi < 60 and s < 60 and (ns < 1_000_000_000 or (s == 59 and ns < 2_000_000_000))
    if not ok:
        raise Failure("query-parameter-failure", "Time value is not valid")
    return h, mi, s, ns


def days_from_civil(y: int, m: int, d: int) -> int:
    """Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm)."""
    y -= m <= 2
    era = (y if y >= 0 else y - 399) // 400
    yoe = y - era * 400
    doy = (153 * (m + (-3 if m > 2 else 9)) + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146097 + doe - 719468


def civil_from_days(z: int) -> tuple[int, int, int]:
    """The date ``z`` days after 1970-01-01."""
    z += 719468
    era = (z if z >= 0 else z - 146096) // 146097
    doe = z - era * 146097
    yoe = (doe - doe // 1460 + doe // 36524 - doe // 146096) // 365
    y = yoe + era * 400
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    d = doy - (153 * mp + 2) // 5 + 1
    m = mp + (3 if mp < 10 else -9)
    return y + (m <= 2), m, d
