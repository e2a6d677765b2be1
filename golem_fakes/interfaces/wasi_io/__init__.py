"""Behaviour of ``wasi:io@0.2.3``: ``streams``, ``poll`` and ``error``.

The reps are defined in :mod:`golem_fakes.state.streams` (other interfaces create them
and return them; the seam wraps them in the generated resource classes). The
semantics are those of wasmtime's WASI host, which Golem links unchanged for these
interfaces apart from its durability wrapper (``docs/golem-io-semantics.md`` §5.1:
``poll``/``block`` record the ready indices, ``to-debug-string`` is not recorded):
``crates/wasi-io/src/impls.rs`` and ``crates/wasi-io/src/streams.rs`` of
bytecodealliance/wasmtime (checked at commit e6b33de5).
"""

from __future__ import annotations

__all__ = ["STREAMS", "POLL", "ERROR"]

STREAMS = "wasi:io/streams@0.2.3"
POLL = "wasi:io/poll@0.2.3"
ERROR = "wasi:io/error@0.2.3"
