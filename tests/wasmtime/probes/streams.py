"""wasi:io probes: input/output streams (through stdout and files), poll, errors.

Files come from the seeded preopen (``probe_setup.FILES``); the streams are the
general ones of ``wasi:filesystem`` (``read-via-stream`` / ``write-via-stream`` /
``append-via-stream``) and of ``wasi:cli`` stdout."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import poll, stdout
from wit_world.imports import wasi_filesystem_types as types

from ._util import err_name, open_file, preopen, read_stream_all, render, try_


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
    try_(out, "blocking-flush", lambda: w.blocking_flush())  # waits for the write
    try_(out, "blocking-write-and-flush", lambda: w.blocking_write_and_flush(b"def\n"))
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


# --- file output streams: busy after a write until the guest waits -----------------
# wasmtime FileOutputStream (crates/wasi/src/p2/filesystem.rs): `write` starts a
# background write; until a wait (subscribe+block, blocking-flush, ...) check-write
# answers 0 and another write traps "write not permitted: check_write not called first".


def _wstream(name: str) -> tuple[object, object]:
    f = open_file(name, write=True, create=True)
    return f, f.write_via_stream(0)


def probe_file_write_busy_until_wait(out: list[str]) -> None:
    f, w = _wstream("busy.txt")
    w.write(b"ab")
    try_(out, "check-write after write", lambda: w.check_write())
    try_(out, "flush", lambda: w.flush())
    try_(out, "check-write after flush", lambda: w.check_write())
    try_(out, "blocking-flush", lambda: w.blocking_flush())
    out.append(f"check-write after blocking-flush > 0: {w.check_write() > 0}")
    w.write(b"cd")
    out.append(f"check-write after 2nd write: {w.check_write()}")
    p = w.subscribe()
    p.block()
    out.append(f"ready after block: {p.ready()}")
    out.append(f"check-write after block > 0: {w.check_write() > 0}")
    p.__exit__(None, None, None)
    w.write(b"ef")
    out.append(f"poll: {poll.poll([w.subscribe()])}")
    try_(out, "blocking-write-and-flush after wait", lambda: w.blocking_write_and_flush(b"gh"))
    out.append(f"check-write after blocking-write-and-flush > 0: {w.check_write() > 0}")
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_write_then_blocking_write_and_flush(out: list[str]) -> None:
    # wasmtime's own blocking-write-and-flush waits first; Golem's is its own write
    # (which traps on the busy stream) + blocking-flush
    f, w = _wstream("bwf.txt")
    w.write(b"ab")
    out.append("before")
    try_(out, "blocking-write-and-flush", lambda: w.blocking_write_and_flush(b"cd"))
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_write_then_write_zeroes(out: list[str]) -> None:
    f, w = _wstream("wz.txt")
    w.write(b"ab")
    out.append("before")
    w.write_zeroes(2)
    out.append("not reached")


def probe_file_write_then_blocking_zeroes(out: list[str]) -> None:
    f, w = _wstream("bwz.txt")
    w.write(b"ab")
    try_(out, "blocking-write-zeroes-and-flush", lambda: w.blocking_write_zeroes_and_flush(2))
    out.append(f"check-write > 0: {w.check_write() > 0}")
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_blocking_zeroes_over_4096(out: list[str]) -> None:
    f, w = _wstream("bwz4097.txt")
    try_(out, "4096 zeroes", lambda: w.blocking_write_zeroes_and_flush(4096))
    out.append("before")
    w.blocking_write_zeroes_and_flush(4097)
    out.append("not reached")


def probe_file_write_then_splice(out: list[str]) -> None:
    src = open_file("hello.txt").read_via_stream(0)
    src.subscribe().block()
    f, w = _wstream("splice.txt")
    w.write(b">")
    try_(out, "splice while busy", lambda: w.splice(src, 3))
    try_(out, "blocking-splice", lambda: w.blocking_splice(src, 3))
    out.append(f"check-write after blocking-splice > 0: {w.check_write() > 0}")
    w.__exit__(None, None, None)
    data, _ = read_stream_all(f.read_via_stream(0))
    out.append(f"content: {data!r}")


def probe_file_write_failure_after_wait(out: list[str]) -> None:
    f = open_file("hello.txt")  # read-only descriptor: the background write fails
    w = f.write_via_stream(0)
    try_(out, "write", lambda: w.write(b"x"))
    try_(out, "check-write", lambda: w.check_write())
    try_(out, "flush", lambda: w.flush())
    try_(out, "blocking-flush", lambda: w.blocking_flush())
    try_(out, "check-write", lambda: w.check_write())
    try_(out, "write", lambda: w.write(b"y"))


def probe_file_write_failure_then_write(out: list[str]) -> None:
    f = open_file("hello.txt")
    w = f.write_via_stream(0)
    w.write(b"x")
    w.subscribe().block()
    out.append("before")
    w.write(b"y")  # the failure is pending: wasmtime traps like a second write
    out.append("not reached")


def probe_file_read_failure_after_wait(out: list[str]) -> None:
    d = preopen("/")
    f = d.open_at(types.PathFlags(0), "hello.txt", types.OpenFlags(0),
                  types.DescriptorFlags.WRITE)
    s = f.read_via_stream(0)
    try_(out, "read", lambda: s.read(10))
    try_(out, "read again", lambda: s.read(10))
    try_(out, "skip", lambda: s.skip(10))
    s.subscribe().block()
    try_(out, "read after wait", lambda: s.read(10))
    try_(out, "read then", lambda: s.read(10))


# --- child resources: a pollable is a child of the stream it came from ------------


def probe_drop_output_stream_with_live_pollable(out: list[str]) -> None:
    f, w = _wstream("child.txt")
    p = w.subscribe()
    out.append("before")
    w.__exit__(None, None, None)
    out.append(f"dropped stream first; pollable ready: {p.ready()}")


def probe_drop_stdout_with_live_pollable(out: list[str]) -> None:
    w = stdout.get_stdout()
    p = w.subscribe()
    out.append("before")
    w.__exit__(None, None, None)
    out.append(f"dropped stream first; pollable ready: {p.ready()}")


def probe_drop_stream_after_its_pollables(out: list[str]) -> None:
    s = open_file("hello.txt").read_via_stream(0)
    p1 = s.subscribe()
    p2 = s.subscribe()
    p1.__exit__(None, None, None)
    p2.__exit__(None, None, None)
    s.__exit__(None, None, None)
    out.append("dropped pollables, then stream: ok")
    w = stdout.get_stdout()
    q = w.subscribe()
    q.__exit__(None, None, None)
    w.__exit__(None, None, None)
    out.append("stdout likewise: ok")


def probe_drop_descriptor_with_live_stream_and_pollable(out: list[str]) -> None:
    # file streams and directory-entry streams are no children of their descriptor
    f = open_file("hello.txt")
    s = f.read_via_stream(0)
    p = s.subscribe()
    d = open_file("data")
    entries = d.read_directory()
    f.__exit__(None, None, None)
    d.__exit__(None, None, None)
    p.block()
    out.append("descriptors dropped; pollable still blocks fine")
    out.append(f"entry: {entries.read_directory_entry() is not None}")
    p.__exit__(None, None, None)
    data, end = read_stream_all(s)
    out.append(f"stream: {data!r} {end}")


def probe_gc_drop_stream_before_pollable(out: list[str]) -> None:
    s = open_file("hello.txt").read_via_stream(0)
    p = s.subscribe()
    p.block()
    out.append("before")
    del s  # the last reference: componentize-py's finalizer drops the handle now
    out.append("stream collected while its pollable lives")
    p.__exit__(None, None, None)
