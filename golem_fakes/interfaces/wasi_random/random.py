"""Behaviour of ``wasi:random/random@0.2.3`` (see :mod:`golem_fakes.interfaces.wasi_random`)."""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import durable_call
from golem_fakes.interfaces.wasi_random import RANDOM, READ_LOCAL, draw_bytes, sources

__all__ = ["get_random_bytes", "get_random_u64"]


@implements(RANDOM, "get-random-bytes")
def get_random_bytes(env: Any, len: int) -> bytes:  # noqa: A002 - the WIT parameter name
    """``len`` bytes from the worker's secure generator (trap above golem-fakes' 1 GiB bound)."""
    return draw_bytes(env, RANDOM, "get-random-bytes", "golem random::get_random_bytes", len,
                      lambda s: s.secure)


@implements(RANDOM, "get-random-u64")
def get_random_u64(env: Any) -> int:
    """A u64 from the worker's secure generator."""
    value = sources(env, RANDOM, "get-random-u64").secure.getrandbits(64)
    return durable_call(env, "golem random::get_random_u64", READ_LOCAL, None,
                        lambda: (value, Ok(value)))
