"""wasi:blobstore oplog records (docs/golem-io-semantics.md §2.8, §0.1), fault injection
(§0.2, §0.3, §2.7) and large objects through the body streams (§2.5)."""

from __future__ import annotations

import hashlib
import os
from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes import Trap
from golem_fakes.bindings.result import Err, Ok


def _ov(bs: SimpleNamespace, data: bytes) -> object:
    ov = bs.types.OutgoingValue.new_outgoing_value()
    ov.outgoing_value_write_body().blocking_write_and_flush(data)
    return ov


# --- oplog (§2.8) ------------------------------------------------------------------------


def test_every_recorded_call_has_golems_name_type_request_and_response(bs, g):
    start = len(g.oplog())
    c = bs.blobstore.create_container("c")
    created = c.info().created_at
    c.write_data("o", _ov(bs, b"abc"))
    assert c.get_data("o", 0, 3).incoming_value_consume_sync() == b"abc"
    assert c.has_object("o") is True
    info = c.object_info("o")
    c.list_objects().read_stream_object_names(10)
    with pytest.raises(bs.container.Err):
        c.delete_object("o")                       # FS: Not a directory, object kept
    bs.blobstore.copy_object(bs.types.ObjectId("c", "o"), bs.types.ObjectId("c", "p"))
    bs.blobstore.move_object(bs.types.ObjectId("c", "p"), bs.types.ObjectId("c", "q"))
    c.delete_objects(["q"])
    assert bs.blobstore.container_exists("c") is True
    got_c = bs.blobstore.get_container("c")
    with pytest.raises(bs.blobstore.Err):
        bs.blobstore.get_container("nope")
    c.clear()
    bs.blobstore.delete_container("c")
    kinds = g.oplog().kinds()[start:]
    assert set(kinds) == {"imported-function-invoked"}     # idempotence on: no brackets
    got = [(e["function_name"], e["durable_function_type"], e["request"], e["response"])
           for e in list(g.oplog())[start:]]
    B, C = "golem blobstore::blobstore::", "golem blobstore::container::"
    assert got == [
        (B + "create_container", "write-remote", "c", Ok(created)),
        (C + "write_data", "write-remote", ("c", "o", 3), Ok(None)),
        (C + "get_data", "read-remote", ("c", "o", 0, 3), Ok(b"abc")),
        (C + "has_object", "read-remote", ("c", "o"), Ok(True)),
        (C + "object_info", "read-remote", ("c", "o"),
         Ok({"name": "o", "container": "c", "created_at": info.created_at, "size": 3})),
        (C + "list_object", "read-remote", "c", Ok(["o"])),
        (C + "delete_object", "write-remote", ("c", "o"), Err("Not a directory (os error 20)")),
        (B + "copy_object", "write-remote", ("c", "o", "c", "p"), Ok(None)),
        (B + "move_object", "write-remote", ("c", "p", "c", "q"), Ok(None)),
        (C + "delete_objects", "write-remote", ("c", ["q"]), Ok(None)),
        (B + "container_exists", "read-remote", "c", Ok(True)),
        (B + "get_container", "read-remote", "c", Ok(got_c.info().created_at)),
        (B + "get_container", "read-remote", "nope", Ok(None)),   # §2.7: Ok(none) recorded
        (C + "clear", "write-remote", "c", Ok(None)),
        (B + "delete_container", "write-remote", "c", Ok(None)),
    ]


def test_unrecorded_calls_append_nothing(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"xy"))
    start = len(g.oplog())
    c.name(), c.info()
    iv = c.get_data("o", 0, 2)                      # one entry, then the value is local
    after_get = len(g.oplog())
    iv.size(), iv.incoming_value_consume_sync()
    bs.types.OutgoingValue.new_outgoing_value().outgoing_value_write_body()
    assert after_get == start + 1 and len(g.oplog()) == after_get


def test_writes_bracketed_when_idempotence_is_off(bs, g):
    g.runtime().idempotent = False
    start = len(g.oplog())
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"x"))
    c.has_object("o")
    assert g.oplog().kinds()[start:] == [
        "begin-remote-write", "imported-function-invoked", "end-remote-write",
        "begin-remote-write", "imported-function-invoked", "end-remote-write",
        "imported-function-invoked"]
    entries = list(g.oplog())[start:]
    assert entries[2]["begin_index"] == entries[0].index
    assert entries[5]["begin_index"] == entries[3].index


# --- fault injection (§0.2, §0.3, §2.7) --------------------------------------------------


def test_injected_err_is_immediate_recorded_and_leaves_the_store(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"old"))
    before = g.blobstore.snapshot()
    g.blobstore.fail("Input/output error (os error 5)", functions={"write-data"})
    with pytest.raises(bs.container.Err) as e:
        c.write_data("o", _ov(bs, b"new"))
    assert e.value.value == "Input/output error (os error 5)"
    assert g.blobstore.snapshot() == before
    last = list(g.oplog())[-1]
    assert (last["function_name"], last["request"], last["response"]) == \
        ("golem blobstore::container::write_data", ("c", "o", 3),
         Err("Input/output error (os error 5)"))
    c.write_data("o", _ov(bs, b"new"))            # times=1: the next call succeeds
    assert g.blobstore["c"]["o"] == b"new"


