"""Helpers for probe functions (see :mod:`tests.wasmtime.probes` for the convention).

Everything here runs twice: inside the componentize-py component under wasmtime's real
WASI host, and natively under CPython on golem-fakes. So it may only use the standard
library modules that ``probes/__init__.py`` imports at build time (componentize-py
keeps only modules imported while it pre-initialises the component) and it must
render values *stably*: resource handles, timestamps and random bytes differ between
the two hosts and are never printed.
"""

from __future__ import annotations

import dataclasses
import enum
from typing import Any, Callable

from componentize_py_types import Err, Ok, Some
from wit_world.imports import preopens
from wit_world.imports import wasi_filesystem_types as types

__all__ = ["kebab", "render", "err_name", "try_", "lines_of", "preopen", "open_file",
           "read_stream_all"]


def kebab(name: str) -> str:
    """``LastOperationFailed`` / ``LAST_OPERATION_FAILED`` → ``last-operation-failed``."""
    if name.upper() == name:
        return name.lower().replace("_", "-")
    out: list[str] = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (name[i - 1].islower() or name[i - 1].isdigit()):
            out.append("-")
        elif ch == "_":
            out.append("-")
            continue
        out.append(ch.lower())
    return "".join(out)


def _is_resource(v: Any) -> bool:
    # generated resource classes carry a ``handle`` (componentize-py) attribute
    return hasattr(v, "handle") and not dataclasses.is_dataclass(v)


def render(v: Any) -> str:
    """A stable, host-independent rendering of a WIT value.

    * enum members → their WIT case name (``no-entry``); flags → ``{read|write}``
    * variant case dataclasses ``Type_Case`` → ``case(payload)`` / ``case``
    * other dataclasses (records) → ``Name(field=..., ...)``
    * resources → ``<ClassName>`` (never the handle number)
    * ``bytes`` → ``bytes[len]`` when longer than 32, else ``b'..'``
    """
    if v is None or isinstance(v, (bool, int, float)):
        return repr(v)
    if isinstance(v, str):
        return repr(v)
    if isinstance(v, (bytes, bytearray)):
        return f"bytes[{len(v)}]" if len(v) > 32 else repr(bytes(v))
    if isinstance(v, enum.Flag):
        names = sorted(kebab(m.name) for m in type(v) if m in v and m.name)
        return "{" + "|".join(names) + "}"
    if isinstance(v, enum.Enum):
        return kebab(v.name)
    if isinstance(v, (Some, Ok)):
        return f"{type(v).__name__}({render(v.value)})"
    if isinstance(v, Err):
        return f"Err({render(v.value)})"
    if isinstance(v, (list, tuple)):
        inner = ", ".join(render(x) for x in v)
        return f"[{inner}]" if isinstance(v, list) else f"({inner})"
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        cls = type(v).__name__
        if "_" in cls:  # variant case class: ``StreamError_LastOperationFailed``
            case = kebab(cls.split("_", 1)[1])
            fields = dataclasses.fields(v)
            if not fields:
                return case
            payload = getattr(v, fields[0].name)
            return f"{case}({render(payload)})"
        parts = ", ".join(f"{f.name}={render(getattr(v, f.name))}" for f in dataclasses.fields(v))
        return f"{cls}({parts})"
    if _is_resource(v):
        return f"<{type(v).__name__}>"
    return f"<{type(v).__name__}>"


def err_name(e: Any) -> str:
    """The stable name of an error payload (an ``Err`` or its ``.value``).

    Enum error codes give their case (``no-entry``); variant errors their case, with
    resources rendered as ``<Error>`` (``last-operation-failed(<Error>)``)."""
    if isinstance(e, Err):
        e = e.value
    return render(e)


def try_(out: list[str], label: str, fn: Callable[[], Any],
         show: Callable[[Any], str] = render) -> Any:
    """Call ``fn()`` and append ``"<label>: ok <show(value)>"`` or
    ``"<label>: err <err_name>"``. Returns the value, or ``None`` after an error.

    Only ``Err`` is caught; anything else (a trap, a Python exception) propagates and
    is reported by the runner for the whole probe."""
    try:
        v = fn()
    except Err as e:
        out.append(f"{label}: err {err_name(e)}")
        return None
    out.append(f"{label}: ok {show(v)}")
    return v


def lines_of(data: bytes) -> list[str]:
    """Split bytes read from a stream or file into text lines (for printing)."""
    return data.decode("utf-8", "replace").splitlines()


# --- filesystem conveniences (the probe world imports wasi:filesystem) -------------

def preopen(name: str = "/") -> Any:
    """The preopened directory descriptor named ``name`` (``/`` or ``.``; both name the
    seeded directory, golem-io-semantics.md §5.5)."""
    for desc, guest in preopens.get_directories():
        if guest == name:
            return desc
    raise LookupError(f"no preopen named {name!r}")


def open_file(path: str, *, write: bool = False, create: bool = False,
              truncate: bool = False, directory: Any = None) -> Any:
    """``open-at`` relative to the ``/`` preopen (or ``directory``): read, optionally
    write / create / truncate. Raises ``Err`` like ``open-at``."""
    d = directory if directory is not None else preopen("/")
    oflags = types.OpenFlags(0)
    if create:
        oflags |= types.OpenFlags.CREATE
    if truncate:
        oflags |= types.OpenFlags.TRUNCATE
    dflags = types.DescriptorFlags.READ
    if write:
        dflags |= types.DescriptorFlags.WRITE
    return d.open_at(types.PathFlags(0), path, oflags, dflags)


def read_stream_all(stream: Any, chunk: int = 4096, limit: int = 1 << 22) -> tuple[bytes, str]:
    """Read an input stream with ``blocking-read`` until it ends; ``(data, how it
    ended)`` where the end is the error case name (``closed``)."""
    data = bytearray()
    while len(data) < limit:
        try:
            part = stream.blocking_read(chunk)
        except Err as e:
            return bytes(data), err_name(e)
        data += part
    return bytes(data), "limit"
