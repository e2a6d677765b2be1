"""``Console``: what one worker wrote to stdout / stderr and logged through ``wasi:logging``.

What Golem does (``docs/golem-io-semantics.md`` §3 and §5.6, Golem v1.3.0-dev.25):

* bytes written to the streams of ``wasi:cli/stdout`` / ``wasi:cli/stderr`` never reach the
  executor's console. Each ``write`` (and ``blocking-write-and-flush``) becomes a worker
  event (``StdOut`` / ``StdErr`` with the raw bytes) and an oplog ``log`` hint entry with
  level ``stdout`` / ``stderr``, an empty context and the bytes decoded as UTF-8 with
  invalid sequences replaced (``HostOutputStream::write`` in
  ``golem-worker-executor/src/durable_host/io/streams.rs``);
* each ``wasi:logging`` ``log(level, context, message)`` becomes a worker event
  ``Log { level, context, message }`` and an oplog ``log`` hint entry with the same level,
  context and message, verbatim; no level is filtered
  (``golem-worker-executor/src/durable_host/logging/logging.rs``).

golem-fakes keeps the same data per worker in a :class:`Console`
(``golem.console()`` for the current worker, ``golem.console("comp", "name")`` for
another) so a test can read it back, and appends the same ``log`` oplog entries.

Making it visible when a test fails (decision): bytes written to stdout / stderr are also
echoed, decoded, to Python's ``sys.stdout`` / ``sys.stderr`` at write time, so pytest's
output capture shows them under "Captured stdout/stderr call" of a failing test (and
prints them live with ``-s``); ``wasi:logging`` records are forwarded to the Python
logger ``golem.worker.<component>.<worker>`` so ``caplog`` and "Captured log call" see
them. Set :attr:`Console.echo` to ``False`` (on the class for every worker, or on one
console) to capture without echoing.
"""

from __future__ import annotations

import codecs
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from golem_fakes.state.invocation import Invocation, current_invocation
from golem_fakes.state.stdio import StdioTee, passing_on

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.registry import Worker

__all__ = ["Console", "LogRecord", "LOG_LEVELS", "PYTHON_LEVELS", "TRACE", "LOGGER_NAME",
           "forward"]

#: The ``wasi:logging/logging`` ``level`` cases, in WIT order.
LOG_LEVELS = ("trace", "debug", "info", "warn", "error", "critical")

#: Python ``logging`` level of ``trace`` (below ``DEBUG``; registered as ``"TRACE"``
#: unless the application already named level 5).
TRACE = 5

#: WIT level name -> Python ``logging`` level used when forwarding.
PYTHON_LEVELS: dict[str, int] = {
    "trace": TRACE, "debug": logging.DEBUG, "info": logging.INFO,
    "warn": logging.WARNING, "error": logging.ERROR, "critical": logging.CRITICAL,
}

#: Parent of the per-worker loggers ``golem.worker.<component>.<worker>``.
LOGGER_NAME = "golem.worker"

if logging.getLevelName(TRACE) == f"Level {TRACE}":
    logging.addLevelName(TRACE, "TRACE")

_parent_logger = logging.getLogger(LOGGER_NAME)
if _parent_logger.level == logging.NOTSET:
    # Golem filters no level (§3), so neither does the forwarding by default: every
    # record reaches the handlers (pytest's capture, caplog). Set this logger's level
    # to filter.
    _parent_logger.setLevel(TRACE)


@dataclass(frozen=True, slots=True)
class LogRecord:
    """One ``wasi:logging`` ``log`` call: ``level`` (the WIT case name: ``"trace"``,
    ``"debug"``, ``"info"``, ``"warn"``, ``"error"`` or ``"critical"``), ``context`` and
    ``message`` exactly as the worker passed them (any string, empty allowed)."""

    level: str
    context: str
    message: str


Stream = Literal["stdout", "stderr"]


