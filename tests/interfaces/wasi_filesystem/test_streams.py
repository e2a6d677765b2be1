"""File streams: ``read-via-stream``, ``write-via-stream``, ``append-via-stream`` and
``filesystem-error-code`` (wasmtime ``FileInputStream`` / ``FileOutputStream``)."""

from __future__ import annotations

from typing import Any

import pytest


def _err_case(e: Any) -> str:
    return type(e.value).__name__.split("_", 1)[1]


def test_read_via_stream_from_an_offset_until_closed(m: Any, root: Any, open_: Any) -> None:
    f = open_(root, "rw.txt")
    s = f.read_via_stream(6)
    assert s.blocking_read(100) == b"world"
    with pytest.raises(m.Err) as ei:
        s.blocking_read(100)
    assert _err_case(ei.value) == "Closed"
    with pytest.raises(m.Err):
        f.read_via_stream(100).blocking_read(1)
    assert s.subscribe().ready()


def test_read_stream_reads_the_whole_requested_size(m: Any, root: Any, open_: Any,
                                                    fs: Any) -> None:
    # wasmtime 33 (Golem) FileInputStream::blocking_read allocates and preads the whole
    # size; wasmtime >= 43 caps it at 64 KiB (MAX_READ_SIZE_ALLOC)
    fs["/big"] = bytes(range(256)) * 400  # 102400 bytes
    s = open_(root, "big").read_via_stream(0)
    sizes = []
    while True:
        try:
            sizes.append(len(s.blocking_read(10**6)))
        except m.Err:
            break
    assert sizes == [102400]


def test_read_stream_sees_later_writes_until_closed(m: Any, root: Any, open_: Any) -> None:
    t = m.t
    f = open_(root, "s", t.OpenFlags.CREATE, t.DescriptorFlags.READ | t.DescriptorFlags.WRITE)
    s = f.read_via_stream(0)
    f.write(b"abc", 0)
    assert s.blocking_read(10) == b"abc"
    with pytest.raises(m.Err):
        s.blocking_read(10)  # end of file: closed for good
    f.write(b"def", 3)
    with pytest.raises(m.Err):
        s.blocking_read(10)


def test_write_via_stream_and_append(m: Any, root: Any, open_: Any, fs: Any) -> None:
    t = m.t
    f = open_(root, "rw.txt", None, t.DescriptorFlags.READ | t.DescriptorFlags.WRITE)
    w = f.write_via_stream(3)
    assert w.check_write() == 1 << 20  # wasmtime 33's FILE_WRITE_CAPACITY (50: 64 KiB)
    w.write(b"LO")
    w.blocking_flush()  # wait for the background write before writing again
    w.blocking_write_and_flush(b" W")
    assert fs["/rw.txt"] == b"helLO World"
    a = f.append_via_stream()
    a.blocking_write_and_flush(b"!")
    f.write(b"0123456789abcdef", 0)
    a.blocking_write_and_flush(b"?")
    assert fs["/rw.txt"] == b"0123456789abcdef?"
    w2 = f.write_via_stream(20)
    w2.blocking_write_and_flush(b"x")
    assert fs["/rw.txt"] == b"0123456789abcdef?" + bytes(3) + b"x"
    # Golem: blocking-write-and-flush is its own write + blocking-flush, no 4096 cap
    # (wasmtime alone would trap here).
    w2.blocking_write_and_flush(bytes(10_000))
    assert len(fs["/rw.txt"]) == 21 + 10_000


def test_stream_on_wrong_open_mode_fails_with_bad_descriptor(m: Any, root: Any, open_: Any) -> None:
    t = m.t
    wo = open_(root, "rw.txt", None, t.DescriptorFlags.WRITE)
    s = wo.read_via_stream(0)
    with pytest.raises(m.Err) as ei:
        s.blocking_read(10)
    assert _err_case(ei.value) == "LastOperationFailed"
    err = ei.value.value.value
    assert t.filesystem_error_code(err) == t.ErrorCode.BAD_DESCRIPTOR
    assert "Bad file descriptor" in err.to_debug_string()
    with pytest.raises(m.Err) as ei:
        s.blocking_read(10)
    assert _err_case(ei.value) == "Closed"
    ro = open_(root, "rw.txt")
    w = ro.write_via_stream(0)
    w.write(b"x")  # accepted; the write fails in the background ...
    assert w.check_write() == 0  # ... still in flight until the guest waits ...
    w.flush()
    with pytest.raises(m.Err) as ei:
        w.blocking_flush()  # ... and the wait reports it
    assert m.t.filesystem_error_code(ei.value.value.value) == t.ErrorCode.BAD_DESCRIPTOR
    with pytest.raises(m.Err) as ei:
        w.check_write()
    assert _err_case(ei.value) == "Closed"


