"""Resource lifetimes on Golem v1.3.0-dev.25: what happens to a body stream or a name
stream when its parent value or container is dropped or deleted, and to a dropped handle.

Golem's host (``golem-worker-executor/src/durable_host/blobstore/types.rs``,
``container.rs``) pushes every stream with a plain ``table().push(...)``, never
``push_child``: the output stream of ``outgoing-value-write-body`` and the input stream of
``incoming-value-consume-async`` hold an ``Arc`` clone of the value's buffer, and
``stream-object-names`` holds its own copy of the listing. So wasmtime's resource table
has no parent/child link to enforce: dropping the parent never traps, and the stream keeps
working on the shared buffer. golem-fakes does the same (the stream reps keep the value
rep alive; there is no ``[resource-drop]`` behaviour that would invalidate them)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from golem_fakes import Trap


def _ov(bs: SimpleNamespace, data: bytes) -> object:
    ov = bs.types.OutgoingValue.new_outgoing_value()
    ov.outgoing_value_write_body().blocking_write_and_flush(data)
    return ov


def test_input_body_keeps_reading_after_its_incoming_value_is_dropped(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"abcdef"))
    iv = c.get_data("o", 0, 6)
    body = iv.incoming_value_consume_async()
    assert body.read(2) == b"ab"
    with iv:                                          # drop the parent value
        pass
    assert body.read(6) == b"cdef\x00\x00"           # same buffer, still zero-padded
    with pytest.raises(Trap):                         # the dropped handle itself is gone
        iv.size()


def test_output_body_keeps_accepting_writes_after_its_outgoing_value_is_dropped(bs, g):
    c = bs.blobstore.create_container("c")
    ov = bs.types.OutgoingValue.new_outgoing_value()
    out = ov.outgoing_value_write_body()
    out.blocking_write_and_flush(b"12")
    c.write_data("o", ov)
    with ov:
        pass
    # Golem: the stream appends to a buffer nobody can read any more; no error.
    assert out.check_write() == 2**64 - 1
    out.blocking_write_and_flush(b"34")
    out.write(b"56")
    assert g.blobstore["c"]["o"] == b"12"             # the stored object is unaffected
    with pytest.raises(Trap):
        c.write_data("o", ov)
    assert g.blobstore["c"]["o"] == b"12"


def test_name_stream_and_values_outlive_their_container(bs, g):
    c = bs.blobstore.create_container("c")
    for n in ["a", "b", "c"]:
        c.write_data(n, _ov(bs, n.encode()))
    names = c.list_objects()
    iv = c.get_data("b", 0, 1)
    bs.blobstore.delete_container("c")                # the data is gone from the store
    with c:                                           # and the handle is dropped
        pass
    assert names.read_stream_object_names(2) == (["c", "b"], False)   # its own listing
    assert names.read_stream_object_names(2) == (["a"], True)
    assert iv.incoming_value_consume_sync() == b"b"   # its own copy of the bytes
    assert g.blobstore.snapshot() == {}
    with pytest.raises(Trap):
        c.has_object("a")


def test_dropped_container_handle_traps_and_keeps_the_store(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"x"))
    before = g.blobstore.snapshot()
    start = len(g.oplog())
    with c:
        pass
    for call in (lambda: c.get_data("o", 0, 1), lambda: c.write_data("o", _ov(bs, b"y")),
                 lambda: c.clear(), lambda: c.list_objects(), lambda: c.name()):
        with pytest.raises(Trap):
            call()
    assert g.blobstore.snapshot() == before
    assert len(g.oplog()) == start                    # nothing reached the host


def test_dropped_streams_trap(bs, g):
    c = bs.blobstore.create_container("c")
    c.write_data("o", _ov(bs, b"x"))
    names = c.list_objects()
    body = c.get_data("o", 0, 1).incoming_value_consume_async()
    with names, body:
        pass
    with pytest.raises(Trap):
        names.read_stream_object_names(1)
    with pytest.raises(Trap):
        body.read(1)
