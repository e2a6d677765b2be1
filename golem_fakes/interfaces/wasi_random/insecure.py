"""Behaviour of ``wasi:random/insecure@0.2.3`` (see :mod:`golem_fakes.interfaces.wasi_random`)."""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import durable_call
from golem_fakes.interfaces.wasi_random import INSECURE, READ_LOCAL, draw_bytes, sources

__all__ = ["get_insecure_random_bytes", "get_insecure_random_u64"]


@implements(INSECURE, "get-insecure-random-bytes")
def get_insecure_random_bytes(env: Any, len: int) -> bytes:  # noqa: A002
    """``len`` bytes from the worker's insecure generator (trap above golem-fakes' 1 GiB bound)."""
    return draw_bytes(env, INSECURE, "get-insecure-random-bytes",
                      "golem random::insecure::get_insecure_random_bytes", len,
                      lambda s: s.insecure)


@implements(INSECURE, "get-insecure-random-u64")
def get_insecure_random_u64(env: Any) -> int:
    """A u64 from the worker's insecure generator."""
    value = sources(env, INSECURE, "get-insecure-random-u64").insecure.getrandbits(64)
    return durable_call(env, "golem random::insecure::get_insecure_random_u64", READ_LOCAL,
                        None, lambda: (value, Ok(value)))
