"""wasi:filesystem probes: path resolution beneath a preopen (cap-std): ``..``,
absolute paths, symbolic links."""

from __future__ import annotations

from ._fs import FOLLOW, NOFOLLOW, attempt, open_, root
from ._util import render


def probe_escape(out: list[str]) -> None:
    r = root()
    for path in ["..", "../", "../x", "data/../..", "data/../../hello.txt", "data/../hello.txt",
                 "data/nested/../../hello.txt", "./hello.txt", "/hello.txt", "/", "//hello.txt",
                 "data//nested///deep.txt", "missing/../hello.txt", "hello.txt/../hello.txt"]:
        attempt(out, f"open {path!r}", lambda: open_(r, path))
    for path in ["..", "/", "/data", "../data"]:
        attempt(out, f"stat-at {path!r}", lambda: r.stat_at(NOFOLLOW, path))
    attempt(out, "mkdir ../x", lambda: r.create_directory_at("../x"))
    attempt(out, "mkdir /x", lambda: r.create_directory_at("/x"))
    attempt(out, "unlink /hello.txt", lambda: r.unlink_file_at("/hello.txt"))
    attempt(out, "rmdir ..", lambda: r.remove_directory_at(".."))
    attempt(out, "rmdir /data", lambda: r.remove_directory_at("/data"))
    attempt(out, "rename to ../x", lambda: r.rename_at("hello.txt", r, "../x"))
    attempt(out, "rename from /hello.txt", lambda: r.rename_at("/hello.txt", r, "x"))
    sub = open_(r, "data")
    attempt(out, "sub ..", lambda: open_(sub, ".."))
    attempt(out, "sub ../hello.txt", lambda: open_(sub, "../hello.txt"))
    attempt(out, "sub nested/..", lambda: open_(sub, "nested/.."))


def probe_symlink_basics(out: list[str]) -> None:
    r = root()
    attempt(out, "symlink link -> hello.txt", lambda: r.symlink_at("hello.txt", "link"))
    attempt(out, "readlink link", lambda: out.append(f"  target={r.readlink_at('link')!r}"))
    st = r.stat_at(NOFOLLOW, "link")
    out.append(f"lstat: type={render(st.type)} size={st.size}")
    st = r.stat_at(FOLLOW, "link")
    out.append(f"stat: type={render(st.type)} size={st.size}")
    attempt(out, "open nofollow", lambda: open_(r, "link"))
    d = attempt(out, "open follow", lambda: open_(r, "link", follow=True))
    if d is not None:
        out.append(f"  read={d.read(100, 0)!r}")
    attempt(out, "open link/ nofollow", lambda: open_(r, "link/"))
    attempt(out, "symlink exists", lambda: r.symlink_at("x", "link"))
    attempt(out, "symlink over file", lambda: r.symlink_at("x", "hello.txt"))
    attempt(out, "symlink empty target", lambda: r.symlink_at("", "e"))
    attempt(out, "symlink into missing dir", lambda: r.symlink_at("x", "nodir/l"))
    attempt(out, "readlink file", lambda: r.readlink_at("hello.txt"))
    attempt(out, "readlink dir", lambda: r.readlink_at("data"))
    attempt(out, "readlink missing", lambda: r.readlink_at("missing"))
    attempt(out, "readlink .", lambda: r.readlink_at("."))
    attempt(out, "unlink link", lambda: r.unlink_file_at("link"))
    attempt(out, "hello.txt still there", lambda: r.stat_at(NOFOLLOW, "hello.txt"))
    attempt(out, "link gone", lambda: r.stat_at(NOFOLLOW, "link"))


def probe_symlink_targets(out: list[str]) -> None:
    r = root()
    attempt(out, "symlink absolute", lambda: r.symlink_at("/etc/passwd", "abs"))
    attempt(out, "symlink escaping", lambda: r.symlink_at("../outside", "esc"))
    attempt(out, "lstat esc", lambda: out.append(f"  {render(r.stat_at(NOFOLLOW, 'esc').type)}"))
    attempt(out, "stat esc", lambda: r.stat_at(FOLLOW, "esc"))
    attempt(out, "open esc follow", lambda: open_(r, "esc", follow=True))
    attempt(out, "readlink esc", lambda: out.append(f"  {r.readlink_at('esc')!r}"))
    attempt(out, "symlink dangling", lambda: r.symlink_at("missing.txt", "dangling"))
    attempt(out, "stat dangling", lambda: r.stat_at(FOLLOW, "dangling"))
    attempt(out, "lstat dangling", lambda: r.stat_at(NOFOLLOW, "dangling"))
    attempt(out, "symlink dir", lambda: r.symlink_at("data", "dlink"))
    d = attempt(out, "open dlink/a.bin nofollow", lambda: open_(r, "dlink/a.bin"))
    if d is not None:
        out.append(f"  size={d.stat().size}")
    attempt(out, "open dlink nofollow", lambda: open_(r, "dlink"))
    attempt(out, "open dlink/ nofollow", lambda: open_(r, "dlink/"))
    attempt(out, "rmdir dlink", lambda: r.remove_directory_at("dlink"))
    attempt(out, "unlink dlink/", lambda: r.unlink_file_at("dlink/"))
    attempt(out, "symlink loop1", lambda: r.symlink_at("loop2", "loop1"))
    attempt(out, "symlink loop2", lambda: r.symlink_at("loop1", "loop2"))
    attempt(out, "stat loop", lambda: r.stat_at(FOLLOW, "loop1"))
    attempt(out, "open loop follow", lambda: open_(r, "loop1", follow=True))
    attempt(out, "open loop/x", lambda: open_(r, "loop1/x"))
    attempt(out, "symlink chain", lambda: r.symlink_at("dlink/nested", "chain"))
    attempt(out, "open chain/deep.txt", lambda: open_(r, "chain/deep.txt"))
    attempt(out, "symlink dotdot inside", lambda: r.symlink_at("nested/..", "data/up"))
    attempt(out, "open data/up/a.bin", lambda: open_(r, "data/up/a.bin"))
