"""Behaviour of ``wasi:keyvalue/atomic@0.1.0`` (``docs/golem-io-semantics.md`` §1.5, §6 rule 4).

**Default profile (``golem.keyvalue.profile == "golem"``):** Golem v1.3.0-dev.25 (and
v1.3.1) implements neither function: the host calls Rust's ``unimplemented!``, which
panics with ``not implemented: increment`` / ``not implemented: compare_and_swap`` and,
with the workspace's ``panic = "abort"``, **crashes Golem's worker-executor process**: no
Err value, no trap the guest could see, no oplog entry, and a recovered worker replays to
the same call and crashes the executor again. golem-fakes raises
:class:`~golem_fakes.Trap` (a ``BaseException``: worker code's ``except Exception``
cannot catch it) carrying the panic text, records nothing, and sets
``golem.keyvalue.executor_aborted`` to the panic text. (Caveat from the doc's
terminology section: the v1.3.0-dev.25-era single-binary ``golem server`` was built
without ``panic = "abort"``, so there the panic unwinds and kills the worker's invocation
loop instead; what the caller then sees is not determined. Either way the call never
returns.)

**Opt-in ``golem.keyvalue.profile = "wit"``:** the semantics the WIT documents
(``atomic.wit``), for code meant to run on another WASI host. Golem defines no counter
encoding, so this one is golem-fakes' invention: a counter is an 8-byte little-endian
unsigned integer stored as the key's value.

* ``increment(bucket, key, delta)``: a missing key is created holding ``delta``;
  otherwise the stored counter plus ``delta``. Returns the new value. A stored value that
  is not 8 bytes, or a sum above 2^64-1, is ``Err(error)`` naming the key and the value,
  and leaves the stored value unchanged.
* ``compare-and-swap(bucket, key, old, new)``: ``Ok(false)`` for a missing key or a
  counter different from ``old``; otherwise stores ``new`` and gives ``Ok(true)``. A
  stored value that is not 8 bytes is ``Err(error)``.

Neither records an oplog entry (Golem has no name for them). Each is one atomic
read-modify-write of the store (:meth:`~golem_fakes.state.keyvalue.KeyValueStore.update`),
as the WIT promises: concurrent increments from several threads lose none.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_keyvalue import BucketRep, ErrorRep, store
from golem_fakes.state.keyvalue import KeyValueStore

ATOMIC = "wasi:keyvalue/atomic@0.1.0"
U64_MAX = 2**64 - 1


def executor_abort(kv: KeyValueStore, interface: str, function: str, panic: str) -> Trap:
    """The trap standing for Golem's ``unimplemented!`` executor abort (§1.5, §1.6)."""
    kv.executor_aborted = panic
    return Trap(
        f"{panic}: {interface}#{function} crashes Golem's worker-executor process "
        f"(Golem v1.3.0-dev.25 and v1.3.1 call Rust's unimplemented!(), and the executor is "
        f"built with panic = \"abort\"; docs/golem-io-semantics.md §1.5/§1.6). The guest gets "
        f"no Err value and nothing is written to the oplog; after recovery the worker replays "
        f"to this call and crashes the executor again. Do not call it on Golem. To test code "
        f"written for another WASI host, opt in to the WIT-documented semantics with "
        f"`golem.keyvalue.profile = \"wit\"`.",
        interface=interface, function=function)


def _counter(bucket: BucketRep, key: str, raw: bytes) -> int | ErrorRep:
    if len(raw) != 8:
        return ErrorRep(
            f"value of key {key!r} in bucket {bucket.name!r} is not a counter: expected 8 "
            f"bytes (u64 little-endian, golem-fakes' 'wit' profile encoding), found "
            f"{len(raw)} bytes {raw[:16]!r}")
    return int.from_bytes(raw, "little")


@implements(ATOMIC, "increment")
def increment(env: Any, bucket: BucketRep, key: str, delta: int) -> Any:
    kv = store(env, ATOMIC, "increment")
    if kv.profile != "wit":
        raise executor_abort(kv, ATOMIC, "increment", "not implemented: increment")

    def change(raw: bytes | None) -> tuple[bytes | None, Any]:
        current = 0 if raw is None else _counter(bucket, key, raw)
        if isinstance(current, ErrorRep):
            return None, Err(current)
        new = current + delta
        if new > U64_MAX:
            return None, Err(ErrorRep(f"increment of key {key!r} in bucket {bucket.name!r} "
                                      f"overflows u64: {current} + {delta} > {U64_MAX}"))
        return new.to_bytes(8, "little"), Ok(new)

    return kv.update(bucket.project, bucket.name, key, change)   # one atomic step


@implements(ATOMIC, "compare-and-swap")
def compare_and_swap(env: Any, bucket: BucketRep, key: str, old: int, new: int) -> Any:
    kv = store(env, ATOMIC, "compare-and-swap")
    if kv.profile != "wit":
        raise executor_abort(kv, ATOMIC, "compare-and-swap", "not implemented: compare_and_swap")

    def change(raw: bytes | None) -> tuple[bytes | None, Any]:
        if raw is None:
            return None, Ok(False)
        current = _counter(bucket, key, raw)
        if isinstance(current, ErrorRep):
            return None, Err(current)
        if current != old:
            return None, Ok(False)
        return new.to_bytes(8, "little"), Ok(True)

    return kv.update(bucket.project, bucket.name, key, change)   # one atomic step
