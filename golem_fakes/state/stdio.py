"""``print()`` in worker code reaches the worker's stdout, as inside a component.

Inside a componentize-py component, CPython's ``sys.stdout`` / ``sys.stderr`` are file
descriptors 1 and 2 of the WASI process: everything worker code ``print``s (or logs with
a ``StreamHandler``, or writes in a traceback) goes through ``wasi:cli/stdout`` /
``stderr``, which Golem captures as worker events and oplog ``log`` entries
(``docs/golem-io-semantics.md`` §5.6). Under CPython the same code writes to the test
process's streams, which never pass through the bindings.

:class:`StdioTee` closes that gap: while a :class:`~golem_fakes.Golem` is entered,
``sys.stdout`` and ``sys.stderr`` are wrapped in a tee that passes every write on to the
stream it wraps (so pytest's capture, ``capsys`` and ``-s`` behave as before) and, when
the writing code runs inside an invocation of a Golem, also records the text, UTF-8
encoded, in that worker's :class:`~golem_fakes.state.console.Console` — the same place
and the same oplog entries as bytes written through the ``wasi:cli/stdout`` binding.
Text written outside any invocation is only passed on.

The tee is put in place when the outermost Golem is entered and taken away when the
last one exits, only if ``sys.stdout`` is still the tee (something that replaced it in
between, such as pytest switching its capture between test phases, is left alone; the
pytest plugin puts the tee back around each test's call phase). ``Console.capture_print``
(default ``True``) turns the recording off for one worker or, on the class, for all.
"""

from __future__ import annotations

import io
import sys
import threading
from contextvars import ContextVar
from typing import Any, Literal

from golem_fakes.state.invocation import Invocation, current_invocation

__all__ = ["StdioTee", "tee_streams", "untee_streams", "ensure_tee"]

Stream = Literal["stdout", "stderr"]

_LOCK = threading.Lock()
_DEPTH = 0

#: Set while golem-fakes itself writes to the streams on the worker's behalf (echoing,
#: forwarding ``wasi:logging`` records to Python's ``logging``, whose last-resort
#: handler prints to ``sys.stderr``): such text is not the worker's output.
passing_on: ContextVar[bool] = ContextVar("golem_fakes_stdio_passing_on", default=False)


class StdioTee(io.TextIOBase):
    """A text stream that passes writes on to ``wrapped`` and records them in the
    console of the worker the writing code runs as (see the module docstring). Every
    other attribute (``fileno``, ``buffer``, ``encoding``, ``isatty`` ...) is the wrapped
    stream's."""

    def __init__(self, wrapped: Any, stream: Stream) -> None:
        super().__init__()
        self.wrapped = wrapped
        self.stream: Stream = stream

    def write(self, text: str) -> int:
        inv = current_invocation.get()
        if type(inv) is Invocation and inv.runtime.replay is not None:
            return len(text)  # a replaying worker's output is not written again (Golem)
        n = self.wrapped.write(text)
        if text:
            record(self.stream, text)
        return len(text) if n is None else n

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        self.wrapped.flush()

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return bool(self.wrapped.isatty())

    def fileno(self) -> int:
        return int(self.wrapped.fileno())

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.wrapped, "encoding", "utf-8"))

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.wrapped, "errors", None)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.wrapped, name)

    def __repr__(self) -> str:
        return f"<golem-fakes tee of sys.{self.stream} around {self.wrapped!r}>"


def record(stream: Stream, text: str) -> None:
    """Record ``text`` in the console of the worker whose invocation is current, if
    any (nothing outside an invocation)."""
    inv = current_invocation.get()
    if inv is None or passing_on.get():
        return
    golem = inv.golem
    if type(inv) is not Invocation:
        inv = inv.resolve()
    elif inv.trap is not None:
        return  # the invocation trapped: its code no longer runs in Golem (issue 13 §3)
    console = golem.console(inv.worker)
    if console.capture_print:
        console.write(stream, text.encode("utf-8", "surrogateescape"), echo=False)


#: The last tee made per stream, reused while it wraps the same stream object (making a
#: new ``io.TextIOBase`` per ``with golem:`` and discarding it, which flushes the
#: wrapped stream, was half the ``golem`` fixture's cost per test).
_TEES: dict[str, StdioTee] = {}


def _wrap(name: Stream) -> None:
    current = getattr(sys, name)
    # ``type() is``, not ``isinstance``: StdioTee is an io ABC, whose isinstance check
    # of any other stream takes the slow ABC path (twice per ``with golem:``)
    if current is not None and type(current) is not StdioTee:
        tee = _TEES.get(name)
        if tee is None or tee.wrapped is not current:
            tee = _TEES[name] = StdioTee(current, name)
        setattr(sys, name, tee)


def _unwrap(name: Stream) -> None:
    current = getattr(sys, name)
    if type(current) is StdioTee:
        setattr(sys, name, current.wrapped)


def tee_streams() -> None:
    """Wrap ``sys.stdout`` / ``sys.stderr`` (counted: nested Golems wrap once).
    :func:`_wrap` written out for both streams (once per ``with golem:``)."""
    global _DEPTH
    with _LOCK:
        _DEPTH += 1
        if _DEPTH == 1:
            current = sys.stdout
            if current is not None and type(current) is not StdioTee:
                tee = _TEES.get("stdout")
                if tee is None or tee.wrapped is not current:
                    tee = _TEES["stdout"] = StdioTee(current, "stdout")
                sys.stdout = tee
            current = sys.stderr
            if current is not None and type(current) is not StdioTee:
                tee = _TEES.get("stderr")
                if tee is None or tee.wrapped is not current:
                    tee = _TEES["stderr"] = StdioTee(current, "stderr")
                sys.stderr = tee


def untee_streams() -> None:
    """Undo one :func:`tee_streams`; the last one unwraps the streams it wrapped
    (:func:`_unwrap` written out for both streams)."""
    global _DEPTH
    with _LOCK:
        if _DEPTH == 0:
            return
        _DEPTH -= 1
        if _DEPTH == 0:
            current = sys.stdout
            if type(current) is StdioTee:
                sys.stdout = current.wrapped
            current = sys.stderr
            if type(current) is StdioTee:
                sys.stderr = current.wrapped


def ensure_tee() -> None:
    """Wrap the streams again if a Golem is entered and something (pytest's capture,
    between test phases) replaced them; a no-op otherwise (without the lock: called
    for every test, and a Golem entered meanwhile by another thread wraps the streams
    itself)."""
    if not _DEPTH:
        return
    with _LOCK:
        if _DEPTH:
            _wrap("stdout")
            _wrap("stderr")
