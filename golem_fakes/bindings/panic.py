"""The text componentize-py's runtime writes to stderr when lowering an argument panics.

Inside a component, a binding that cannot lower an argument (``get-random-bytes(-1)``,
``set(5)`` for a ``string``) hits ``.extract().unwrap()`` on a ``PyErr`` in the Rust
runtime (``runtime/src/lib.rs``: ``componentize_py_to_canon_*`` up to 0.18, the
``pop_*`` methods of ``MyCall`` from 0.19). Rust's default panic hook writes the message
to stderr — through ``wasi:cli/stderr``, so under Golem it is the worker's stderr (events,
oplog ``log`` entries, the text Golem attaches to the failed invocation) — before the
component traps. Observed under wasmtime with componentize-py 0.19.3 (differential probe
``rand.random_bytes_negative``)::

    \\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1466:67:
    called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'OverflowError'>, value: OverflowError("can't convert negative int to unsigned"), traceback: None }
    note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace

The hook formats the message into a 512-byte buffer and writes it at once, then the
``note:`` line: two writes. The location is the ``unwrap`` of the primitive's lowering
function in the runtime source of each release (:data:`_LINES`, read from the
componentize-py tags; v0.25.1 is not in the mirror, so it uses v0.25.0's lines). The
thread id ``(1)`` is printed by the Rust toolchains that built the 0.19+ releases (seen
with 0.19.3); earlier releases predate it (seen with 0.17.0, the release Golem's
templates pin: ``thread '<unnamed>' panicked at runtime/src/lib.rs:579:21:`` for the same
negative ``u64``; the releases between are inferred from their dates).

Known locations: the primitive lowerings (integers, floats, ``char``, ``string``) of
every release, and from 0.19 the ``.value`` of an ``enum`` / ``flags`` argument
(``pop_enum`` / ``pop_flags``: an object without ``value`` fails the ``getattr``, a
non-integer ``value`` the ``extract``). Other lowering panics (handles, records' missing
attributes, enums before 0.19) trap without stderr text here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["panic_writes"]

#: per release: lines of the ``unwrap`` in the lowering of u8 u16 u32 u64 s8 s16 s32
#: s64 f32 f64 char (extract) char (assert) string
_ORDER = ("u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "f32", "f64", "char",
          "char-assert", "string")
_LINES: dict[str, tuple[int, ...]] = {
    "0.16.0": (559, 559, 559, 569, 554, 554, 554, 564, 574, 579, 584, 585, 597),
    "0.17.0": (569, 569, 569, 579, 564, 564, 564, 574, 584, 589, 594, 595, 607),
    "0.17.1": (573, 573, 573, 583, 568, 568, 568, 578, 588, 593, 598, 599, 611),
    "0.17.2": (575, 575, 575, 585, 570, 570, 570, 580, 590, 595, 600, 601, 613),
    "0.18.0": (575, 575, 575, 585, 570, 570, 570, 580, 590, 595, 600, 601, 613),
    "0.19.0": (1438, 1442, 1446, 1450, 1454, 1458, 1462, 1466, 1480, 1484, 1474, 1475, 1488),
    "0.19.1": (1438, 1442, 1446, 1450, 1454, 1458, 1462, 1466, 1480, 1484, 1474, 1475, 1488),
    "0.19.2": (1441, 1445, 1449, 1453, 1457, 1461, 1465, 1469, 1483, 1487, 1477, 1478, 1491),
    "0.19.3": (1454, 1458, 1462, 1466, 1470, 1474, 1478, 1482, 1496, 1500, 1490, 1491, 1504),
    "0.20.0": (1452, 1456, 1460, 1464, 1468, 1472, 1476, 1480, 1494, 1498, 1488, 1489, 1502),
    "0.21.0": (1452, 1456, 1460, 1464, 1468, 1472, 1476, 1480, 1494, 1498, 1488, 1489, 1502),
    "0.22.0": (1452, 1456, 1460, 1464, 1468, 1472, 1476, 1480, 1494, 1498, 1488, 1489, 1502),
    "0.22.1": (1452, 1456, 1460, 1464, 1468, 1472, 1476, 1480, 1494, 1498, 1488, 1489, 1502),
    "0.23.0": (1452, 1456, 1460, 1464, 1468, 1472, 1476, 1480, 1494, 1498, 1488, 1489, 1502),
    "0.24.0": (1444, 1448, 1452, 1456, 1460, 1464, 1468, 1472, 1486, 1490, 1480, 1481, 1494),
    "0.25.0": (1444, 1448, 1452, 1456, 1460, 1464, 1468, 1472, 1486, 1490, 1480, 1481, 1494),
}
_LINES["0.25.1"] = _LINES["0.25.0"]

_NOTE = "note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"


def _column(version: str, key: str) -> int:
    """Column of the ``unwrap`` / ``assert!``: the source lines have one shape per era."""
    old = version < "0.19"
    if key == "char-assert":
        return 5 if old else 9
    if key in ("char", "string"):
        return 43 if old else 89
    return 21 if old else 67


def _version() -> str:
    from golem_fakes.bindings.install import installed

    inst = installed()
    return inst.version if inst is not None else "0.19.3"


def _enum_key(kind: str | None, version: str, error: BaseException) -> str | None:
    if kind not in ("enum", "flags") or version < "0.19":
        return None
    return f"{kind}-{'attr' if isinstance(error, AttributeError) else 'extract'}"


#: from 0.19: lines after ``pop_string``'s of the ``unwrap`` in pop_enum / pop_flags
_ENUM_OFFSETS = {"enum-attr": 37, "enum-extract": 39, "flags-attr": 51, "flags-extract": 53}


def panic_writes(wit: str, error: BaseException, version: str | None = None,
                 kind: str | None = None) -> list[bytes]:
    """The stderr writes of the runtime's panic for a failed lowering of a ``wit``
    primitive with Python error ``error`` (a ``PyErr``, or the runtime's ``char``
    assertion); ``kind`` ``"enum"`` / ``"flags"`` for those types. ``[]`` where the
    runtime's text is not known."""
    version = version or _version()
    lines = _LINES.get(version)
    if lines is None:
        return []
    from golem_fakes.bindings.runtime import Panic

    if isinstance(error, Panic):
        if wit != "char" or "chars().count() == 1" not in str(error):
            return []
        key, message = "char-assert", "assertion failed: value.chars().count() == 1"
    elif (wit in _ORDER or _enum_key(kind, version, error)) and isinstance(error, Exception):
        key = wit if wit in _ORDER else _enum_key(kind, version, error)  # type: ignore[assignment]
        message = ("called `Result::unwrap()` on an `Err` value: PyErr { type: <class "
                   f"'{type(error).__name__}'>, value: {error!r}, traceback: None }}")
    else:
        return []
    thread = "'<unnamed>'" if version < "0.19" else "'<unnamed>' (1)"
    if key in _ENUM_OFFSETS:
        where = f"{lines[_ORDER.index('string')] + _ENUM_OFFSETS[key]}:18"
    else:
        where = f"{lines[_ORDER.index(key)]}:{_column(version, key)}"
    head = f"\nthread {thread} panicked at runtime/src/lib.rs:{where}:\n{message}\n"
    return [head.encode("utf-8", "backslashreplace"), _NOTE.encode()]


def _kind(namespace: dict[str, Any], wit: str) -> str | None:
    """``"enum"`` / ``"flags"`` when ``wit`` names such a type in the generated module
    whose globals are ``namespace``."""
    import enum

    from golem_fakes.bindings.naming import upper_camel

    cls = namespace.get(upper_camel(wit))
    if isinstance(cls, type) and issubclass(cls, enum.Flag):
        return "flags"
    if isinstance(cls, type) and issubclass(cls, enum.Enum):
        return "enum"
    return None


def write_panic(env: Any, namespace: dict[str, Any], wit: str, error: BaseException) -> None:
    """Write the panic text to the calling worker's stderr (a Golem with a current
    worker; other environments have no stderr to write to). ``namespace``: the globals
    of the generated module of the binding (for the kind of a named type)."""
    console = getattr(env, "console", None)
    if console is None or getattr(env, "current_worker", None) is None:
        return
    kind = _kind(namespace, wit) if isinstance(error, (AttributeError, TypeError)) else None
    writes = panic_writes(wit, error, kind=kind)
    if writes:
        c = console()
        for chunk in writes:
            c.write("stderr", chunk)
