"""A hypothesis state machine driving wasi:keyvalue through the generated bindings against
a plain-dict model of Golem's semantics (docs/golem-io-semantics.md §1.2-§1.4, §1.8)."""

from __future__ import annotations

from hypothesis import settings, strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import golem_fakes

golem_fakes.install()
from wit_world.imports import eventual, eventual_batch, wasi_keyvalue_types as types  # noqa: E402

BUCKETS = st.sampled_from(["", "a", "B"])
KEYS = st.sampled_from(["", "k", "K", "Mid", "alpha", "é", "z z"])
VALUES = st.lists(st.binary(max_size=6), max_size=3)


class KeyValueModel(RuleBasedStateMachine):
    """Model: ``{bucket: {key: bytes}}`` with insertion order (Redis ``HKEYS``)."""

    def __init__(self) -> None:
        super().__init__()
        self.golem = golem_fakes.Golem(seed=0)
        self.golem.__enter__()
        self.model: dict[str, dict[str, bytes]] = {}
        self.outgoing: list[tuple[object, bytes]] = []   # (handle, model of its buffer)

    def teardown(self) -> None:
        self.golem.__exit__(None, None, None)

    def _bucket(self, name: str):
        return types.Bucket.open_bucket(name)

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
        eventual.set(self._bucket(bucket), key, o)
        self.model.setdefault(bucket, {})[key] = buf

    @precondition(lambda self: self.outgoing)
    @rule(bucket=BUCKETS, pairs=st.lists(st.tuples(KEYS, st.integers(0, 100)), max_size=4))
    def set_many(self, bucket: str, pairs: list[tuple[str, int]]) -> None:
        chosen = [(k, self.outgoing[i % len(self.outgoing)]) for k, i in pairs]
        eventual_batch.set_many(self._bucket(bucket), [(k, o) for k, (o, _) in chosen])
        for k, (_, buf) in chosen:
            self.model.setdefault(bucket, {})[k] = buf

    @rule(bucket=BUCKETS, key=KEYS)
    def delete(self, bucket: str, key: str) -> None:
        eventual.delete(self._bucket(bucket), key)
        self.model.get(bucket, {}).pop(key, None)

    @rule(bucket=BUCKETS, keys=st.lists(KEYS, max_size=4))
    def delete_many(self, bucket: str, keys: list[str]) -> None:
        eventual_batch.delete_many(self._bucket(bucket), keys)
        for k in keys:
            self.model.get(bucket, {}).pop(k, None)

    @rule(bucket=BUCKETS, key=KEYS)
    def get_and_exists(self, bucket: str, key: str) -> None:
        b = self._bucket(bucket)
        expected = self.model.get(bucket, {}).get(key)
        v = eventual.get(b, key)
        assert (v is None) == (expected is None)
        if v is not None:
            assert v.incoming_value_size() == len(expected)
            assert v.incoming_value_consume_sync() == expected
            assert v.incoming_value_consume_sync() == b""
        assert eventual.exists(b, key) is (expected is not None)

    @rule(bucket=BUCKETS, keys=st.lists(KEYS, max_size=5))
    def get_many(self, bucket: str, keys: list[str]) -> None:
        got = eventual_batch.get_many(self._bucket(bucket), keys)
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
        assert eventual_batch.keys(self._bucket(bucket)) == expected

    @invariant()
    def storage_matches_model(self) -> None:
        model = {b: d for b, d in self.model.items() if d}
        assert self.golem.keyvalue.snapshot() == model


TestKeyValueModel = KeyValueModel.TestCase
TestKeyValueModel.settings = settings(max_examples=60, stateful_step_count=30, deadline=None)
