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
  Streams whose sink takes any size (``write_checks_permit = False``) do not trap:
  in wasmtime 33.0.0 — the version Golem v1.3.0-dev.25 links — a file stream's
  ``FileOutputStream::write`` (``crates/wasi/src/p2/filesystem.rs``) and Golem's stdio
  (``ManagedStdOut``, whose ``write`` is Golem's own) never compare a write with the
  permit.
* a failing source/sink gives ``last-operation-failed(error)`` once, then ``closed``.
* a pollable is ready when the operation it stands for would not block.
* a pollable made by a stream's ``subscribe`` is a *child* of the stream in the
  resource table (wasmtime ``crates/wasi-io/src/poll.rs`` ``subscribe``:
  ``table.push_child(pollable, &stream)``): dropping the stream while such a pollable
  is alive traps with ``resource has children``. Stream reps count their live child
  pollables in ``children`` (:class:`PollableRep` with ``parent=``); file streams and
  directory-entry streams are no children of their descriptor (wasmtime's p2
  filesystem host uses plain ``push``).

Data is handled zero-copy where possible: :meth:`InputStreamRep.from_bytes` slices a
``memoryview``; :meth:`OutputStreamRep.to_chunks` keeps the written chunks in a list
and joins them once in :meth:`OutputStreamRep.getvalue`.
"""

from __future__ import annotations

import itertools
from typing import Any, Callable

__all__ = ["InputStreamRep", "FileInputStreamRep", "OutputStreamRep", "FileOutputStreamRep",
           "PollableRep", "StreamErrorRep", "DEFAULT_BUDGET", "BLOCKING_WRITE_LIMIT",
           "BLOCKING_ATTEMPTS", "RUST_ALLOC_MAX", "HOST_ADDRESS_SPACE", "GUEST_LIST_MAX",
           "MATERIALIZE_LIMIT", "host_buffer_trap"]

#: Bytes ``check-write`` permits by default.
DEFAULT_BUDGET = 4096
#: wasmtime's cap on ``blocking-write-and-flush`` contents (WIT doc: "at most 4096").
BLOCKING_WRITE_LIMIT = 4096

#: How often a blocking operation asks a not-ready source again before giving up with
#: :class:`~golem_fakes.state.promises.Deadlock` (nothing else runs during a test, so
#: only a source that changes by itself when asked can become ready).
BLOCKING_ATTEMPTS = 1000

#: Rust's ``isize::MAX``, the largest buffer ``Vec``/``BytesMut`` can ask for: a longer
#: ``vec![0u8; n]`` (Golem's ``IncomingValueEntryStream::read``, wasmtime 33's
#: ``FileInputStream::blocking_read`` ``BytesMut::zeroed(size)``) or
#: ``Bytes::from_iter(repeat(0).take(n))`` (wasmtime 33's default
#: ``OutputStream::write_zeroes``, ``crates/wasi-io/src/streams.rs``) panics with
#: ``capacity overflow`` in the host — with the workspace's ``panic = "abort"`` an
#: executor abort (``docs/golem-io-semantics.md`` §0.2).
RUST_ALLOC_MAX = 2**63 - 1

#: No host can map a buffer this large: the user address space of x86-64 Linux (4-level
#: paging) is 2^47 bytes, of aarch64 (48-bit VA) 2^48. A ``Vec`` of at least this many
#: bytes (but at most :data:`RUST_ALLOC_MAX`) makes the allocator fail, and Rust's
#: default alloc-error hook prints ``memory allocation of N bytes failed`` and aborts
#: the process (``std::alloc::handle_alloc_error``): an executor abort too. Below it,
#: whether the allocation succeeds depends on the executor's memory.
HOST_ADDRESS_SPACE = 2**48

#: The longest ``list<u8>`` wasmtime can hand to a 32-bit guest: lowering a result calls
#: the guest's ``cabi_realloc`` with ``u32::try_from(new_size)?``
#: (``crates/wasmtime/src/runtime/component/func/options.rs`` ``Options::realloc``,
#: v33.0.0), which fails — a trap — for a longer list.
GUEST_LIST_MAX = 2**32 - 1

#: golem-fakes' own bound on the bytes one stream call materialises from a requested
#: length (the zero padding of a keyvalue/blobstore value stream read, ``write-zeroes``
#: on an outgoing-value body): 64 MiB, the cap wasmtime 43+ puts on one host buffer
#: (``get-random-bytes``; wasmtime 33 has none). Golem would allocate a larger buffer if the executor's memory
#: allows; the fake traps instead, saying so, to keep every call bounded in memory.
MATERIALIZE_LIMIT = 64 * 1024 * 1024

_ids = itertools.count(1)


def host_buffer_trap(n: int, where: str, interface: str, function: str) -> Any:
    """The :class:`~golem_fakes.Trap` standing for the executor abort when the real host
    allocates an ``n``-byte buffer (``where``: the Rust code that does, e.g.
    ``"Golem's IncomingValueEntryStream::read: vec![0u8; size]"``), or ``None`` when the
    allocation may succeed (``n`` below :data:`HOST_ADDRESS_SPACE`). Above
    :data:`RUST_ALLOC_MAX` Rust panics with ``capacity overflow``; from
    :data:`HOST_ADDRESS_SPACE` the allocator fails (``memory allocation of n bytes
    failed``). Either aborts Golem's worker-executor (``panic = "abort"``, and an
    allocation failure always aborts; ``docs/golem-io-semantics.md`` §0.2)."""
    if n < HOST_ADDRESS_SPACE:
        return None
    from golem_fakes.bindings.runtime import Trap

    if n > RUST_ALLOC_MAX:
        why = (f"capacity overflow: Rust's Vec cannot hold more than isize::MAX = "
               f"{RUST_ALLOC_MAX} bytes and panics")
    else:
        why = (f"memory allocation of {n} bytes failed: no host can map that much (user "
               f"address space 2^47 on x86-64, 2^48 on aarch64)")
    return Trap(f"{why}. {function} makes the host allocate {n} bytes ({where}), which "
                f"aborts Golem's worker-executor (docs/golem-io-semantics.md §0.2): the guest "
                f"gets no answer. Pass a length the data can have (check-write's permit, the "
                f"value's or file's size)", interface=interface, function=function)


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

    ``padded=True`` marks Golem's keyvalue/blobstore value streams
    (``IncomingValueEntryStream``): every read allocates a zeroed buffer of the
    requested length and returns all of it (:meth:`allocates` is then always true);
    the behaviours bound such lengths (:data:`RUST_ALLOC_MAX`, :data:`GUEST_LIST_MAX`,
    :data:`MATERIALIZE_LIMIT`).
    """

    def __init__(self, read: Callable[[int], bytes | memoryview | None], *,
                 name: str | None = None, ready: Callable[[], bool] | None = None,
                 padded: bool = False) -> None:
        self._read = read
        self._ready = ready
        #: Every read returns exactly the requested length (zero padding).
        self.padded = padded
        self._pending: memoryview | None = None
        self.closed = False
        self.failure: str | None = None
        self.name = name or f"input-stream#{next(_ids)}"
        #: Live pollables made by ``subscribe`` (children in wasmtime's resource table).
        self.children = 0

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

    def allocates(self, n: int, blocking: bool) -> bool:
        """Whether the real host allocates a buffer of ``n`` bytes for this read: only
        Golem's padded value streams (``vec![0u8; size]`` on every read); wasmtime's
        memory pipes and Golem's other streams hand out what they hold."""
        return self.padded

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
    (``crates/wasi/src/p2/filesystem.rs`` at v33.0.0, the version Golem v1.3.0-dev.25
    links; the state machine is unchanged in the wasmtime-py 50.0.1 of the differential
    suite, whose reads are capped at 64 KiB since wasmtime 43 — 33 reads the whole
    requested size), which Golem passes file streams through to unchanged
    (``durable_host/io/streams.rs``: every non-stdin read is wasmtime's).

    wasmtime reads files on a background thread, and only a *wait* moves data to the
    guest:

    * ``read(n)`` with nothing buffered starts a background read of ``n`` bytes and
      returns ``[]``; while that read is in flight every ``read`` returns ``[]`` (the
      stream is polled only by waiting). ``read(0)`` with nothing buffered returns
      ``[]`` and starts nothing.
    * waiting — ``subscribe`` + ``ready``/``block``/``poll``, ``blocking-read``,
      ``blocking-skip``, ``blocking-splice`` — completes the read in flight. A pollable
      with none in flight starts a read of 4096 bytes first, and the ``ready()`` /
      ``poll`` that started it answers *not ready* (wasmtime's ``pollable.ready`` polls
      the future once — ``poll_immediate`` in ``crates/wasi-io/src/impls.rs`` — and the
      blocking task it has just spawned has not finished); the next wait finds it
      done. In the real host this is a race with the blocking thread (a throw-away
      component under wasmtime-py 51 saw ``ready()`` true at once in 154 of 200
      subscribes, false in 46); the fake always gives the not-ready answer, the one
      worker code must handle. Afterwards ``read`` returns the buffered bytes, ``closed`` if the read hit
      the end of the file.
    * ``blocking-read(n)`` with nothing buffered or in flight reads ``n`` bytes at
      once; ``blocking-read(0)`` then reads nothing, which wasmtime takes for the end
      of the file: the stream is ``closed`` from then on.

    * a failing background read (the source sets ``failure`` and returns ``b""``) is
      reported only after a wait, like its data: until then ``read`` returns ``[]``;
      afterwards the next operation gets ``last-operation-failed``, then ``closed``
      (probe ``streams.file_read_failure_after_wait``).

    Here the "background" read runs when it starts (nothing runs concurrently in a
    test), so its bytes are those of the file at that moment, as with wasmtime's
    immediately scheduled blocking task. ``read`` is the source as for
    :class:`InputStreamRep`.
    """

    _IDLE, _WAITING, _DATA = 0, 1, 2

    def __init__(self, read: Callable[[int], bytes | memoryview | None], *,
                 name: str | None = None) -> None:
        super().__init__(read, name=name, ready=lambda: True)
        self._state = self._IDLE
        self._result: bytes | memoryview | None = None  # of the read in flight
        self._buf: memoryview | None = None
        self._error: str | None = None  # failure of the read in flight

    def allocates(self, n: int, blocking: bool) -> bool:
        """wasmtime 33 ``FileInputStream``: a read that starts a pread (nothing buffered
        nor in flight; for a blocking read, nothing buffered after the wait) allocates
        ``BytesMut::zeroed(n)`` first."""
        if self.closed or self.failure is not None or n <= 0:
            return False
        if blocking:
            return self._state != self._DATA
        return self._state == self._IDLE

    def _background(self, n: int) -> bytes | memoryview | None:
        """wasmtime ``FileInputStream::blocking_read``: 0 bytes read → end of file. A
        failure the source reports (by setting ``failure``) is held back as the read's
        result (``b""``): wasmtime's ``ReadState::Error`` is reached only by waiting."""
        data = self._read(n) if n > 0 else None
        if self.failure is not None:
            self._error, self.failure = self.failure, None
            return b""
        if data is not None and not len(data):
            data = None
        return data

    def _settle(self, data: bytes | memoryview | None) -> None:
        if data is None:
            self.closed = True
            self._state = self._IDLE
        elif len(data):
            self._buf = memoryview(data).cast("B") if not isinstance(data, memoryview) else data
            self._state = self._DATA
        else:  # failed: the next operation reports it (``last-operation-failed``), then closed
            self.failure, self._error = self._error, None
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
        if self._state == self._IDLE and not self.closed and self.failure is None:
            self._settle(self._background(n))
        if self.failure is not None:
            return b""  # the caller reports ``failure``
        return self.take(n)

    def is_ready(self) -> bool:
        """wasmtime ``Pollable for FileInputStream``: start a 4096-byte read if none
        is in flight — then this poll is not ready (the read runs on a blocking
        thread) — else complete the read in flight: ready. ``block`` and ``poll``
        ask again, so a file stream always becomes ready by waiting."""
        if self._state == self._IDLE and not self.closed and self.failure is None:
            self._result = self._background(4096)
            self._state = self._WAITING
            return False
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
        #: Live pollables made by ``subscribe`` (children in wasmtime's resource table).
        self.children = 0

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

    #: Whether a reported ``failure`` closes the stream (wasmtime's streams that keep
    #: an error state). ``False`` for wasmtime 33's http ``BodyWriteStream``, which keeps
    #: no state: every write past the content-length fails anew while the body channel
    #: is open (``crates/wasi-http/src/body.rs`` ``BodyWriteStream::write``, v33.0.0).
    closes_on_failure = True

    #: A write is in flight: the stream accepts no write until the guest waits
    #: (only :class:`FileOutputStreamRep` ever sets it).
    busy = False

    #: Whether ``write`` traps above the permit ("write exceeded budget", wasmtime's
    #: ``AsyncWriteStream`` and memory pipes). ``False`` for a sink that takes any
    #: size: wasmtime 33's file streams and Golem's stdout/stderr.
    write_checks_permit = True

    def emit_raw(self, data: memoryview) -> None:
        """Hand ``data`` to the sink wasmtime's own code reaches — ``write-zeroes``,
        ``blocking-write-zeroes-and-flush``, ``splice`` and ``blocking-splice`` call the
        stream's ``OutputStream::write`` directly, not the host's ``write`` method.
        The same sink as :meth:`emit` unless a subclass differs (Golem's stdio)."""
        self.emit(data)

    def wait(self) -> None:
        """Complete what is in flight (wasmtime ``Pollable::ready``); the sink here
        consumes writes at once, so there is nothing to wait for."""

    def is_ready(self) -> bool:
        """The ``subscribe`` pollable: writing is permitted, or the stream is
        closed/failed (then the next operation reports it)."""
        return self.closed or self.failure is not None or self.permit > 0

    def __repr__(self) -> str:
        return f"OutputStreamRep({self.name!r}, closed={self.closed})"


class FileOutputStreamRep(OutputStreamRep):
    """An output stream with the state machine of wasmtime's ``FileOutputStream``
    (``crates/wasi/src/p2/filesystem.rs`` at v33.0.0 — linked by Golem
    v1.3.0-dev.25 —, the same state machine in wasmtime-py 50.0.1; checked by the
    ``streams.file_write_*`` probes), behind ``write-via-stream`` / ``append-via-stream``.

    * ``check-write`` permits the owner's ``budget`` (wasmtime 33: ``FILE_WRITE_CAPACITY``,
      1 MiB) when idle, and ``write`` takes any size: ``FileOutputStream::write`` never
      compares it with the permit (``write_checks_permit`` is false).

    * ``write`` starts a background write and the stream is *busy* until the guest
      waits — ``subscribe`` + ``ready``/``block``/``poll``, ``blocking-flush``,
      ``blocking-splice``, ``blocking-write-zeroes-and-flush``. While busy
      ``check-write`` answers 0, ``flush`` succeeds, and another ``write`` (even of
      no bytes) traps: ``write not permitted: check_write not called first``.
      ``write-zeroes`` is a write (it traps too) and ``splice`` writes nothing (its
      permit is 0).
    * a failing write (the sink sets ``failure``) is reported only after the wait: the
      next ``check-write`` / ``flush`` / ``blocking-flush`` gets
      ``last-operation-failed``, then ``closed``; a ``write`` before that report traps
      like a write on a busy stream.
    * wasmtime's own blocking writes (``blocking-write-zeroes-and-flush`` — at most
      :data:`BLOCKING_WRITE_LIMIT` zeroes, ``crates/wasi-io/src/impls.rs`` — and the
      write of ``blocking-splice``) wait first, write, and leave the stream ready.
      Golem's ``blocking-write-and-flush`` is instead its own ``write`` followed by
      ``blocking-flush`` (``golem-worker-executor/src/durable_host/io/streams.rs``
      at v1.3.0-dev.25): no 4096-byte cap (``blocking_limit`` is unbounded), and on a
      busy stream it traps like a second write, where plain wasmtime would wait.

    Here the background write happens when it starts (nothing runs concurrently in a
    test): its bytes are in the file at once, as with wasmtime's immediately scheduled
    blocking task, and dropping a busy stream loses nothing (wasmtime's ``cancel``
    waits for the write too).
    """

    def __init__(self, write: Callable[[memoryview], None], *,
                 flush: Callable[[], None] | None = None, budget: int = DEFAULT_BUDGET,
                 name: str | None = None) -> None:
        super().__init__(write, flush=flush, budget=budget, name=name,
                         blocking_limit=(1 << 64) - 1)
        self._error: str | None = None  # failure of the write in flight

    write_checks_permit = False

    @property  # type: ignore[override]
    def permit(self) -> int:
        """What ``check-write`` answers: 0 while a write is in flight."""
        return 0 if self.busy else self.budget

    @permit.setter
    def permit(self, value: int) -> None:
        self.budget = value

    def emit(self, data: memoryview) -> None:
        """Start the background write of ``data`` (written now); the stream is busy."""
        if len(data):
            self._write(data)
            if self.failure is not None:
                self._error, self.failure = self.failure, None
        self.busy = True

    def wait(self) -> None:
        """wasmtime ``Pollable for FileOutputStream``: the write in flight completes;
        its failure (if any) becomes the stream's ``failure``."""
        if self.busy:
            self.busy = False
            if self._error is not None:
                self.failure, self._error = self._error, None

    def is_ready(self) -> bool:
        """A file stream always becomes ready by waiting."""
        self.wait()
        return True

    def __repr__(self) -> str:
        return f"FileOutputStreamRep({self.name!r}, closed={self.closed}, busy={self.busy})"


class PollableRep:
    """Rep of ``wasi:io/poll@0.2.3`` ``pollable``: ``ready()`` says whether the event it
    stands for has happened (the operation would not block).

    ``parent`` (optional) is the resource rep whose ``subscribe`` made it — a stream
    rep, or any object with an integer ``children`` attribute: the pollable counts as
    its child until :meth:`release` (called by ``[resource-drop]pollable``), and the
    parent's drop traps while it has children (wasmtime ``ResourceTable``:
    ``resource has children``)."""

    #: The rep this pollable is a child of (``None``: no parent).
    parent: Any = None

    def __init__(self, ready: Callable[[], bool], *, name: str | None = None,
                 parent: Any = None) -> None:
        self._ready = ready
        self.name = name or f"pollable#{next(_ids)}"
        if parent is not None:
            self.parent = parent
            parent.children += 1

    def ready(self) -> bool:
        return bool(self._ready())

    def release(self) -> None:
        """The pollable was dropped: it is no longer a child of its parent (once)."""
        parent = self.parent
        if parent is not None:
            self.parent = None
            parent.children -= 1

    def __repr__(self) -> str:
        return f"PollableRep({self.name!r})"
