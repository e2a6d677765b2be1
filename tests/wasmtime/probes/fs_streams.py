"""wasi:filesystem probes: ``read-via-stream`` / ``write-via-stream`` /
``append-via-stream`` (wasmtime ``FileInputStream`` / ``FileOutputStream``)."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import wasi_filesystem_types as types

from ._fs import NO_OPEN, RW, W, attempt, open_, read_all, root
from ._util import err_name

C = types.OpenFlags.CREATE


def _drain(s: object) -> list[int]:
    sizes = []
    while True:
        try:
            chunk = s.blocking_read(1_000_000)
        except Err as e:
            sizes.append(-1)
            return sizes if err_name(e) == "closed" else sizes + [err_name(e)]
        sizes.append(len(chunk))


def probe_read_stream(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt")
    s = f.read_via_stream(7)
    out.append(f"from 7: {s.blocking_read(100)!r}")
    attempt(out, "at end", lambda: s.blocking_read(100))
    attempt(out, "after end", lambda: s.blocking_read(100))
    s2 = f.read_via_stream(1000)
    attempt(out, "past end", lambda: s2.blocking_read(10))
    s3 = f.read_via_stream(0)
    out.append(f"3 bytes: {s3.blocking_read(3)!r} then {s3.blocking_read(3)!r}")
    out.append(f"skip 4: {s3.blocking_skip(4)}")
    out.append(f"rest: {s3.blocking_read(100)!r}")
    big = open_(r, "large.bin")
    out.append(f"large chunks: {_drain(big.read_via_stream(0))}")
    out.append(f"large from 100000: {_drain(big.read_via_stream(100000))}")
    e = open_(r, "empty.txt")
    attempt(out, "empty file", lambda: e.read_via_stream(0).blocking_read(10))


def probe_read_stream_sees_writes(out: list[str]) -> None:
    r = root()
    f = open_(r, "s.txt", C, RW)
    s = f.read_via_stream(0)
    f.write(b"later", 0)
    out.append(f"read after write: {s.blocking_read(100)!r}")
    f.write(b"MORE", 5)
    out.append(f"read more: {s.blocking_read(100)!r}")


def probe_write_stream(out: list[str]) -> None:
    r = root()
    f = open_(r, "ws.bin", C, RW)
    w = f.write_via_stream(3)
    out.append(f"check-write: {w.check_write()}")
    w.write(b"abc")
    w.blocking_flush()
    out.append(f"after flush check-write: {w.check_write()}")
    w.blocking_write_and_flush(b"def")
    out.append(f"file: {read_all(r, 'ws.bin')!r}")
    w2 = f.write_via_stream(0)
    w2.blocking_write_and_flush(b"XY")
    out.append(f"file: {read_all(r, 'ws.bin')!r}")
    w3 = f.write_via_stream(100)
    w3.blocking_write_and_flush(b"far")
    out.append(f"size after far write: {f.stat().size}")
    w4 = f.write_via_stream(0)
    w4.blocking_write_zeroes_and_flush(2)
    out.append(f"head: {f.read(4, 0)!r}")


def probe_append_stream(out: list[str]) -> None:
    r = root()
    f = open_(r, "lines.txt", NO_OPEN, RW)
    a = f.append_via_stream()
    a.blocking_write_and_flush(b"four\n")
    f.write(b"0123456789abcdefghij", 0)
    a.blocking_write_and_flush(b"five\n")
    out.append(f"{read_all(r, 'lines.txt')!r}")
    wo = open_(r, "hello.txt", NO_OPEN, W)
    a2 = wo.append_via_stream()
    a2.blocking_write_and_flush(b"!")
    out.append(f"{read_all(r, 'hello.txt')!r}")


def probe_removed_file(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt", NO_OPEN, RW)
    s = f.read_via_stream(0)
    r.unlink_file_at("hello.txt")
    out.append(f"read after unlink: {f.read(100, 0)!r}")
    out.append(f"stream after unlink: {s.blocking_read(100)!r}")
    out.append(f"write after unlink: {f.write(b'HELLO', 0)}")
    out.append(f"read: {f.read(5, 0)!r}")
    st = f.stat()
    out.append(f"stat: links={st.link_count} size={st.size}")
    attempt(out, "open by name", lambda: open_(r, "hello.txt"))


def probe_non_blocking_reads(out: list[str]) -> None:
    # wasmtime's FileInputStream reads on a background task: a non-blocking read
    # starts it and returns [], data arrives only after a wait.
    r = root()
    f = open_(r, "large.bin")
    s = f.read_via_stream(0)
    out.append(f"read 1: {len(s.read(100000))}")
    out.append(f"read 2: {len(s.read(100000))}")
    s.subscribe().block()
    out.append(f"after block: {len(s.read(100000))}")
    out.append(f"read 3: {len(s.read(100000))}")
    out.append(f"blocking: {len(s.blocking_read(100000))}")
    attempt(out, "at end", lambda: s.blocking_read(10))
    s2 = f.read_via_stream(0)
    attempt(out, "blocking-read(0)", lambda: s2.blocking_read(0))
    attempt(out, "then", lambda: s2.blocking_read(10))
    s3 = f.read_via_stream(0)
    # (pollable.ready right after subscribe is racy under wasmtime: not printed)
    s3.subscribe().block()
    out.append(f"after block: {len(s3.read(100000))}")
    out.append(f"skip: {s3.blocking_skip(10)} read(0): {s3.read(0)!r}")
