"""wasi:filesystem probes: stat, timestamps (relations only), metadata-hash,
is-same-object."""

from __future__ import annotations

from wit_world.imports import preopens
from wit_world.imports import wasi_filesystem_types as types
from wit_world.imports.wall_clock import Datetime

from ._fs import FOLLOW, NO_OPEN, NOFOLLOW, RW, R, attempt, open_, root
from ._util import render


def _st(st: object) -> str:
    return f"type={render(st.type)} links={st.link_count}"


def probe_stat(out: list[str]) -> None:
    r = root()
    out.append(f"root: {_st(r.stat())}")
    for path in ["hello.txt", "empty.txt", "data", "data/nested", "data/a.bin", "large.bin"]:
        st = r.stat_at(NOFOLLOW, path)
        size = st.size if st.type != types.DescriptorType.DIRECTORY else "-"
        out.append(f"{path}: {_st(st)} size={size}")
    for path in ["missing", "hello.txt/", "data/", "", "."]:
        attempt(out, f"stat-at {path!r}", lambda: out.append(f"  {_st(r.stat_at(NOFOLLOW, path))}"))
    f = open_(r, "hello.txt")
    st = f.stat()
    out.append(f"file stat: {_st(st)} size={st.size}")
    out.append(f"has atime: {st.data_access_timestamp is not None}, "
               f"has mtime: {st.data_modification_timestamp is not None}")


def probe_set_times(out: list[str]) -> None:
    r = root()
    f = open_(r, "hello.txt", NO_OPEN, RW)
    t1 = types.NewTimestamp_Timestamp(Datetime(1_000_000_000, 5))
    t2 = types.NewTimestamp_Timestamp(Datetime(1_500_000_000, 999_999_999))
    attempt(out, "set-times", lambda: f.set_times(t1, t2))
    st = f.stat()
    out.append(f"atime={render(st.data_access_timestamp)} mtime={render(st.data_modification_timestamp)}")
    attempt(out, "set-times no-change", lambda: f.set_times(types.NewTimestamp_NoChange(),
                                                             types.NewTimestamp_NoChange()))
    st = f.stat()
    out.append(f"atime={render(st.data_access_timestamp)} mtime={render(st.data_modification_timestamp)}")
    attempt(out, "set-times-at", lambda: r.set_times_at(NOFOLLOW, "lines.txt", t2, t1))
    st = r.stat_at(NOFOLLOW, "lines.txt")
    out.append(f"atime={render(st.data_access_timestamp)} mtime={render(st.data_modification_timestamp)}")
    attempt(out, "set-times-at missing", lambda: r.set_times_at(NOFOLLOW, "missing", t1, t1))
    attempt(out, "set-times on dir", lambda: open_(r, "data").set_times(t1, t1))
    st = r.stat_at(NOFOLLOW, "data")
    out.append(f"data mtime={render(st.data_modification_timestamp)}")
    ro = open_(r, "empty.txt", NO_OPEN, R)
    attempt(out, "set-times on read-only descriptor", lambda: ro.set_times(t1, t1))
    r.symlink_at("hello.txt", "sl")
    attempt(out, "set-times-at follow", lambda: r.set_times_at(FOLLOW, "sl", t2, t2))
    st = r.stat_at(NOFOLLOW, "hello.txt")
    out.append(f"hello mtime={render(st.data_modification_timestamp)}")
    attempt(out, "set-times now", lambda: f.set_times(types.NewTimestamp_Now(), types.NewTimestamp_Now()))
    st = f.stat()
    out.append(f"now > t2: {(st.data_modification_timestamp.seconds) > 1_500_000_000}")
    f.set_times(t1, t1)
    f.write(b"x", 0)
    st = f.stat()
    out.append(f"write moves mtime: {st.data_modification_timestamp.seconds > 1_000_000_000}")


def probe_metadata_hash(out: list[str]) -> None:
    r = root()
    a1 = open_(r, "hello.txt")
    a2 = open_(r, "hello.txt")
    b = open_(r, "lines.txt")
    h1, h2, hb = a1.metadata_hash(), a2.metadata_hash(), b.metadata_hash()
    out.append(f"same file, two descriptors: {h1 == h2}")
    out.append(f"different files: {h1 == hb}")
    out.append(f"hash-at equals hash: {r.metadata_hash_at(NOFOLLOW, 'hello.txt') == h1}")
    d1, d2 = preopens.get_directories()[0][0], preopens.get_directories()[1][0]
    out.append(f"'/' and '.': {d1.metadata_hash() == d2.metadata_hash()}")
    attempt(out, "hash-at missing", lambda: r.metadata_hash_at(NOFOLLOW, "missing"))
    r.symlink_at("hello.txt", "sl")
    out.append(f"follow symlink: {r.metadata_hash_at(FOLLOW, 'sl') == h1}")


def probe_is_same_object(out: list[str]) -> None:
    dirs = preopens.get_directories()
    out.append(f"preopens: {[name for _, name in dirs]}")
    r, dot = dirs[0][0], dirs[1][0]
    out.append(f"'/' is '.': {r.is_same_object(dot)}")
    out.append(f"'/' is '/' again: {r.is_same_object(preopens.get_directories()[0][0])}")
    out.append(f"'/' is open('.'): {r.is_same_object(open_(r, '.'))}")
    a, b = open_(r, "hello.txt"), open_(r, "hello.txt")
    out.append(f"file twice: {a.is_same_object(b)}")
    out.append(f"different files: {a.is_same_object(open_(r, 'lines.txt'))}")
    out.append(f"file vs dir: {a.is_same_object(r)}")
    out.append(f"data/.. is root: {r.is_same_object(open_(r, 'data/..'))}")
