"""wasi:keyvalue atomic and cache: executor abort by default (docs/golem-io-semantics.md
§1.5, §1.6, §6 rule 4), WIT semantics under the opt-in ``"wit"`` profile."""

from __future__ import annotations

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err, Ok


ABORTING = [
    ("increment", "not implemented: increment", lambda kv, b: kv.atomic.increment(b, "c", 1)),
    ("compare-and-swap", "not implemented: compare_and_swap",
     lambda kv, b: kv.atomic.compare_and_swap(b, "c", 0, 1)),
    ("get", "not implemented: get", lambda kv, b: kv.cache.get("k")),
    ("exists", "not implemented: exists", lambda kv, b: kv.cache.exists("k")),
    ("set", "not implemented: set",
     lambda kv, b: kv.cache.set("k", kv.types.OutgoingValue.new_outgoing_value(), None)),
    ("get-or-set", "not implemented: get_or_set", lambda kv, b: kv.cache.get_or_set("k")),
    ("delete", "not implemented: delete", lambda kv, b: kv.cache.delete("k")),
]


@pytest.mark.parametrize("function, panic, call", ABORTING, ids=[a[0] + "-" + a[1][-6:]
                                                                for a in ABORTING])
def test_default_profile_crashes_the_executor(kv, g, function, panic, call):
    g.keyvalue["c"]["c"] = b"\x00" * 8
    b = kv.types.Bucket.open_bucket("c")
    before = g.oplog().kinds()
    caught_as_exception = False
    with pytest.raises(golem_fakes.Trap) as info:
        try:
            call(kv, b)
        except Exception:
            caught_as_exception = True
    assert not caught_as_exception
    msg = str(info.value)
    assert msg.startswith(panic + ":")
    assert "crashes Golem's worker-executor process" in msg
    assert 'golem.keyvalue.profile = "wit"' in msg
    assert info.value.function == function
    assert g.keyvalue.executor_aborted == panic
    assert g.oplog().kinds() == before                     # nothing recorded
    assert g.keyvalue.snapshot() == {"c": {"c": b"\x00" * 8}}


@pytest.fixture
def wit(g):
    g.keyvalue.profile = "wit"
    return g


def test_increment_creates_then_adds(kv, wit):
    b = kv.types.Bucket.open_bucket("n")
    assert kv.atomic.increment(b, "c", 5) == 5
    assert kv.atomic.increment(b, "c", 2**32) == 2**32 + 5
    assert wit.keyvalue["n"]["c"] == (2**32 + 5).to_bytes(8, "little")
    assert wit.keyvalue.executor_aborted is None


def test_increment_rejects_non_counters_and_overflow_without_writing(kv, wit):
    wit.keyvalue["n"].update({"text": b"hello", "max": (2**64 - 1).to_bytes(8, "little")})
    b = kv.types.Bucket.open_bucket("n")
    with pytest.raises(Err) as info:
        kv.atomic.increment(b, "text", 1)
    assert "expected 8 bytes" in info.value.value.trace() and "5 bytes" in info.value.value.trace()
    with pytest.raises(Err) as info:
        kv.atomic.increment(b, "max", 1)
    assert "overflows u64" in info.value.value.trace()
    assert wit.keyvalue["n"]["text"] == b"hello"
    assert wit.keyvalue["n"]["max"] == (2**64 - 1).to_bytes(8, "little")


def test_compare_and_swap(kv, wit):
    b = kv.types.Bucket.open_bucket("n")
    assert kv.atomic.compare_and_swap(b, "c", 0, 1) is False      # missing key
    assert "c" not in wit.keyvalue["n"]
    kv.atomic.increment(b, "c", 3)
    assert kv.atomic.compare_and_swap(b, "c", 4, 9) is False
    assert kv.atomic.compare_and_swap(b, "c", 3, 9) is True
    assert kv.atomic.increment(b, "c", 0) == 9
    wit.keyvalue["n"]["bad"] = b"x"
    with pytest.raises(Err):
        kv.atomic.compare_and_swap(b, "bad", 0, 1)


def test_cache_set_get_exists_delete(kv, wit):
    o = kv.types.OutgoingValue.new_outgoing_value()
    o.outgoing_value_write_body_sync(b"cached")
    assert kv.cache.exists("k").future_exists_result_get() == Ok(False)
    assert kv.cache.set("k", o, 1000).future_result_get() == Ok(None)
    f = kv.cache.get("k")
    r = f.future_get_result_get()
    assert r.value.incoming_value_consume_sync() == b"cached"
    assert f.future_get_result_get() is None                      # handed out once
    assert kv.cache.exists("k").future_exists_result_get() == Ok(True)
    kv.cache.delete("k").future_result_get()
    assert kv.cache.get("k").future_get_result_get() == Ok(None)
    assert wit.keyvalue.snapshot() == {}                          # separate from buckets


def test_cache_get_or_set_vacancy_fill(kv, wit):
    entry = kv.cache.get_or_set("k").future_get_or_set_result_get().value
    assert isinstance(entry, kv.cache.GetOrSetEntry_Vacant)
    filled = entry.value.vacancy_fill(None)
    filled.outgoing_value_write_body_sync(b"computed")
    entry = kv.cache.get_or_set("k").future_get_or_set_result_get().value
    assert isinstance(entry, kv.cache.GetOrSetEntry_Occupied)
    assert entry.value.incoming_value_consume_sync() == b"computed"
