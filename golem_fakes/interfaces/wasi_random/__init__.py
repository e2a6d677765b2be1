"""Behaviour of ``wasi:random@0.2.3``: ``random``, ``insecure`` and ``insecure-seed``.

Values come from the current Golem's :class:`~golem_fakes.state.randomness.Randomness`
(``g.random``): per-worker generators derived from the Golem's seed, the same in every
process, controlled by hypothesis inside ``@given``.

What Golem does (``docs/golem-io-semantics.md`` §5.1, §5.3;
``golem-worker-executor/src/durable_host/random/*.rs`` at v1.3.0-dev.25): every function
is a durable ``read-local`` call, recorded as ``golem random::get_random_bytes``,
``golem random::get_random_u64``, ``golem random::insecure::get_insecure_random_bytes``,
``golem random::insecure::get_insecure_random_u64``,
``golem random::insecure_seed::insecure_seed`` (request: the length for the byte
functions). A ``len`` above 64 MiB traps with wasmtime's
``requested len {len} exceeds limit 67108864`` (``crates/wasi/src/p2/host/random.rs``);
the failure is recorded first, as Golem's ``Durability::persist`` records an ``Err``
before the trap. That limit is wasmtime 43+'s (``max-random-size``, commit 301dc7162c);
the wasmtime 33.0.0 Golem v1.3.0-dev.25 links has none and allocates ``len`` bytes — a
known gap of the fake (``KNOWN_GAPS`` in ``tests/wasmtime/test_differential.py``).
"""

from __future__ import annotations

from typing import Any, Callable

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import durable_call, golem_state
from golem_fakes.state.randomness import MAX_RANDOM_LEN, Randomness, WorkerRandom

__all__ = ["RANDOM", "INSECURE", "INSECURE_SEED", "READ_LOCAL", "sources", "draw_bytes"]

RANDOM = "wasi:random/random@0.2.3"
INSECURE = "wasi:random/insecure@0.2.3"
INSECURE_SEED = "wasi:random/insecure-seed@0.2.3"
READ_LOCAL = "read-local"


def sources(env: Any, interface: str, function: str) -> WorkerRandom:
    """The calling worker's generators (``NotFaked`` for a bare Environment)."""
    r = env.__dict__.get("_randomness")
    if r is None:
        r = golem_state(env, "random", Randomness, interface, function)
    return r.for_worker()  # type: ignore[no-any-return]


def draw_bytes(env: Any, interface: str, function: str, function_name: str, n: int,
               pick: Callable[[WorkerRandom], Any]) -> bytes:
    """``n`` bytes from the generator ``pick`` selects, recorded; a trap past the limit."""
    src = sources(env, interface, function)

    def run() -> tuple[Any, Any]:
        if n > MAX_RANDOM_LEN:
            msg = f"requested len {n} exceeds limit {MAX_RANDOM_LEN}"
            return Trap(msg, interface=interface, function=function), Err(msg)
        data = pick(src).randbytes(n)
        return data, Ok(data)

    return durable_call(env, function_name, READ_LOCAL, n, run)  # type: ignore[no-any-return]