def _caller() -> tuple[str, int, str]:
    """File, line and function of the worker code that made the call: the first frame
    outside golem-fakes and the generated binding modules (which hold ``_golem_rt``)."""
    f = sys._getframe(2)
    while f is not None:
        g = f.f_globals
        if "_golem_rt" not in g and not g.get("__name__", "").startswith("golem_fakes."):
            return f.f_code.co_filename, f.f_lineno, f.f_code.co_name
        f = f.f_back  # type: ignore[assignment]
    return "(unknown file)", 0, "(unknown function)"


def forward(logger: logging.Logger, pylevel: int, level: str, context: str, message: str,
            worker: str | None) -> None:
    """Hand one ``wasi:logging`` record to ``logger``: ``message`` verbatim as the
    record's msg (no args, so no %-formatting: ``caplog.messages`` holds it as logged),
    attributed to the worker code's file and line, with ``golem_level``,
    ``golem_context`` and ``golem_worker`` attributes."""
    fn, lno, func = _caller()
    record = logger.makeRecord(logger.name, pylevel, fn, lno, message, None, None, func,
                               {"golem_level": level, "golem_context": context,
                                "golem_worker": worker})
    logger.handle(record)


class _Capture:
    """The bytes of one standard stream: a list of chunks joined on first read."""

    __slots__ = ("chunks", "decoder")

    def __init__(self) -> None:
        self.chunks: list[bytes] = []
        # incremental, so a UTF-8 sequence split over two writes is echoed intact
        self.decoder = codecs.getincrementaldecoder("utf-8")("replace")

    def value(self) -> bytes:
        chunks = self.chunks
        if len(chunks) > 1:
            chunks[:] = [b"".join(chunks)]
        return chunks[0] if chunks else b""


