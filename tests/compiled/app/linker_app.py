"""The app of the linker's test component (``componentize ... linker_app``)."""

from __future__ import annotations

import sys

from componentize_py_types import Err
from wit_world import exports
from wit_world.exports import api
from wit_world.imports import atomic, eventual, host, missing, random, wall_clock
from wit_world.imports import wasi_keyvalue_types as types

_COUNTER = [0]


def _bucket(name: str) -> types.Bucket:
    return types.Bucket.open_bucket(name)


class Api(exports.Api):
    def kv_set(self, bucket: str, key: str, value: bytes) -> None:
        b = _bucket(bucket)
        v = types.OutgoingValue.new_outgoing_value()
        v.outgoing_value_write_body_sync(value)
        eventual.set(b, key, v)
        v.__exit__(None, None, None)
        b.__exit__(None, None, None)

    def kv_get(self, bucket: str, key: str) -> bytes | None:
        with _bucket(bucket) as b:
            got = eventual.get(b, key)
            if got is None:
                return None
            with got:
                return got.incoming_value_consume_sync()

    def kv_exists_twice(self, bucket: str, key: str) -> tuple[bool, bool]:
        with _bucket(bucket) as b:
            return (eventual.exists(b, key), eventual.exists(b, key))

    def now(self) -> tuple[int, int]:
        d = wall_clock.now()
        return (d.seconds, d.nanoseconds)

    def oplog_index(self) -> int:
        return host.get_oplog_index()

    def self_name(self) -> str:
        return host.get_self_metadata().worker_id.worker_name

    def say(self, text: str) -> None:
        print(text)

    def complain(self, text: str) -> None:
        print(text, file=sys.stderr)

    def read_file(self, path: str) -> str:
        try:
            with open(path) as f:
                return f.read()
        except OSError as e:
            raise Err(f"{type(e).__name__}: {e.strerror}")

    def write_file(self, path: str, text: str) -> None:
        try:
            with open(path, "w") as f:
                f.write(text)
        except OSError as e:
            raise Err(f"{type(e).__name__}: {e.strerror}")

    def fail(self, reason: str) -> str:
        if reason:
            raise Err(reason)
        return "fine"

    def call_missing(self) -> int:
        return missing.nothing()

    def counter_next(self) -> int:
        _COUNTER[0] += 1
        return _COUNTER[0]

    def echo(self, p: api.Pair, m: api.Mood, a: api.Answer, o: object, c: str,
             f: float) -> tuple[api.Pair, api.Mood, api.Answer, object, str, float]:
        return (api.Pair(p.key.upper(), p.value[::-1]), m, a, o, c, f)

    def random_u64(self) -> int:
        return random.get_random_u64()

    def increments(self, bucket: str, key: str, n: int) -> list[int]:
        with _bucket(bucket) as b:
            return [atomic.increment(b, key, 1) for _ in range(n)]

