"""Behaviour of ``wasi:cli/terminal-stderr@0.2.3``: ``get-terminal-stderr``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 22; Golem v1.3.0-dev.25):
``none`` — the worker's stderr is not a terminal (Golem's ``ManagedStdErr``
reports ``isatty`` false in ``golem-worker-executor/src/durable_host/io/mod.rs``, and
wasmtime returns no ``terminal-output`` then). Not recorded (§5.1). Needs no state, so it
works under a bare Environment too.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_cli import TERMINAL_STDERR

__all__ = ["get_terminal_stderr"]


@implements(TERMINAL_STDERR, "get-terminal-stderr")
def get_terminal_stderr(env: Any) -> None:
    """Always ``none``: a Golem worker's stderr is never a terminal."""
    return None
