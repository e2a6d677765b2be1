"""wasi:io probes: input/output streams (through stdout and files), poll, errors.

Files come from the seeded preopen (``probe_setup.FILES``); the streams are the
general ones of ``wasi:filesystem`` (``read-via-stream`` / ``write-via-stream`` /
``append-via-stream``) and of ``wasi:cli`` stdout."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import poll, stdout

from ._util import err_name, open_file, read_stream_all, render, try_


def probe_file_read_stream_to_end(out: list[str]) -> None:
    f = open_file("hello.txt")
    s = f.read_via_stream(0)
    data, end = read_stream_all(s)
    out.append(f"data: {data!r}")
    out.append(f"end: {end}")
    try_(out, "read after end", lambda: s.read(1))
    try_(out, "blocking-read after end", lambda: s.blocking_read(1))


def probe_file_read_zero(out: list[str]) -> None:
    f = open_file("hello.txt")
    s = f.read_via_stream(0)
    try_(out, "read 0", lambda: s.read(0))
    try_(out, "blocking-read 0", lambda: s.blocking_read(0))
    try_(out, "read 5", lambda: s.blocking_read(5))


def probe_file_read_empty(out: list[str]) -> None:
    f = open_file("empty.txt")
    s = f.read_via_stream(0)
    try_(out, "blocking-read", lambda: s.blocking_read(10))
    try_(out, "read 0", lambda: s.read(0))


def probe_file_read_offset(out: list[str]) -> None:
    f = open_file("lines.txt")
    for off in (0, 4, 13, 14, 100):
        data, end = read_stream_all(f.read_via_stream(off))
        out.append(f"offset {off}: {data!r} then {end}")


def probe_file_read_large_chunks(out: list[str]) -> None:
    f = open_file("large.bin")
    s = f.read_via_stream(0)
    sizes = []
    total = 0
    while True:
        try:
            part = s.blocking_read(65536)
        except Err as e:
            out.append(f"end: {err_name(e)}")
            break
        total += len(part)
        sizes.append(len(part) > 0)
    out.append(f"total: {total}")
    out.append(f"every chunk non-empty: {all(sizes)}")


def probe_file_skip(out: list[str]) -> None:
    f = open_file("lines.txt")
    s = f.read_via_stream(0)
    try_(out, "skip 4", lambda: s.blocking_skip(4))
    try_(out, "read 3", lambda: s.blocking_read(3))
    try_(out, "skip 100", lambda: s.blocking_skip(100))
    try_(out, "skip after end", lambda: s.skip(1))


def probe_input_subscribe(out: list[str]) -> None:
    f = open_file("hello.txt")
    s = f.read_via_stream(0)
    p = s.subscribe()
    p.block()
    out.append(f"ready: {p.ready()}")
    out.append(f"poll: {poll.poll([p])}")


def probe_file_write_stream(out: list[str]) -> None:
    f = open_file("new.txt", write=True, create=True)
    w = f.write_via_stream(0)
    out.append(f"check-write > 0: {w.check_write() > 0}")
    try_(out, "write", lambda: w.write(b"abc"))
    try_(out, "blocking-write-and-flush", lambda: w.blocking_write_and_flush(b"def\n"))
    try_(out, "blocking-flush", lambda: w.blocking_flush())
    w.__exit__(None, None, None)
    data, end = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r} {end}")


def probe_file_write_stream_offset(out: list[str]) -> None:
    f = open_file("lines.txt", write=True)
    w = f.write_via_stream(4)
    w.blocking_write_and_flush(b"TWO")
    w.__exit__(None, None, None)
    w = f.write_via_stream(20)  # past the end: a hole of zeroes
    w.blocking_write_and_flush(b"!")
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_write_zeroes(out: list[str]) -> None:
    f = open_file("z.bin", write=True, create=True)
    w = f.write_via_stream(0)
    try_(out, "write", lambda: w.blocking_write_and_flush(b"ab"))
    w.subscribe().block()
    out.append(f"check-write >= 3: {w.check_write() >= 3}")
    try_(out, "write-zeroes 3", lambda: w.write_zeroes(3))
    try_(out, "blocking-flush", lambda: w.blocking_flush())
    try_(out, "blocking-write-zeroes-and-flush 2", lambda: w.blocking_write_zeroes_and_flush(2))
    try_(out, "write", lambda: w.blocking_write_and_flush(b"c"))
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_append_stream(out: list[str]) -> None:
    f = open_file("hello.txt", write=True)
    a = f.append_via_stream()
    try_(out, "append", lambda: a.blocking_write_and_flush(b"appended\n"))
    a.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_write_stream_on_read_only_descriptor(out: list[str]) -> None:
    f = open_file("hello.txt")  # READ only
    try_(out, "write-via-stream", lambda: f.write_via_stream(0))
    try_(out, "append-via-stream", lambda: f.append_via_stream())


def probe_read_stream_on_directory(out: list[str]) -> None:
    f = open_file("data")
    try_(out, "read-via-stream", lambda: f.read_via_stream(0))


def probe_splice_file_to_stdout(out: list[str]) -> None:
    src = open_file("lines.txt").read_via_stream(0)
    dst = stdout.get_stdout()
    try_(out, "splice 4", lambda: dst.splice(src, 4))
    try_(out, "blocking-splice 100", lambda: dst.blocking_splice(src, 100))
    try_(out, "splice after end", lambda: dst.splice(src, 4))
    dst.blocking_flush()


def probe_splice_file_to_file(out: list[str]) -> None:
    src = open_file("hello.txt").read_via_stream(0)
    f = open_file("copy.txt", write=True, create=True)
    dst = f.write_via_stream(0)
    total = 0
    while True:
        try:
            total += dst.blocking_splice(src, 5)
        except Err as e:
            out.append(f"end: {err_name(e)}")
            break
    dst.blocking_flush()
    dst.__exit__(None, None, None)
    out.append(f"spliced: {total}")
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"copy: {data!r}")


def probe_output_subscribe_ready(out: list[str]) -> None:
    s = stdout.get_stdout()
    p = s.subscribe()
    out.append(f"ready: {p.ready()}")
    out.append(f"poll: {poll.poll([p])}")
    p.block()
    out.append("blocked ok")


def probe_poll_mixed(out: list[str]) -> None:
    out_stream = stdout.get_stdout()
    a = out_stream.subscribe()
    in_stream = open_file("hello.txt").read_via_stream(0)
    b = in_stream.subscribe()
    b.block()
    out.append(f"poll: {poll.poll([a, b])}")


def probe_pollable_drop_before_stream(out: list[str]) -> None:
    s = open_file("hello.txt").read_via_stream(0)
    p = s.subscribe()
    p.__exit__(None, None, None)
    try_(out, "read after dropping pollable", lambda: s.blocking_read(5))


def probe_write_more_than_check_write(out: list[str]) -> None:
    f = open_file("budget.txt", write=True, create=True)
    w = f.write_via_stream(0)
    n = w.check_write()
    out.append(f"check-write > 0: {n > 0}")
    out.append("before")
    w.write(b"x" * (n + 1))  # more than permitted: wasmtime traps
    out.append("not reached")


def probe_drop_descriptor_keeps_stream(out: list[str]) -> None:
    f = open_file("hello.txt")
    s = f.read_via_stream(0)
    f.__exit__(None, None, None)
    data, end = read_stream_all(s)
    out.append(f"data after dropping descriptor: {render(data)} {end}")


def probe_write_twice_without_check_write(out: list[str]) -> None:
    # wasi:io: each write needs a preceding check-write permit; wasmtime's file stream
    # is busy after a write until polled, so a second write traps
    f = open_file("twice.txt", write=True, create=True)
    w = f.write_via_stream(0)
    out.append(f"check-write > 4: {w.check_write() > 4}")
    w.write(b"ab")
    out.append("first write ok")
    w.write(b"cd")
    out.append("not reached")


def probe_drop_stream_with_live_pollable(out: list[str]) -> None:
    # a pollable is a child of its stream: dropping the stream first traps in wasmtime
    s = open_file("hello.txt").read_via_stream(0)
    p = s.subscribe()
    out.append("before")
    s.__exit__(None, None, None)
    out.append(f"dropped stream first; pollable ready: {p.ready()}")


def probe_flush_then_check_write(out: list[str]) -> None:
    f = open_file("flush.txt", write=True, create=True)
    w = f.write_via_stream(0)
    n = w.check_write()
    w.write(b"x" * min(n, 10))
    try_(out, "flush", lambda: w.flush())
    w.subscribe().block()
    out.append(f"check-write after flush and block > 0: {w.check_write() > 0}")
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")