def test_filesystem_error_code_is_none_for_other_streams(m: Any, g: Any) -> None:
    from golem_fakes.state.streams import InputStreamRep

    rep = InputStreamRep(lambda n: b"")
    rep.failure = "boom"
    g.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: rep)
    from wit_world.imports import stdin

    s = stdin.get_stdin()
    with pytest.raises(m.Err) as ei:
        s.read(1)
    assert m.t.filesystem_error_code(ei.value.value.value) is None


def test_non_blocking_reads_deliver_only_after_a_wait(m: Any, root: Any, open_: Any, fs: Any) -> None:
    # wasmtime 33 FileInputStream (checked against wasmtime-py 50 by a differential probe,
    # which reads at most 64 KiB where 33 reads the whole size): a read starts a
    # background read and returns []; data arrives after waiting.
    fs["/big"] = bytes(100_000)
    s = open_(root, "big").read_via_stream(0)
    assert s.read(100_000) == b""
    assert s.read(100_000) == b""
    s.subscribe().block()
    assert len(s.read(100_000)) == 100_000
    assert s.read(100_000) == b""
    with pytest.raises(m.Err):
        s.blocking_read(100_000)  # the end of the file
    s2 = open_(root, "big").read_via_stream(0)
    p2 = s2.subscribe()
    assert not p2.ready()  # the 4096-byte read it starts is still running
    assert p2.ready() and len(s2.read(100_000)) == 4096


def test_file_input_pollable_is_not_ready_until_its_read_completes(m: Any, root: Any,
                                                                   open_: Any, fs: Any) -> None:
    # wasmtime 33 Pollable for FileInputStream spawns a 4096-byte read on a blocking
    # thread; pollable.ready polls it once (poll_immediate): not ready yet. A later wait
    # (block, poll, ready again) finds it done.
    from wit_world.imports import poll

    fs["/big"] = bytes(10_000)
    s = open_(root, "big").read_via_stream(0)
    p = s.subscribe()
    assert p.ready() is False
    assert s.read(100) == b""  # the read is still in flight
    p.block()
    assert p.ready() is True
    assert len(s.read(10_000)) == 4096
    q = s.subscribe()
    assert q.ready() is False  # a new background read
    assert q.ready() is True
    s3 = open_(root, "big").read_via_stream(0)
    r = s3.subscribe()
    assert poll.poll([r]) == [0]  # poll waits
    assert len(s3.read(10_000)) == 4096


def test_blocking_read_of_zero_bytes_closes_a_file_stream(m: Any, root: Any, open_: Any) -> None:
    s = open_(root, "rw.txt").read_via_stream(0)
    with pytest.raises(m.Err) as ei:
        s.blocking_read(0)
    assert _err_case(ei.value) == "Closed"
    with pytest.raises(m.Err):
        s.blocking_read(10)


# --- FileOutputStreamRep: wasmtime's FileOutputStream state machine (probes
# streams.file_write_*) and Golem's blocking-write-and-flush -------------------------


def _wstream(m: Any, root: Any, open_: Any, name: str = "w.bin") -> tuple[Any, Any]:
    t = m.t
    f = open_(root, name, t.OpenFlags.CREATE, t.DescriptorFlags.READ | t.DescriptorFlags.WRITE)
    return f, f.write_via_stream(0)


def test_file_output_stream_is_busy_after_a_write_until_a_wait(m: Any, root: Any, open_: Any,
                                                               fs: Any) -> None:
    from golem_fakes.bindings.runtime import Trap

    f, w = _wstream(m, root, open_)
    w.write(b"ab")
    assert fs["/w.bin"] == b"ab"  # the background write ran at once
    assert w.check_write() == 0
    w.flush()
    assert w.check_write() == 0  # flush does not wait
    with pytest.raises(Trap, match="write not permitted: check_write not called first"):
        w.write(b"cd")
    with pytest.raises(Trap, match="write not permitted"):
        w.write(b"")  # even an empty write
    with pytest.raises(Trap):
        w.write_zeroes(1)
    assert fs["/w.bin"] == b"ab"
    p = w.subscribe()
    p.block()
    assert w.check_write() == 1 << 20
    w.write(b"cd")
    assert p.ready() and w.check_write() == 1 << 20  # ready() waits too
    w.write(b"ef")
    w.blocking_flush()
    w.write(b"gh")
    from wit_world.imports import poll

    assert poll.poll([p]) == [0]
    p.__exit__(None, None, None)
    assert w.check_write() == 1 << 20
    assert fs["/w.bin"] == b"abcdefgh"


