"""Unit tests of :class:`golem_fakes.state.streams.FileInputStreamRep`, the state
machine of wasmtime's ``FileInputStream`` (``crates/wasi/src/p2/filesystem.rs``) that
the differential probes ``streams.file_read_zero``, ``streams.file_skip`` and
``streams.splice_file_to_stdout`` check against the real host. Pure Python: no
wasmtime needed."""

from __future__ import annotations

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.interfaces.wasi_io.streams import blocking_read_input, read_input
from golem_fakes.state.streams import FileInputStreamRep


def _file(data: bytes) -> tuple[FileInputStreamRep, list[int]]:
    pos = 0
    calls: list[int] = []

    def read(n: int) -> bytes | None:
        nonlocal pos
        calls.append(n)
        if n == 0:
            return b""
        chunk = data[pos:pos + n]
        if not chunk:
            return None
        pos += len(chunk)
        return chunk

    return FileInputStreamRep(read, name="f"), calls


def _bytes(r: object) -> bytes:
    assert isinstance(r, Ok), r
    return bytes(r.value)


def test_nonblocking_read_starts_a_read_and_returns_nothing_until_waited() -> None:
    s, calls = _file(b"one\ntwo\n")
    assert _bytes(read_input(s, 4, "read")) == b""
    assert calls == [4]
    assert _bytes(read_input(s, 4, "read")) == b""  # still in flight: nothing polls it
    assert calls == [4]
    assert s.is_ready()  # waiting completes the read in flight
    assert _bytes(read_input(s, 10, "read")) == b"one\n"
    assert _bytes(read_input(s, 10, "read")) == b""  # a new background read
    assert _bytes(blocking_read_input(s, 10, "blocking-read")) == b"two\n"


def test_read_zero_starts_nothing_and_blocking_read_zero_closes() -> None:
    s, calls = _file(b"hello")
    assert _bytes(read_input(s, 0, "read")) == b""
    assert calls == []
    r = blocking_read_input(s, 0, "blocking-read")
    assert isinstance(r, Err) and r.value == "closed"
    assert isinstance(read_input(s, 5, "read"), Err)


def test_buffered_data_is_served_in_pieces_then_reads_resume() -> None:
    s, _ = _file(b"abcdef")
    assert _bytes(blocking_read_input(s, 4, "blocking-read")) == b"abcd"
    assert _bytes(blocking_read_input(s, 4, "blocking-read")) == b"ef"
    r = blocking_read_input(s, 4, "blocking-read")
    assert isinstance(r, Err) and r.value == "closed"


def test_pollable_reads_ahead_4096_bytes() -> None:
    s, calls = _file(bytes(10000))
    assert not s.is_ready()  # the poll that starts the read: still running (wasmtime 33)
    assert calls == [4096]
    assert s.is_ready()
    assert calls == [4096]
    assert len(_bytes(read_input(s, 10000, "read"))) == 4096


def test_end_of_file_reported_after_the_wait() -> None:
    s, _ = _file(b"")
    assert _bytes(read_input(s, 3, "read")) == b""  # the read in flight finds the end
    assert not s.closed
    assert s.is_ready()
    r = read_input(s, 3, "read")
    assert isinstance(r, Err) and r.value == "closed"
