"""Body streams of outgoing-value / incoming-value (docs/golem-io-semantics.md §1.2,
§6 rules 5-6): the rep operations the wasi:io stream reps call, and the streams end to
end through the generated bindings."""

from __future__ import annotations

import importlib.util

import pytest

import golem_fakes
from golem_fakes.interfaces.wasi_keyvalue import (
    PAST_END_READ_LIMIT,
    IncomingValueRep,
    OutgoingValueRep,
)


def test_incoming_reads_are_exactly_len_zero_padded_and_drain_the_value():
    rep = IncomingValueRep(bytearray(b"hello"))
    assert rep.read_padded(2) == b"he"
    assert rep.read_padded(5) == b"llo\x00\x00"
    assert rep.read_padded(3) == b"\x00\x00\x00"          # never end-of-stream
    assert rep.read_padded(0) == b""
    assert rep.buffer == bytearray()


def test_an_incoming_value_holding_the_stores_bytes_reads_like_a_copy():
    # `get` hands the store's bytes to the incoming-value without copying them: reads
    # must drain the value as before and never touch the bytes they came from
    stored = b"hello world"
    rep = IncomingValueRep(stored)
    assert rep.read_padded(5) == b"hello"        # a partial read: now its own copy
    assert rep.take(100) == b" world"
    assert rep.take(1) == b""
    assert stored == b"hello world"
    whole = IncomingValueRep(stored)
    assert whole.take(len(stored)) is stored      # consume-sync of the whole: no copy
    assert whole.take(5) == b"" and len(whole.buffer) == 0


def test_reading_past_the_end_forever_fails_the_test_with_the_reason():
    rep = IncomingValueRep(bytearray(b"x"))
    rep.read_padded(4)
    for _ in range(PAST_END_READ_LIMIT):
        assert rep.read_padded(4) == bytes(4)
    with pytest.raises(golem_fakes.Trap, match="never reports `closed`.*spin forever"):
        rep.read_padded(4)


def test_outgoing_append_concatenates_memoryviews():
    rep = OutgoingValueRep()
    rep.append(b"ab")
    rep.append(memoryview(b"cd"))
    assert bytes(rep.buffer) == b"abcd"


def _streams_ready() -> bool:
    return importlib.util.find_spec("golem_fakes.state.streams") is not None \
        and importlib.util.find_spec("golem_fakes.interfaces.wasi_io.streams") is not None


needs_streams = pytest.mark.skipif(
    not _streams_ready(), reason="wasi:io streams (golem_fakes.state.streams and the "
    "golem_fakes.interfaces.wasi_io.streams behaviours) are not in this tree yet")


@needs_streams
def test_async_outgoing_bodies_append_to_one_buffer(kv, g):
    o = kv.types.OutgoingValue.new_outgoing_value()
    o.outgoing_value_write_body_sync(b"sync-")
    s1 = o.outgoing_value_write_body_async()
    s1.blocking_write_and_flush(b"first-" * 1000)          # no 4096-byte limit here
    s2 = o.outgoing_value_write_body_async()
    s2.write(b"second")
    b = kv.types.Bucket.open_bucket("b")
    kv.eventual.set(b, "k", o)
    assert g.keyvalue["b"]["k"] == b"sync-" + b"first-" * 1000 + b"second"


@needs_streams
def test_async_incoming_body_is_padded_never_closed_and_shares_the_buffer(kv, g):
    g.keyvalue["b"]["k"] = b"abcdef"
    v = kv.eventual.get(kv.types.Bucket.open_bucket("b"), "k")
    s = v.incoming_value_consume_async()
    assert s.read(2) == b"ab"
    assert v.incoming_value_size() == 4
    assert v.incoming_value_consume_sync() == b"cdef"       # mixing splits the value
    assert s.blocking_read(3) == b"\x00\x00\x00"
    assert g.keyvalue["b"]["k"] == b"abcdef"


needs_poll = pytest.mark.skipif(
    importlib.util.find_spec("golem_fakes.interfaces.wasi_io.poll") is None,
    reason="wasi:io/poll behaviours are not in this tree yet")


@needs_poll
def test_wit_profile_cache_futures_are_ready_at_once(kv, g):
    g.keyvalue.profile = "wit"
    f = kv.cache.exists("k")
    p = f.listen_to_future_exists_result()
    assert p.ready() is True
    p.block()
    assert f.future_exists_result_get() is not None


@needs_streams
def test_read_until_closed_loop_is_stopped_with_the_reason(kv, g):
    g.keyvalue["b"]["k"] = b"abc"
    s = kv.eventual.get(kv.types.Bucket.open_bucket("b"), "k").incoming_value_consume_async()
    got = b""
    with pytest.raises(golem_fakes.Trap, match="would spin forever on Golem"):
        while True:                                  # "until closed": never ends on Golem
            got += s.blocking_read(2)
    assert got.startswith(b"abc\x00")


def test_values_got_twice_are_independent_and_leave_the_store_alone(kv, g):
    g.keyvalue["b"]["k"] = b"abcdef"
    b = kv.types.Bucket.open_bucket("b")
    v1, v2 = kv.eventual.get(b, "k"), kv.eventual.get(b, "k")
    assert v1.incoming_value_consume_sync() == b"abcdef"
    assert v1.incoming_value_consume_sync() == b""
    assert v1.incoming_value_size() == 0
    assert v2.incoming_value_size() == 6
    assert v2.incoming_value_consume_async().blocking_read(4) == b"abcd"
    assert v2.incoming_value_consume_sync() == b"ef"
    assert g.keyvalue["b"]["k"] == b"abcdef"
