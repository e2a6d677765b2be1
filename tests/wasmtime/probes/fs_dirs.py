"""wasi:filesystem probes: directory listings, create / remove, rename, hard links."""

from __future__ import annotations

from wit_world.imports import preopens
from wit_world.imports import wasi_filesystem_types as types

from ._fs import FOLLOW, NOFOLLOW, attempt, open_, read_all, root
from ._util import render


def _listing(d: object) -> list[str]:
    s = d.read_directory()
    out = []
    while True:
        e = s.read_directory_entry()
        if e is None:
            break
        out.append(f"{e.name}:{render(e.type)}")
    # wasmtime lists in OS order, Golem sorts (golem-io-semantics.md §5.5): compare sorted.
    return sorted(out)


def probe_read_directory(out: list[str]) -> None:
    r = root()
    out.append(f"/: {_listing(r)}")
    out.append(f"data: {_listing(open_(r, 'data'))}")
    out.append(f"data/nested: {_listing(open_(r, 'data/nested'))}")
    s = r.read_directory()
    n = 0
    while s.read_directory_entry() is not None:
        n += 1
    out.append(f"count {n}; after end: {s.read_directory_entry()!r} {s.read_directory_entry()!r}")
    f = open_(r, "hello.txt")
    attempt(out, "read-directory on file", lambda: f.read_directory())
    r.symlink_at("hello.txt", "l")
    r.create_directory_at("emptydir")
    out.append(f"/ again: {_listing(r)}")
    out.append(f"emptydir: {_listing(open_(r, 'emptydir'))}")
    out.append(f"via '.': {_listing(open_(r, '.'))}")


def probe_create_directory(out: list[str]) -> None:
    r = root()
    for path in ["newdir", "newdir", "hello.txt", "data", "missing/sub", "hello.txt/sub",
                 "newdir/", "d2/", "d3//", "newdir/sub", "newdir/sub/deeper", ".", "./d4",
                 "data/..", "newdir/."]:
        attempt(out, f"mkdir {path!r}", lambda: r.create_directory_at(path))
    st = r.stat_at(NOFOLLOW, "newdir")
    out.append(f"newdir: type={render(st.type)} links={st.link_count}")
    sub = open_(r, "newdir")
    attempt(out, "mkdir via subdir", lambda: sub.create_directory_at("x"))
    f = open_(r, "hello.txt")
    attempt(out, "mkdir on file descriptor", lambda: f.create_directory_at("x"))


def probe_remove(out: list[str]) -> None:
    r = root()
    r.create_directory_at("e1")
    r.create_directory_at("e2")
    r.create_directory_at("e3")
    for path in ["data", "hello.txt", "missing", "e1", "e1", ".", "e2/", "data/nested/..",
                 "e3/."]:
        attempt(out, f"rmdir {path!r}", lambda: r.remove_directory_at(path))
    for path in ["data", "missing", "empty.txt/", ".", "hello.txt", "hello.txt",
                 "data/nested/empty", "e2", "e3"]:
        attempt(out, f"unlink {path!r}", lambda: r.unlink_file_at(path))
    d = open_(r, "docs")
    attempt(out, "unlink via subdir", lambda: d.unlink_file_at("readme.md"))
    attempt(out, "rmdir now-empty docs", lambda: r.remove_directory_at("docs"))
    attempt(out, "stat removed dir via its descriptor", lambda: out.append(
        f"  type={render(d.stat().type)}"))
    attempt(out, "create in removed dir", lambda: open_(d, "x", types.OpenFlags.CREATE))
    attempt(out, "mkdir in removed dir", lambda: d.create_directory_at("x"))
    attempt(out, "list removed dir", lambda: out.append(f"  {_listing(d)}"))


