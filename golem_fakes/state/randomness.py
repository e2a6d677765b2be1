"""The seeded sources behind ``wasi:random`` for a :class:`~golem_fakes.Golem` (``g.random``).

What the real host does (``docs/golem-io-semantics.md`` §5.1, §5.3): wasmtime's WASI
context (one per worker instance) has a cryptographically secure generator for
``random``, a fast ``SmallRng`` for ``insecure`` and a ``u128`` drawn once for
``insecure-seed`` (fixed for the context's lifetime); ``crates/wasi/src/random.rs``.
Golem records every result and returns the recorded value on replay; any generator
will do (§6 rule 20).

The fake: per worker, one ``random.Random`` for the secure functions and one for the
insecure ones, plus an insecure seed, all derived from ``(golem seed, component name,
worker name)`` through string seeds — never ``hash()`` — so the same seed gives the same
bytes in every process and adding a worker does not change another worker's bytes.
Each draw is one call into ``random.Random``'s C code, atomic under threads; which
thread of one worker gets which bytes then depends on their interleaving, as it would
on any host.

Hypothesis: when ``hypothesis`` is already imported, one process-wide object standing for
every live :class:`Randomness` is passed to ``hypothesis.register_random`` (once: each
``register_random`` call runs ``gc.collect()``, too slow per Golem). Inside ``@given``
hypothesis calls its ``seed(n)`` at the start of every example — ``n`` is 0, or the seed
``st.random_module()`` drew — which re-derives every worker's generators from
``(n, golem seed, worker)`` (distinct streams per worker and per kind; registering the
``random.Random`` objects directly would give them all one identical state), and restores
the previous state after the example. So a Golem that outlives the examples gives each
example reproducible bytes that hypothesis controls. Hypothesis keeps a weak reference
to the registered object; this module keeps the strong one, and the object refers to the
Randomness instances weakly.
"""

from __future__ import annotations

import random
import sys
import weakref
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.registry import Worker

__all__ = ["Randomness", "WorkerRandom", "MAX_RANDOM_LEN"]

#: golem-fakes' own bound on one ``get-random-bytes`` / ``get-insecure-random-bytes``
#: call: 1 GiB (as :data:`~golem_fakes.state.filesystem.MAX_FILE_SIZE`). wasmtime 33.0.0,
#: which Golem v1.3.0-dev.25 links, has no limit (``crates/wasi/src/p2/host/random.rs``
#: allocates ``len`` bytes); the 64 MiB ``max-random-size`` trap (``requested len {len}
#: exceeds limit 67108864``) is wasmtime 43+'s (301dc7162c), so the fake gives any length
#: up to this bound and traps above it, saying it is the fake's bound.
MAX_RANDOM_LEN = 1 << 30


class WorkerRandom:
    """The generators of one worker: :attr:`secure`, :attr:`insecure` (``random.Random``)
    and :attr:`insecure_seed` (the ``(low, high)`` u64 pair ``insecure-seed`` returns)."""

    __slots__ = ("secure", "insecure", "insecure_seed")

    def __init__(self, base: str) -> None:
        self.secure = random.Random(f"{base}/secure")
        self.insecure = random.Random(f"{base}/insecure")
        seed = random.Random(f"{base}/insecure-seed").getrandbits(128)
        self.insecure_seed: tuple[int, int] = (seed & (2**64 - 1), seed >> 64)


