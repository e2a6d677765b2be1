"""Behaviour of ``wasi:random/insecure-seed@0.2.3`` (see
:mod:`golem_fakes.interfaces.wasi_random`): a ``(u64, u64)`` pair fixed per worker,
like wasmtime's ``insecure_random_seed`` drawn once per WASI context (low half first:
``(seed as u64, (seed >> 64) as u64)``)."""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import durable_call
from golem_fakes.interfaces.wasi_random import INSECURE_SEED, READ_LOCAL, sources

__all__ = ["insecure_seed"]


@implements(INSECURE_SEED, "insecure-seed")
def insecure_seed(env: Any) -> tuple[int, int]:
    """The worker's fixed insecure seed."""
    value = sources(env, INSECURE_SEED, "insecure-seed").insecure_seed
    return durable_call(env, "golem random::insecure_seed::insecure_seed", READ_LOCAL, None,
                        lambda: (value, Ok(value)))
