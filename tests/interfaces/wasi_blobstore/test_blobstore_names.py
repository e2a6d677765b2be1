"""Blob names are joined as paths (docs/golem-io-semantics.md §2.1; Golem's
``services/blob_store.rs`` ``Path::new(container).join(object)`` and
``golem-service-base/src/storage/blob/fs.rs`` / ``s3.rs``): absolute names, nested names,
``..`` and the FS backend's OS errors."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from golem_fakes import Trap
from golem_fakes.bindings.result import Err

ROOT = '"<blob-root>"'


def _ov(bs: SimpleNamespace, data: bytes) -> object:
    ov = bs.types.OutgoingValue.new_outgoing_value()
    ov.outgoing_value_write_body().blocking_write_and_flush(data)
    return ov


def _err(call) -> str:  # type: ignore[no-untyped-def]
    try:
        call()
    except Exception as e:                      # the generated modules' Err
        return e.value                          # type: ignore[attr-defined]
    raise AssertionError("expected the WIT error case")


def _path(g, *parts: str) -> str:  # type: ignore[no-untyped-def]
    return '"' + "/".join(("<blob-root>/custom_data", g.project) + parts) + '"'


# --- absolute names: the FS root check (fs.rs ensure_path_is_inside_root) ----------------


def test_absolute_object_name_fails_the_fs_root_check_and_is_recorded(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"kept"))
    before = g.blobstore.snapshot()
    want = f'Path "/etc/passwd" is not within: {ROOT}'
    T = bs.types.ObjectId
    for call in (lambda: c.write_data("/etc/passwd", _ov(bs, b"x")),
                 lambda: c.get_data("/etc/passwd", 0, 0),
                 lambda: c.has_object("/etc/passwd"),
                 lambda: c.object_info("/etc/passwd"),
                 lambda: c.delete_object("/etc/passwd"),
                 lambda: c.delete_objects(["/etc/passwd"]),
                 lambda: bs.blobstore.copy_object(T("c", "o"), T("c", "/etc/passwd")),
                 lambda: bs.blobstore.move_object(T("c", "/etc/passwd"), T("c", "o"))):
        assert _err(call) == want
        assert list(g.oplog())[-1]["response"] == Err(want)
    assert g.blobstore.snapshot() == before


def test_absolute_container_name(bs, g):
    want = f'Path "/c" is not within: {ROOT}'
    for call in (lambda: bs.blobstore.create_container("/c"),
                 lambda: bs.blobstore.get_container("/c"),
                 lambda: bs.blobstore.container_exists("/c"),
                 lambda: bs.blobstore.delete_container("/c")):
        assert _err(call) == want
    assert _err(lambda: bs.blobstore.copy_object(bs.types.ObjectId("/c", "o"),
                                                 bs.types.ObjectId("d", "o"))) == \
        f'Path "/c/o" is not within: {ROOT}'
    assert g.blobstore.snapshot() == {}


def test_delete_objects_deletes_in_order_up_to_an_absolute_name(bs, g):
    c = bs.blobstore.create_container("c")
    for n in "ab":
        c.write_data(n, _ov(bs, n.encode()))
    assert _err(lambda: c.delete_objects(["a", "/x", "b"])) == \
        f'Path "/x" is not within: {ROOT}'
    assert sorted(g.blobstore["c"]) == ["b"]


def test_absolute_names_on_s3_are_not_determined(bs, g):
    g.blobstore.backend = "s3"
    c = bs.blobstore.create_container("c")
    start = len(g.oplog())
    with pytest.raises(Trap, match="absolute.*not determined"):
        c.write_data("/x", _ov(bs, b"x"))
    with pytest.raises(Trap, match="absolute"):
        bs.blobstore.container_exists("/c")
    assert len(g.oplog()) == start and g.blobstore.snapshot() == {"c": {}}


def test_error_paths_are_quoted_like_rust_debug(bs, g):
    assert _err(lambda: bs.blobstore.create_container('/a"b\n')) == \
        f'Path "/a\\"b\\n" is not within: {ROOT}'


# --- undetermined and unmodelled names ----------------------------------------------------


@pytest.mark.parametrize("backend", ["fs", "s3"])
@pytest.mark.parametrize("name, reason", [
    ("../other/o", r"'\.\.' components"), ("a/../b", r"'\.\.' components"),
    ("..", r"'\.\.' components"), ("", "empty name"), ("./o", "empty name, '.'"),
    ("a//b", "empty path components"), ("dir/", "empty path components"),
])
def test_names_golem_resolves_on_the_host_trap(bs, g, backend, name, reason):
    g.blobstore.backend = backend
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"1"))
    before, start = g.blobstore.snapshot(), len(g.oplog())
    for call in (lambda: c.write_data(name, _ov(bs, b"x")), lambda: c.get_data(name, 0, 0),
                 lambda: c.has_object(name), lambda: c.delete_objects(["o", name])):
        with pytest.raises(Trap, match=reason):
            call()
    assert g.blobstore.snapshot() == before and len(g.oplog()) == start


@pytest.mark.parametrize("name", ["a/b", "", ".", ".."])
def test_container_names_that_are_not_plain_trap(bs, g, name):
    with pytest.raises(Trap, match="not modelled|not determined"):
        bs.blobstore.create_container(name)
    assert g.blobstore.snapshot() == {}


def test_s3_marker_object_name_traps(bs, g):
    g.blobstore.backend = "s3"
    c = bs.blobstore.create_container("c")
    with pytest.raises(Trap, match="__dir_marker"):
        c.write_data("sub/__dir_marker", _ov(bs, b""))


def test_seeding_checks_names_too(g):
    with pytest.raises(ValueError, match="not within"):
        g.blobstore.put("c", "/x", b"")
    with pytest.raises(ValueError, match="not determined"):
        g.blobstore.put("c", "../x", b"")
    g.blobstore.put("c", "d/f", b"1")
    with pytest.raises(ValueError, match="is a directory"):
        g.blobstore.put("c", "d", b"")
    with pytest.raises(ValueError, match="parent of 'd/f/g' is an object"):
        g.blobstore.put("c", "d/f/g", b"")
    assert g.blobstore.snapshot() == {"c": {"d/f": b"1"}}


# --- nested object names on the FS backend ------------------------------------------------


def test_fs_nested_names_are_files_in_directories(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("top", _ov(bs, b"t"))
    c.write_data("images/cat.png", _ov(bs, b"meow"))
    c.write_data("images/2024/dog.png", _ov(bs, b"woof"))
    assert g.blobstore["c"]["images/cat.png"] == b"meow"
    assert c.get_data("images/cat.png", 0, 4).incoming_value_consume_sync() == b"meow"
    assert c.has_object("images/2024/dog.png") is True
    assert c.object_info("images/cat.png").size == 4
    names, end = c.list_objects().read_stream_object_names(10)
    assert (names, end) == (["top", "images"], True)   # the directory, not the files
    assert c.has_object("images") is False               # a directory is no object
    assert _err(lambda: c.get_data("images", 0, 0)) == \
        f"Failed to read file from {_path(g, 'c', 'images')}: Is a directory (os error 21)"
    with pytest.raises(Trap, match="directory.*not determined"):
        c.object_info("images")


def test_fs_write_onto_a_directory_or_through_a_file(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("d/f", _ov(bs, b"1"))
    before = g.blobstore.snapshot()
    assert _err(lambda: c.write_data("d", _ov(bs, b"x"))) == \
        f"Failed to store file at {_path(g, 'c', 'd')}: Is a directory (os error 21)"
    assert _err(lambda: c.write_data("d/f/g", _ov(bs, b"x"))) == \
        f"Failed to store file at {_path(g, 'c', 'd/f/g')}: Not a directory (os error 20)"
    assert _err(lambda: c.write_data("d/f/g/h", _ov(bs, b"x"))) == \
        (f"Failed to create parent directory {_path(g, 'c', 'd/f/g')}: "
         f"Not a directory (os error 20)")
    assert g.blobstore.snapshot() == before
    assert _err(lambda: c.get_data("d/f/g", 0, 0)) == "Object does not exist"
    assert c.has_object("d/f/g") is False


def test_fs_deleting_nested_files_leaves_their_directories(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("d/f", _ov(bs, b"1"))
    c.delete_objects(["d/f"])
    assert g.blobstore.snapshot() == {"c": {}}
    assert c.list_objects().read_stream_object_names(5) == (["d"], True)   # empty dir stays
    assert _err(lambda: c.write_data("d", _ov(bs, b"x"))).endswith("Is a directory (os error 21)")
    c.write_data("d/g", _ov(bs, b"2"))                  # the directory is reused
    assert _err(lambda: c.delete_objects(["d"])) == \
        f"Failed to delete file at {_path(g, 'c', 'd')}: Is a directory (os error 21)"
    assert _err(lambda: c.delete_objects(["d/g/x"])) == \
        f"Failed to delete file at {_path(g, 'c', 'd/g/x')}: Not a directory (os error 20)"
    assert g.blobstore.snapshot() == {"c": {"d/g": b"2"}}


def test_fs_delete_object_of_a_directory_removes_everything_below_it(bs, g):
    c = bs.blobstore.create_container("c")
    for n in ["keep", "d/a", "d/e/b", "dx"]:
        c.write_data(n, _ov(bs, b"."))
    assert _err(lambda: c.delete_object("keep")) == "Not a directory (os error 20)"
    assert _err(lambda: c.delete_object("keep/x")) == "Not a directory (os error 20)"
    c.delete_object("d")                              # remove_dir_all of the directory
    c.delete_object("missing/x")
    assert g.blobstore.snapshot() == {"c": {"dx": b".", "keep": b"."}}
    assert c.list_objects().read_stream_object_names(5) == (["keep", "dx"], True)


def test_fs_container_created_at_moves_only_for_top_level_entries(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("d/a", _ov(bs, b"1"))                # creates the entry `d`
    t1 = bs.blobstore.get_container("c").info().created_at
    c.write_data("d/b", _ov(bs, b"2"))                # inside `d`: c's mtime is unchanged
    c.delete_objects(["d/a"])
    assert bs.blobstore.get_container("c").info().created_at == t1
    c.write_data("e", _ov(bs, b"3"))
    assert bs.blobstore.get_container("c").info().created_at > t1


def test_fs_copy_and_move_with_nested_names(bs, g):
    T = bs.types.ObjectId
    c = bs.blobstore.create_container("c")
    bs.blobstore.create_container("d")
    c.write_data("x/f", _ov(bs, b"data"))
    c.write_data("file", _ov(bs, b"!"))
    bs.blobstore.copy_object(T("c", "x/f"), T("c", "x/g"))      # parent exists
    assert _err(lambda: bs.blobstore.copy_object(T("c", "x/f"), T("d", "x/f"))) == \
        "No such file or directory (os error 2)"              # std::fs::copy creates no dirs
    assert _err(lambda: bs.blobstore.copy_object(T("c", "x/f"), T("c", "x"))) == \
        "Is a directory (os error 21)"
    assert _err(lambda: bs.blobstore.copy_object(T("c", "x/f"), T("c", "file/y"))) == \
        "Not a directory (os error 20)"
    assert _err(lambda: bs.blobstore.copy_object(T("c", "file/y"), T("d", "y"))) == \
        "Not a directory (os error 20)"
    assert _err(lambda: bs.blobstore.move_object(T("c", "x"), T("d", "y"))) == \
        "the source path is neither a regular file nor a symlink to a regular file"
    bs.blobstore.move_object(T("c", "x/g"), T("d", "g"))
    assert g.blobstore.snapshot() == {"c": {"file": b"!", "x/f": b"data"},
                                      "d": {"g": b"data"}}


# --- nested object names on S3: opaque keys -------------------------------------------------


def test_s3_nested_names_are_keys_left_out_of_listings(bs, g):
    g.blobstore.backend = "s3"
    c = bs.blobstore.create_container("c")
    c.write_data("top", _ov(bs, b"t"))
    c.write_data("images/cat.png", _ov(bs, b"meow"))
    c.write_data("images", _ov(bs, b"also a key"))            # no directory conflict on S3
    assert c.get_data("images/cat.png", 0, 3).incoming_value_consume_sync() == b"meow"
    assert c.list_objects().read_stream_object_names(10) == (["top", "images"], True)
    assert c.has_object("images/cat.png") is True
    c.delete_object("images")                # delete_dir: the keys under `images/` go
    assert g.blobstore.snapshot() == {"c": {"images": b"also a key", "top": b"t"}}


# --- a state machine for nested names on the FS backend ------------------------------------

from hypothesis import settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule  # noqa: E402

import golem_fakes  # noqa: E402

golem_fakes.install()
from wit_world.imports import blobstore as _blobstore  # noqa: E402
from wit_world.imports import wasi_blobstore_types as _types  # noqa: E402

NESTED = st.sampled_from(["d", "d/x", "d/y", "d/y/z", "x", "x/d"])


class NestedNamesFS(RuleBasedStateMachine):
    """The FS flavour against a model of a directory tree under Linux path resolution:
    ``files`` (path → bytes) and ``dirs`` (paths of sub-directories)."""

    def __init__(self) -> None:
        super().__init__()
        self.golem = golem_fakes.Golem(seed=0)
        self.golem.__enter__()
        self.c = _blobstore.create_container("c")
        self.files: dict[str, bytes] = {}
        self.dirs: set[str] = set()

    def teardown(self) -> None:
        self.golem.__exit__(None, None, None)

    def _path(self, p: str) -> str:
        return f'"<blob-root>/custom_data/{self.golem.project}/c/{p}"'

    def _kind(self, p: str) -> str:
        parts = p.split("/")
        for i in range(1, len(parts)):
            prefix = "/".join(parts[:i])
            if prefix in self.files:
                return "notdir"
            if prefix not in self.dirs:
                return "missing"
        return "file" if p in self.files else "dir" if p in self.dirs else "missing"

    def _outcome(self, call):  # type: ignore[no-untyped-def]
        try:
            return call()
        except _blobstore.Err as e:                  # the same Err class for every module
            return ("err", e.value)

    @rule(p=NESTED, data=st.binary(max_size=4))
    def write(self, p: str, data: bytes) -> None:
        ov = _types.OutgoingValue.new_outgoing_value()
        ov.outgoing_value_write_body().blocking_write_and_flush(data)
        got = self._outcome(lambda: self.c.write_data(p, ov))
        kind = self._kind(p)
        parent = p.rsplit("/", 1)[0] if "/" in p else None
        if kind == "dir":
            assert got == ("err", f"Failed to store file at {self._path(p)}: "
                                  f"Is a directory (os error 21)")
        elif kind == "notdir" and parent in self.files:
            assert got == ("err", f"Failed to store file at {self._path(p)}: "
                                  f"Not a directory (os error 20)")
        elif kind == "notdir":
            assert got == ("err", f"Failed to create parent directory {self._path(parent)}: "
                                  f"Not a directory (os error 20)")
        else:
            assert got is None
            parts = p.split("/")
            self.dirs.update("/".join(parts[:i]) for i in range(1, len(parts)))
            self.files[p] = data

    @rule(p=NESTED)
    def read(self, p: str) -> None:
        kind = self._kind(p)
        if kind == "file":
            size = len(self.files[p])
            assert self.c.get_data(p, 0, size).incoming_value_consume_sync() == self.files[p]
        elif kind == "dir":
            assert self._outcome(lambda: self.c.get_data(p, 0, 0)) == \
                ("err", f"Failed to read file from {self._path(p)}: Is a directory (os error 21)")
        else:
            assert self._outcome(lambda: self.c.get_data(p, 0, 0)) == \
                ("err", "Object does not exist")
        assert self.c.has_object(p) is (kind == "file")

    @rule(names=st.lists(NESTED, max_size=3))
    def delete_objects(self, names: list[str]) -> None:
        got = self._outcome(lambda: self.c.delete_objects(names))
        for n in names:
            kind = self._kind(n)
            if kind != "file":
                reason = {"missing": "No such file or directory (os error 2)",
                          "notdir": "Not a directory (os error 20)",
                          "dir": "Is a directory (os error 21)"}[kind]
                assert got == ("err", f"Failed to delete file at {self._path(n)}: {reason}")
                return
            del self.files[n]
        assert got is None

    @rule(p=NESTED)
    def delete_object(self, p: str) -> None:
        got = self._outcome(lambda: self.c.delete_object(p))
        kind = self._kind(p)
        if kind in ("file", "notdir"):
            assert got == ("err", "Not a directory (os error 20)")
            return
        assert got is None
        if kind == "dir":                            # remove_dir_all
            self.files = {f: b for f, b in self.files.items() if not f.startswith(p + "/")}
            self.dirs = {d for d in self.dirs if d != p and not d.startswith(p + "/")}

    @rule()
    def list_objects(self) -> None:
        top = {n.split("/")[0] for n in self.files} | {d.split("/")[0] for d in self.dirs}
        names = sorted(top, reverse=True)
        assert self.c.list_objects().read_stream_object_names(10) == (names, True)

    @invariant()
    def store_equals_model(self) -> None:
        assert self.golem.blobstore.snapshot() == {"c": dict(sorted(self.files.items()))}


TestNestedNamesFS = NestedNamesFS.TestCase
TestNestedNamesFS.settings = settings(max_examples=100, stateful_step_count=30, deadline=None)
