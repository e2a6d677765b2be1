"""wasi:filesystem probes: ``open-at`` flag combinations and the flags / type of the
descriptors they give (wasmtime ``Dir::open_at`` + Linux ``openat``)."""

from __future__ import annotations

from wit_world.imports import wasi_filesystem_types as types

from ._fs import NO_OPEN, RW, R, W, attempt, open_, read_all, root
from ._util import render

C = types.OpenFlags.CREATE
D = types.OpenFlags.DIRECTORY
X = types.OpenFlags.EXCLUSIVE
T = types.OpenFlags.TRUNCATE
NOFLAGS = types.DescriptorFlags(0)


def _show(out: list[str], label: str, d: object) -> None:
    if d is None:
        return
    out.append(f"  type={render(d.get_type())} flags={render(d.get_flags())}")


def probe_preopen_flags(out: list[str]) -> None:
    r = root()
    out.append(f"root: type={render(r.get_type())} flags={render(r.get_flags())}")


def probe_open_existing_file(out: list[str]) -> None:
    r = root()
    cases = [
        ("none/read", NO_OPEN, R),
        ("none/empty", NO_OPEN, NOFLAGS),
        ("none/write", NO_OPEN, W),
        ("none/rw", NO_OPEN, RW),
        ("create/read", C, R),
        ("create|exclusive/rw", C | X, RW),
        ("exclusive/read", X, R),
        ("directory/read", D, R),
        ("directory|create/read", D | C, R),
        ("directory|truncate/read", D | T, R),
        ("sync-flag", NO_OPEN, R | types.DescriptorFlags.FILE_INTEGRITY_SYNC),
        ("data-sync-flag", NO_OPEN, R | types.DescriptorFlags.DATA_INTEGRITY_SYNC),
        ("requested-sync-flag", NO_OPEN, R | types.DescriptorFlags.REQUESTED_WRITE_SYNC),
        ("mutate-directory-flag", NO_OPEN, R | types.DescriptorFlags.MUTATE_DIRECTORY),
    ]
    for label, of, df in cases:
        d = attempt(out, label, lambda: open_(r, "hello.txt", of, df))
        _show(out, label, d)
    out.append(f"content: {read_all(r, 'hello.txt')!r}")


def probe_open_truncate(out: list[str]) -> None:
    r = root()
    d = attempt(out, "truncate/read", lambda: open_(r, "lines.txt", T, R))
    _show(out, "truncate", d)
    out.append(f"lines.txt after: {read_all(r, 'lines.txt')!r}")
    d = attempt(out, "truncate empty", lambda: open_(r, "empty.txt", T, W))
    _show(out, "truncate empty", d)


def probe_open_missing(out: list[str]) -> None:
    r = root()
    attempt(out, "missing/read", lambda: open_(r, "new.txt", NO_OPEN, R))
    attempt(out, "missing/write", lambda: open_(r, "new.txt", NO_OPEN, W))
    attempt(out, "missing/directory", lambda: open_(r, "new.txt", D, R))
    d = attempt(out, "create|exclusive/write", lambda: open_(r, "new.txt", C | X, W))
    _show(out, "new", d)
    attempt(out, "again create|exclusive", lambda: open_(r, "new.txt", C | X, W))
    d = attempt(out, "create/empty flags", lambda: open_(r, "new2.txt", C, NOFLAGS))
    _show(out, "new2", d)
    attempt(out, "create in missing dir", lambda: open_(r, "nodir/new.txt", C, W))
    attempt(out, "create with trailing slash", lambda: open_(r, "new3/", C, W))
    attempt(out, "create below a file", lambda: open_(r, "hello.txt/x", C, W))
    attempt(out, "empty path", lambda: open_(r, "", NO_OPEN, R))
    listing = sorted(e.name for e in _entries(r))
    out.append(f"names: {listing}")


def _entries(d: object) -> list:
    s = d.read_directory()
    out = []
    while True:
        e = s.read_directory_entry()
        if e is None:
            return out
        out.append(e)


def probe_open_directory(out: list[str]) -> None:
    r = root()
    cases = [
        ("data", NO_OPEN, R),
        ("data", NO_OPEN, NOFLAGS),
        ("data", NO_OPEN, W),
        ("data", NO_OPEN, RW),
        ("data", D, R),
        ("data", D, W),
        ("data", C, R),
        ("data", C | X, R),
        ("data", T, R),
        ("data", D | X, R),
        ("data/", NO_OPEN, R),
        ("data/.", NO_OPEN, R),
        ("data/nested", D, R),
        (".", NO_OPEN, R),
        ("./data", D, R),
        ("hello.txt/", NO_OPEN, R),
        ("hello.txt/.", NO_OPEN, R),
        ("data/nested/empty", D, R),
    ]
    for path, of, df in cases:
        label = f"{path!r} {render(of)} {render(df)}"
        d = attempt(out, label, lambda: open_(r, path, of, df))
        _show(out, label, d)
    sub = open_(r, "data", D, R)
    d = attempt(out, "open via subdir", lambda: open_(sub, "nested/deep.txt"))
    if d is not None:
        out.append(f"  read: {d.read(100, 0)!r}")
