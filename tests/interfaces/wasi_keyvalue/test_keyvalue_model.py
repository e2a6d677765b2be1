"""A hypothesis state machine driving wasi:keyvalue through the generated bindings against
a plain-dict model of Golem's semantics (docs/golem-io-semantics.md §1.2-§1.4, §1.8),
including storage failures injected with ``golem.keyvalue.fail(...)`` (§0.2, §0.3, §1.7):
a failed call returns ``Err(error)`` whose ``trace()`` is the message (``keys`` and
``trap=True`` failures trap), is recorded in the oplog as ``Err(message)``, and changes
nothing - the reference model is left as it was and the store must still equal it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import pytest
from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import golem_fakes
from golem_fakes import Trap
from golem_fakes.bindings.result import Err

golem_fakes.install()
from wit_world.imports import eventual, eventual_batch, wasi_keyvalue_types as types  # noqa: E402

BUCKETS = st.sampled_from(["", "a", "B"])
KEYS = st.sampled_from(["", "k", "K", "Mid", "alpha", "é", "z z"])
VALUES = st.lists(st.binary(max_size=6), max_size=3)
FUNCTIONS = ["get", "set", "delete", "exists", "get-many", "keys", "set-many", "delete-many"]
MESSAGES = st.sampled_from(["error returned from database: database is locked",
                            "Broken pipe (os error 32)", "IO error: disk full"])


@dataclass
class Fault:
    """The model of one ``golem.keyvalue.fail(...)`` declaration."""

    message: str
    functions: frozenset[str] | None
    buckets: frozenset[str] | None
    times: int | None
    trap: bool
    hits: int = 0


class KeyValueModel(RuleBasedStateMachine):
    """Model: ``{bucket: {key: bytes}}`` with insertion order (Redis ``HKEYS``)."""

    def __init__(self) -> None:
        super().__init__()
        self.golem = golem_fakes.Golem(seed=0)
        self.golem.__enter__()
        self.model: dict[str, dict[str, bytes]] = {}
        self.outgoing: list[tuple[object, bytes]] = []   # (handle, model of its buffer)
        self.faults: list[Fault] = []                     # declaration order

    def teardown(self) -> None:
        self.golem.__exit__(None, None, None)

    def _bucket(self, name: str):
        return types.Bucket.open_bucket(name)

    # --- fault injection ---------------------------------------------------------------

    @rule(message=MESSAGES,
          functions=st.none() | st.frozensets(st.sampled_from(FUNCTIONS), min_size=1,
                                              max_size=3),
          buckets=st.none() | st.frozensets(BUCKETS, min_size=1, max_size=2),
          times=st.none() | st.integers(1, 3), trap=st.booleans())
    def inject_fault(self, message: str, functions: frozenset[str] | None,
                     buckets: frozenset[str] | None, times: int | None, trap: bool) -> None:
        self.golem.keyvalue.fail(message, functions=functions, buckets=buckets, times=times,
                                 trap=trap)
        self.faults.append(Fault(message, functions, buckets, times, trap))

    @rule()
    def clear_faults(self) -> None:
        self.golem.keyvalue.clear_failures()
        self.faults.clear()

    def _expected_fault(self, function: str, bucket: str) -> Fault | None:
        """The first declared fault matching the call, one use consumed (the documented
        rule of ``golem.keyvalue.fail``)."""
        for f in self.faults:
            if ((f.functions is None or function in f.functions)
                    and (f.buckets is None or bucket in f.buckets)):
                f.hits += 1
                if f.times is not None and f.hits >= f.times:
                    self.faults.remove(f)
                return f
        return None

    def _call(self, function: str, bucket: str, call: Callable[[], Any]) -> tuple[bool, Any]:
        """Run one storage call; ``(True, result)``, or ``(False, None)`` after checking
        that the injected fault reached the worker and was recorded."""
        fault = self._expected_fault(function, bucket)
        if fault is None:
            return True, call()
        before = len(self.golem.oplog())
        if fault.trap or function == "keys":              # keys: record, then `?` (§1.4)
            with pytest.raises(Trap) as trapped:
                call()
            assert fault.message in str(trapped.value)
        else:
            with pytest.raises(Err) as err:
                call()
            assert err.value.value.trace() == fault.message
        entries = list(self.golem.oplog())
        assert len(entries) == before + 1
        assert entries[-1]["response"] == Err(fault.message)
        return False, None

    @rule(backend=st.sampled_from(["sqlite", "redis"]))
    def switch_backend(self, backend: str) -> None:
        self.golem.keyvalue.backend = backend

    @rule(chunks=VALUES)
    def new_outgoing(self, chunks: list[bytes]) -> None:
        o = types.OutgoingValue.new_outgoing_value()
        for c in chunks:
            o.outgoing_value_write_body_sync(c)
        self.outgoing.append((o, b"".join(chunks)))

    @precondition(lambda self: self.outgoing)
    @rule(i=st.integers(0, 100), chunk=st.binary(max_size=4))
    def append_to_outgoing(self, i: int, chunk: bytes) -> None:
        i %= len(self.outgoing)
        o, buf = self.outgoing[i]
        o.outgoing_value_write_body_sync(chunk)
        self.outgoing[i] = (o, buf + chunk)

    @precondition(lambda self: self.outgoing)
    @rule(bucket=BUCKETS, key=KEYS, i=st.integers(0, 100))
    def set(self, bucket: str, key: str, i: int) -> None:
        o, buf = self.outgoing[i % len(self.outgoing)]
        b = self._bucket(bucket)
        ok, _ = self._call("set", bucket, lambda: eventual.set(b, key, o))
        if ok:
            self.model.setdefault(bucket, {})[key] = buf

    @precondition(lambda self: self.outgoing)
    @rule(bucket=BUCKETS, pairs=st.lists(st.tuples(KEYS, st.integers(0, 100)), max_size=4))
    def set_many(self, bucket: str, pairs: list[tuple[str, int]]) -> None:
        chosen = [(k, self.outgoing[i % len(self.outgoing)]) for k, i in pairs]
        b = self._bucket(bucket)
        ok, _ = self._call("set-many", bucket,
                           lambda: eventual_batch.set_many(b, [(k, o) for k, (o, _) in chosen]))
        for k, (_, buf) in (chosen if ok else []):
            self.model.setdefault(bucket, {})[k] = buf

    @rule(bucket=BUCKETS, key=KEYS)
    def delete(self, bucket: str, key: str) -> None:
        b = self._bucket(bucket)
        if self._call("delete", bucket, lambda: eventual.delete(b, key))[0]:
            self.model.get(bucket, {}).pop(key, None)

    @rule(bucket=BUCKETS, keys=st.lists(KEYS, max_size=4))
    def delete_many(self, bucket: str, keys: list[str]) -> None:
        b = self._bucket(bucket)
        ok, _ = self._call("delete-many", bucket, lambda: eventual_batch.delete_many(b, keys))
        for k in (keys if ok else []):
            self.model.get(bucket, {}).pop(k, None)

    @rule(bucket=BUCKETS, key=KEYS)
    def get_and_exists(self, bucket: str, key: str) -> None:
        b = self._bucket(bucket)
        expected = self.model.get(bucket, {}).get(key)
        ok, v = self._call("get", bucket, lambda: eventual.get(b, key))
        if ok:
            assert (v is None) == (expected is None)
            if v is not None:
                assert v.incoming_value_size() == len(expected)
                assert v.incoming_value_consume_sync() == expected
                assert v.incoming_value_consume_sync() == b""
        ok, exists = self._call("exists", bucket, lambda: eventual.exists(b, key))
        if ok:
            assert exists is (expected is not None)

    @rule(bucket=BUCKETS, keys=st.lists(KEYS, max_size=5))
    def get_many(self, bucket: str, keys: list[str]) -> None:
        b = self._bucket(bucket)
        ok, got = self._call("get-many", bucket, lambda: eventual_batch.get_many(b, keys))
        if not ok:
            return
        data = self.model.get(bucket, {})
        seen: set[str] = set()
        expected = []
        for k in keys:
            dup = k in seen and self.golem.keyvalue.backend == "sqlite"
            expected.append(None if dup else data.get(k))
            seen.add(k)
        assert [None if v is None else v.incoming_value_consume_sync() for v in got] == expected

    @rule(bucket=BUCKETS)
    def keys(self, bucket: str) -> None:
        data = self.model.get(bucket, {})
        expected = list(data)
        if self.golem.keyvalue.backend == "sqlite":
            expected.sort(key=lambda k: k.encode())
        b = self._bucket(bucket)
        ok, got = self._call("keys", bucket, lambda: eventual_batch.keys(b))
        if ok:
            assert got == expected

    @invariant()
    def storage_matches_model(self) -> None:
        model = {b: d for b, d in self.model.items() if d}
        assert self.golem.keyvalue.snapshot() == model


TestKeyValueModel = KeyValueModel.TestCase
TestKeyValueModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
