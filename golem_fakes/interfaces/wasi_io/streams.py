"""Behaviour of ``wasi:io/streams@0.2.3``: every ``input-stream`` / ``output-stream`` method.

Semantics of wasmtime's host (``crates/wasi-io/src/impls.rs``, ``streams.rs``; the memory
pipes of ``crates/wasi/src/p2/pipe.rs``; ``AsyncWriteStream`` of ``write_stream.rs``),
which Golem links for every stream (``docs/golem-io-semantics.md`` §5):

* **errors**: ``stream-error::closed`` once an input stream reached its end (every later
  read/skip too, also with ``len = 0``) or an output stream was closed by its owner;
  ``last-operation-failed(error)`` when the source/sink failed (reported once, then the
  stream is ``closed``). Host bugs such as writing more than the permit *trap*.
* **input**: ``read(len)`` returns up to ``len`` available bytes, possibly none (the
  stream would block); ``blocking-read`` waits until at least one byte is available or
  the end; ``skip``/``blocking-skip`` are read-and-discard returning the count;
  ``subscribe`` gives a pollable ready when data is available or the stream ended.
* **output**: ``check-write`` returns the permit; ``write`` of more than the permit traps
  (``write exceeded budget``) unless the stream's sink takes any size
  (``write_checks_permit`` false: wasmtime 33's file streams, Golem's stdout/stderr);
  ``write-zeroes`` above the permit traps on every stream (``cannot write more zeroes
  than `check_write` allows``, wasmtime ≥ 43; wasmtime 33 does not check but allocates
  all the zeroes at once, see :func:`output_stream_write_zeroes`); ``blocking-write-and-flush`` and
  ``blocking-write-zeroes-and-flush`` trap above the stream's blocking limit
  (``Buffer too large for blocking-write-and-flush (expected at most 4096)``), else
  write in permit-sized pieces and flush (a ``closed`` while flushing is reported, as in
  wasmtime 33: only wasmtime 35+ ignores it, commit b4e8666718);
  ``splice``/``blocking-splice`` move ``min(len, permit)`` bytes, returning 0 when
  nothing is permitted or available.
* **file output streams** (:class:`~golem_fakes.state.streams.FileOutputStreamRep`,
  wasmtime ``FileOutputStream``): busy after a ``write`` until the guest waits
  (``check-write`` 0, a second ``write`` traps ``write not permitted: check_write not
  called first``); ``blocking-write-and-flush`` is Golem's ``write`` +
  ``blocking-flush`` (Golem v1.3.0-dev.25 ``durable_host/io/streams.rs``: no size cap,
  traps on a busy stream), ``blocking-write-zeroes-and-flush`` and ``blocking-splice``
  are wasmtime's (wait first, at most 4096 zeroes).
* **drops**: a pollable made by ``subscribe`` is a child of its stream; dropping the
  stream while it is alive traps ``resource has children`` (:func:`drop_stream`).

Nothing runs beside the worker code in a test, so a blocking call on a source that
cannot produce data raises :class:`~golem_fakes.state.promises.Deadlock` naming the
stream instead of hanging. Data moves as ``memoryview`` slices; nothing is copied into
growing buffers.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap, dropped_by_collector
from golem_fakes.interfaces.wasi_io import STREAMS
from golem_fakes.state.promises import Deadlock
from golem_fakes.state.streams import (
    BLOCKING_ATTEMPTS,
    BLOCKING_WRITE_LIMIT,
    GUEST_LIST_MAX,
    MATERIALIZE_LIMIT,
    FileInputStreamRep,
    FileOutputStreamRep,
    InputStreamRep,
    OutputStreamRep,
    PollableRep,
    StreamErrorRep,
    host_buffer_trap,
)

__all__ = ["read_input", "blocking_read_input", "write_output", "drop_stream"]

_ZEROES = memoryview(bytes(65536))
CLOSED = "closed"


def _failed(message: Any) -> Err:
    """``last-operation-failed`` with an ``error`` resource: ``message`` is its debug
    string, or already the error rep (e.g. a ``wasi:http`` body error carrying an
    ``error-code``, :class:`~golem_fakes.state.http_resources.HttpStreamError`)."""
    rep = message if isinstance(message, StreamErrorRep) else StreamErrorRep(message)
    return Err(("last-operation-failed", rep))


def _input_error(rep: InputStreamRep, function: str) -> Err | None:
    if not isinstance(rep, InputStreamRep):
        raise Trap(f"input-stream rep {rep!r} is not a golem_fakes.state.streams.InputStreamRep; "
                   f"behaviours must return InputStreamRep(...) for an input-stream",
                   interface=STREAMS, function=function)
    if rep.failure is not None:
        message, rep.failure = rep.failure, None
        rep.closed = True
        return _failed(message)
    return None


def _output_error(rep: OutputStreamRep, function: str) -> Err | None:
    if not isinstance(rep, OutputStreamRep):
        raise Trap(f"output-stream rep {rep!r} is not a golem_fakes.state.streams.OutputStreamRep; "
                   f"behaviours must return OutputStreamRep(...) for an output-stream",
                   interface=STREAMS, function=function)
    if rep.failure is not None:
        message, rep.failure = rep.failure, None
        rep.closed = rep.closes_on_failure
        return _failed(message)
    if rep.closed:
        return Err(CLOSED)
    return None


def _fake_limit(n: int, what: str, function: str, rep: Any) -> Trap:
    return Trap(f"golem-fakes limit: {function} on {rep.name} would materialise {n} {what}, "
                f"more than golem-fakes' bound of {MATERIALIZE_LIMIT} bytes per call "
                f"(golem_fakes.state.streams.MATERIALIZE_LIMIT). Golem would allocate them "
                f"if the executor's memory allows; read or write in smaller pieces",
                interface=STREAMS, function=function)


def check_read_len(rep: InputStreamRep, n: int, function: str, *, blocking: bool,
                   lowered: bool) -> None:
    """Bound a read's ``len`` as the real host does. Only reads that make the host
    allocate ``n`` bytes (:meth:`InputStreamRep.allocates`: Golem's padded value
    streams, wasmtime 33's file streams) can fail: from
    :data:`~golem_fakes.state.streams.HOST_ADDRESS_SPACE` with the executor abort of
    :func:`~golem_fakes.state.streams.host_buffer_trap`. A padded read returns all
    ``n`` bytes, so ``read``/``blocking-read`` (``lowered``) of more than
    :data:`GUEST_LIST_MAX` bytes trap in wasmtime's lowering into the 32-bit guest (if
    the host's allocation does not abort the executor first), and any padded length
    above :data:`MATERIALIZE_LIMIT` hits golem-fakes' own bound. Other reads return
    ``min(n, available)`` and need no bound."""
    if n <= 0 or not rep.allocates(n, blocking):
        return
    where = ("Golem's IncomingValueEntryStream::read: vec![0u8; size]" if rep.padded
             else "wasmtime 33 FileInputStream::blocking_read: BytesMut::zeroed(size)")
    trap = host_buffer_trap(n, where, STREAMS, function)
    if trap is not None:
        raise trap
    if not rep.padded:
        return
    if lowered and n > GUEST_LIST_MAX:
        raise Trap(f"{function} on {rep.name} returns exactly the {n} bytes asked for "
                   f"(zero-padded), and a list<u8> longer than {GUEST_LIST_MAX} bytes cannot "
                   f"be lowered into the 32-bit guest: wasmtime 33's Options::realloc traps "
                   f"(u32::try_from(new_size): out of range integral type conversion "
                   f"attempted) unless Golem's host allocation of the buffer already aborted "
                   f"the executor (memory allocation of {n} bytes failed). Read at most "
                   f"incoming-value-size() bytes", interface=STREAMS, function=function)
    if n > MATERIALIZE_LIMIT:
        raise _fake_limit(n, "zero-padded bytes", function, rep)


def read_input(rep: InputStreamRep, n: int, function: str, *, lowered: bool = True) -> Any:
    """One non-blocking read: ``Ok(bytes)`` (possibly empty) or ``Err``. ``lowered``:
    the bytes are returned to the guest (``read``), not only counted or passed on
    (``skip``, ``splice``)."""
    err = _input_error(rep, function)
    if err is not None:
        return err
    check_read_len(rep, n, function, blocking=False, lowered=lowered)
    data = rep.take(n)
    if data is None:
        return Err(CLOSED)
    if not len(data) and rep.failure is not None and getattr(rep, "fails_in_read", False):
        # wasmtime's HostIncomingBodyStream::read: the error the body ended with is
        # returned by the read that polled it, not by the next one
        return _input_error(rep, function)
    return Ok(data)


def blocking_read_input(rep: InputStreamRep, n: int, function: str, *,
                        lowered: bool = True) -> Any:
    """Read once at least one byte is available (or the end / a failure is reached)."""
    if isinstance(rep, FileInputStreamRep):  # wasmtime's own blocking_read for files
        err = _input_error(rep, function)
        if err is not None:
            return err
        check_read_len(rep, n, function, blocking=True, lowered=lowered)
        data = rep.blocking_take(n)
        err = _input_error(rep, function)
        if err is not None:
            return err
        return Err(CLOSED) if data is None else Ok(data)
    for _ in range(BLOCKING_ATTEMPTS):
        err = _input_error(rep, function)
        if err is not None:
            return err
        check_read_len(rep, n, function, blocking=True, lowered=lowered)
        if n == 0:
            # wasmtime: wait for readiness, then read(0): empty, or closed at the end.
            if not rep.is_ready():
                continue
            data = rep.take(0)
        else:
            data = rep.take(n)
        if data is None:
            return Err(CLOSED)
        if len(data) or n == 0:
            return Ok(data)
        wake = getattr(rep, "wake_at_ns", None)
        at = wake() if wake is not None else None
        if at is not None:  # data due on the virtual clock: wait for it there
            rep.clock.skip_to(at)
    raise Deadlock(f"{function} on {rep.name}: no data after {BLOCKING_ATTEMPTS} attempts and "
                   f"the stream has not ended; nothing else runs in the test, so the worker "
                   f"would wait forever. Give the stream data (or let it end) before the "
                   f"blocking read, or use read / subscribe+ready.")


# ---------------------------------------------------------------- input-stream


def _intercepted(rep: Any, kind: str, compute: Any) -> Any:
    """A read or skip of a stream whose reads Golem records (a ``wasi:http`` response
    body stream, :mod:`golem_fakes.interfaces.wasi_http`): ``rep.intercept`` runs
    ``compute`` live and records it, or answers from the oplog in replay."""
    hook = getattr(rep, "intercept", None)
    if hook is None:
        return compute()
    return hook(rep, kind, compute)


@implements(STREAMS, "[method]input-stream.read")
def input_stream_read(env: Any, rep: InputStreamRep, n: int) -> Any:
    """Up to ``n`` available bytes, ``[]`` if none yet, ``closed`` after the end."""
    if getattr(rep, "intercept", None) is None:
        return read_input(rep, n, "[method]input-stream.read")
    return _intercepted_read(rep, "read", read_input, n, "[method]input-stream.read")


@implements(STREAMS, "[method]input-stream.blocking-read")
def input_stream_blocking_read(env: Any, rep: InputStreamRep, n: int) -> Any:
    """Like ``read`` but waits for at least one byte (or the end)."""
    if getattr(rep, "intercept", None) is None:
        return blocking_read_input(rep, n, "[method]input-stream.blocking-read")
    return _intercepted_read(rep, "blocking-read", blocking_read_input, n,
                             "[method]input-stream.blocking-read")


def _intercepted_read(rep: InputStreamRep, name: str, read: Any, n: int, where: str) -> Any:
    """``read(rep, n, where)`` through the stream's interceptor. A function of its own:
    a ``lambda`` in ``read``/``blocking-read`` would make ``rep`` and ``n`` cells,
    allocated on every call of those hot functions, the uninterceptable path
    included."""
    return _intercepted(rep, name, lambda: read(rep, n, where))


def _skip(rep: InputStreamRep, n: int) -> Any:
    r = read_input(rep, n, "[method]input-stream.skip", lowered=False)
    return Ok(len(r.value)) if isinstance(r, Ok) else r


def _blocking_skip(rep: InputStreamRep, n: int) -> Any:
    r = blocking_read_input(rep, n, "[method]input-stream.blocking-skip", lowered=False)
    return Ok(len(r.value)) if isinstance(r, Ok) else r


@implements(STREAMS, "[method]input-stream.skip")
def input_stream_skip(env: Any, rep: InputStreamRep, n: int) -> Any:
    """Read and discard up to ``n`` bytes; returns how many (wasmtime's default
    ``InputStream::skip`` is ``read(n).len()``)."""
    return _intercepted(rep, "skip", lambda: _skip(rep, n))


@implements(STREAMS, "[method]input-stream.blocking-skip")
def input_stream_blocking_skip(env: Any, rep: InputStreamRep, n: int) -> Any:
    """Like ``skip`` but waits for at least one byte (or the end)."""
    return _intercepted(rep, "blocking-skip", lambda: _blocking_skip(rep, n))


@implements(STREAMS, "[method]input-stream.subscribe")
def input_stream_subscribe(env: Any, rep: InputStreamRep) -> PollableRep:
    """A pollable ready when a read would return data, ``closed`` or an error."""
    if not isinstance(rep, InputStreamRep):
        raise Trap(f"input-stream rep {rep!r} is not a golem_fakes.state.streams.InputStreamRep; "
                   f"behaviours must return InputStreamRep(...) for an input-stream",
                   interface=STREAMS, function="[method]input-stream.subscribe")
    if hasattr(rep, "wake_at_ns"):
        return _TimedStreamPollable(rep)
    return PollableRep(rep.is_ready, name=f"subscribe({rep.name})", parent=rep)


class _TimedStreamPollable(PollableRep):
    """The pollable of a stream whose data arrives on the virtual clock (a ``wasi:http``
    body with ``Response(chunk_delay=...)``): while the stream waits for a time, it
    stands for that clock deadline (:attr:`delegate`), so ``poll``/``block`` jump the
    clock there instead of finding nothing else to wait for."""

    def __init__(self, rep: Any) -> None:
        super().__init__(rep.is_ready, name=f"subscribe({rep.name})", parent=rep)
        self.rep = rep

    @property
    def delegate(self) -> Any:
        rep = self.rep
        if rep.is_ready():
            return None
        at = rep.wake_at_ns()
        if at is None:
            return None
        from golem_fakes.state.clock import ClockPollable

        p = ClockPollable(rep.clock, at, f"data of {rep.name}")
        p.suspends = False  # type: ignore[attr-defined]  # waiting for HTTP is no sleep
        return p


# ---------------------------------------------------------------- output-stream


def _not_permitted(rep: OutputStreamRep, function: str) -> None:
    """wasmtime ``FileOutputStream::write``: a write while the previous one is in
    flight (or its failure not yet reported) traps."""
    if not rep.closed and (rep.busy or rep.failure is not None):
        raise Trap(f"write not permitted: check_write not called first ({rep.name} is "
                   f"still writing: wait for it with subscribe + block, blocking-flush "
                   f"or poll, then call check-write before the next write)",
                   interface=STREAMS, function=function)


def write_output(rep: OutputStreamRep, contents: Any, function: str,
                 raw: bool = False) -> Any:
    """``write``: trap above the permit (if the stream checks it), else hand the bytes
    to the sink (``raw``: the sink wasmtime's own ``splice`` reaches,
    :meth:`~golem_fakes.state.streams.OutputStreamRep.emit_raw`)."""
    if isinstance(rep, FileOutputStreamRep):
        _not_permitted(rep, function)
    err = _output_error(rep, function)
    if err is not None:
        return err
    view = memoryview(contents)
    if len(view) > rep.permit and rep.write_checks_permit:
        raise Trap(f"write exceeded budget: {len(view)} bytes written to {rep.name} but "
                   f"check-write permits {rep.permit}; call check-write and write at most "
                   f"that many bytes per write (or use blocking-write-and-flush)",
                   interface=STREAMS, function=function)
    if raw:
        rep.emit_raw(view)
    else:
        rep.emit(view)
    if rep.failure is not None and getattr(rep, "fails_on_write", False):
        # the sink rejected this very write (wasmtime's BodyWriteStream: a body longer
        # than its content-length fails the write that exceeded it)
        return _output_error(rep, function)
    return Ok(None)


def _flush(rep: OutputStreamRep, function: str) -> Any:
    err = _output_error(rep, function)
    if err is not None:
        return err
    rep.do_flush()
    return Ok(None)


def _check_blocking_limit(rep: OutputStreamRep, n: int, what: str, function: str,
                          limit: int | None = None) -> None:
    limit = rep.blocking_limit if limit is None else limit
    if n > limit:
        raise Trap(f"Buffer too large for {what} (expected at most {limit}): "
                   f"{n} bytes for {rep.name}; split the data into pieces of at most "
                   f"{limit} bytes, or use check-write + write + flush",
                   interface=STREAMS, function=function)


def _wait_writable(rep: OutputStreamRep, function: str) -> None:
    """wasmtime's ``write_ready().await``: completes what is in flight (a file
    stream's background write), then needs a permit; the sink writes synchronously,
    so only an owner-set permit of 0 can make it wait, and nothing in a test can
    change that. The caller then reports a failure the wait revealed."""
    rep.wait()
    if rep.failure is not None or rep.closed:
        return
    if rep.permit <= 0:
        raise Deadlock(f"{function} on {rep.name}: check-write permits 0 bytes and nothing "
                       f"else runs in the test to drain the stream, so the worker would wait "
                       f"forever. Set the rep's permit above 0 (or close it) before blocking.")


def _blocking_write_and_flush(rep: OutputStreamRep, view: memoryview, function: str,
                              raw: bool = False) -> Any:
    err = _output_error(rep, function)
    if err is not None:
        return err
    pos, total = 0, len(view)
    while pos < total:
        _wait_writable(rep, function)
        step = min(rep.permit, total - pos)
        r = write_output(rep, view[pos:pos + step], function, raw)
        if isinstance(r, Err):
            return r
        pos += step
    # wasmtime 33's OutputStream::blocking_write_and_flush reports a closed flush
    # (`self.flush()?`); ignoring it ("if the stream has become closed, do not") is
    # wasmtime 35+ (b4e8666718). Golem's own blocking-write-and-flush (write +
    # blocking-flush) reports it too.
    return _flush(rep, function)


@implements(STREAMS, "[method]output-stream.check-write")
def output_stream_check_write(env: Any, rep: OutputStreamRep) -> Any:
    """How many bytes the next ``write`` may carry."""
    err = _output_error(rep, "[method]output-stream.check-write")
    return err if err is not None else Ok(rep.permit)


@implements(STREAMS, "[method]output-stream.write")
def output_stream_write(env: Any, rep: OutputStreamRep, contents: Any) -> Any:
    """Write without blocking; more than the permit traps."""
    return write_output(rep, contents, "[method]output-stream.write")


@implements(STREAMS, "[method]output-stream.blocking-write-and-flush")
def output_stream_blocking_write_and_flush(env: Any, rep: OutputStreamRep, contents: Any) -> Any:
    """Write all of ``contents`` (at most the blocking limit) and flush."""
    function = "[method]output-stream.blocking-write-and-flush"
    view = memoryview(contents)
    if isinstance(rep, FileOutputStreamRep):
        # Golem (durable_host/io/streams.rs, v1.3.0-dev.25): its own `write` (any
        # size; traps on a busy stream) followed by its `blocking-flush`.
        _not_permitted(rep, function)
        err = _output_error(rep, function)
        if err is not None:
            return err
        rep.emit(view)
        return _blocking_flush(rep, function)
    if not rep.write_checks_permit:
        # Golem's own blocking-write-and-flush on a sink that takes any size (its
        # stdout/stderr): one `write` (one event, even of no bytes) + `blocking-flush`
        r = write_output(rep, view, function)
        return r if isinstance(r, Err) else _blocking_flush(rep, function)
    _check_blocking_limit(rep, len(view), "blocking-write-and-flush", function)
    return _blocking_write_and_flush(rep, view, function)


@implements(STREAMS, "[method]output-stream.flush")
def output_stream_flush(env: Any, rep: OutputStreamRep) -> Any:
    """Flush the sink (it completes at once)."""
    return _flush(rep, "[method]output-stream.flush")


@implements(STREAMS, "[method]output-stream.blocking-flush")
def output_stream_blocking_flush(env: Any, rep: OutputStreamRep) -> Any:
    """Flush, then wait until writing is permitted again (wasmtime: ``flush()?;
    write_ready().await?``)."""
    return _blocking_flush(rep, "[method]output-stream.blocking-flush")


def _blocking_flush(rep: OutputStreamRep, function: str) -> Any:
    r = _flush(rep, function)
    if isinstance(r, Ok):
        _wait_writable(rep, function)
        err = _output_error(rep, function)  # write_ready's check-write
        if err is not None:
            return err
    return r


@implements(STREAMS, "[method]output-stream.subscribe")
def output_stream_subscribe(env: Any, rep: OutputStreamRep) -> PollableRep:
    """A pollable ready when writing is permitted, or the stream is closed/failed."""
    if not isinstance(rep, OutputStreamRep):
        raise Trap(f"output-stream rep {rep!r} is not a golem_fakes.state.streams.OutputStreamRep",
                   interface=STREAMS, function="[method]output-stream.subscribe")
    return PollableRep(rep.is_ready, name=f"subscribe({rep.name})", parent=rep)


def _write_zeroes(rep: OutputStreamRep, n: int, function: str) -> Any:
    err = _output_error(rep, function)
    if err is not None:
        return err
    # wasmtime 33's default OutputStream::write_zeroes builds the zeroes first
    # (Bytes::from_iter(repeat(0).take(n))), before the stream's write checks its
    # budget: an impossible allocation aborts on every stream kind.
    trap = host_buffer_trap(n, "wasmtime 33 OutputStream::write_zeroes: "
                            "Bytes::from_iter(repeat(0).take(nelem))", STREAMS, function)
    if trap is not None:
        raise trap
    if n > rep.permit:
        if rep.write_checks_permit:
            why = ""
        else:
            why = (f"; wasmtime 33.0.0 (Golem v1.3.0-dev.25) does not check this but "
                   f"allocates all {n} zero bytes at once (OutputStream::write_zeroes, "
                   f"crates/wasi-io/src/streams.rs), which for a huge length exhausts the "
                   f"executor's memory; golem-fakes traps instead")
        raise Trap(f"cannot write more zeroes than `check_write` allows: {n} zero bytes for "
                   f"{rep.name}, check-write permits {rep.permit}{why}. Call check-write and "
                   f"write at most that many zeroes per write-zeroes",
                   interface=STREAMS, function=function)
    if n > MATERIALIZE_LIMIT:
        raise _fake_limit(n, "zero bytes", function, rep)
    while n > 0:
        step = min(n, len(_ZEROES))
        rep.emit_raw(_ZEROES[:step])
        n -= step
    return Ok(None)


@implements(STREAMS, "[method]output-stream.write-zeroes")
def output_stream_write_zeroes(env: Any, rep: OutputStreamRep, n: int) -> Any:
    """Write ``n`` zero bytes through the stream's own ``OutputStream::write`` (Golem
    does not intercept it: on stdout/stderr the zeroes go to the executor's own
    stdout/stderr, not the worker's output, golem-io-semantics.md §5.6).

    More than the permit traps. That is wasmtime ≥ 43's check; wasmtime 33.0.0, which
    Golem links, has none — its default ``write_zeroes`` allocates ``n`` zero bytes at
    once (``Bytes::from_iter(repeat(0).take(n))``), so ``write-zeroes(2**63-1)`` makes
    the executor abort on the failed allocation. The fake bounds the length by the
    permit instead (what a well-behaved guest asks for anyway), in constant memory."""
    return _write_zeroes(rep, n, "[method]output-stream.write-zeroes")


@implements(STREAMS, "[method]output-stream.blocking-write-zeroes-and-flush")
def output_stream_blocking_write_zeroes_and_flush(env: Any, rep: OutputStreamRep, n: int) -> Any:
    """Write ``n`` (at most the blocking limit) zero bytes in permitted pieces, then flush."""
    function = "[method]output-stream.blocking-write-zeroes-and-flush"
    # 4096 on every stream: wasmtime 33 crates/wasi-io/src/impls.rs checks len > 4096
    # before the stream sees the call (Golem passes it through unchanged, stdio too)
    _check_blocking_limit(rep, n, "blocking-write-zeroes-and-flush", function,
                          BLOCKING_WRITE_LIMIT)
    if isinstance(rep, FileOutputStreamRep):
        # wasmtime passes this through to FileOutputStream's own blocking write:
        # wait, write, done (the stream is ready again).
        return _file_blocking_write(rep, _ZEROES[:n], function)
    err = _output_error(rep, function)
    if err is not None:
        return err
    while n > 0:
        _wait_writable(rep, function)
        step = min(n, rep.permit)
        r = _write_zeroes(rep, step, function)
        if isinstance(r, Err):
            return r
        n -= step
    return _flush(rep, function)  # a closed flush is reported (wasmtime 33)


def _file_blocking_write(rep: FileOutputStreamRep, view: memoryview, function: str) -> Any:
    """wasmtime ``FileOutputStream::blocking_write_and_flush``: wait for the write in
    flight, report its failure (or ``closed``), write ``view`` and wait for it."""
    rep.wait()
    err = _output_error(rep, function)
    if err is not None:
        return err
    rep.emit(view)
    rep.wait()
    err = _output_error(rep, function)
    return err if err is not None else Ok(None)


def _splice(rep: OutputStreamRep, src: InputStreamRep, n: int, blocking: bool,
            function: str) -> Any:
    err = _output_error(rep, function)
    if err is not None:
        return err
    if blocking:
        _wait_writable(rep, function)
        err = _output_error(rep, function)
        if err is not None:
            return err
    n = min(n, rep.permit)
    if n == 0:
        return Ok(0)
    r = (blocking_read_input if blocking else read_input)(src, n, function, lowered=False)
    if isinstance(r, Err):
        return r
    data = r.value
    if not len(data):
        return Ok(0)
    if blocking and isinstance(rep, FileOutputStreamRep):
        w = _file_blocking_write(rep, memoryview(data), function)
    elif blocking:  # wasmtime's splice writes through OutputStream::write (emit_raw)
        w = _blocking_write_and_flush(rep, memoryview(data), function, raw=True)
    else:
        w = write_output(rep, data, function, raw=True)
    return w if isinstance(w, Err) else Ok(len(data))


@implements(STREAMS, "[method]output-stream.splice")
def output_stream_splice(env: Any, rep: OutputStreamRep, src: InputStreamRep, n: int) -> Any:
    """Move up to ``min(n, permit)`` available bytes from ``src``; returns how many."""
    return _splice(rep, src, n, False, "[method]output-stream.splice")


@implements(STREAMS, "[method]output-stream.blocking-splice")
def output_stream_blocking_splice(env: Any, rep: OutputStreamRep, src: InputStreamRep, n: int) -> Any:
    """Like ``splice`` but waits for data from ``src`` and flushes."""
    return _splice(rep, src, n, True, "[method]output-stream.blocking-splice")


# ---------------------------------------------------------------- resource drops


def drop_stream(rep: Any, function: str) -> None:
    """Drop a stream: wasmtime's ``ResourceTable::delete`` refuses while pollables
    made by its ``subscribe`` are alive (they are its children) and the worker traps
    with ``resource has children`` (probes ``streams.drop_stream_with_live_pollable``,
    ``drop_output_stream_with_live_pollable``, ``drop_stdout_with_live_pollable``).

    An explicit drop (``with`` / ``__exit__``) traps here too. A drop by the garbage
    collector (the stream object became unreachable while its pollable is still
    referenced) runs in a ``weakref`` finalizer, where an exception cannot reach the
    worker's code, so golem-fakes lets that drop happen silently and the pollable
    keeps working. In the component such a drop traps too (probe
    ``streams.gc_drop_stream_before_pollable``: ``del stream``), but whether it happens
    at all depends on the interpreter's collection order — e.g. which of a function's
    locals is released first when it returns, which differs between the component's
    CPython 3.14 and the test's — so a warning would mostly flag code that runs fine
    in the component.

    A rep with an ``on_drop()`` method is told once it is dropped (a TCP socket's
    stream stops being a child of its socket, :mod:`golem_fakes.interfaces.wasi_sockets`)."""
    children = getattr(rep, "children", 0)
    if not children or dropped_by_collector():
        hook = getattr(rep, "on_drop", None)
        if hook is not None:  # a TCP stream leaves its socket; an http body stream its body
            hook()
        return
    raise Trap(f"resource has children: {getattr(rep, 'name', rep)} is dropped while "
               f"{children} pollable(s) made by its subscribe are alive; drop the "
               f"pollables first", interface=STREAMS, function=function)


@implements(STREAMS, "[resource-drop]input-stream")
def input_stream_drop(env: Any, rep: Any) -> None:
    """Drop an input stream (traps while a pollable of its ``subscribe`` is alive)."""
    drop_stream(rep, "[resource-drop]input-stream")


@implements(STREAMS, "[resource-drop]output-stream")
def output_stream_drop(env: Any, rep: Any) -> None:
    """Drop an output stream (traps while a pollable of its ``subscribe`` is alive)."""
    drop_stream(rep, "[resource-drop]output-stream")
