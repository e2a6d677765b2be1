"""Errors raised while installing generated bindings."""

from __future__ import annotations

__all__ = ["BindingsConflict", "BindingsAlreadyInstalled"]


class BindingsConflict(RuntimeError):
    """Another binding package with the same top-level name is importable.

    Typically a ``wit_world/`` folder (and ``componentize_py_types.py``) written by
    ``componentize-py bindings`` sits in the project: importing it under pytest would
    give the real stubs (``raise NotImplementedError`` bodies and a second, different
    ``Err`` class) for some imports and the fakes for others, depending on
    ``sys.path`` order. The message names the path and the ways out.
    """


class BindingsAlreadyInstalled(RuntimeError):
    """:func:`golem_fakes.install` was called again with different arguments."""
