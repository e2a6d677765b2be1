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
functions). Any ``len`` is served, as in the wasmtime 33.0.0 Golem v1.3.0-dev.25 links
(``crates/wasi/src/p2/host/random.rs`` has no limit and allocates ``len`` bytes; the
64 MiB ``max-random-size`` trap is wasmtime 43+'s, commit 301dc7162c, so wasmtime-py 50
differs: ``VERSION_DIFFERENCES`` in ``tests/wasmtime/test_differential.py``), up to
golem-fakes' own bound of 1 GiB per call
(:data:`~golem_fakes.state.randomness.MAX_RANDOM_LEN`). Above it the call traps and
records nothing: from 2^48 with the executor abort a real host gives
(:func:`~golem_fakes.state.streams.host_buffer_trap`), below that with a trap naming the
fake's bound (Golem would generate the bytes if the executor's memory allows; a list
longer than 2^32-1 bytes could not reach the 32-bit guest anyway).
"""

from __future__ import annotations

from typing import Any, Callable

from golem_fakes.bindings.result import Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import durable_call, golem_state
from golem_fakes.state import randomness as _randomness
from golem_fakes.state.randomness import Randomness, WorkerRandom
from golem_fakes.state.streams import host_buffer_trap

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
    """``n`` bytes from the generator ``pick`` selects, recorded; a trap (nothing
    recorded) above golem-fakes' bound (see the module docstring)."""
    src = sources(env, interface, function)
    limit = _randomness.MAX_RANDOM_LEN  # read per call: a test may lower it
    if n > limit:
        trap = host_buffer_trap(n, "wasmtime 33 crates/wasi/src/p2/host/random.rs: len "
                                "random bytes", interface, function)
        if trap is None:
            trap = Trap(f"golem-fakes limit: {function} of {n} bytes is more than "
                        f"golem-fakes' bound of {limit} bytes per call "
                        f"(golem_fakes.state.randomness.MAX_RANDOM_LEN). Golem (wasmtime "
                        f"33) would generate them if the executor's memory allows (and a "
                        f"list longer than 2^32-1 bytes cannot be lowered into the 32-bit "
                        f"guest); ask for fewer bytes per call",
                        interface=interface, function=function)
        raise trap

    def run() -> tuple[Any, Any]:
        data = pick(src).randbytes(n)
        return data, Ok(data)

    return durable_call(env, function_name, READ_LOCAL, n, run)  # type: ignore[no-any-return]
