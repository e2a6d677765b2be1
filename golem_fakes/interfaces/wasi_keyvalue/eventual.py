"""Behaviour of ``wasi:keyvalue/eventual@0.1.0`` (``docs/golem-io-semantics.md`` §1.3, §1.9).

All four functions are durable: one ``imported-function-invoked`` entry each
(``golem keyvalue::eventual::get`` / ``set`` / ``delete`` / ``exists``). Missing keys and
unused buckets are never errors (§6 rule 3). A storage error (injected with
``golem.keyvalue.fail``) is ``Err(error)`` at once, recorded, never retried (§0.3);
``error.trace()`` is the backend message (§1.7).

| function | result |
|---|---|
| ``get`` | ``some(incoming-value)`` holding a copy of the bytes, or ``none`` |
| ``set`` | copies the outgoing-value buffer (which stays usable) and upserts; last write wins |
| ``delete`` | ``Ok`` whether or not the key existed |
| ``exists`` | ``true`` for a key holding ``b""`` too |
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_keyvalue import (
    READ_REMOTE,
    WRITE_REMOTE,
    BucketRep,
    IncomingValueRep,
    OutgoingValueRep,
    durable,
    store,
)

EVENTUAL = "wasi:keyvalue/eventual@0.1.0"


@implements(EVENTUAL, "get")
def get(env: Any, bucket: BucketRep, key: str) -> Any:
    kv = store(env, EVENTUAL, "get")

    def run() -> tuple[Any, Any]:
        value = kv.get(bucket.project, bucket.name, key)
        if value is None:
            return None, None
        return IncomingValueRep(bytearray(value)), value

    return durable(env, kv, "get", "golem keyvalue::eventual::get", READ_REMOTE, bucket,
                   (bucket.name, key), run)


@implements(EVENTUAL, "set")
def set_(env: Any, bucket: BucketRep, key: str, outgoing_value: OutgoingValueRep) -> Any:
    kv = store(env, EVENTUAL, "set")
    value = bytes(outgoing_value.buffer)  # read (copied) at `set` time

    def run() -> tuple[Any, Any]:
        kv.put(bucket.project, bucket.name, key, value)
        return None, None

    return durable(env, kv, "set", "golem keyvalue::eventual::set", WRITE_REMOTE, bucket,
                   (bucket.name, key, len(value)), run)


@implements(EVENTUAL, "delete")
def delete(env: Any, bucket: BucketRep, key: str) -> Any:
    kv = store(env, EVENTUAL, "delete")

    def run() -> tuple[Any, Any]:
        kv.remove(bucket.project, bucket.name, key)
        return None, None

    return durable(env, kv, "delete", "golem keyvalue::eventual::delete", WRITE_REMOTE,
                   bucket, (bucket.name, key), run)


@implements(EVENTUAL, "exists")
def exists(env: Any, bucket: BucketRep, key: str) -> Any:
    kv = store(env, EVENTUAL, "exists")

    def run() -> tuple[Any, Any]:
        found = kv.get(bucket.project, bucket.name, key) is not None
        return found, found

    return durable(env, kv, "exists", "golem keyvalue::eventual::exists", READ_REMOTE,
                   bucket, (bucket.name, key), run)
