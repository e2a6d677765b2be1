"""Fault injection declared from a test: the next N matching storage calls fail.

One mechanism for every store (``golem.keyvalue.fail(...)``,
``golem.blobstore.fail(...)``): a failure names the message, the WIT functions it
applies to (default: every recorded storage call), the buckets or containers it is
limited to, how many calls it hits (``None``: all of them) and whether it traps instead
of returning the interface's ``Err``. The behaviour modules consult :meth:`FaultPlan.take`
before touching the store, so an injected failure leaves the data unchanged and is
recorded in the oplog like any other call.

Threads: declaring, taking and clearing failures are atomic (one lock per plan), so a
failure declared with ``times=n`` hits exactly ``n`` calls even when workers in several
threads race for it. The lock is only taken once failures exist: the behaviours test
the plan's list first, and :meth:`FaultPlan.take` returns at once when it is empty.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Iterable

from golem_fakes.state.text import check_text, check_texts

__all__ = ["InjectedFailure", "FaultPlan"]


@dataclass(eq=False)
class InjectedFailure:
    """A storage error the next matching calls get: the store's ``Err(message)``, or a
    :class:`~golem_fakes.Trap` carrying ``message`` with ``trap=True``."""

    message: str
    functions: frozenset[str] | None
    #: The buckets / containers it is limited to (``None``: any).
    scopes: frozenset[str] | None
    times: int | None
    trap: bool = False
    hits: int = 0

    def matches(self, function: str, scopes: tuple[str, ...]) -> bool:
        """Whether a call of ``function`` on any of ``scopes`` is hit."""
        return ((self.functions is None or function in self.functions)
                and (self.scopes is None or any(s in self.scopes for s in scopes)))


class FaultPlan:
    """The failures declared for one store, in declaration order (the first that
    matches a call is used)."""

    __slots__ = ("_api", "_functions", "_failures", "_lock")

    def __init__(self, api: str, storage_functions: frozenset[str]) -> None:
        #: How the test spells the call, for error messages (``golem.keyvalue.fail``).
        self._api = api
        self._functions = storage_functions
        self._failures: list[InjectedFailure] = []
        self._lock = threading.Lock()

    def add(self, message: str, *, functions: Iterable[str] | None, scopes: Iterable[str] | None,
            times: int | None, trap: bool) -> InjectedFailure:
        """Declare a failure; ``ValueError`` naming the valid choices for a function that
        is not a recorded storage call or a ``times`` below 1."""
        fs = None if functions is None else frozenset(functions)
        if fs is not None and not fs <= self._functions:
            raise ValueError(f"{self._api}(functions={sorted(fs)!r}): "
                             f"{sorted(fs - self._functions)!r} are not storage calls; choose "
                             f"from {sorted(self._functions)!r}")
        if times is not None and times < 1:
            raise ValueError(f"{self._api}(times={times!r}): give a count >= 1, or None for "
                             f"every matching call")
        check_text(message, f"{self._api} message")
        sc = None if scopes is None else frozenset(scopes)
        if sc is not None:
            check_texts(sc, f"{self._api} scope (bucket/container name)")
        f = InjectedFailure(str(message), fs, sc, times, bool(trap))
        with self._lock:
            self._failures.append(f)
        return f

    def take(self, function: str, *scopes: str) -> InjectedFailure | None:
        """The failure for this call, consuming one of its uses, else ``None``."""
        if not self._failures:
            return None                     # nothing declared: no lock
        with self._lock:
            for f in self._failures:
                if f.matches(function, scopes):
                    f.hits += 1
                    if f.times is not None and f.hits >= f.times:
                        self._failures.remove(f)
                    return f
            return None

    def clear(self) -> None:
        """Forget every declared failure."""
        with self._lock:
            self._failures.clear()
