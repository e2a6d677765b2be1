"""Streams: the reps behind ``wasi:io/streams@0.2.3`` and ``wasi:io/poll@0.2.3``.

Other behaviours (keyvalue, blobstore, ...) create these reps and return them from
functions whose WIT result is an ``input-stream``/``output-stream``/``pollable``; the
seam wraps them in the generated resource class, and the behaviours of
:mod:`golem_fakes.interfaces.wasi_io.streams` / ``.poll`` operate on them.

What the real host does (wasmtime's WASI host, ``crates/wasi-io`` and
``crates/wasi/src/p2``, linked by Golem; ``docs/golem-io-semantics.md`` §1.2, §5):

* an input stream yields bytes until its source is exhausted; after that every read
  returns ``stream-error::closed``. A read with ``len = 0`` returns an empty list
  (or ``closed`` once the end was reached).
* an output stream grants a write *permit* through ``check-write``; writing more than
  the permit is a caller bug and traps (wasmtime ``AsyncWriteStream::write``:
  "write exceeded budget"). ``blocking-write-and-flush`` accepts at most 4096 bytes
  per call in wasmtime; Golem's is a plain write and flush, limited by the permit.
* a failing source/sink gives ``last-operation-failed(error)`` once, then ``closed``.
* a pollable is ready when the operation it stands for would not block.

Data is handled zero-copy where possible: :meth:`InputStreamRep.from_bytes` slices a
``memoryview``; :meth:`OutputStreamRep.to_chunks` keeps the written chunks in a list
and joins them once in :meth:`OutputStreamRep.getvalue`.
"""

from __future__ import annotations

import itertools
from typing import Callable

__all__ = ["InputStreamRep", "FileInputStreamRep", "OutputStreamRep", "PollableRep",
           "StreamErrorRep", "DEFAULT_BUDGET", "BLOCKING_WRITE_LIMIT", "BLOCKING_ATTEMPTS"]

#: Bytes ``check-write`` permits by default.
DEFAULT_BUDGET = 4096
#: wasmtime's cap on ``blocking-write-and-flush`` contents (WIT doc: "at most 4096").
BLOCKING_WRITE_LIMIT = 4096

#: How often a blocking operation asks a not-ready source again before giving up with
#: :class:`~golem_fakes.state.promises.Deadlock` (nothing else runs during a test, so
#: only a source that changes by itself when asked can become ready).
BLOCKING_ATTEMPTS = 1000

_ids = itertools.count(1)


