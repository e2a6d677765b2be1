"""Resource lifetimes (docs/golem-io-semantics.md §1.2): a body stream used after its parent
value (or the bucket) is gone.

Golem's ``golem-worker-executor/src/durable_host/keyvalue/types.rs`` pushes the body streams
with ``table().push(...)`` (no ``push_child``) and gives them an ``Arc`` clone of the value's
buffer, so dropping the outgoing-value / incoming-value / bucket while a stream lives does
not trap, and the stream goes on working on the shared buffer."""

from __future__ import annotations

import pytest

from golem_fakes import Trap


def test_incoming_body_outlives_value_and_bucket(kv, g):
    g.keyvalue["b"]["k"] = b"abcd"
    b = kv.types.Bucket.open_bucket("b")
    v = kv.eventual.get(b, "k")
    body = v.incoming_value_consume_async()
    assert body.read(1) == b"a"
    with v, b:
        pass
    del g.keyvalue["b"]["k"]                          # the value holds its own copy
    assert body.read(5) == b"bcd\x00\x00"
    with pytest.raises(Trap):
        v.incoming_value_size()
    with pytest.raises(Trap):
        kv.eventual.get(b, "k")


def test_outgoing_body_outlives_its_value(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    o = kv.types.OutgoingValue.new_outgoing_value()
    s = o.outgoing_value_write_body_async()
    s.blocking_write_and_flush(b"1")
    kv.eventual.set(b, "k", o)
    with o:
        pass
    s.blocking_write_and_flush(b"2")                  # no error: appends to an orphan buffer
    assert s.check_write() == 2**64 - 1
    assert g.keyvalue.snapshot() == {"b": {"k": b"1"}}


def test_dropped_body_stream_traps_and_the_value_stays_usable(kv, g):
    g.keyvalue["b"]["k"] = b"xyz"
    v = kv.eventual.get(kv.types.Bucket.open_bucket("b"), "k")
    body = v.incoming_value_consume_async()
    assert body.read(1) == b"x"
    with body:
        pass
    with pytest.raises(Trap):
        body.read(1)
    assert v.incoming_value_consume_sync() == b"yz"
