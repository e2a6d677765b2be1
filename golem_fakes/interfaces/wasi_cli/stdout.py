"""Behaviour of ``wasi:cli/stdout@0.2.3``: ``get-stdout``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 16; Golem v1.3.0-dev.25,
``HostOutputStream`` in ``golem-worker-executor/src/durable_host/io/streams.rs`` and
``ManagedStdOut`` in ``durable_host/io/mod.rs``, over wasmtime 33.0.0's ``Stdout``):

* ``write`` and ``blocking-write-and-flush`` never reach the executor's console; each
  (even of no bytes) becomes *one* ``StdOut`` worker event with the raw bytes and an oplog ``log`` hint entry
  (level ``stdout``, empty context, the bytes decoded as UTF-8 with replacement). Not
  recorded as a function call (§5.1).
* ``check-write`` is wasmtime's stdout permit, 1 MiB (``StdioOutputStream::check_write``,
  ``crates/wasi/src/p2/stdio.rs``), but Golem's ``write`` / ``blocking-write-and-flush``
  never consult it: a write larger than the permit does not trap, and wasmtime's
  4096-byte cap of ``blocking-write-and-flush`` does not apply.
* ``write-zeroes``, ``blocking-write-zeroes-and-flush``, ``splice`` and
  ``blocking-splice`` are wasmtime's (Golem passes them through), which call
  ``ManagedStdOut::write`` directly: the bytes go to the **executor's own** stdout, not to
  the worker's output (no event, no oplog entry). ``blocking-write-zeroes-and-flush``
  keeps wasmtime's cap of 4096 zeroes (``crates/wasi-io/src/impls.rs``), and
  ``write-zeroes`` above the permit traps here (wasmtime 33 allocates all the zeroes at
  once instead, see :func:`~golem_fakes.interfaces.wasi_io.streams.output_stream_write_zeroes`).

Here the captured bytes go to the calling worker's
:class:`~golem_fakes.state.console.Console` (``golem.console().stdout``), the oplog, and —
echoed — Python's ``sys.stdout``, so pytest shows them for a failing test; the bytes meant
for the executor's stdout go to Python's ``sys.stdout`` only (the test process stands for
the executor).
"""

from __future__ import annotations

import sys
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_cli import STDOUT, require_golem
from golem_fakes.state.stdio import StdioTee
from golem_fakes.state.streams import OutputStreamRep

__all__ = ["STDIO_PERMIT", "ConsoleOutputStreamRep", "console_stream", "get_stdout"]

#: wasmtime's ``check-write`` answer for stdout / stderr (1 MiB).
STDIO_PERMIT = 1024 * 1024


def executor_write(stream: str, data: memoryview) -> None:
    """Write ``data`` to the executor's own ``stream`` — here the test process's
    ``sys.stdout`` / ``sys.stderr`` (past the ``print()`` tee, so it is not recorded as
    the worker's output)."""
    target = sys.stdout if stream == "stdout" else sys.stderr
    if isinstance(target, StdioTee):
        target = target.wrapped
    if target is None:
        return
    buffer = getattr(target, "buffer", None)
    if buffer is not None:
        target.flush()
        buffer.write(bytes(data))
        buffer.flush()
    else:
        target.write(bytes(data).decode("utf-8", "replace"))


class ConsoleOutputStreamRep(OutputStreamRep):
    """A worker's stdout / stderr under Golem (see the module docstring): ``write`` of
    any size is captured; what wasmtime itself writes (:meth:`emit_raw`: zeroes,
    spliced bytes) goes to the executor's own stream."""

    write_checks_permit = False

    def __init__(self, write: Any, stream: str) -> None:
        super().__init__(write, budget=STDIO_PERMIT, name=stream, blocking_limit=sys.maxsize)
        self.stream = stream

    def emit(self, data: memoryview) -> None:
        """Golem's ``write``: one event per call, also for no bytes."""
        self._write(data)

    def emit_raw(self, data: memoryview) -> None:
        if len(data):
            executor_write(self.stream, data)


def console_stream(env: Any, stream: str, interface: str, function: str) -> OutputStreamRep:
    """An output stream whose writes go to the calling worker's console ``stream``
    (``"stdout"`` or ``"stderr"``)."""
    g = require_golem(env, interface, function, f"captures the {stream}")
    console = g.console()
    write = console.write
    return ConsoleOutputStreamRep(lambda view: write(stream, view, record_empty=True), stream)


@implements(STDOUT, "get-stdout")
def get_stdout(env: Any) -> OutputStreamRep:
    """The calling worker's stdout: writes are captured (see the module docstring)."""
    return console_stream(env, "stdout", STDOUT, "get-stdout")
