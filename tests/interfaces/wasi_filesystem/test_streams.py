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


def test_read_stream_chunks_are_at_most_64_kib(m: Any, root: Any, open_: Any, fs: Any) -> None:
    fs["/big"] = bytes(range(256)) * 400  # 102400 bytes
    s = open_(root, "big").read_via_stream(0)
    sizes = []
    while True:
        try:
            sizes.append(len(s.blocking_read(10**6)))
        except m.Err:
            break
    assert sizes == [65536, 102400 - 65536]


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
    assert w.check_write() == 65536  # wasmtime-py 50's file stream capacity
    w.write(b"LO")
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
    with pytest.raises(m.Err) as ei:
        w.check_write()  # ... and the next call reports it
    assert m.t.filesystem_error_code(ei.value.value.value) == t.ErrorCode.BAD_DESCRIPTOR


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
    # wasmtime FileInputStream (checked against wasmtime-py 50 by a differential probe):
    # a read starts a background read and returns []; data arrives after waiting.
    fs["/big"] = bytes(100_000)
    s = open_(root, "big").read_via_stream(0)
    assert s.read(100_000) == b""
    assert s.read(100_000) == b""
    s.subscribe().block()
    assert len(s.read(100_000)) == 65536
    assert s.read(100_000) == b""
    assert len(s.blocking_read(100_000)) == 100_000 - 65536
    s2 = open_(root, "big").read_via_stream(0)
    assert s2.subscribe().ready() and len(s2.read(100_000)) == 4096


def test_blocking_read_of_zero_bytes_closes_a_file_stream(m: Any, root: Any, open_: Any) -> None:
    s = open_(root, "rw.txt").read_via_stream(0)
    with pytest.raises(m.Err) as ei:
        s.blocking_read(0)
    assert _err_case(ei.value) == "Closed"
    with pytest.raises(m.Err):
        s.blocking_read(10)
