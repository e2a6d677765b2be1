"""wasi:io/streams input-stream: read, blocking-read, skip, blocking-skip, subscribe."""

from __future__ import annotations

import time

import pytest

import golem_fakes
from golem_fakes.state.promises import Deadlock
from golem_fakes.state.streams import InputStreamRep


def closed(io, exc) -> bool:
    return isinstance(exc.value.value, io.streams.StreamError_Closed)


def scripted(*chunks):
    """A pull source replaying ``chunks`` (b"" = nothing yet), then the end."""
    it = iter(chunks)
    calls = []

    def read(n):
        calls.append(n)
        c = next(it, None)
        return None if c is None else c[:n]
    return read, calls


def test_read_returns_at_most_len_then_closed(io, guest_input):
    s = guest_input(InputStreamRep.from_bytes(b"hello world"))
    assert s.read(5) == b"hello"
    assert s.read(100) == b" world"
    with pytest.raises(io.Err) as e:
        s.read(1)
    assert closed(io, e)
    with pytest.raises(io.Err) as e:  # stays closed
        s.read(1)
    assert closed(io, e)


def test_zero_length_read_is_empty_until_the_end(io, guest_input):
    s = guest_input(InputStreamRep.from_bytes(b"ab"))
    assert s.read(0) == b""
    assert s.read(2) == b"ab"
    with pytest.raises(io.Err) as e:  # wasmtime MemoryInputPipe: read(0) on empty -> closed
        s.read(0)
    assert closed(io, e)


def test_read_on_source_with_nothing_yet_is_empty(io, guest_input):
    read, _ = scripted(b"", b"xy")
    s = guest_input(InputStreamRep(read))
    assert s.read(10) == b""
    assert s.read(10) == b"xy"
    with pytest.raises(io.Err) as e:
        s.read(10)
    assert closed(io, e)


def test_blocking_read_waits_for_data(io, guest_input):
    read, calls = scripted(b"", b"", b"data")
    s = guest_input(InputStreamRep(read))
    assert s.blocking_read(10) == b"data"
    assert len(calls) == 3


def test_blocking_read_at_end_is_closed(io, guest_input):
    s = guest_input(InputStreamRep.from_bytes(b""))
    with pytest.raises(io.Err) as e:
        s.blocking_read(4)
    assert closed(io, e)


def test_blocking_read_that_can_never_complete_raises_deadlock(io, guest_input):
    s = guest_input(InputStreamRep(lambda n: b"", name="the-never-stream"))
    with pytest.raises(Deadlock, match="the-never-stream"):
        s.blocking_read(1)
    with pytest.raises(Deadlock, match="blocking-skip"):
        s.blocking_skip(1)


def test_blocking_read_zero_len_waits_for_readiness(io, guest_input):
    read, _ = scripted(b"", b"z")
    s = guest_input(InputStreamRep(read))
    assert s.blocking_read(0) == b""
    assert s.read(5) == b"z"  # the byte pulled to test readiness is not lost


def test_skip_counts_and_closes(io, guest_input):
    s = guest_input(InputStreamRep.from_bytes(b"0123456789"))
    assert s.skip(3) == 3
    assert s.read(2) == b"34"
    assert s.skip(100) == 5
    with pytest.raises(io.Err) as e:
        s.skip(1)
    assert closed(io, e)


def test_blocking_skip(io, guest_input):
    read, _ = scripted(b"", b"abc")
    s = guest_input(InputStreamRep(read))
    assert s.blocking_skip(2) == 2
    with pytest.raises(io.Err) as e:
        s.blocking_skip(2)
    assert closed(io, e)


def test_failure_is_last_operation_failed_once_then_closed(io, guest_input):
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    rep.failure = "connection reset by peer"
    with pytest.raises(io.Err) as e:
        s.read(1)
    assert isinstance(e.value.value, io.streams.StreamError_LastOperationFailed)
    assert e.value.value.value.to_debug_string() == "connection reset by peer"
    with pytest.raises(io.Err) as e:
        s.read(1)
    assert closed(io, e)