class Console:
    """Per-worker captured output: :attr:`stdout` and :attr:`stderr` (the raw bytes the
    worker wrote, in order), :attr:`logs` (:class:`LogRecord` s of its ``wasi:logging``
    calls, in order), :meth:`text` (decoded output), :meth:`clear`.

    Created by :meth:`golem_fakes.Golem.console`; one per worker for the life of the
    :class:`~golem_fakes.Golem` (Golem's event ring buffer, by contrast, keeps only recent
    events; the oplog ``log`` entries stay).
    """

    #: Echo stdout / stderr to ``sys.stdout`` / ``sys.stderr`` at write time (so pytest
    #: shows worker output of a failing test). Set to ``False`` on the class or on one
    #: console to only capture.
    echo: bool = True
    #: Record what worker code writes with ``print()`` (``sys.stdout`` / ``sys.stderr``)
    #: as stdout / stderr of this worker, as the component's CPython would write it to
    #: ``wasi:cli/stdout`` (see :mod:`golem_fakes.state.stdio`). Set to ``False`` on the
    #: class or on one console to record only writes through the bindings.
    capture_print: bool = True

    def __init__(self, golem: "Golem", worker: "Worker") -> None:
        self.golem = golem
        self.worker = worker
        self._out = _Capture()
        self._err = _Capture()
        self._logs: list[LogRecord] = []
        self._logger: logging.Logger | None = None

    # --- test side ---------------------------------------------------------------

    @property
    def stdout(self) -> bytes:
        """Every byte the worker wrote to ``wasi:cli/stdout``, in order."""
        return self._out.value()

    @property
    def stderr(self) -> bytes:
        """Every byte the worker wrote to ``wasi:cli/stderr``, in order."""
        return self._err.value()

    @property
    def logs(self) -> list[LogRecord]:
        """The worker's ``wasi:logging`` records, oldest first (a copy)."""
        return list(self._logs)

    def text(self, stream: Stream = "stdout", *, errors: str = "replace") -> str:
        """``stdout`` (or ``stderr``) decoded as UTF-8 (invalid sequences replaced by
        default, as Golem does for the oplog entries; ``errors="strict"`` to raise)."""
        if stream == "stdout":
            data = self._out.value()
        elif stream == "stderr":
            data = self._err.value()
        else:
            raise ValueError(f"stream must be 'stdout' or 'stderr', got {stream!r}")
        return data.decode("utf-8", errors)

    def clear(self) -> None:
        """Forget the captured stdout, stderr and log records (the oplog keeps its
        ``log`` entries, as Golem's does)."""
        self._out = _Capture()
        self._err = _Capture()
        self._logs.clear()

    @property
    def logger(self) -> logging.Logger:
        """The Python logger ``wasi:logging`` records of this worker are forwarded to:
        ``golem.worker.<component>.<worker>``."""
        lg = self._logger
        if lg is None:
            lg = self._logger = logging.getLogger(
                f"{LOGGER_NAME}.{self.worker.component.name}.{self.worker.name}")
        return lg

    # --- host side ---------------------------------------------------------------

    def write(self, stream: Stream, data: bytes | bytearray | memoryview, *,
              echo: bool | None = None, record_empty: bool = False) -> None:
        """Capture one write to the worker's stdout / stderr: keep the bytes, append the
        oplog ``log`` entry (level ``stream``, empty context, UTF-8 text with invalid
        sequences replaced, §5.6) and echo them if :attr:`echo` is set (``echo=False``:
        the text was ``print``ed and already went to ``sys.stdout``). An empty write
        records nothing unless ``record_empty``: Golem's ``write`` on stdout/stderr
        turns every call into an event and a ``log`` entry, also an empty one
        (``durable_host/io/streams.rs``, ``model/event.rs`` at v1.3.0-dev.25)."""
        if self._replaying():
            return  # Golem writes no output while a worker replays its oplog
        chunk = bytes(data)
        if not chunk:
            if record_empty:
                self._oplog_log(stream, "", "")
            return
        if stream == "stdout":
            cap = self._out
        else:
            cap = self._err
            inv = current_invocation.get()
            if type(inv) is Invocation and inv.worker is self.worker:
                inv.stderr_chunks.append(chunk)  # Golem's "invocation failed" stderr text
        cap.chunks.append(chunk)
        self._oplog_log(stream, "", chunk.decode("utf-8", "replace"))
        if self.echo if echo is None else echo:
            text = cap.decoder.decode(chunk)
            if text:
                target = sys.stdout if stream == "stdout" else sys.stderr
                # past the print() tee (state/stdio.py): these bytes are recorded already
                target = getattr(target, "wrapped", target) if isinstance(target, StdioTee) else target
                if target is not None:
                    target.write(text)

    def log(self, level: str, context: str, message: str) -> None:
        """Capture one ``wasi:logging`` call (§3): keep the record, append the oplog
        ``log`` entry and forward it to :attr:`logger` (``caplog`` sees it, with the WIT
        level as ``record.golem_level`` and the context as ``record.golem_context``)."""
        if self._replaying():
            return  # Golem writes no output while a worker replays its oplog
        self._logs.append(LogRecord(level, context, message))
        self._oplog_log(level, context, message)
        lg = self.logger
        pylevel = PYTHON_LEVELS[level]
        if lg.isEnabledFor(pylevel):
            token = passing_on.set(True)  # a handler printing it is not worker output
            try:
                forward(lg, pylevel, level, context, message,
                        f"{self.worker.component.name}/{self.worker.name}")
            finally:
                passing_on.reset(token)

    def _replaying(self) -> bool:
        rt = self.golem._runtimes.get(self.worker)
        return rt is not None and not rt.live

    def _oplog_log(self, level: str, context: str, message: str) -> None:
        g = self.golem
        rt = g._runtimes.get(self.worker) or g.runtime(self.worker)
        rt.oplog.append("log", level=level, context=context, message=message)

    def __repr__(self) -> str:
        return (f"<Console {self.worker.component.name}/{self.worker.name}: "
                f"{len(self.stdout)} stdout bytes, {len(self.stderr)} stderr bytes, "
                f"{len(self._logs)} log records>")
