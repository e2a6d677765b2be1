"""wasi:keyvalue types / eventual / eventual-batch / error through the generated bindings
(docs/golem-io-semantics.md §1.1-§1.4, §1.7-§1.9)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err


def out(kv: SimpleNamespace, *chunks: bytes):
    o = kv.types.OutgoingValue.new_outgoing_value()
    for c in chunks:
        o.outgoing_value_write_body_sync(c)
    return o


def read(kv: SimpleNamespace, bucket, key: str) -> bytes | None:
    v = kv.eventual.get(bucket, key)
    return None if v is None else v.incoming_value_consume_sync()


# --- types (§1.2) ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["", "never-used", "Ünïcode/with:colons", "x" * 1000])
def test_open_bucket_never_fails_and_touches_nothing(kv, g, name):
    b = kv.types.Bucket.open_bucket(name)
    assert isinstance(b, kv.types.Bucket)
    assert g.keyvalue.snapshot() == {}
    assert g.oplog().kinds().count("imported-function-invoked") == 0


def test_write_body_sync_appends_and_set_copies_at_call_time(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    o = out(kv, b"ab", b"cd")
    kv.eventual.set(b, "k", o)
    o.outgoing_value_write_body_sync(b"ef")          # after `set`: not part of "k"
    kv.eventual.set(b, "k2", o)                     # the same value reused
    assert g.keyvalue["b"]["k"] == b"abcd"
    assert g.keyvalue["b"]["k2"] == b"abcdef"


def test_never_written_value_stores_empty_bytes_which_exist(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    kv.eventual.set(b, "empty", out(kv))
    assert g.keyvalue.snapshot() == {"b": {"empty": b""}}
    assert kv.eventual.exists(b, "empty") is True
    v = kv.eventual.get(b, "empty")
    assert v is not None and v.incoming_value_size() == 0


def test_incoming_value_drains(kv, g):
    g.keyvalue["b"]["k"] = b"hello"
    v = kv.eventual.get(kv.types.Bucket.open_bucket("b"), "k")
    assert v.incoming_value_size() == 5
    assert v.incoming_value_consume_sync() == b"hello"
    assert v.incoming_value_size() == 0
    assert v.incoming_value_consume_sync() == b""
    assert g.keyvalue["b"]["k"] == b"hello"          # draining never touches storage


def test_incoming_value_is_a_copy(kv, g):
    g.keyvalue["b"]["k"] = b"old"
    b = kv.types.Bucket.open_bucket("b")
    v = kv.eventual.get(b, "k")
    kv.eventual.set(b, "k", out(kv, b"new"))
    assert v.incoming_value_consume_sync() == b"old"


def test_use_after_drop_traps_and_keeps_data(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    o = out(kv, b"v")
    kv.eventual.set(b, "k", o)
    with o:
        pass                                         # __exit__ drops the handle
    with pytest.raises(golem_fakes.Trap):
        kv.eventual.set(b, "k", o)
    assert g.keyvalue.snapshot() == {"b": {"k": b"v"}}


# --- eventual (§1.3) ---------------------------------------------------------------------


def test_missing_keys_are_not_errors(kv, g):
    b = kv.types.Bucket.open_bucket("nothing-here")
    assert kv.eventual.get(b, "k") is None
    assert kv.eventual.exists(b, "k") is False
    assert kv.eventual.delete(b, "k") is None
    assert kv.batch.keys(b) == []
    assert kv.batch.get_many(b, ["a", "b"]) == [None, None]
    assert kv.batch.delete_many(b, ["a"]) is None


def test_set_overwrites_delete_removes(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    kv.eventual.set(b, "k", out(kv, b"1"))
    kv.eventual.set(b, "k", out(kv, b"2"))
    assert read(kv, b, "k") == b"2"
    kv.eventual.delete(b, "k")
    assert kv.eventual.exists(b, "k") is False
    assert g.keyvalue.snapshot() == {}


def test_keys_are_case_sensitive_and_empty_key_is_valid(kv, g):
    b = kv.types.Bucket.open_bucket("")
    kv.eventual.set(b, "", out(kv, b"e"))
    kv.eventual.set(b, "K", out(kv, b"upper"))
    assert read(kv, b, "k") is None
    assert read(kv, b, "K") == b"upper"
    assert g.keyvalue[""][""] == b"e"


# --- scope (§1.1) ------------------------------------------------------------------------


def test_buckets_are_shared_by_every_worker_and_component_of_the_project(kv, g):
    g.add_worker("other-component", "w2")
    b = kv.types.Bucket.open_bucket("shared")
    kv.eventual.set(b, "from", out(kv, b"worker-1"))
    with g.run_as("other-component", "w2"):
        b2 = kv.types.Bucket.open_bucket("shared")
        assert read(kv, b2, "from") == b"worker-1"
        kv.eventual.set(b2, "reply", out(kv, b"w2"))
    assert read(kv, b, "reply") == b"w2"


def test_another_project_has_its_own_bucket_of_the_same_name(kv, g):
    g.keyvalue.bucket("b", project="elsewhere")["k"] = b"theirs"
    b = kv.types.Bucket.open_bucket("b")
    assert read(kv, b, "k") is None
    assert g.keyvalue.snapshot() == {}
    assert g.keyvalue.snapshot(project="elsewhere") == {"b": {"k": b"theirs"}}


def test_environments_do_not_share_data(kv):
    with golem_fakes.Golem(seed=0) as g1:
        g1.keyvalue["b"]["k"] = b"1"
    with golem_fakes.Golem(seed=0) as g2:
        assert kv.eventual.get(kv.types.Bucket.open_bucket("b"), "k") is None
        assert g2.keyvalue.snapshot() == {}


# --- eventual-batch (§1.4, §1.8) ---------------------------------------------------------


def test_get_many_in_request_order(kv, g):
    g.keyvalue["b"].update({"a": b"1", "c": b"3"})
    res = kv.batch.get_many(kv.types.Bucket.open_bucket("b"), ["c", "missing", "a"])
    assert [None if v is None else v.incoming_value_consume_sync() for v in res] == \
        [b"3", None, b"1"]


@pytest.mark.parametrize("backend, expected", [("sqlite", [b"1", None, None]),
                                               ("redis", [b"1", b"1", b"1"])])
def test_get_many_duplicates_per_backend(kv, g, backend, expected):
    g.keyvalue.backend = backend
    g.keyvalue["b"]["a"] = b"1"
    res = kv.batch.get_many(kv.types.Bucket.open_bucket("b"), ["a", "a", "a"])
    assert [None if v is None else v.incoming_value_consume_sync() for v in res] == expected


@pytest.mark.parametrize("backend, expected", [
    ("sqlite", ["Mid", "alpha", "beta", "zeta", "é"]),
    ("redis", ["zeta", "alpha", "Mid", "é", "beta"]),
])
def test_keys_order_per_backend(kv, g, backend, expected):
    g.keyvalue.backend = backend
    b = kv.types.Bucket.open_bucket("b")
    for k in ["zeta", "alpha", "Mid", "é", "beta"]:
        kv.eventual.set(b, k, out(kv, b"x"))
    kv.eventual.set(b, "alpha", out(kv, b"overwritten"))   # keeps its place on Redis
    assert kv.batch.keys(b) == expected


def test_set_many_last_duplicate_wins_and_copies(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    o1, o2 = out(kv, b"one"), out(kv, b"two")
    kv.batch.set_many(b, [("k", o1), ("j", o2), ("k", o2)])
    o2.outgoing_value_write_body_sync(b"-later")
    assert g.keyvalue.snapshot() == {"b": {"k": b"two", "j": b"two"}}


def test_delete_many_skips_missing_and_empty_lists_are_fine(kv, g):
    g.keyvalue["b"].update({"a": b"1", "b": b"2", "c": b"3"})
    b = kv.types.Bucket.open_bucket("b")
    kv.batch.delete_many(b, ["a", "nope", "c"])
    assert g.keyvalue.snapshot() == {"b": {"b": b"2"}}
    assert kv.batch.get_many(b, []) == []
    kv.batch.set_many(b, [])
    kv.batch.delete_many(b, [])
    assert g.keyvalue.snapshot() == {"b": {"b": b"2"}}


# --- errors (§1.3, §1.4, §1.7) -----------------------------------------------------------


def test_storage_error_is_an_immediate_err_with_the_backend_text(kv, g):
    g.keyvalue["b"]["k"] = b"v"
    g.keyvalue.fail("error returned from database: database is locked", functions={"set"})
    b = kv.types.Bucket.open_bucket("b")
    with pytest.raises(Err) as info:
        kv.eventual.set(b, "k", out(kv, b"new"))
    assert isinstance(info.value.value, kv.error.Error)
    assert info.value.value.trace() == "error returned from database: database is locked"
    assert g.keyvalue["b"]["k"] == b"v"              # the failed write stored nothing
    last = list(g.oplog())[-1]
    assert last["function_name"] == "golem keyvalue::eventual::set"
    assert last["response"] == Err("error returned from database: database is locked")
    kv.eventual.set(b, "k", out(kv, b"new"))          # times=1: the next call succeeds
    assert g.keyvalue["b"]["k"] == b"new"


@pytest.mark.parametrize("call", [
    lambda kv, b: kv.eventual.get(b, "k"),
    lambda kv, b: kv.eventual.exists(b, "k"),
    lambda kv, b: kv.eventual.delete(b, "k"),
    lambda kv, b: kv.batch.get_many(b, ["k"]),
    lambda kv, b: kv.batch.set_many(b, [("k", out(kv, b"x"))]),
    lambda kv, b: kv.batch.delete_many(b, ["k"]),
])
def test_every_storage_call_returns_err(kv, g, call):
    g.keyvalue.fail("boom")
    with pytest.raises(Err) as info:
        call(kv, kv.types.Bucket.open_bucket("b"))
    assert info.value.value.trace() == "boom"


def test_keys_storage_error_is_recorded_then_traps(kv, g):
    g.keyvalue.fail("Connection refused (os error 111)", functions=["keys"], buckets=["b"])
    assert kv.batch.keys(kv.types.Bucket.open_bucket("other")) == []
    with pytest.raises(golem_fakes.Trap, match=r"Connection refused \(os error 111\)"):
        try:
            kv.batch.keys(kv.types.Bucket.open_bucket("b"))
        except Exception:                                  # guest code cannot catch it
            pytest.fail("a trap must not be an Exception")
    last = list(g.oplog())[-1]
    assert (last["function_name"], last["response"]) == \
        ("golem keyvalue::eventual_batch::get_keys", Err("Connection refused (os error 111)"))


def test_fail_validates_its_arguments(g):
    with pytest.raises(ValueError, match="are not storage calls"):
        g.keyvalue.fail("x", functions={"open-bucket"})
    with pytest.raises(ValueError, match="count >= 1"):
        g.keyvalue.fail("x", times=0)


# --- oplog (§1.9) ------------------------------------------------------------------------


def test_oplog_entries_have_golems_names_types_and_summaries(kv, g):
    b = kv.types.Bucket.open_bucket("b")
    start = len(g.oplog())
    kv.eventual.set(b, "k", out(kv, b"abc"))
    kv.eventual.get(b, "k")
    kv.eventual.exists(b, "k")
    kv.eventual.delete(b, "k")
    kv.batch.set_many(b, [("a", out(kv, b"12"))])
    kv.batch.get_many(b, ["a"])
    kv.batch.keys(b)
    kv.batch.delete_many(b, ["a"])
    got = [(e["function_name"], e["durable_function_type"], e["request"], e["response"])
           for e in list(g.oplog())[start:]]
    from golem_fakes.bindings.result import Ok
    assert got == [
        ("golem keyvalue::eventual::set", "write-remote", ("b", "k", 3), Ok(None)),
        ("golem keyvalue::eventual::get", "read-remote", ("b", "k"), Ok(b"abc")),
        ("golem keyvalue::eventual::exists", "read-remote", ("b", "k"), Ok(True)),
        ("golem keyvalue::eventual::delete", "write-remote", ("b", "k"), Ok(None)),
        ("golem keyvalue::eventual_batch::set_many", "write-remote", ("b", [("a", 2)]), Ok(None)),
        ("golem keyvalue::eventual_batch::get_many", "read-remote", ("b", ["a"]), Ok([b"12"])),
        ("golem keyvalue::eventual_batch::get_keys", "read-remote", "b", Ok(["a"])),
        ("golem keyvalue::eventual_batch::delete_many", "write-remote", ("b", ["a"]), Ok(None)),
    ]


def test_writes_bracketed_when_idempotence_is_off(kv, g):
    g.runtime().idempotent = False
    b = kv.types.Bucket.open_bucket("b")
    start = len(g.oplog())
    kv.eventual.set(b, "k", out(kv, b"x"))
    kv.eventual.get(b, "k")
    assert g.oplog().kinds()[start:] == ["begin-remote-write", "imported-function-invoked",
                                         "end-remote-write", "imported-function-invoked"]


# --- test-side API -----------------------------------------------------------------------


def test_mapping_api_iteration_and_snapshot(g):
    store = g.keyvalue
    store["users"]["alice"] = b"a"
    store["users"]["bob"] = bytearray(b"b")
    store["empty-then"]["x"] = b""
    del store["empty-then"]["x"]
    assert list(store) == ["users"]
    assert "users" in store and "empty-then" not in store and len(store) == 1
    assert dict(store["users"]) == {"alice": b"a", "bob": b"b"}
    snap = store.snapshot()
    store["users"]["carol"] = b"c"
    assert snap == {"users": {"alice": b"a", "bob": b"b"}}   # detached copy
    with pytest.raises(KeyError, match="'nobody' is not in keyvalue bucket 'users'"):
        store["users"]["nobody"]
    with pytest.raises(TypeError, match="encode it first"):
        store["users"]["dave"] = "text"
    with pytest.raises(TypeError, match="must be a str"):
        store["users"][1] = b"x"


def test_backend_and_profile_are_validated(g):
    with pytest.raises(ValueError, match=r"\('sqlite', 'redis'\)"):
        g.keyvalue.backend = "postgres"
    with pytest.raises(ValueError, match="'golem'.*'wit'"):
        g.keyvalue.profile = "strict"
    assert (g.keyvalue.backend, g.keyvalue.profile) == ("sqlite", "golem")


def test_fail_with_trap_records_err_then_traps_and_keeps_the_store(kv, g):
    g.keyvalue["b"]["k"] = b"v"
    g.keyvalue.fail("Broken pipe (os error 32)", functions={"set"}, trap=True)
    b = kv.types.Bucket.open_bucket("b")
    with pytest.raises(golem_fakes.Trap, match=r"Broken pipe \(os error 32\)"):
        try:
            kv.eventual.set(b, "k", out(kv, b"new"))
        except Exception:                                  # guest code cannot catch it
            pytest.fail("a trap must not be an Exception")
    assert g.keyvalue["b"]["k"] == b"v"
    last = list(g.oplog())[-1]
    assert (last["function_name"], last["response"]) == \
        ("golem keyvalue::eventual::set", Err("Broken pipe (os error 32)"))
    kv.eventual.set(b, "k", out(kv, b"new"))                # times=1: next call succeeds
    assert g.keyvalue["b"]["k"] == b"new"