def test_subscribe_readiness_follows_the_source(io, guest_input):
    read, _ = scripted(b"", b"q")
    s = guest_input(InputStreamRep(read))
    p = s.subscribe()
    assert p.ready() is False
    assert p.ready() is True
    assert s.read(1) == b"q"
    assert p.ready() is True  # at the end a read returns closed at once
    with pytest.raises(io.Err):
        s.read(1)


def test_subscribe_uses_the_owner_ready_callable(io, guest_input):
    flag = {"ready": False}
    s = guest_input(InputStreamRep(lambda n: b"x" * n, ready=lambda: flag["ready"]))
    p = s.subscribe()
    assert not p.ready()
    flag["ready"] = True
    assert p.ready()


def test_owner_closing_the_stream(io, guest_input):
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    rep.closed = True
    with pytest.raises(io.Err) as e:
        s.read(1)
    assert closed(io, e)


def test_100mb_read_back_in_64k_chunks_is_linear(io, guest_input):
    data = bytes(range(256)) * (100 * 1024 * 1024 // 256)
    s = guest_input(InputStreamRep.from_bytes(data))
    chunks = []
    start = time.perf_counter()
    while True:
        try:
            chunks.append(s.read(65536))
        except io.Err:
            break
    elapsed = time.perf_counter() - start
    assert len(chunks) == len(data) // 65536
    assert b"".join(chunks) == data
    assert elapsed < 10, f"100 MB in 64 KiB reads took {elapsed:.1f}s: not linear"


def test_from_bytes_slices_without_copying():
    data = bytearray(b"abcdef")
    rep = InputStreamRep.from_bytes(data)
    chunk = rep.take(3)
    assert isinstance(chunk, memoryview) and chunk.obj is data


def test_owner_close_drops_bytes_pulled_ahead(io, guest_input):
    rep = InputStreamRep(lambda n: b"abc"[:n])
    s = guest_input(rep)
    assert s.subscribe().ready()      # pulls one byte ahead
    rep.closed = True
    with pytest.raises(io.Err) as e:
        s.read(3)
    assert closed(io, e)


def test_byte_pulled_ahead_is_joined_with_the_next_read(io, guest_input):
    data = iter([b"a", b"bcd"])
    s = guest_input(InputStreamRep(lambda n: next(data, None)))
    assert s.subscribe().ready()
    assert s.read(4) == b"abcd"


from hypothesis import given, settings, strategies as st  # noqa: E402


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=2000),
       sizes=st.lists(st.integers(0, 300), min_size=1, max_size=40),
       pieces=st.lists(st.integers(1, 50), min_size=1, max_size=10),
       peek=st.booleans())
def test_any_read_pattern_reassembles_any_source_chunking(io, data, sizes, pieces, peek):
    """Whatever the source's chunking and the reader's sizes (and readiness checks),
    reads return the data in order, at most ``len`` each, then ``closed``."""
    state = {"pos": 0, "i": 0}

    def read(n):
        """Serves at most ``min(n, next piece size)`` bytes; the end once drained."""
        if state["pos"] >= len(data):
            return None
        step = min(n, pieces[state["i"] % len(pieces)])
        state["i"] += 1
        chunk = data[state["pos"]:state["pos"] + step]
        state["pos"] += len(chunk)
        return chunk

    with golem_fakes.Golem(seed=0) as g:
        g.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: InputStreamRep(read))
        s = io.stdin.get_stdin()
        out, ended, i = [], False, 0
        while not ended:
            n = sizes[i % len(sizes)] or 1
            i += 1
            if peek:
                s.subscribe().ready()
            try:
                chunk = s.blocking_read(n)
            except io.Err as e:
                assert isinstance(e.value, io.streams.StreamError_Closed)
                ended = True
                continue
            assert 0 < len(chunk) <= n
            out.append(chunk)
    assert b"".join(out) == data
