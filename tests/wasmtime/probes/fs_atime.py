"""wasi:filesystem probes: access times (relations only). wasmtime passes reads,
directory listings and ``readlink`` through to the host kernel, so the answers are
Linux ``relatime``'s (``fs/inode.c`` ``atime_needs_update``), the same under wasmtime 33
and 50. Each case first sets the access time to a past ``T_ACCESS`` and the
modification time to an earlier ``T_MOD`` with ``set-times``, which makes the
status-change time now: a later access then updates the access time through the ctime
rule (``ctime >= atime``)."""

from __future__ import annotations

from wit_world.imports import wasi_filesystem_types as types
from wit_world.imports.wall_clock import Datetime

from ._fs import NO_OPEN, NOFOLLOW, RW, attempt, open_, root

T_ACCESS = 1_700_000_000
T_MOD = 1_600_000_000
T_FUTURE = 4_000_000_000


def _ts(seconds: int) -> object:
    return types.NewTimestamp_Timestamp(Datetime(seconds, 0))


def probe_file_reads(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt", NO_OPEN, RW)

    def after(label: str, access: int, read: object) -> None:
        f.set_times(_ts(access), _ts(T_MOD))
        read()  # type: ignore[operator]
        a = f.stat().data_access_timestamp.seconds
        out.append(f"{label}: atime {'kept' if a == access else 'later' if a > access else 'earlier'}")

    after("read(1, 0)", T_ACCESS, lambda: f.read(1, 0))
    after("read(0, 0)", T_ACCESS, lambda: f.read(0, 0))
    after("read(10, 13) at the end", T_ACCESS, lambda: f.read(10, 13))
    after("read(10, 10000) past the end", T_ACCESS, lambda: f.read(10, 10_000))
    after("read(1, 0), atime in the future", T_FUTURE, lambda: f.read(1, 0))
    after("stream blocking-read(1)", T_ACCESS, lambda: f.read_via_stream(0).blocking_read(1))
    after("stream blocking-read(1) at the end", T_ACCESS,
          lambda: attempt(out, "  read at the end", lambda: f.read_via_stream(13).blocking_read(1)))
    after("stream blocking-read(0)", T_ACCESS,
          lambda: attempt(out, "  read of 0", lambda: f.read_via_stream(0).blocking_read(0)))


def probe_directory_and_link(out: list[str]) -> None:
    r = root()
    r.set_times_at(NOFOLLOW, "data", _ts(T_ACCESS), _ts(T_MOD))
    open_(r, "data").read_directory()
    a = r.stat_at(NOFOLLOW, "data").data_access_timestamp.seconds
    out.append(f"read-directory: directory atime later: {a > T_ACCESS}")
    r.symlink_at("hello.txt", "sl")
    attempt(out, "set-times-at no-follow on a link",
            lambda: r.set_times_at(NOFOLLOW, "sl", _ts(T_ACCESS), _ts(T_MOD)))
    out.append(f"readlink-at: {r.readlink_at('sl')}")
    a = r.stat_at(NOFOLLOW, "sl").data_access_timestamp.seconds
    out.append(f"readlink-at: link atime later: {a > T_ACCESS}")
