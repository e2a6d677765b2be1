"""Helpers of the golem:rdbms tests (imported by name: this folder is on sys.path)."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Any


def table_name() -> str:
    return "t_" + uuid.uuid4().hex[:12]


def unlazy(x: Any) -> Any:
    """A value returned by the bindings as plain data: records → dicts, variant cases →
    ``(case, payload)`` (``None`` payload for cases without one), lazy handles → what
    their ``get()`` returns, converted likewise."""
    from golem_fakes.bindings.runtime import case_name

    cls = type(x)
    if cls.__name__ in ("LazyDbValue", "LazyDbColumnType"):
        return unlazy(x.get())
    if isinstance(x, list):
        return [unlazy(v) for v in x]
    if isinstance(x, tuple):
        return tuple(unlazy(v) for v in x)
    if dataclasses.is_dataclass(x):
        if "_" in cls.__name__:
            return (case_name(x), unlazy(getattr(x, "value", None)))
        return {f.name: unlazy(getattr(x, f.name)) for f in dataclasses.fields(x)}
    return x
