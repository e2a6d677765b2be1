"""Behaviour of ``wasi:cli/stdin@0.2.3``: ``get-stdin``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 22; Golem v1.3.0-dev.25,
``ManagedStdIn`` in ``golem-worker-executor/src/durable_host/io/mod.rs``): ``get-stdin``
returns a stream, but its ``read`` returns ``StreamError::trap("standard input is
disabled")``, so ``read``, ``blocking-read``, ``skip`` and ``blocking-skip`` (wasmtime's
default ``skip`` reads) all trap with that message; the stream's pollable is always ready.
Not recorded (§5.1).
"""

from __future__ import annotations

from typing import Any, NoReturn

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_cli import STDIN
from golem_fakes.interfaces.wasi_io import STREAMS
from golem_fakes.state.streams import InputStreamRep

__all__ = ["STDIN_DISABLED", "get_stdin"]

#: The trap message of every stdin read (Golem's ``ManagedStdIn``).
STDIN_DISABLED = "standard input is disabled"


def _disabled(n: int) -> NoReturn:
    raise Trap(f"{STDIN_DISABLED}: Golem gives workers no standard input, so every read of "
               f"the wasi:cli/stdin stream traps (the invocation fails). Pass input as "
               f"invocation parameters, arguments or environment variables instead.",
               interface=STREAMS, function="[method]input-stream.read")


@implements(STDIN, "get-stdin")
def get_stdin(env: Any) -> InputStreamRep:
    """A stream whose every read traps with ``standard input is disabled``; subscribing
    gives a pollable that is ready at once (Golem's ``ManagedStdIn``)."""
    return InputStreamRep(_disabled, name="stdin", ready=lambda: True)