def probe_rename(out: list[str]) -> None:
    r = root()
    r.create_directory_at("emptydir")
    r.create_directory_at("emptydir2")
    cases = [
        ("hello.txt", "renamed.txt"),
        ("renamed.txt", "lines.txt"),
        ("lines.txt", "data"),
        ("data", "empty.txt"),
        ("data", "data/sub"),
        ("data", "data/nested/x"),
        ("data", "docs"),
        ("emptydir", "emptydir2"),
        ("missing", "x"),
        ("empty.txt", "empty.txt"),
        ("data", "data"),
        (".", "x"),
        ("empty.txt", "."),
        ("empty.txt/", "x"),
        ("emptydir2/", "emptydir3"),
        ("empty.txt", "emptydir3/"),
        ("large.bin", "nodir/x"),
        ("data/nested", "data"),
        ("data/nested/deep.txt", "deep.txt"),
    ]
    for old, new in cases:
        attempt(out, f"rename {old!r} -> {new!r}", lambda: r.rename_at(old, r, new))
    out.append(f"lines.txt: {read_all(r, 'lines.txt')!r}")
    out.append(f"deep.txt: {read_all(r, 'deep.txt')!r}")
    dot = preopens.get_directories()[1][0]
    attempt(out, "rename across preopens", lambda: r.rename_at("deep.txt", dot, "deep2.txt"))
    sub = open_(r, "data")
    attempt(out, "rename into subdir descriptor", lambda: r.rename_at("deep2.txt", sub, "deep3.txt"))
    f = open_(r, "empty.txt")
    attempt(out, "rename with file descriptor", lambda: f.rename_at("x", r, "y"))
    attempt(out, "rename to file descriptor", lambda: r.rename_at("empty.txt", f, "y"))
    names = []
    s = r.read_directory()
    while True:
        e = s.read_directory_entry()
        if e is None:
            break
        names.append(e.name)
    out.append(f"names: {sorted(names)}")


def probe_link(out: list[str]) -> None:
    r = root()
    attempt(out, "link hello.txt -> hl.txt", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "hl.txt"))
    a, b = r.stat_at(NOFOLLOW, "hello.txt"), r.stat_at(NOFOLLOW, "hl.txt")
    out.append(f"links: {a.link_count} {b.link_count} sizes: {a.size} {b.size}")
    fa, fb = open_(r, "hello.txt"), open_(r, "hl.txt")
    out.append(f"same object: {fa.is_same_object(fb)}")
    attempt(out, "link exists", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "hl.txt"))
    attempt(out, "link over other file", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "lines.txt"))
    attempt(out, "link dir", lambda: r.link_at(NOFOLLOW, "data", r, "dl"))
    attempt(out, "link with symlink-follow", lambda: r.link_at(FOLLOW, "hello.txt", r, "x"))
    attempt(out, "link missing", lambda: r.link_at(NOFOLLOW, "missing", r, "x"))
    attempt(out, "link into missing dir", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "nodir/x"))
    attempt(out, "link to absolute", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "/x"))
    attempt(out, "link to ..", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "../x"))
    attempt(out, "link .", lambda: r.link_at(NOFOLLOW, ".", r, "x"))
    attempt(out, "link to .", lambda: r.link_at(NOFOLLOW, "hello.txt", r, "."))
    r.symlink_at("hello.txt", "sl")
    attempt(out, "link a symlink", lambda: r.link_at(NOFOLLOW, "sl", r, "sl2"))
    attempt(out, "sl2 is a symlink", lambda: out.append(f"  {render(r.stat_at(NOFOLLOW, 'sl2').type)}"))
    sub = open_(r, "data")
    attempt(out, "link into subdir", lambda: r.link_at(NOFOLLOW, "hello.txt", sub, "h3"))
    out.append(f"links now: {r.stat_at(NOFOLLOW, 'hello.txt').link_count}")
    f = open_(r, "hello.txt")
    attempt(out, "link with file descriptor", lambda: f.link_at(NOFOLLOW, "x", r, "y"))
    attempt(out, "unlink hl.txt", lambda: r.unlink_file_at("hl.txt"))
    out.append(f"links after unlink: {r.stat_at(NOFOLLOW, 'hello.txt').link_count}")
    out.append(f"open descriptor still same: {fa.is_same_object(fb)}")