def test_golem_blocking_write_and_flush_traps_on_a_busy_file_stream(m: Any, root: Any,
                                                                    open_: Any, fs: Any) -> None:
    # Golem v1.3.0-dev.25 durable_host/io/streams.rs: write + blocking-flush; plain
    # wasmtime would wait for the write in flight instead (EXPECTED_OVERRIDES).
    from golem_fakes.bindings.runtime import Trap

    f, w = _wstream(m, root, open_)
    w.blocking_write_and_flush(b"x" * 100_000)  # no 4096 cap, ready afterwards
    assert w.check_write() == 1 << 20
    w.write(b"y")
    with pytest.raises(Trap, match="write not permitted"):
        w.blocking_write_and_flush(b"z")
    assert fs["/w.bin"] == b"x" * 100_000 + b"y"


def test_wasmtime_blocking_writes_wait_for_a_busy_file_stream(m: Any, root: Any, open_: Any,
                                                              fs: Any) -> None:
    from golem_fakes.bindings.runtime import Trap

    fs["/src.txt"] = b"hello"
    src = open_(root, "src.txt").read_via_stream(0)
    f, w = _wstream(m, root, open_)
    w.write(b">")
    w.blocking_write_zeroes_and_flush(2)  # wasmtime's: waits, writes, ready again
    assert w.check_write() == 1 << 20
    w.write(b"<")
    assert w.splice(src, 3) == 0  # nothing permitted while busy
    assert w.blocking_splice(src, 3) == 3  # waits, then writes; ready again
    assert w.check_write() == 1 << 20
    assert fs["/w.bin"] == b">\0\0<hel"
    with pytest.raises(Trap, match="expected at most 4096"):
        w.blocking_write_zeroes_and_flush(4097)  # wasmtime's cap, Golem passes it through


def test_file_output_failure_is_reported_after_the_wait(m: Any, root: Any, open_: Any) -> None:
    from golem_fakes.bindings.runtime import Trap

    w = open_(root, "rw.txt").write_via_stream(0)  # read-only descriptor
    w.write(b"x")
    w.subscribe().block()
    with pytest.raises(Trap, match="write not permitted"):
        w.write(b"y")  # the failure is pending: a write traps like on a busy stream
    w2 = open_(root, "rw.txt").write_via_stream(0)
    w2.write(b"x")
    w2.subscribe().block()
    with pytest.raises(m.Err) as ei:
        w2.check_write()
    assert _err_case(ei.value) == "LastOperationFailed"
    with pytest.raises(m.Err) as ei:
        w2.write(b"y")
    assert _err_case(ei.value) == "Closed"


def test_file_read_failure_is_reported_after_the_wait(m: Any, root: Any, open_: Any) -> None:
    t = m.t
    s = open_(root, "rw.txt", None, t.DescriptorFlags.WRITE).read_via_stream(0)
    assert s.read(10) == b""  # starts the background read, which fails ...
    assert s.read(10) == b""  # ... still in flight
    assert s.skip(10) == 0
    s.subscribe().block()
    with pytest.raises(m.Err) as ei:
        s.read(10)
    assert _err_case(ei.value) == "LastOperationFailed"
    assert t.filesystem_error_code(ei.value.value.value) == t.ErrorCode.BAD_DESCRIPTOR
    with pytest.raises(m.Err) as ei:
        s.read(10)
    assert _err_case(ei.value) == "Closed"


def test_dropping_a_file_stream_with_a_live_pollable_traps(m: Any, root: Any, open_: Any) -> None:
    from golem_fakes.bindings.runtime import Trap

    f, w = _wstream(m, root, open_)
    s = open_(root, "rw.txt").read_via_stream(0)
    p, q = w.subscribe(), s.subscribe()
    with pytest.raises(Trap, match="resource has children"):
        w.__exit__(None, None, None)
    with pytest.raises(Trap, match="resource has children"):
        s.__exit__(None, None, None)
    q.block()
    assert p.ready() and q.ready()  # the pollables still work
    # descriptors are no parents of their streams: dropping them is fine
    s2 = open_(root, "rw.txt").read_via_stream(0)
    p2 = s2.subscribe()
    f.__exit__(None, None, None)
    p2.__exit__(None, None, None)
    s2.__exit__(None, None, None)


def test_file_write_above_the_permit_does_not_trap(m: Any, root: Any, open_: Any,
                                                   fs: Any) -> None:
    # wasmtime 33 FileOutputStream::write (crates/wasi/src/p2/filesystem.rs) has no
    # budget check: the whole buffer goes to the background write (wasmtime-py 50 traps)
    f, w = _wstream(m, root, open_, "big.bin")
    n = w.check_write()
    assert n == 1 << 20
    w.write(b"b" * (n + 10))
    w.blocking_flush()
    assert fs["/big.bin"] == b"b" * (n + 10)
