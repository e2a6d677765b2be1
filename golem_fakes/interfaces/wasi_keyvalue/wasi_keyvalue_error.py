"""Behaviour of ``wasi:keyvalue/wasi-keyvalue-error@0.1.0`` (``docs/golem-io-semantics.md``
§1.7): an ``error`` is made only by ``eventual``/``eventual-batch`` on a storage error;
``trace()`` returns its one string, the bare backend message. Not durable."""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_keyvalue import ErrorRep

ERROR = "wasi:keyvalue/wasi-keyvalue-error@0.1.0"


@implements(ERROR, "[method]error.trace")
def trace(env: Any, rep: ErrorRep) -> str:
    """The storage error's text (no backtrace: golem-fakes runs without
    ``RUST_BACKTRACE``)."""
    return rep.message
