"""wasi:filesystem probes: edge cases of paths and flags (trailing slashes, dots,
creating through symlinks, huge offsets, streams at odd offsets)."""

from __future__ import annotations

from componentize_py_types import Err
from wit_world.imports import wasi_filesystem_types as types

from ._fs import FOLLOW, NO_OPEN, NOFOLLOW, RW, W, attempt, open_, read_all, root
from ._util import err_name, render

C = types.OpenFlags.CREATE
X = types.OpenFlags.EXCLUSIVE
T = types.OpenFlags.TRUNCATE


def probe_create_through_symlink(out: list[str]) -> None:
    r = root()
    r.symlink_at("target.txt", "dangling")
    attempt(out, "create follow via dangling", lambda: open_(r, "dangling", C, W, follow=True))
    attempt(out, "target exists", lambda: out.append(f"  {render(r.stat_at(NOFOLLOW, 'target.txt').type)}"))
    r.symlink_at("t2.txt", "dangling2")
    attempt(out, "create nofollow via dangling", lambda: open_(r, "dangling2", C, W))
    attempt(out, "create|exclusive follow via dangling", lambda: open_(r, "dangling2", C | X, W, follow=True))
    attempt(out, "t2 exists", lambda: r.stat_at(NOFOLLOW, "t2.txt"))
    r.symlink_at("hello.txt", "hl")
    attempt(out, "create follow existing link", lambda: open_(r, "hl", C, RW, follow=True))
    attempt(out, "truncate follow", lambda: open_(r, "hl", T, W, follow=True))
    out.append(f"hello: {read_all(r, 'hello.txt')!r}")
    r.symlink_at("data/", "dslash")
    attempt(out, "open dslash nofollow", lambda: open_(r, "dslash"))
    attempt(out, "open dslash follow", lambda: open_(r, "dslash", follow=True))
    r.symlink_at("hello.txt/", "fslash")
    attempt(out, "open fslash follow", lambda: open_(r, "fslash", follow=True))
    attempt(out, "stat fslash follow", lambda: r.stat_at(FOLLOW, "fslash"))
    r.symlink_at("../hello.txt", "data/uplink")
    attempt(out, "open data/uplink follow", lambda: open_(r, "data/uplink", follow=True))
    sub = open_(r, "data")
    attempt(out, "open uplink from data follow", lambda: open_(sub, "uplink", follow=True))
    attempt(out, "stat uplink from data", lambda: sub.stat_at(FOLLOW, "uplink"))


def probe_trailing_slashes(out: list[str]) -> None:
    r = root()
    r.create_directory_at("d")
    for old, new in [("hello.txt", "h2/"), ("d/", "d2/"), ("d2", "d3/"), ("d3//", "d4"),
                     ("lines.txt/", "l2"), ("missing/", "m2")]:
        attempt(out, f"rename {old!r} -> {new!r}", lambda: r.rename_at(old, r, new))
    for path in ["d4//", "d4/./", "./d4"]:
        attempt(out, f"stat {path!r}", lambda: r.stat_at(NOFOLLOW, path))
    attempt(out, "unlink empty.txt//", lambda: r.unlink_file_at("empty.txt//"))
    attempt(out, "symlink new/", lambda: r.symlink_at("hello.txt", "sl/"))
    attempt(out, "link to new/", lambda: r.link_at(NOFOLLOW, "lines.txt", r, "hl/"))
    attempt(out, "link from file/", lambda: r.link_at(NOFOLLOW, "lines.txt/", r, "hl"))
    attempt(out, "readlink with slash", lambda: r.readlink_at("d4/"))
    attempt(out, "rmdir d4//", lambda: r.remove_directory_at("d4//"))
    attempt(out, "rmdir ./d4", lambda: r.remove_directory_at("./d4"))
    attempt(out, "mkdir ./x/", lambda: r.create_directory_at("./x/"))
    attempt(out, "mkdir x/..", lambda: r.create_directory_at("x/.."))
    attempt(out, "mkdir ''", lambda: r.create_directory_at(""))
    attempt(out, "unlink ''", lambda: r.unlink_file_at(""))
    attempt(out, "rmdir ''", lambda: r.remove_directory_at(""))
    attempt(out, "readlink ''", lambda: r.readlink_at(""))
    attempt(out, "symlink to ''", lambda: r.symlink_at("x", ""))
    attempt(out, "rename ''", lambda: r.rename_at("", r, "x"))
    attempt(out, "stat-at ''", lambda: r.stat_at(NOFOLLOW, ""))


