"""wasi:filesystem probes: ``read`` / ``write`` at offsets, ``set-size``, descriptors
used against their open mode, file methods on directories."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import wasi_filesystem_types as types

from ._fs import NO_OPEN, RW, R, W, attempt, open_, read_all, root
from ._util import err_name, render

C = types.OpenFlags.CREATE


def probe_read_offsets(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt")
    for length, offset in [(5, 0), (100, 0), (100, 7), (100, 13), (100, 14), (100, 1000),
                           (0, 0), (0, 100), (1, 12), (13, 0)]:
        attempt(out, f"read({length}, {offset})", lambda: out.append(f"  {f.read(length, offset)!r}"))
    big = open_(r, "large.bin")
    data, end = big.read(200000, 0)
    out.append(f"large read: len={len(data)} end={end}")
    data, end = big.read(200000, 100 * 1024 - 10)
    out.append(f"large tail: len={len(data)} end={end}")
    attempt(out, "read huge offset", lambda: out.append(f"  {big.read(10, 2**63 - 1)!r}"))
    attempt(out, "read offset 2**63", lambda: big.read(10, 2**63))


def probe_write_offsets(out: list[str]) -> None:
    r = root()
    f = open_(r, "w.bin", C, RW)
    out.append(f"write abc@0 -> {f.write(b'abc', 0)}")
    out.append(f"write xyz@10 -> {f.write(b'xyz', 10)}")
    out.append(f"size {f.stat().size}: {read_all(r, 'w.bin')!r}")
    out.append(f"write empty@100 -> {f.write(b'', 100)}")
    out.append(f"size after empty write past end: {f.stat().size}")
    out.append(f"overwrite -> {f.write(b'BCDEFG', 1)}")
    out.append(f"{read_all(r, 'w.bin')!r}")
    out.append(f"write 5000 bytes -> {f.write(bytes(5000), 13)}")
    out.append(f"size {f.stat().size}")
    attempt(out, "write at 2**63", lambda: f.write(b"x", 2**63))
    out.append(f"size unchanged {f.stat().size}")


def probe_set_size(out: list[str]) -> None:
    r = root()
    f = open_(r, "lines.txt", NO_OPEN, RW)
    attempt(out, "grow to 20", lambda: f.set_size(20))
    out.append(f"{read_all(r, 'lines.txt')!r}")
    attempt(out, "shrink to 3", lambda: f.set_size(3))
    out.append(f"{read_all(r, 'lines.txt')!r}")
    attempt(out, "to 0", lambda: f.set_size(0))
    out.append(f"size {f.stat().size}")
    attempt(out, "to 2**63", lambda: f.set_size(2**63))
    ro = open_(r, "hello.txt", NO_OPEN, R)
    attempt(out, "set-size on read-only descriptor", lambda: ro.set_size(1))
    attempt(out, "set-size on directory", lambda: r.set_size(1))
    out.append(f"hello.txt: {read_all(r, 'hello.txt')!r}")


def probe_open_mode_errors(out: list[str]) -> None:
    r = root()
    ro = open_(r, "hello.txt", NO_OPEN, R)
    attempt(out, "write on read-only", lambda: ro.write(b"x", 0))
    wo = open_(r, "lines.txt", NO_OPEN, W)
    attempt(out, "read on write-only", lambda: wo.read(10, 0))
    attempt(out, "write on write-only", lambda: out.append(f"  {wo.write(b'ONE', 0)}"))
    s = attempt(out, "read-via-stream on write-only", lambda: wo.read_via_stream(0))
    if s is not None:
        try:
            s.blocking_read(10)
            out.append("blocking-read: ok")
        except Err as e:
            out.append(f"blocking-read: err {err_name(e)}")
            payload = e.value
            if hasattr(payload, "value"):
                out.append(f"  filesystem-error-code: {render(types.filesystem_error_code(payload.value))}")
        attempt(out, "read again", lambda: s.blocking_read(10))
    w = attempt(out, "write-via-stream on read-only", lambda: ro.write_via_stream(0))
    if w is not None:
        try:
            w.blocking_write_and_flush(b"zz")
            out.append("blocking-write-and-flush: ok")
        except Err as e:
            out.append(f"blocking-write-and-flush: err {err_name(e)}")
            payload = e.value
            if hasattr(payload, "value"):
                out.append(f"  filesystem-error-code: {render(types.filesystem_error_code(payload.value))}")
        attempt(out, "check-write after failure", lambda: w.check_write())
    a = attempt(out, "append-via-stream on read-only", lambda: ro.append_via_stream())
    if a is not None:
        try:
            a.blocking_write_and_flush(b"zz")
            out.append("append blocking-write-and-flush: ok")
        except Err as e:
            out.append(f"append blocking-write-and-flush: err {err_name(e)}")
    out.append(f"hello.txt: {read_all(r, 'hello.txt')!r}")
    out.append(f"lines.txt: {read_all(r, 'lines.txt')!r}")


def probe_file_methods_on_directory(out: list[str]) -> None:
    r = root()
    attempt(out, "read", lambda: r.read(1, 0))
    attempt(out, "write", lambda: r.write(b"x", 0))
    attempt(out, "write-via-stream", lambda: r.write_via_stream(0))
    attempt(out, "append-via-stream", lambda: r.append_via_stream())
    attempt(out, "advise", lambda: r.advise(0, 0, types.Advice.NORMAL))
    attempt(out, "set-size", lambda: r.set_size(0))
    attempt(out, "sync", lambda: r.sync())
    attempt(out, "sync-data", lambda: r.sync_data())
    f = open_(r, "hello.txt")
    attempt(out, "advise file", lambda: f.advise(0, 100, types.Advice.SEQUENTIAL))
    attempt(out, "advise file will-need", lambda: f.advise(5, 0, types.Advice.WILL_NEED))
    attempt(out, "advise past end", lambda: f.advise(10**6, 10, types.Advice.DONT_NEED))
    attempt(out, "advise huge offset", lambda: f.advise(2**63, 0, types.Advice.NO_REUSE))
    attempt(out, "advise huge length", lambda: f.advise(0, 2**63, types.Advice.RANDOM))
    attempt(out, "advise max length", lambda: f.advise(0, 2**64 - 1, types.Advice.NORMAL))
    attempt(out, "sync file", lambda: f.sync())
    attempt(out, "sync-data file", lambda: f.sync_data())
    for name, fn in [("open-at", lambda: open_(f, "x")), ("stat-at", lambda: f.stat_at(types.PathFlags(0), "x")),
                     ("create-directory-at", lambda: f.create_directory_at("x")),
                     ("remove-directory-at", lambda: f.remove_directory_at("x")),
                     ("unlink-file-at", lambda: f.unlink_file_at("x")),
                     ("readlink-at", lambda: f.readlink_at("x")),
                     ("symlink-at", lambda: f.symlink_at("a", "x")),
                     ("metadata-hash-at", lambda: f.metadata_hash_at(types.PathFlags(0), "x")),
                     ("set-times-at", lambda: f.set_times_at(types.PathFlags(0), "x",
                                                             types.NewTimestamp_NoChange(),
                                                             types.NewTimestamp_NoChange()))]:
        attempt(out, f"file {name}", fn)
