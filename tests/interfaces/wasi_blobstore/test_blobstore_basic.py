"""wasi:blobstore behaviour against docs/golem-io-semantics.md §2."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes import Trap


def _ov(bs: SimpleNamespace, data: bytes) -> object:
    ov = bs.types.OutgoingValue.new_outgoing_value()
    out = ov.outgoing_value_write_body()
    out.blocking_write_and_flush(data)
    return ov


def _write(bs: SimpleNamespace, c: object, name: str, data: bytes) -> None:
    c.write_data(name, _ov(bs, data))  # type: ignore[attr-defined]


def _names(c: object) -> list[str]:
    stream = c.list_objects()  # type: ignore[attr-defined]
    names, _ = stream.read_stream_object_names(1000)
    return names


def test_create_get_exists_delete(bs, g):
    assert bs.blobstore.container_exists("c") is False
    with pytest.raises(bs.blobstore.Err) as e:
        bs.blobstore.get_container("c")
    assert e.value.value == "Container not found"
    c = bs.blobstore.create_container("c")
    assert c.name() == "c" and c.info().name == "c"
    assert bs.blobstore.container_exists("c") is True
    _write(bs, c, "o", b"x")
    again = bs.blobstore.create_container("c")          # idempotent, objects kept
    assert g.blobstore["c"]["o"] == b"x"
    assert again.info().created_at == bs.blobstore.get_container("c").info().created_at
    bs.blobstore.delete_container("c")
    bs.blobstore.delete_container("c")                    # Ok when missing too
    assert bs.blobstore.container_exists("c") is False and "c" not in g.blobstore


def test_shared_between_workers(bs, g):
    bs.blobstore.create_container("shared").write_data("o", _ov(bs, b"1"))
    g.add_worker(g.default_worker.component, "other")
    with g.run_as(g.default_worker.component, "other"):
        assert bs.blobstore.get_container("shared").get_data("o", 0, 1).incoming_value_consume_sync() == b"1"


def test_get_data_fs_is_end_exclusive_and_aborts_out_of_range(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"0123456789")
    assert c.get_data("o", 0, 10).incoming_value_consume_sync() == b"0123456789"
    assert c.get_data("o", 2, 5).incoming_value_consume_sync() == b"234"
    assert c.get_data("o", 0, 0).incoming_value_consume_sync() == b""
    assert c.get_data("o", 0, 9).incoming_value_consume_sync() == b"012345678"
    before = g.blobstore.snapshot()
    with pytest.raises(Trap, match="range end out of bounds: 11 <= 10"):
        c.get_data("o", 0, 11)
    with pytest.raises(Trap, match="range start must not be greater than end: 5 <= 4"):
        c.get_data("o", 5, 4)
    assert g.blobstore.snapshot() == before
    with pytest.raises(bs.container.Err) as e:
        c.get_data("missing", 0, 0)
    assert e.value.value == "Object does not exist"


def test_get_data_s3_is_inclusive_and_clamped(bs, g):
    g.blobstore.backend = "s3"
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"0123456789")
    assert c.get_data("o", 2, 5).incoming_value_consume_sync() == b"2345"
    assert c.get_data("o", 0, 100).incoming_value_consume_sync() == b"0123456789"
    with pytest.raises(Trap, match="not determined"):
        c.get_data("o", 10, 12)


def test_incoming_value_sync_async_size(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"abcdef")
    iv = c.get_data("o", 0, 6)
    assert iv.size() == 6
    body = iv.incoming_value_consume_async()
    assert body.read(4) == b"abcd"
    assert iv.size() == 2
    assert body.read(4) == b"ef\x00\x00"                  # zero-padded, never closed
    assert iv.incoming_value_consume_sync() == b""
    # the value holds its own bytes: overwriting the object does not change it
    iv2 = c.get_data("o", 0, 6)
    _write(bs, c, "o", b"zz")
    assert iv2.incoming_value_consume_sync() == b"abcdef"


def test_endless_async_read_traps(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"a")
    body = c.get_data("o", 0, 1).incoming_value_consume_async()
    with pytest.raises(Trap, match="never reports"):
        for _ in range(1000):
            body.read(1)


def test_outgoing_value_reusable_and_appending(bs, g):
    c = bs.blobstore.create_container("c")
    ov = bs.types.OutgoingValue.new_outgoing_value()
    ov.outgoing_value_write_body().blocking_write_and_flush(b"ab")
    c.write_data("o1", ov)
    ov.outgoing_value_write_body().blocking_write_and_flush(b"cd")
    c.write_data("o2", ov)
    c.write_data("empty", bs.types.OutgoingValue.new_outgoing_value())
    assert g.blobstore.snapshot() == {"c": {"empty": b"", "o1": b"ab", "o2": b"abcd"}}


def test_object_info_and_has_object(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"abc")
    info = c.object_info("o")
    assert (info.name, info.container, info.size) == ("o", "c", 3)
    _write(bs, c, "o", b"abcd")
    info2 = c.object_info("o")
    assert info2.size == 4 and info2.created_at > info.created_at   # last-modified
    assert g.blobstore["c"].metadata("o")["size"] == 4
    assert c.has_object("o") is True and c.has_object("p") is False
    with pytest.raises(bs.container.Err) as e:
        c.object_info("p")
    assert e.value.value == "Object does not exist"


def test_listing_order_and_stream_flags(bs, g):
    c = bs.blobstore.create_container("c")
    for n in ["b", "a", "c"]:
        _write(bs, c, n, b"")
    s = c.list_objects()
    assert s.read_stream_object_names(0) == ([], False)
    assert s.read_stream_object_names(2) == (["c", "b"], False)   # popped from the back
    assert s.read_stream_object_names(1) == (["a"], False)        # exactly the rest
    assert s.read_stream_object_names(1) == ([], True)
    s2 = c.list_objects()
    assert s2.skip_stream_object_names(5) == (3, True)


def test_list_missing_container_fs_vs_s3(bs, g):
    c = bs.blobstore.create_container("c")
    bs.blobstore.delete_container("c")
    with pytest.raises(bs.container.Err) as e:
        c.list_objects()
    assert e.value.value == "No such file or directory (os error 2)"
    g.blobstore.backend = "s3"
    assert _names(c) == []


def test_delete_object_is_broken_as_in_golem(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"x")
    with pytest.raises(bs.container.Err) as e:
        c.delete_object("o")
    assert e.value.value == "Not a directory (os error 20)"
    assert g.blobstore["c"]["o"] == b"x"
    c.delete_object("missing")
    g.blobstore.backend = "s3"
    c.delete_object("o")
    assert g.blobstore["c"]["o"] == b"x"


def test_delete_objects_fs_stops_at_first_missing(bs, g):
    c = bs.blobstore.create_container("c")
    for n in "abc":
        _write(bs, c, n, n.encode())
    with pytest.raises(bs.container.Err) as e:
        c.delete_objects(["a", "zz", "b"])
    assert e.value.value == ('Failed to delete file at "<blob-root>/custom_data/'
                             f'{g.project}/c/zz": No such file or directory (os error 2)')
    assert sorted(g.blobstore["c"]) == ["b", "c"]
    g.blobstore.backend = "s3"
    c.delete_objects(["b", "zz"])
    assert sorted(g.blobstore["c"]) == ["c"]


def test_clear_deletes_the_container(bs, g):
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"x")
    c.clear()
    assert bs.blobstore.container_exists("c") is False
    assert c.name() == "c" and c.has_object("o") is False
    _write(bs, c, "p", b"y")                              # stale handle re-creates on FS
    assert bs.blobstore.container_exists("c") is True


def test_stale_write_on_s3_leaves_container_missing(bs, g):
    g.blobstore.backend = "s3"
    c = bs.blobstore.create_container("c")
    bs.blobstore.delete_container("c")
    _write(bs, c, "p", b"y")
    assert bs.blobstore.container_exists("c") is False
    assert c.has_object("p") is True


def test_copy_and_move(bs, g):
    T = bs.types.ObjectId
    c = bs.blobstore.create_container("c")
    bs.blobstore.create_container("d")
    _write(bs, c, "o", b"data")
    bs.blobstore.copy_object(T("c", "o"), T("d", "o2"))
    bs.blobstore.move_object(T("c", "o"), T("d", "o3"))
    assert g.blobstore.snapshot() == {"c": {}, "d": {"o2": b"data", "o3": b"data"}}
    for fn in (bs.blobstore.copy_object, bs.blobstore.move_object):
        with pytest.raises(bs.blobstore.Err) as e:
            fn(T("c", "missing"), T("d", "x"))
        assert e.value.value == "No such file or directory (os error 2)"
        with pytest.raises(bs.blobstore.Err):
            fn(T("d", "o2"), T("nope", "x"))
    assert g.blobstore.snapshot() == {"c": {}, "d": {"o2": b"data", "o3": b"data"}}


def test_copy_onto_itself_truncates_and_move_deletes_on_fs(bs, g):
    T = bs.types.ObjectId
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"data")
    _write(bs, c, "p", b"data")
    bs.blobstore.copy_object(T("c", "o"), T("c", "o"))
    bs.blobstore.move_object(T("c", "p"), T("c", "p"))
    assert g.blobstore.snapshot() == {"c": {"o": b""}}


def test_s3_copy_needs_no_destination_container(bs, g):
    g.blobstore.backend = "s3"
    T = bs.types.ObjectId
    c = bs.blobstore.create_container("c")
    _write(bs, c, "o", b"data")
    bs.blobstore.copy_object(T("c", "o"), T("new", "o"))
    assert bs.blobstore.container_exists("new") is False
    assert g.blobstore.snapshot()["new"] == {"o": b"data"}


def test_projects_are_isolated(bs, g):
    g.blobstore.put("c", "o", b"other", project="elsewhere")
    assert bs.blobstore.container_exists("c") is False
    assert g.blobstore.snapshot("elsewhere") == {"c": {"o": b"other"}}


def test_without_golem_environment_is_not_faked(bs):
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="golem.blobstore"):
            bs.blobstore.container_exists("c")


def test_unknown_backend_is_explained(bs, g):
    g.blobstore.backend = "memory"
    with pytest.raises(ValueError, match="only"):
        bs.blobstore.container_exists("c")