def probe_rename_ancestors(out: list[str]) -> None:
    r = root()
    r.create_directory_at("a")
    r.create_directory_at("a/b")
    r.create_directory_at("a/b/c")
    for old, new in [("a", "a/b/c/d"), ("a/b", "a"), ("a/b/c", "a"), ("a/b/c", "a/b"),
                     ("a/b/c", "a/c"), ("a/c", "c"), ("a/b", "b"), ("b", "a/b")]:
        attempt(out, f"rename {old!r} -> {new!r}", lambda: r.rename_at(old, r, new))
    st = r.stat_at(NOFOLLOW, "a")
    out.append(f"a links={st.link_count}")
    out.append(f"root links={r.stat().link_count}")
    sub = open_(r, "a/b")
    attempt(out, "rename a -> a/b/x via descriptors", lambda: r.rename_at("a", sub, "x"))
    attempt(out, "rename file via two descriptors", lambda: sub.rename_at("..", r, "z"))


def probe_stream_edges(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt", NO_OPEN, RW)
    s = f.read_via_stream(2**63 - 5)
    attempt(out, "stream near max offset", lambda: s.blocking_read(10))
    attempt(out, "stream at 2**63", lambda: f.read_via_stream(2**63).blocking_read(1))
    s2 = f.read_via_stream(0)
    out.append(f"read 0: {s2.read(0)!r}")
    out.append(f"blocking-read 5: {s2.blocking_read(5)!r}")
    w = f.write_via_stream(2**63 - 2)
    try:
        w.blocking_write_and_flush(b"abcd")
        out.append("write near max: ok")
    except Err as e:
        out.append(f"write near max: err {err_name(e)}")
        if hasattr(e.value, "value"):
            out.append(f"  code: {render(types.filesystem_error_code(e.value.value))}")
    out.append(f"size: {f.stat().size}")


def probe_odd_names(out: list[str]) -> None:
    r = root()
    long = "n" * 255
    too_long = "n" * 256
    attempt(out, "create 255-byte name", lambda: open_(r, long, C, W))
    attempt(out, "create 256-byte name", lambda: open_(r, too_long, C, W))
    attempt(out, "stat 256-byte name", lambda: r.stat_at(NOFOLLOW, too_long))
    attempt(out, "mkdir 256-byte name", lambda: r.create_directory_at(too_long))
    attempt(out, "unlink 256-byte name", lambda: r.unlink_file_at(too_long))
    attempt(out, "stat missing/256", lambda: r.stat_at(NOFOLLOW, "missing/" + too_long))
    attempt(out, "stat 4096-byte path", lambda: r.stat_at(NOFOLLOW, "/".join(["a" * 100] * 41)))
    attempt(out, "stat 4000-byte path", lambda: r.stat_at(NOFOLLOW, "/".join(["a" * 99] * 40)))
    attempt(out, "open NUL", lambda: open_(r, "hello\0.txt"))
    attempt(out, "mkdir NUL", lambda: r.create_directory_at("x\0y"))
    attempt(out, "symlink to NUL", lambda: r.symlink_at("a\0b", "l"))
    attempt(out, "unicode name", lambda: open_(r, "h\u00e9llo \u2603.txt", C, W))
    names = []
    s = r.read_directory()
    while True:
        e = s.read_directory_entry()
        if e is None:
            break
        names.append(len(e.name))
    out.append(f"name lengths: {sorted(names)}")