@pytest.mark.parametrize("call", [
    lambda bs, c: bs.blobstore.create_container("c"),
    lambda bs, c: bs.blobstore.container_exists("c"),
    lambda bs, c: bs.blobstore.delete_container("c"),
    lambda bs, c: bs.blobstore.get_container("c"),
    lambda bs, c: bs.blobstore.copy_object(bs.types.ObjectId("c", "o"),
                                           bs.types.ObjectId("c", "p")),
    lambda bs, c: bs.blobstore.move_object(bs.types.ObjectId("c", "o"),
                                           bs.types.ObjectId("c", "p")),
    lambda bs, c: c.get_data("o", 0, 1),
    lambda bs, c: c.list_objects(),
    lambda bs, c: c.delete_objects(["o"]),
    lambda bs, c: c.has_object("o"),
    lambda bs, c: c.object_info("o"),
])
def test_every_recorded_call_returns_the_injected_err(bs, g, call):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"1"))
    before = g.blobstore.snapshot()
    g.blobstore.fail("boom")
    with pytest.raises((bs.blobstore.Err, bs.container.Err)) as e:
        call(bs, c)
    assert e.value.value == "boom"
    assert g.blobstore.snapshot() == before
    assert list(g.oplog())[-1]["response"] == Err("boom")


def test_trap_option_records_then_traps(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"1"))
    g.blobstore.fail("Connection reset by peer (os error 104)", functions=["get-data"],
                     trap=True)
    with pytest.raises(Trap, match=r"Connection reset by peer \(os error 104\)"):
        try:
            c.get_data("o", 0, 1)
        except Exception:                           # guest code cannot catch it
            pytest.fail("a trap must not be an Exception")
    last = list(g.oplog())[-1]
    assert (last["function_name"], last["response"]) == \
        ("golem blobstore::container::get_data", Err("Connection reset by peer (os error 104)"))
    assert c.get_data("o", 0, 1).incoming_value_consume_sync() == b"1"


def test_clear_storage_error_always_traps_and_keeps_the_container(bs, g):
    c = bs.blobstore.create_container("c")
    g.blobstore.fail("Permission denied (os error 13)", functions={"clear"})
    with pytest.raises(Trap, match=r"Permission denied"):
        c.clear()
    assert "c" in g.blobstore
    assert list(g.oplog())[-1]["response"] == Err("Permission denied (os error 13)")


def test_container_filter_times_and_none(bs, g):
    a, b = bs.blobstore.create_container("a"), bs.blobstore.create_container("b")
    g.blobstore.fail("disk full", containers=["b"], times=None)
    a.write_data("o", _ov(bs, b"1"))                  # other container unaffected
    for _ in range(3):                                # times=None: every matching call
        with pytest.raises(bs.container.Err):
            b.has_object("o")
    with pytest.raises(bs.blobstore.Err):            # copy matches its destination too
        bs.blobstore.copy_object(bs.types.ObjectId("a", "o"), bs.types.ObjectId("b", "o"))
    assert g.blobstore.snapshot() == {"a": {"o": b"1"}, "b": {}}
    g.blobstore.fail("twice", functions={"has-object"}, times=2)
    with pytest.raises(bs.container.Err) as e1:
        a.has_object("o")
    with pytest.raises(bs.container.Err) as e2:
        a.has_object("o")
    assert (e1.value.value, e2.value.value) == ("twice", "twice")
    assert a.has_object("o") is True


def test_fail_validates_its_arguments(g):
    with pytest.raises(ValueError, match="are not storage calls"):
        g.blobstore.fail("x", functions={"name"})
    with pytest.raises(ValueError, match="count >= 1"):
        g.blobstore.fail("x", times=0)


# --- large data (§2.5) -------------------------------------------------------------------


def test_100_mb_object_through_body_streams(bs, g):
    chunk_size, chunks = 64 * 1024, 1600                # 100 MiB
    block = os.urandom(chunk_size)
    want = hashlib.sha256()
    c = bs.blobstore.create_container("big")
    ov = bs.types.OutgoingValue.new_outgoing_value()
    out = ov.outgoing_value_write_body()
    for i in range(chunks):
        data = i.to_bytes(4, "little") + block[4:]     # every chunk distinct
        want.update(data)
        out.blocking_write_and_flush(data)
    c.write_data("obj", ov)
    size = chunk_size * chunks
    assert c.object_info("obj").size == size
    iv = c.get_data("obj", 0, size)
    assert iv.size() == size
    stream = iv.incoming_value_consume_async()
    got = hashlib.sha256()
    for _ in range(chunks):
        got.update(stream.blocking_read(chunk_size))
    assert iv.size() == 0
    assert got.hexdigest() == want.hexdigest()
    assert hashlib.sha256(g.blobstore["big"]["obj"]).hexdigest() == want.hexdigest()
