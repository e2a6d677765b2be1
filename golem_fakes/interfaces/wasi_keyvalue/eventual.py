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
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import crash_tick
from golem_fakes.interfaces.wasi_keyvalue import (
    OK_NONE,
    READ_REMOTE,
    WRITE_REMOTE,
    BucketRep,
    IncomingValueRep,
    OutgoingValueRep,
    durable,
    store,
)
from golem_fakes.state.invocation import Invocation, current_invocation
from golem_fakes.state.oplog import RAW_OK, RAW_OK_COMMIT, FromResponse

EVENTUAL = "wasi:keyvalue/eventual@0.1.0"

# The hot path of get/set (no failure injected, idempotence mode on): no closures, no
# Ok for the recorded response (Oplog.record_ok makes it when the oplog is read), the
# shared OK_NONE for a result without payload, and reps and Ok built without a Python
# __init__ frame (same attributes: IncomingValueRep's past_end_reads is its class
# default until a read past the end sets it).
_new = object.__new__
_current_invocation = current_invocation.get
_GET = "golem keyvalue::eventual::get"
_SET = "golem keyvalue::eventual::set"


@implements(EVENTUAL, "get")
def get(env: Any, bucket: BucketRep, key: str) -> Any:
    try:
        kv = env._keyvalue  # the Golem's store, once made (Golem.keyvalue)
    except AttributeError:
        kv = store(env, EVENTUAL, "get")
    if kv._faults._failures:
        return _get_durable(env, kv, bucket, key)
    inv = _current_invocation()
    if inv is not None and inv.golem is env:
        if type(inv) is not Invocation:
            inv = inv.resolve()
        rt = inv.runtime
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(_GET, (bucket.name, key), READ_REMOTE)
        name = bucket.name
        # KeyValueStore.get written out (two lock-free dict lookups, its module doc)
        data = kv._data.get(bucket.ns)
        value = None if data is None else data.get(key)
        oplog = rt.oplog  # Oplog.record_ok's record, appended without its frame
        oplog.append_raw((RAW_OK, oplog.now(), _GET, (name, key), value, READ_REMOTE, _GET_GUEST))
        if rt.crash_in is not None:
            crash_tick(rt)
    else:
        value = kv.get(bucket.project, bucket.name, key)
    if value is None:
        return OK_NONE
    rep = _new(IncomingValueRep)
    # the store's bytes themselves (immutable; IncomingValueRep.take copies on a partial
    # read); anything else is copied
    rep.buffer = value if type(value) is bytes else bytearray(value)
    ok = _new(Ok)
    ok.value = rep
    return ok


def _incoming(value: bytes | None) -> Any:
    """The guest value of a ``get`` of ``value``: ``Ok(None)`` or ``Ok`` of a fresh
    ``incoming-value`` (replay makes it again for the new instance: the first one may
    have been drained since)."""
    if value is None:
        return OK_NONE
    rep = _new(IncomingValueRep)  # as the live path builds it (no __init__ frame)
    rep.buffer = value if type(value) is bytes else bytearray(value)
    ok = _new(Ok)
    ok.value = rep
    return ok


#: ``get``'s records: the guest value is made from the recorded bytes (one shared object)
_GET_GUEST = FromResponse(_incoming)


def _get_durable(env: Any, kv: Any, bucket: BucketRep, key: str) -> Any:
    """``get`` through the full ``Durability`` wrapper (a failure may be injected)."""

    def run() -> tuple[Any, Any]:
        value = kv.get(bucket.project, bucket.name, key)
        if value is None:
            return None, None
        return IncomingValueRep(bytearray(value), recorded=value), value

    return durable(env, kv, "get", _GET, READ_REMOTE, bucket, (bucket.name, key), run)


@implements(EVENTUAL, "set")
def set_(env: Any, bucket: BucketRep, key: str, outgoing_value: OutgoingValueRep) -> Any:
    try:
        kv = env._keyvalue
    except AttributeError:
        kv = store(env, EVENTUAL, "set")
    value = bytes(outgoing_value.buffer)  # read (copied) at `set` time
    if not kv._faults._failures:
        inv = _current_invocation()
        if inv is None or inv.golem is not env:
            kv.put(bucket.project, bucket.name, key, value)
            return OK_NONE
        if type(inv) is not Invocation:
            inv = inv.resolve()
        rt = inv.runtime
        replay = rt.replay
        if replay is not None and rt.persistence_level != "persist-nothing":
            # replay (golem_fakes.worker.replay): the recorded result, nothing written
            return replay.replayed(_SET, (bucket.name, key, len(value)), WRITE_REMOTE)
        if rt.idempotent and replay is None:  # no begin/end-remote-write bracket (§0.1)
            kv.put(bucket.project, bucket.name, key, value)
            # Oplog.record_ok_commit's record (committed with it), without its frame
            oplog = rt.oplog
            oplog.append_raw((RAW_OK_COMMIT, oplog.now(), _SET, (bucket.name, key, len(value)),
                              None, WRITE_REMOTE, OK_NONE))
            if rt.crash_in is not None:
                crash_tick(rt)
            return OK_NONE
    return _set_durable(env, kv, bucket, key, value)


def _set_durable(env: Any, kv: Any, bucket: BucketRep, key: str, value: bytes) -> Any:
    """``set`` through the full ``Durability`` wrapper (a failure may be injected, or the
    ``begin/end-remote-write`` bracket applies). A separate function so that ``set``
    itself captures nothing: a closure there would make its captured variables cells,
    allocated on every call, the fast path included."""

    def run() -> tuple[Any, Any]:
        kv.put(bucket.project, bucket.name, key, value)
        return None, None

    return durable(env, kv, "set", _SET, WRITE_REMOTE, bucket,
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
