"""Behaviour of ``wasi:logging``: the ``logging`` interface (see
:mod:`golem_fakes.interfaces.wasi_logging.logging`)."""

from __future__ import annotations

__all__ = ["LOGGING"]

LOGGING = "wasi:logging/logging"
