"""Behaviour of ``wasi:cli/stdout@0.2.3``: ``get-stdout``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 16; Golem v1.3.0-dev.25,
``HostOutputStream::write`` in ``golem-worker-executor/src/durable_host/io/streams.rs``):
``write`` and ``blocking-write-and-flush`` on the stream never reach the executor's
console; each write becomes a ``StdOut`` worker event with the raw bytes and an oplog
``log`` hint entry (level ``stdout``, empty context, the bytes decoded as UTF-8 with
replacement). ``check-write`` is wasmtime's stdout permit, 1 MiB
(``StdioOutputStream::check_write``, ``crates/wasi/src/p2/stdio.rs``), but Golem's
``write`` / ``blocking-write-and-flush`` on these streams never consult it: wasmtime's
4096-byte cap of ``blocking-write-and-flush`` does not apply. Not recorded as a function
call (§5.1).

Here the bytes go to the calling worker's :class:`~golem_fakes.state.console.Console`
(``golem.console().stdout``), the oplog, and — echoed — Python's ``sys.stdout``, so
pytest shows them for a failing test.
"""

from __future__ import annotations

import sys
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_cli import STDOUT, require_golem
from golem_fakes.state.streams import OutputStreamRep

__all__ = ["STDIO_PERMIT", "console_stream", "get_stdout"]

#: wasmtime's ``check-write`` answer for stdout / stderr (1 MiB).
STDIO_PERMIT = 1024 * 1024


def console_stream(env: Any, stream: str, interface: str, function: str) -> OutputStreamRep:
    """An output stream whose writes go to the calling worker's console ``stream``
    (``"stdout"`` or ``"stderr"``)."""
    g = require_golem(env, interface, function, f"captures the {stream}")
    console = g.console()
    write = console.write
    # blocking-write-and-flush has no cap on these streams in Golem (its own write +
    # flush); contents above the permit reach the console in permit-sized writes.
    return OutputStreamRep(lambda view: write(stream, view), budget=STDIO_PERMIT, name=stream,
                           blocking_limit=sys.maxsize)


@implements(STDOUT, "get-stdout")
def get_stdout(env: Any) -> OutputStreamRep:
    """The calling worker's stdout: writes are captured (see the module docstring)."""
    return console_stream(env, "stdout", STDOUT, "get-stdout")