class StreamErrorRep:
    """Rep of ``wasi:io/error@0.2.3`` ``error``: the payload of
    ``stream-error::last-operation-failed``. ``to-debug-string`` returns ``message``."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __repr__(self) -> str:
        return f"StreamErrorRep({self.message!r})"


class InputStreamRep:
    """Rep of ``wasi:io/streams@0.2.3`` ``input-stream``.

    ``read(n)`` is the pull source: it returns up to ``n`` bytes (``bytes`` or a
    ``memoryview``), ``b""`` when nothing is available *yet* (the stream would block),
    or ``None`` at the end of the data (the stream is then ``closed``).

    ``name`` is used in error messages (e.g. the :class:`Deadlock` raised by a blocking
    read that can never complete). Setting ``closed`` (by the owner) makes later
    operations fail with ``stream-error::closed``; setting ``failure`` to a message
    makes them fail with ``last-operation-failed`` carrying that message.

    ``ready`` (optional) tells the stream's pollable whether a read would return data
    now; without it readiness is found by pulling one byte ahead (kept for the next
    read, never lost).
    """

    def __init__(self, read: Callable[[int], bytes | memoryview | None], *,
                 name: str | None = None, ready: Callable[[], bool] | None = None) -> None:
        self._read = read
        self._ready = ready
        self._pending: memoryview | None = None
        self.closed = False
        self.failure: str | None = None
        self.name = name or f"input-stream#{next(_ids)}"

    @classmethod
    def from_bytes(cls, data: bytes | bytearray | memoryview, *,
                   name: str | None = None) -> "InputStreamRep":
        """A stream that yields ``data`` (zero-copy slices of it), then is ``closed``."""
        view = memoryview(data).cast("B") if not isinstance(data, memoryview) or data.format != "B" else data
        pos = 0
        total = len(view)

        def read(n: int) -> memoryview | None:
            nonlocal pos
            if pos >= total:
                return None
            chunk = view[pos:pos + n]
            pos += len(chunk)
            return chunk

        return cls(read, name=name, ready=lambda: True)

    def pull(self, n: int) -> bytes | memoryview | None:
        """Ask the source for up to ``n`` bytes; ``None`` marks (and records) the end."""
        if self.closed:
            return None
        data = self._read(n)
        if data is None:
            self.closed = True
        return data

    def take(self, n: int) -> bytes | memoryview | None:
        """Up to ``n`` bytes: first those pulled ahead by :meth:`is_ready`, then the
        source's. ``None`` once the stream is at its end (``closed``); bytes pulled
        ahead are dropped when the owner closes the stream."""
        if self.closed:
            self._pending = None
            return None
        pending = self._pending
        if pending is None:
            return self.pull(n)
        head = pending[:n]
        self._pending = pending[n:] if len(pending) > n else None
        if len(head) < n:
            more = self.pull(n - len(head))
            if more:
                return b"".join((head, more))
        return head

    def is_ready(self) -> bool:
        """Whether a read would not block: data is available, or the stream ended."""
        if self.closed or self.failure is not None or self._pending is not None:
            return True
        if self._ready is not None:
            return bool(self._ready())
        data = self.pull(1)
        if data is None:
            return True
        if len(data):
            self._pending = memoryview(data)
            return True
        return False

    def __repr__(self) -> str:
        return f"InputStreamRep({self.name!r}, closed={self.closed})"


class FileInputStreamRep(InputStreamRep):
    """An input stream with the state machine of wasmtime's ``FileInputStream``
    (``crates/wasi/src/p2/filesystem.rs``, identical in v33.0.0 — the version Golem
    v1.3.0-dev.25 links — and in the wasmtime-py 50 of the differential suite), which
    Golem passes file streams through to unchanged (``durable_host/io/streams.rs``:
    every non-stdin read is wasmtime's).

    wasmtime reads files on a background thread, and only a *wait* moves data to the
    guest:

    * ``read(n)`` with nothing buffered starts a background read of ``n`` bytes and
      returns ``[]``; while that read is in flight every ``read`` returns ``[]`` (the
      stream is polled only by waiting). ``read(0)`` with nothing buffered returns
      ``[]`` and starts nothing.
    * waiting — ``subscribe`` + ``ready``/``block``/``poll``, ``blocking-read``,
      ``blocking-skip``, ``blocking-splice`` — completes the read in flight (a pollable
      with none in flight starts a read of 4096 bytes first). Afterwards ``read``
      returns the buffered bytes, ``closed`` if the read hit the end of the file.
    * ``blocking-read(n)`` with nothing buffered or in flight reads ``n`` bytes at
      once; ``blocking-read(0)`` then reads nothing, which wasmtime takes for the end
      of the file: the stream is ``closed`` from then on.

    Here the "background" read runs when it starts (nothing runs concurrently in a
    test), so its bytes are those of the file at that moment, as with wasmtime's
    immediately scheduled blocking task. ``read`` is the source as for
    :class:`InputStreamRep` (``b""`` after setting ``failure`` reports an error).
    """

    _IDLE, _WAITING, _DATA = 0, 1, 2

    def __init__(self, read: Callable[[int], bytes | memoryview | None], *,
                 name: str | None = None) -> None:
        super().__init__(read, name=name, ready=lambda: True)
        self._state = self._IDLE
        self._result: bytes | memoryview | None = None  # of the read in flight
        self._buf: memoryview | None = None

    def _background(self, n: int) -> bytes | memoryview | None:
        """wasmtime ``FileInputStream::blocking_read``: 0 bytes read → end of file."""
        data = self._read(n) if n > 0 else None
        if data is not None and not len(data) and self.failure is None:
            data = None
        return data

    def _settle(self, data: bytes | memoryview | None) -> None:
        if data is None:
            self.closed = True
            self._state = self._IDLE
        elif len(data):
            self._buf = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
            self._state = self._DATA
        else:  # failed: ``failure`` is reported by the next operation
            self._state = self._IDLE

    def wait(self) -> None:
        """Complete the read in flight (wasmtime ``wait_ready``)."""
        if self._state == self._WAITING:
            data, self._result = self._result, None
            self._settle(data)

    def take(self, n: int) -> bytes | memoryview | None:
        """wasmtime ``FileInputStream::read`` (non-blocking)."""
        if self.closed:
            return None
        if self._state == self._DATA:
            buf = self._buf
            assert buf is not None
            chunk = buf[:n]
            rest = buf[len(chunk):]
            if len(rest):
                self._buf = rest
            else:
                self._buf, self._state = None, self._IDLE
            return chunk
        if self._state == self._IDLE and n > 0:
            self._result = self._background(n)
            self._state = self._WAITING
        return b""

    def blocking_take(self, n: int) -> bytes | memoryview | None:
        """wasmtime ``FileInputStream::blocking_read``: wait, read ``n`` bytes now if
        nothing is buffered, then ``read``."""
        self.wait()
        if self._state == self._IDLE and not self.closed:
            self._settle(self._background(n))
        return self.take(n)

    def is_ready(self) -> bool:
        """wasmtime ``Pollable for FileInputStream``: start a 4096-byte read if none
        is in flight, then wait for it — a file stream always becomes ready."""
        if self._state == self._IDLE and not self.closed and self.failure is None:
            self._result = self._background(4096)
            self._state = self._WAITING
        self.wait()
        return True

    def __repr__(self) -> str:
        return f"FileInputStreamRep({self.name!r}, closed={self.closed})"


class OutputStreamRep:
    """Rep of ``wasi:io/streams@0.2.3`` ``output-stream``.

    ``write(view)`` consumes written bytes (a ``memoryview`` valid only during the
    call: copy it if you keep it); ``flush()`` (optional) is called by ``flush`` /
    ``blocking-flush``.

    ``budget`` is what ``check-write`` permits (``permit``). The sink consumes every
    write at once, so the permit does not shrink with writes (as wasmtime's
    ``AsyncWriteStream`` budget is restored once its background write completed); an
    owner may set ``permit`` (0 = the sink is full: blocking writes then raise
    :class:`~golem_fakes.state.promises.Deadlock`). ``blocking_limit`` is the most
    ``blocking-write-and-flush`` / ``blocking-write-zeroes-and-flush`` accept in one
    call; by default the budget: Golem's ``blocking_write_and_flush`` is a plain write
    then a flush (``docs/golem-io-semantics.md`` §1.2), so its limit is the permit,
    which for the default budget equals wasmtime's own cap of
    :data:`BLOCKING_WRITE_LIMIT` (``crates/wasi-io/src/impls.rs``).

    Set ``closed`` (owner) to make later operations fail with ``stream-error::closed``;
    set ``failure`` to a message to make the next one fail with
    ``last-operation-failed`` (then the stream is closed).
    """

    def __init__(self, write: Callable[[memoryview], None], *,
                 flush: Callable[[], None] | None = None, budget: int = DEFAULT_BUDGET,
                 name: str | None = None, blocking_limit: int | None = None) -> None:
        if budget <= 0:
            raise ValueError(f"OutputStreamRep budget must be positive, got {budget}; "
                             f"use e.g. budget=4096")
        self._write = write
        self._flush = flush
        self.budget = budget
        self.permit = budget
        self.blocking_limit = budget if blocking_limit is None else blocking_limit
        self.closed = False
        self.failure: str | None = None
        self.name = name or f"output-stream#{next(_ids)}"
        self._chunks: list[bytes] | None = None

    @classmethod
    def to_chunks(cls, *, budget: int = DEFAULT_BUDGET, name: str | None = None) -> "OutputStreamRep":
        """A stream that collects written bytes; :meth:`getvalue` joins them once."""
        chunks: list[bytes] = []
        rep = cls(lambda view: chunks.append(bytes(view)), budget=budget, name=name)
        rep._chunks = chunks
        return rep

    @property
    def chunks(self) -> list[bytes]:
        """The chunks collected by a :meth:`to_chunks` stream."""
        if self._chunks is None:
            raise TypeError(f"{self.name} was not created with OutputStreamRep.to_chunks(); "
                            f"it forwards writes to its write callable instead")
        return self._chunks

    def getvalue(self) -> bytes:
        """All bytes written so far to a :meth:`to_chunks` stream (joined once)."""
        chunks = self.chunks
        if len(chunks) > 1:
            joined = b"".join(chunks)
            chunks[:] = [joined]
        return chunks[0] if chunks else b""

    def emit(self, data: memoryview) -> None:
        """Hand ``data`` to the sink (no budget accounting)."""
        if len(data):
            self._write(data)

    def do_flush(self) -> None:
        """Call the sink's flush, if any."""
        if self._flush is not None:
            self._flush()

    def __repr__(self) -> str:
        return f"OutputStreamRep({self.name!r}, closed={self.closed})"


class PollableRep:
    """Rep of ``wasi:io/poll@0.2.3`` ``pollable``: ``ready()`` says whether the event it
    stands for has happened (the operation would not block)."""

    def __init__(self, ready: Callable[[], bool], *, name: str | None = None) -> None:
        self._ready = ready
        self.name = name or f"pollable#{next(_ids)}"

    def ready(self) -> bool:
        return bool(self._ready())

    def __repr__(self) -> str:
        return f"PollableRep({self.name!r})"
