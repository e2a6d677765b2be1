"""Behaviour of ``wasi:io/error@0.2.3``.

wasmtime (``crates/wasi-io/src/impls.rs``, ``HostError::to_debug_string``) returns the
``Debug`` rendering of the host error behind the resource; the fake's error reps
(:class:`~golem_fakes.state.streams.StreamErrorRep`) carry that text as ``message``.
Not recorded in the oplog, evaluated live on replay (``docs/golem-io-semantics.md`` §5.1).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_io import ERROR

__all__ = ["to_debug_string"]


@implements(ERROR, "[method]error.to-debug-string")
def to_debug_string(env: Any, rep: Any) -> str:
    """The error's debug text (the message the failed operation carried)."""
    message = getattr(rep, "message", None)
    if not isinstance(message, str):
        raise Trap(f"wasi:io error resource has rep {rep!r} without a str `message`; "
                   f"create error reps with golem_fakes.state.streams.StreamErrorRep(message)",
                   interface=ERROR, function="[method]error.to-debug-string")
    return message
