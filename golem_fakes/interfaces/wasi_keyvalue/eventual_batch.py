"""Behaviour of ``wasi:keyvalue/eventual-batch@0.1.0`` (``docs/golem-io-semantics.md``
§1.4, §1.8, §1.9).

* ``get-many``: one entry per requested key in request order (``none`` for a missing
  key). SQLite flavour (default): a key repeated in the request gets its value only at
  its first position, later duplicates ``none``; Redis flavour: every position.
* ``keys``: sorted bytewise (SQLite) or in insertion order (Redis). A storage error is
  recorded and then **traps** (Golem applies ``?`` to it), unlike every other function.
* ``set-many``: every buffer copied, then all pairs written at once (all-or-nothing in
  practice); for a repeated key the last pair wins.
* ``delete-many``: missing keys are skipped.

Each batch call is one atomic step of the store, as one SQLite transaction / one Redis
command is: a concurrent reader sees all of a ``set-many``/``delete-many`` or none of it,
and a ``get-many`` reads one consistent state (:mod:`golem_fakes.state.keyvalue`,
"Threads").

Oplog names: ``golem keyvalue::eventual_batch::get_many`` / ``get_keys`` / ``set_many`` /
``delete_many``; writes record value lengths only.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.result import Err
from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_keyvalue import (
    READ_REMOTE,
    WRITE_REMOTE,
    BucketRep,
    IncomingValueRep,
    OutgoingValueRep,
    durable,
    storage_trap,
    store,
)

BATCH = "wasi:keyvalue/eventual-batch@0.1.0"


@implements(BATCH, "get-many")
def get_many(env: Any, bucket: BucketRep, keys: list[str]) -> Any:
    kv = store(env, BATCH, "get-many")

    def run() -> tuple[Any, Any]:
        seen: set[str] = set()
        recorded: list[bytes | None] = []
        for k, v in zip(keys, kv.get_many(bucket.project, bucket.name, keys)):  # one query
            if kv.backend == "sqlite" and k in seen:
                v = None  # each stored row is handed out once (§1.4)
            seen.add(k)
            recorded.append(v)
        guest = [None if v is None else IncomingValueRep(bytearray(v), recorded=v) for v in recorded]
        return guest, recorded

    return durable(env, kv, "get-many", "golem keyvalue::eventual_batch::get_many", READ_REMOTE,
                   bucket, (bucket.name, list(keys)), run)


@implements(BATCH, "keys")
def keys(env: Any, bucket: BucketRep) -> Any:
    kv = store(env, BATCH, "keys")

    def run() -> tuple[Any, Any]:
        ks = kv.keys(bucket.project, bucket.name)
        return ks, ks

    result = durable(env, kv, "keys", "golem keyvalue::eventual_batch::get_keys", READ_REMOTE,
                     bucket, bucket.name, run)
    if isinstance(result, Err):
        raise storage_trap(BATCH, "keys", result.value.message)
    return result


@implements(BATCH, "set-many")
def set_many(env: Any, bucket: BucketRep, key_values: list[tuple[str, OutgoingValueRep]]) -> Any:
    kv = store(env, BATCH, "set-many")
    pairs = [(k, bytes(v.buffer)) for k, v in key_values]  # copied at call time

    def run() -> tuple[Any, Any]:
        kv.put_many(bucket.project, bucket.name, pairs)     # one transaction / HMSET
        return None, None

    return durable(env, kv, "set-many", "golem keyvalue::eventual_batch::set_many", WRITE_REMOTE,
                   bucket, (bucket.name, [(k, len(v)) for k, v in pairs]), run)


@implements(BATCH, "delete-many")
def delete_many(env: Any, bucket: BucketRep, keys: list[str]) -> Any:
    kv = store(env, BATCH, "delete-many")

    def run() -> tuple[Any, Any]:
        kv.remove_many(bucket.project, bucket.name, keys)   # one transaction / HDEL
        return None, None

    return durable(env, kv, "delete-many", "golem keyvalue::eventual_batch::delete_many",
                   WRITE_REMOTE, bucket, (bucket.name, list(keys)), run)
