"""Golem's own rules on top of wasmtime (golem-io-semantics.md §5.1, §5.5, rule 21):
preopens, read-only initial files, recorded stat calls, sorted listings, no
status-change time, metadata-hash from mtime and size."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from golem_fakes.bindings.result import Ok
from golem_fakes.state.filesystem import metadata_hash


def _entries(g: Any) -> list[Any]:
    return [e for e in g.oplog().entries if e.kind == "imported-function-invoked"]


def test_preopens_are_slash_and_dot_naming_one_directory(m: Any, g: Any) -> None:
    dirs = m.preopens.get_directories()
    assert [name for _, name in dirs] == ["/", "."]
    assert dirs[0][0].is_same_object(dirs[1][0])
    again = m.preopens.get_directories()
    assert again[0][0] is not dirs[0][0] and again[0][0].is_same_object(dirs[0][0])
    recorded = [e for e in _entries(g) if e["function_name"] == "cli::preopens::get_directories"]
    assert len(recorded) == 2
    assert recorded[0]["request"] is None and recorded[0]["response"] == ["/", "."]
    assert recorded[0]["durable_function_type"] == "read-local"


def test_extra_preopens_follow_golems(m: Any, g: Any, fs: Any, open_: Any) -> None:
    fs.add_preopen("/data", guest_name="data")
    dirs = m.preopens.get_directories()
    assert [name for _, name in dirs] == ["/", ".", "data"]
    assert dirs[2][0].is_same_object(open_(dirs[0][0], "data"))
    assert open_(dirs[2][0], "empty.bin").stat().size == 0


def test_read_only_file_refuses_descriptor_writes(m: Any, root: Any, open_: Any, code: Any) -> None:
    t = m.t
    f = open_(root, "static/a.txt")
    assert code(lambda: f.write(b"x", 0)) == "not-permitted"
    assert code(lambda: f.write_via_stream(0)) == "not-permitted"
    assert code(lambda: f.set_size(0)) == "not-permitted"
    nc = t.NewTimestamp_NoChange()
    assert code(lambda: f.set_times(nc, nc)) == "not-permitted"
    assert f.get_flags() == t.DescriptorFlags.READ
    assert f.read(100, 0) == (b"read-only content", False)
    assert f.stat().link_count == 2  # hard link from Golem's shared file cache


def test_opening_a_read_only_file_for_writing_is_access(m: Any, root: Any, open_: Any, code: Any) -> None:
    t = m.t
    assert code(lambda: open_(root, "static/a.txt", None, t.DescriptorFlags.WRITE)) == "access"
    assert code(lambda: open_(root, "static/a.txt", t.OpenFlags.TRUNCATE)) == "access"
    assert code(lambda: open_(root, "static/a.txt", t.OpenFlags.CREATE)) == "access"
    assert code(lambda: open_(root, "static/a.txt", t.OpenFlags.CREATE | t.OpenFlags.EXCLUSIVE)) == "exist"


def test_read_only_file_can_be_renamed_and_unlinked(m: Any, g: Any, root: Any, open_: Any,
                                                    code: Any, fs: Any) -> None:
    root.rename_at("static/a.txt", root, "moved.txt")
    assert fs["/moved.txt"] == b"read-only content"
    f = open_(root, "moved.txt")
    # Golem checks remembered paths only: at the new path the OS decides (EBADF).
    assert code(lambda: f.write(b"x", 0)) == "bad-descriptor"
    assert code(lambda: open_(root, "moved.txt", None, m.t.DescriptorFlags.WRITE)) == "access"
    root.unlink_file_at("static/sub/b.txt")
    assert "/static/sub/b.txt" not in fs
    assert fs.is_read_only("/moved.txt")


def test_append_via_stream_is_not_checked_by_golem(m: Any, root: Any, open_: Any, fs: Any) -> None:
    f = open_(root, "static/a.txt")
    s = f.append_via_stream()  # Golem does not refuse it (§5.5) ...
    try:
        s.blocking_write_and_flush(b"x")
    except m.Err as e:  # ... the read-only OS descriptor does (EBADF)
        assert type(e.value).__name__ == "StreamError_LastOperationFailed"
        assert m.t.filesystem_error_code(e.value.value) == m.t.ErrorCode.BAD_DESCRIPTOR
    else:
        raise AssertionError("append on a read-only descriptor must fail")
    assert fs["/static/a.txt"] == b"read-only content"


def test_read_only_path_check_uses_rust_path_normalisation(m: Any, root: Any, open_: Any, code: Any) -> None:
    f = open_(root, "./static//a.txt")
    assert code(lambda: f.write(b"x", 0)) == "not-permitted"
    f2 = open_(root, "static/sub/../a.txt")  # '..' is not normalised away: OS decides
    assert code(lambda: f2.write(b"x", 0)) == "bad-descriptor"
    sub = open_(root, "static")
    assert code(lambda: open_(sub, "a.txt").set_size(0)) == "not-permitted"


def test_stat_is_recorded_with_times_only(m: Any, g: Any, root: Any, open_: Any) -> None:
    f = open_(root, "rw.txt")
    st = f.stat()
    assert st.status_change_timestamp is None
    assert st.type == m.t.DescriptorType.REGULAR_FILE and st.size == 11 and st.link_count == 1
    root.stat_at(m.t.PathFlags(0), "static/a.txt")
    try:
        root.stat_at(m.t.PathFlags(0), "missing")
    except m.Err:
        pass
    rec = [e for e in _entries(g) if e["function_name"].startswith("filesystem::")]
    # a failed stat is not recorded: Golem's `HostDescriptor::stat_at(..).await?` returns
    # before `durability.persist` (durable_host/filesystem/types.rs, v1.3.0-dev.25 and
    # v1.3.1 alike)
    assert [e["function_name"] for e in rec] == ["filesystem::types::descriptor::stat",
                                              "filesystem::types::descriptor::stat_at"]
    assert [e["request"] for e in rec] == ["/rw.txt", "/static/a.txt"]
    assert isinstance(rec[0]["response"], Ok)
    assert set(rec[0]["response"].value) == {"data_access_timestamp", "data_modification_timestamp"}
    assert all(e["durable_function_type"] == "read-local" for e in rec)


def test_stat_writes_the_times_back_to_the_descriptors_path(m: Any, g: Any, root: Any,
                                                           open_: Any, fs: Any) -> None:
    # Golem's stat/stat-at end with set_symlink_times(path, atime, mtime)
    # (durable_host/filesystem/types.rs, v1.3.0-dev.25 and v1.3.1)
    t = m.t
    f = open_(root, "rw.txt", None, t.DescriptorFlags.READ)
    g.clock.advance(timedelta(seconds=1))
    f.read(1, 0)
    accessed = fs.atime_ns("/rw.txt")
    g.clock.advance(timedelta(seconds=1))
    f.read(1, 0)
    assert fs.atime_ns("/rw.txt") == accessed                  # relatime: no update
    f.stat()                                                    # utimensat: ctime = now
    assert fs.ctime_ns("/rw.txt") == g.clock.wall_ns()
    f.read(1, 0)
    assert fs.atime_ns("/rw.txt") == g.clock.wall_ns()          # so the next read updates
    # stat-at following a link sets the link's own times (lutimes) to the target's
    root.symlink_at("rw.txt", "sl")
    st = root.stat_at(t.PathFlags.SYMLINK_FOLLOW, "sl")
    ns = st.data_modification_timestamp.seconds * 10**9 + st.data_modification_timestamp.nanoseconds
    assert fs.mtime_ns("/rw.txt") == ns
    assert fs.mtime_ns("/sl", follow=False) == ns
    assert fs.atime_ns("/sl", follow=False) == fs.atime_ns("/rw.txt")
    # a descriptor's path, not its file: after a rename the stat writes the file's
    # times onto whatever is at the old path now
    moved_mtime = fs.mtime_ns("/rw.txt")
    root.rename_at("rw.txt", root, "moved.txt")
    g.clock.advance(timedelta(seconds=5))
    fs["/rw.txt"] = b"another file"
    assert fs.mtime_ns("/rw.txt") != moved_mtime
    f.stat()
    assert fs.mtime_ns("/rw.txt") == moved_mtime == fs.mtime_ns("/moved.txt")
    del fs["/rw.txt"]
    try:
        f.stat()
    except m.Err as e:
        assert e.value == t.ErrorCode.NO_ENTRY
    else:
        raise AssertionError("stat of a descriptor whose path is gone succeeded")


def test_other_file_operations_are_not_recorded(m: Any, g: Any, root: Any, open_: Any) -> None:
    before = len(_entries(g))
    f = open_(root, "new.txt", m.t.OpenFlags.CREATE, m.t.DescriptorFlags.WRITE)
    f.write(b"x", 0)
    root.create_directory_at("d")
    root.read_directory()
    root.rename_at("new.txt", root, "d/new.txt")
    assert len(_entries(g)) == before


def test_metadata_hash_is_golems_mtime_and_size_hash_and_records_stat(m: Any, g: Any, root: Any,
                                                                       open_: Any) -> None:
    f = open_(root, "rw.txt", None, m.t.DescriptorFlags.READ | m.t.DescriptorFlags.WRITE)
    st = f.stat()
    h = f.metadata_hash()
    mt = st.data_modification_timestamp
    assert (h.lower, h.upper) == metadata_hash(mt.seconds, mt.nanoseconds, 11)
    assert root.metadata_hash_at(m.t.PathFlags(0), "rw.txt") == h
    f.write(b"!", 11)  # size changes → hash changes (Golem; wasmtime hashes the inode)
    assert f.metadata_hash() != h
    names = [e["function_name"] for e in _entries(g)]
    assert names.count("filesystem::types::descriptor::stat") == 3
    assert names.count("filesystem::types::descriptor::stat_at") == 1


def test_read_directory_is_sorted_by_name(m: Any, fs: Any, root: Any, open_: Any) -> None:
    for name in ["zeta", "Alpha", "beta", "_x", "10", "9"]:
        fs["/d/" + name] = b""
    s = open_(root, "d").read_directory()
    names = []
    while (e := s.read_directory_entry()) is not None:
        names.append(e.name)
    assert names == sorted(names) == ["10", "9", "Alpha", "_x", "beta", "zeta"]


def test_timestamps_come_from_the_virtual_clock(m: Any, g: Any, root: Any, open_: Any) -> None:
    t0 = g.clock.wall_ns()
    f = open_(root, "t.txt", m.t.OpenFlags.CREATE, m.t.DescriptorFlags.WRITE)
    st = f.stat()
    assert st.data_modification_timestamp.seconds * 10**9 + st.data_modification_timestamp.nanoseconds == t0
    g.clock.advance(timedelta(seconds=90))
    f.write(b"x", 0)
    st2 = f.stat()
    assert st2.data_modification_timestamp.seconds == st.data_modification_timestamp.seconds + 90
    f.set_times(m.t.NewTimestamp_Now(), m.t.NewTimestamp_NoChange())
    assert f.stat().data_access_timestamp.seconds == st.data_modification_timestamp.seconds + 90
    d = root.stat_at(m.t.PathFlags(0), ".")
    assert d.data_modification_timestamp.seconds == st.data_modification_timestamp.seconds


def test_outside_a_golem_the_filesystem_is_not_faked(m: Any) -> None:
    from golem_fakes.bindings.runtime import NotFaked
    from golem_fakes.state.environment import Environment

    import pytest

    with Environment():
        with pytest.raises(NotFaked, match="golem_fakes.Golem"):
            m.preopens.get_directories()


def test_a_replayed_stat_writes_the_recorded_times_back(tmp_path: Any) -> None:
    # in replay Golem's stat takes the recorded times and sets them on the file, so a
    # recovered worker sees the times its lost instance saw
    import sys
    import textwrap

    import golem_fakes
    from golem_fakes.state.filesystem import InitialFile

    (tmp_path / "stat_app.py").write_text(textwrap.dedent("""
        from wit_world.imports import preopens, wasi_filesystem_types as t
        seen = []

        class SaveSnapshot:              # the all-imports world exports these two
            def save(self):
                return b""

        class LoadSnapshot:
            def load(self, data):
                return None

        def look():
            root = preopens.get_directories()[0][0]
            f = root.open_at(t.PathFlags(0), "f.txt", t.OpenFlags(0), t.DescriptorFlags.READ)
            m = f.stat().data_modification_timestamp
            seen.append(m.seconds * 10**9 + m.nanoseconds)
            return seen[-1]
    """))
    g = golem_fakes.Golem(seed=0)
    g.add_component("statc", code="stat_app", path=tmp_path,
                    files={"/f.txt": InitialFile(b"x", permission="read-write")})
    try:
        def look() -> int:
            return sys.modules["stat_app"].look()

        first = g.invoke("statc", "w", look)
        fs = g.filesystem("statc", "w")
        assert fs.mtime_ns("/f.txt") == first
        g.clock.advance(timedelta(seconds=30))
        fs["/f.txt"] = b"changed by the test"          # a later mtime on the file
        assert fs.mtime_ns("/f.txt") > first
        g.crash("statc", "w")
        mod = g.instance("statc", "w").module("stat_app")  # recovered: the stat replayed
        assert mod.seen == [first]
        assert fs.mtime_ns("/f.txt") == first              # the recorded time, written back
        assert fs.ctime_ns("/f.txt") == g.clock.wall_ns()
    finally:
        sys.modules.pop("stat_app", None)
