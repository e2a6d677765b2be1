"""Behaviour of ``wasi:config@0.2.0-draft``: the ``store`` interface (see
:mod:`golem_fakes.interfaces.wasi_config.store`)."""

from __future__ import annotations

__all__ = ["STORE"]

STORE = "wasi:config/store@0.2.0-draft"
