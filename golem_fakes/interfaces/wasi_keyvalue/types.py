"""Behaviour of ``wasi:keyvalue/types@0.1.0``: ``bucket``, ``outgoing-value``,
``incoming-value`` (``docs/golem-io-semantics.md`` §1.2).

None of these is durable (no oplog entry) and none ever fails in Golem:

* ``bucket.open-bucket(name)`` remembers the name; no validation, no storage access,
  always ``Ok`` (the WIT's "Err if the bucket does not exist" does not apply), §6 rule 2.
* ``outgoing-value-write-body-sync`` **appends**; ``outgoing-value-write-body-async``
  returns a ``wasi:io`` output-stream appending to the same buffer (permit 2^64-1,
  ``flush`` does nothing), and may be called several times. The buffer is copied at
  ``set``/``set-many`` time and stays reusable (§6 rule 5).
* ``incoming-value-consume-sync`` returns and removes the remaining bytes (a second call
  gives ``b""``); ``incoming-value-size`` is what is left; ``incoming-value-consume-async``
  returns an input-stream over the same buffer whose reads return **exactly** ``len``
  bytes, zero-padded past the end, and which **never reports ``closed``** (§6 rule 6).
  golem-fakes fails the test with a :class:`~golem_fakes.Trap` after
  :data:`~golem_fakes.interfaces.wasi_keyvalue.PAST_END_READ_LIMIT` reads entirely past
  the end, because on Golem a "read until closed" loop would spin forever.
* Drops just forget the handle (the seam does that).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_keyvalue import (
    BucketRep,
    IncomingValueRep,
    OutgoingValueRep,
    store,
)

TYPES = "wasi:keyvalue/types@0.1.0"

#: ``check-write`` permit of Golem's outgoing-value body stream (§1.2).
UNLIMITED_PERMIT = 2**64 - 1


@implements(TYPES, "[static]bucket.open-bucket")
def open_bucket(env: Any, name: str) -> Ok[BucketRep]:
    """Always ``Ok``: a handle remembering ``name`` in the worker's project (§1.1, §1.2)."""
    return Ok(BucketRep(name, store(env, TYPES, "[static]bucket.open-bucket").project))


@implements(TYPES, "[static]outgoing-value.new-outgoing-value")
def new_outgoing_value(env: Any) -> OutgoingValueRep:
    """An empty, growable buffer (§1.2)."""
    return OutgoingValueRep()


@implements(TYPES, "[method]outgoing-value.outgoing-value-write-body-sync")
def outgoing_value_write_body_sync(env: Any, rep: OutgoingValueRep, value: bytes) -> Ok[None]:
    """Appends ``value`` to the buffer (calling it twice concatenates); always ``Ok``."""
    rep.append(value)
    return Ok(None)


@implements(TYPES, "[method]outgoing-value.outgoing-value-write-body-async")
def outgoing_value_write_body_async(env: Any, rep: OutgoingValueRep) -> Any:
    """A new output-stream whose writes append to the same buffer; always ``Ok`` (§1.2)."""
    from golem_fakes.state.streams import OutputStreamRep

    return Ok(OutputStreamRep(rep.append, flush=None, budget=UNLIMITED_PERMIT,
                              blocking_limit=UNLIMITED_PERMIT,
                              name="wasi:keyvalue outgoing-value body"))


@implements(TYPES, "[method]incoming-value.incoming-value-consume-sync")
def incoming_value_consume_sync(env: Any, rep: IncomingValueRep) -> Ok[bytes]:
    """Returns and removes every remaining byte; ``b""`` once drained (§1.2)."""
    return Ok(rep.take(len(rep.buffer)))


@implements(TYPES, "[method]incoming-value.incoming-value-size")
def incoming_value_size(env: Any, rep: IncomingValueRep) -> Ok[int]:
    """The number of bytes still in the buffer (full size before consumption)."""
    return Ok(len(rep.buffer))


@implements(TYPES, "[method]incoming-value.incoming-value-consume-async")
def incoming_value_consume_async(env: Any, rep: IncomingValueRep) -> Any:
    """An input-stream draining the same buffer: each read returns exactly ``n`` bytes,
    zero-padded, never ``closed`` (Golem's ``IncomingValueEntryStream::read``, §1.2)."""
    from golem_fakes.state.streams import InputStreamRep

    # Always ready: Golem's stream never blocks (and never ends).
    return Ok(InputStreamRep(rep.read_padded, ready=lambda: True, padded=True,
                             name="wasi:keyvalue incoming-value body"))