class Randomness:
    """``g.random``: the per-worker generators of one installation.

    ``g.random.for_worker(w)`` gives a worker's :class:`WorkerRandom` (created on first
    use); :meth:`random_bytes` & co. draw from it the way the behaviours do."""

    def __init__(self, golem: "Golem | None" = None, *, seed: int | None = None) -> None:
        self.golem = golem
        self.seed = seed if seed is not None else getattr(golem, "seed", 0)
        self._workers: dict[Any, WorkerRandom] = {}
        #: The seed hypothesis gave (``None``: not under hypothesis' control).
        self._hypothesis_seed: int | None = None
        self._registered = False
        self._register()

    def _register(self) -> None:
        """Put this object under hypothesis' control if hypothesis is imported (checked
        again whenever a worker's generators are made, in case it was imported later)."""
        if not self._registered and "hypothesis" in sys.modules:
            _hypothesis_proxy().live.add(self)
            self._registered = True

    def _base(self, ident: str) -> str:
        h = self._hypothesis_seed
        if h is None:
            return f"golem-fakes/random/{self.seed}/{ident}"
        return f"golem-fakes/random/hypothesis/{h}/{self.seed}/{ident}"

    def for_worker(self, worker: "Worker | None" = None) -> WorkerRandom:
        """The generators of ``worker`` (default: the worker the calling code runs as)."""
        if worker is None:
            g = self.golem
            worker = g.current_worker if g is not None else None
        w = self._workers.get(worker)
        if w is None:
            ident = "-" if worker is None else f"{worker.component.name}/{worker.name}"
            # setdefault: threads of one worker drawing first at once share one stream
            w = self._workers.setdefault(worker, WorkerRandom(self._base(ident)))
            if not self._registered:
                self._register()
        return w

    # --- hypothesis (via _HypothesisRandoms) ---------------------------------------

    def _reseed(self, n: int) -> None:
        self._hypothesis_seed = n
        self._workers.clear()  # re-derived from the new seed on next use

    def _getstate(self) -> Any:
        return (self._hypothesis_seed,
                {k: (w.secure.getstate(), w.insecure.getstate(), w.insecure_seed)
                 for k, w in self._workers.items()})

    def _setstate(self, state: Any) -> None:
        self._hypothesis_seed, workers = state
        self._workers.clear()
        for k, (sec, ins, iseed) in workers.items():
            w = WorkerRandom.__new__(WorkerRandom)
            w.secure, w.insecure, w.insecure_seed = random.Random(), random.Random(), iseed
            w.secure.setstate(sec)
            w.insecure.setstate(ins)
            self._workers[k] = w

    # --- draws (used by the wasi:random behaviours; usable from tests) -----------

    def random_bytes(self, n: int, worker: "Worker | None" = None) -> bytes:
        """``n`` bytes from the secure generator."""
        return self.for_worker(worker).secure.randbytes(n)

    def random_u64(self, worker: "Worker | None" = None) -> int:
        """A u64 from the secure generator."""
        return self.for_worker(worker).secure.getrandbits(64)

    def insecure_bytes(self, n: int, worker: "Worker | None" = None) -> bytes:
        """``n`` bytes from the insecure generator."""
        return self.for_worker(worker).insecure.randbytes(n)

    def insecure_u64(self, worker: "Worker | None" = None) -> int:
        """A u64 from the insecure generator."""
        return self.for_worker(worker).insecure.getrandbits(64)

    def insecure_seed(self, worker: "Worker | None" = None) -> tuple[int, int]:
        """The worker's fixed ``insecure-seed`` pair."""
        return self.for_worker(worker).insecure_seed

    def __repr__(self) -> str:
        return f"<Randomness seed={self.seed} workers={len(self._workers)}>"


class _HypothesisRandoms:
    """What golem-fakes registers with ``hypothesis.register_random``: a random-like
    object (``seed`` / ``getstate`` / ``setstate``) standing for every live
    :class:`Randomness`."""

    def __init__(self) -> None:
        self.live: "weakref.WeakSet[Randomness]" = weakref.WeakSet()

    def seed(self, n: Any) -> None:
        for r in list(self.live):
            r._reseed(n)

    def getstate(self) -> Any:
        return [(weakref.ref(r), r._getstate()) for r in list(self.live)]

    def setstate(self, state: Any) -> None:
        for ref, st in state:
            r = ref()
            if r is not None:
                r._setstate(st)


_PROXY: list[_HypothesisRandoms] = []  # the strong reference hypothesis asks for


def _hypothesis_proxy() -> _HypothesisRandoms:
    """The registered proxy (registered on first use, when hypothesis is imported)."""
    if not _PROXY:
        proxy = _HypothesisRandoms()
        _PROXY.append(proxy)
        import hypothesis

        hypothesis.register_random(proxy)
    return _PROXY[0]
