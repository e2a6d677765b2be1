"""Behaviour of ``wasi:blobstore/types``: ``outgoing-value`` and ``incoming-value``
(``docs/golem-io-semantics.md`` §2.5, same pattern as keyvalue §1.2). Not recorded,
never fail:

* ``new-outgoing-value`` - an empty buffer.
* ``outgoing-value-write-body`` - ``Ok(output-stream)`` appending to the buffer (permit
  2^64-1, ``flush`` does nothing); may be called again, all streams append.
  ``write-data`` copies the buffer at call time; the value stays usable.
* ``incoming-value-consume-sync`` - returns and drains the bytes; a second call gives
  ``b""``. ``size`` is what is left (a plain ``u64``).
* ``incoming-value-consume-async`` - an input-stream whose reads return exactly ``len``
  bytes, zero-padded, and which never reports ``closed``; golem-fakes traps after
  :data:`~golem_fakes.interfaces.wasi_blobstore.PAST_END_READ_LIMIT` reads past the end.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_blobstore import TYPES, IncomingValueRep, OutgoingValueRep

#: ``check-write`` permit of Golem's outgoing-value body stream.
UNLIMITED_PERMIT = 2**64 - 1


@implements(TYPES, "[static]outgoing-value.new-outgoing-value")
def new_outgoing_value(env: Any) -> OutgoingValueRep:
    """An empty buffer (§2.5)."""
    return OutgoingValueRep()


@implements(TYPES, "[method]outgoing-value.outgoing-value-write-body")
def outgoing_value_write_body(env: Any, rep: OutgoingValueRep) -> Any:
    """A new output-stream appending to the buffer; always ``Ok`` (§2.5)."""
    from golem_fakes.state.streams import OutputStreamRep

    return Ok(OutputStreamRep(rep.append, flush=None, budget=UNLIMITED_PERMIT,
                              blocking_limit=UNLIMITED_PERMIT,
                              name="wasi:blobstore outgoing-value body"))


@implements(TYPES, "[method]incoming-value.incoming-value-consume-sync")
def incoming_value_consume_sync(env: Any, rep: IncomingValueRep) -> Ok[bytes]:
    """Returns and removes every remaining byte; ``b""`` once drained (§2.5)."""
    return Ok(rep.take(len(rep.view)))


@implements(TYPES, "[method]incoming-value.incoming-value-consume-async")
def incoming_value_consume_async(env: Any, rep: IncomingValueRep) -> Any:
    """An input-stream draining the same bytes: exact-length zero-padded reads, never
    ``closed`` (§2.5, §1.2)."""
    from golem_fakes.state.streams import InputStreamRep

    return Ok(InputStreamRep(rep.read_padded, ready=lambda: True, padded=True,
                             name="wasi:blobstore incoming-value body"))


@implements(TYPES, "[method]incoming-value.size")
def size(env: Any, rep: IncomingValueRep) -> int:
    """Bytes still in the buffer, as a plain ``u64`` (no result, §2.5)."""
    return len(rep.view)
