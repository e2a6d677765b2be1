"""Behaviour of ``wasi:keyvalue/cache@0.1.0`` (``docs/golem-io-semantics.md`` §1.6, §6 rule 4).

**Default profile (``golem.keyvalue.profile == "golem"``):** every function of
``caching.wit`` panics in Golem v1.3.0-dev.25 (and v1.3.1) with Rust's
``unimplemented!`` (``not implemented: get``, ``... exists``, ``... set``,
``... get_or_set``, ``... delete``), which **crashes Golem's worker-executor process**.
golem-fakes raises :class:`~golem_fakes.Trap` with that panic text, records nothing and
sets ``golem.keyvalue.executor_aborted``. The future and vacancy resources can never be
obtained on Golem, because the functions returning them abort first.

**Opt-in ``golem.keyvalue.profile = "wit"``:** the WIT-documented semantics, a
golem-fakes invention for code meant for other WASI hosts. One cache per environment
(``golem.keyvalue.cache``, key → bytes), separate from the buckets; entries are never
discarded and TTLs are accepted but not enforced (``caching.wit`` allows keeping any entry
"as-if a very large TTL were used"). Every future is ready at once: its ``listen-to-*``
pollable is always ready, and its ``*-get`` returns the result the first time and
``none`` afterwards (the result, including any incoming-value or vacancy it owns, is
handed out once). ``get-or-set`` gives ``occupied(incoming-value)`` for a present key,
else ``vacant(vacancy)``; ``vacancy-fill(ttl)`` returns an outgoing-value that *is* the
new entry: what is written to it later is what ``get`` returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_keyvalue import IncomingValueRep, OutgoingValueRep, store
from golem_fakes.interfaces.wasi_keyvalue.atomic import executor_abort
from golem_fakes.state.keyvalue import KeyValueStore

CACHE = "wasi:keyvalue/cache@0.1.0"

_NO_RESULT = object()


@dataclass(eq=False)
class FutureRep:
    """A ready ``future-*-result``: ``result`` until taken by its ``*-get``."""

    result: Any


@dataclass(eq=False)
class VacancyRep:
    """A ``vacancy`` for ``key`` (the ``get-or-set`` that returned it found no entry)."""

    key: str
    filled: bool = False


def _wit_store(env: Any, function: str, panic: str) -> KeyValueStore:
    kv = store(env, CACHE, function)
    if kv.profile != "wit":
        raise executor_abort(kv, CACHE, function, f"not implemented: {panic}")
    return kv


def _entry(kv: KeyValueStore, key: str) -> bytes | None:
    v = kv.cache.get(key)
    if isinstance(v, OutgoingValueRep):
        return bytes(v.buffer)
    return v


def _take(rep: FutureRep) -> Any:
    r, rep.result = rep.result, _NO_RESULT
    return None if r is _NO_RESULT else r


def _ready_pollable() -> Any:
    from golem_fakes.state.streams import PollableRep

    return PollableRep(lambda: True)


@implements(CACHE, "get")
def get(env: Any, k: str) -> FutureRep:
    kv = _wit_store(env, "get", "get")
    v = _entry(kv, k)
    return FutureRep(Ok(None if v is None else IncomingValueRep(bytearray(v))))


@implements(CACHE, "exists")
def exists(env: Any, k: str) -> FutureRep:
    kv = _wit_store(env, "exists", "exists")
    return FutureRep(Ok(k in kv.cache))


@implements(CACHE, "set")
def set_(env: Any, k: str, v: OutgoingValueRep, ttl_ms: int | None) -> FutureRep:
    kv = _wit_store(env, "set", "set")
    kv.cache[k] = bytes(v.buffer)
    return FutureRep(Ok(None))


@implements(CACHE, "get-or-set")
def get_or_set(env: Any, k: str) -> FutureRep:
    kv = _wit_store(env, "get-or-set", "get_or_set")
    v = _entry(kv, k)
    if v is None:
        return FutureRep(Ok(("vacant", VacancyRep(k))))
    return FutureRep(Ok(("occupied", IncomingValueRep(bytearray(v)))))


@implements(CACHE, "delete")
def delete(env: Any, k: str) -> FutureRep:
    kv = _wit_store(env, "delete", "delete")
    kv.cache.pop(k, None)
    return FutureRep(Ok(None))


@implements(CACHE, "[method]future-get-result.future-get-result-get")
@implements(CACHE, "[method]future-exists-result.future-exists-result-get")
@implements(CACHE, "[method]future-result.future-result-get")
@implements(CACHE, "[method]future-get-or-set-result.future-get-or-set-result-get")
def future_get(env: Any, rep: FutureRep) -> Any:
    """The ready result the first time, ``none`` afterwards."""
    return _take(rep)


@implements(CACHE, "[method]future-get-result.listen-to-future-get-result")
@implements(CACHE, "[method]future-exists-result.listen-to-future-exists-result")
@implements(CACHE, "[method]future-result.listen-to-future-result")
@implements(CACHE, "[method]future-get-or-set-result.listen-to-future-get-or-set-result")
def listen(env: Any, rep: FutureRep) -> Any:
    """A pollable that is always ready (every future is resolved at once)."""
    return _ready_pollable()


@implements(CACHE, "[method]vacancy.vacancy-fill")
def vacancy_fill(env: Any, rep: VacancyRep, ttl_ms: int | None) -> OutgoingValueRep:
    """An outgoing-value that becomes the entry for the vacancy's key; filling the same
    vacancy again replaces the entry with a fresh, empty outgoing-value."""
    kv = store(env, CACHE, "[method]vacancy.vacancy-fill")
    out = OutgoingValueRep()
    kv.cache[rep.key] = out
    rep.filled = True
    return out
