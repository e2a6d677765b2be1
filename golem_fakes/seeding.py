"""Seeds for golem-fakes environments under pytest.

A real Golem worker sees randomness through ``wasi:random`` (and uuids, idempotency
keys, ...) that the host draws from the operating system; under golem-fakes every
:class:`~golem_fakes.Golem` draws from one seeded RNG instead, so a test is
reproducible. The pytest plugin gives each test its own seed, derived from

* one *global* seed for the session (``--golem-seed N`` / ``golem_seed = N``; default
  ``0``; ``random`` draws one and prints it), and
* the test's node id (``tests/test_cart.py::test_add[3]``),

hashed with BLAKE2b — never Python's ``hash()`` (salted per process by
``PYTHONHASHSEED``) and never the execution order (which ``-k``, ``--lf``,
pytest-xdist and pytest-randomly all change). The same node id under the same global
seed always gets the same seed, on every machine and in every xdist worker.
"""

from __future__ import annotations

import hashlib
import secrets
import shlex

__all__ = ["DEFAULT_GLOBAL_SEED", "SEED_BITS", "parse_seed", "random_seed", "test_seed",
           "reproduce_command", "describe"]

#: global seed used when neither ``--golem-seed`` nor ``golem_seed`` is given
DEFAULT_GLOBAL_SEED = 0
#: per-test seeds are unsigned integers of this many bits (short enough to read aloud)
SEED_BITS = 32


def parse_seed(value: str | int, *, source: str) -> int | None:
    """Parse a global seed: a non-negative integer (decimal or ``0x`` hex), or
    ``random`` (returns None: the caller draws one with :func:`random_seed`).

    :param source: where the value came from (``--golem-seed``, ``golem_seed``), for the
        error message.
    :raises ValueError: the value is neither.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        seed = value
    else:
        text = str(value).strip()
        if text.lower() == "random":
            return None
        try:
            seed = int(text, 0)
        except ValueError:
            raise ValueError(
                f"{source}: {value!r} is not a seed. Give a non-negative integer "
                f"(e.g. {source} 0) or 'random' to draw one per session.") from None
    if seed < 0:
        raise ValueError(f"{source}: seed {seed} is negative; give a non-negative integer.")
    return seed


def random_seed() -> int:
    """A fresh global seed (``--golem-seed random``), from the OS RNG."""
    return secrets.randbits(SEED_BITS)


def test_seed(global_seed: int, nodeid: str) -> int:
    """The seed of the test ``nodeid`` under ``global_seed``: the first
    :data:`SEED_BITS` bits of ``BLAKE2b(global_seed, nodeid)``. Stable across
    processes, platforms, Python versions and execution order."""
    h = hashlib.blake2b(digest_size=8, person=b"golem-fakes-seed")
    h.update(str(global_seed).encode("ascii"))
    h.update(b"\0")
    h.update(nodeid.encode("utf-8", "surrogatepass"))
    return int.from_bytes(h.digest(), "big") >> (64 - SEED_BITS)


test_seed.__test__ = False  # type: ignore[attr-defined]  # not a pytest test


def reproduce_command(nodeid: str, global_seed: int) -> str:
    """The command that re-runs one test with the same seed."""
    return f"pytest {shlex.quote(nodeid)} --golem-seed {global_seed}"


def describe(nodeid: str, seed: int, global_seed: int, *, marker_seed: bool = False) -> str:
    """The line printed in a failing test's report."""
    if marker_seed:
        return (f"golem-fakes: seed {seed} (set by @pytest.mark.golem(seed=...)); "
                f"reproduce with: pytest {shlex.quote(nodeid)}")
    return (f"golem-fakes: seed {seed} (global seed {global_seed}); "
            f"reproduce with: {reproduce_command(nodeid, global_seed)}")
