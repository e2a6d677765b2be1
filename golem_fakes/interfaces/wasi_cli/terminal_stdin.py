"""Behaviour of ``wasi:cli/terminal-stdin@0.2.3``: ``get-terminal-stdin``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 22; Golem v1.3.0-dev.25):
``none`` — the worker's stdin is not a terminal (Golem's ``ManagedStdIn``
reports ``isatty`` false in ``golem-worker-executor/src/durable_host/io/mod.rs``, and
wasmtime returns no ``terminal-input`` then). Not recorded (§5.1). Needs no state, so it
works under a bare Environment too.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_cli import TERMINAL_STDIN

__all__ = ["get_terminal_stdin"]


@implements(TERMINAL_STDIN, "get-terminal-stdin")
def get_terminal_stdin(env: Any) -> None:
    """Always ``none``: a Golem worker's stdin is never a terminal."""
    return None
