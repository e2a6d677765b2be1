"""The ``wasi:keyvalue@0.1.0`` store of one :class:`~golem_fakes.Golem` (``golem.keyvalue``).

What the real host keeps (``docs/golem-io-semantics.md`` §1.1): one namespace
``user-defined:<project-id>:<bucket>`` per (project, bucket), shared by **every worker of
every component of the project** — no per-worker or per-component isolation, no locking,
last write wins. Buckets are implicit: never created, listed or deleted as a whole. Keys
are exact, case-sensitive strings (``""`` is a valid key and bucket name); values are
arbitrary bytes, including empty.

All components of a golem-fakes :class:`~golem_fakes.Golem` belong to its one project
(``golem.project``), so all its workers share the buckets; :meth:`KeyValueStore.bucket`
takes ``project=`` to reach the same bucket name in another project, which is a different
bucket.

Test-side API::

    golem.keyvalue["users"]["alice"] = b"..."     # seed data
    assert golem.keyvalue["users"]["alice"] == b"..."
    assert golem.keyvalue.snapshot() == {"users": {"alice": b"..."}}
    list(golem.keyvalue)                          # bucket names holding keys
    golem.keyvalue.backend = "redis"              # §1.8 flavour, default "sqlite"
    golem.keyvalue.profile = "wit"                # opt-in WIT semantics for atomic/cache
    golem.keyvalue.fail("disk I/O error", functions={"get"})   # inject a storage error

Threads (issue 12 §3). Workers may run in several threads at once (a
``ThreadPoolExecutor`` in a test, a server thread). Every storage operation of this
store is atomic, as on Golem's backends, where each keyvalue call is one SQLite statement
or transaction (SQLite serialises writers) or one Redis command (Redis executes commands
one at a time): a ``set`` concurrent with the ``delete`` of the bucket's last other key
leaves the bucket holding the new key; ``set-many``/``delete-many`` are all-or-nothing
for every reader and ``get-many``/``keys`` read one consistent state (§1.4); the
opt-in ``"wit"`` ``increment``/``compare-and-swap`` are atomic read-modify-writes. Golem
adds no locking of its own (§1.1): concurrent writers of one key race and the last write
wins, and replay still returns what each worker recorded.

How the fake does it: writers take the store's one ``threading.Lock`` around the dict
work only (never around the oplog append or guest code). A single-key ``get`` takes no
lock: each dict lookup is one atomic step (CPython's GIL; the free-threaded build locks a
dict per operation), and writers change a bucket only in steps that leave it consistent:
one store or pop per key, one ``dict.update`` for ``set-many``, a new dict swapped in for
a ``delete-many`` of several present keys. Emptied buckets stay as empty dicts (buckets
are implicit and never listed as empty), so a write never lands in a dropped dict.

Backend flavours (§0.4, §1.8; the behaviour modules apply them):

=================================  ==============================  ==============================
behaviour                          ``"sqlite"`` (default,          ``"redis"`` (executor default)
                                   local ``golem server``)
=================================  ==============================  ==============================
order of ``keys``                  sorted bytewise (UTF-8), e.g.   insertion order (Redis
                                   ``"Mid" < "alpha"``             listpack ``HKEYS``); an
                                                                   overwritten key keeps its place
``get-many`` with a key repeated   only its first position gets    every position gets the value
                                   the value, later ones ``none``
empty ``get-many``/``set-many``/   fine (``[]`` / no-op)           not determined by the doc; the
``delete-many`` lists                                              fake behaves as SQLite
error text (injected with          the text given, verbatim        the text given, verbatim
:meth:`KeyValueStore.fail`)
=================================  ==============================  ==============================
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, MutableMapping

from golem_fakes.state.faults import FaultPlan, InjectedFailure
from golem_fakes.state.text import check_text

if TYPE_CHECKING:
    from golem_fakes.state.golem import Golem

__all__ = ["KeyValueStore", "BucketView", "InjectedFailure", "BACKENDS", "PROFILES",
           "STORAGE_FUNCTIONS"]

#: Backend flavours (§1.8).
BACKENDS = ("sqlite", "redis")
#: ``"golem"``: atomic/cache abort the executor as in Golem v1.3.0-dev.25 and v1.3.1
#: (§1.5, §1.6); ``"wit"``: the WIT-documented semantics (an invention, opt-in).
PROFILES = ("golem", "wit")
#: The storage-touching functions a failure can be injected into (§1.3, §1.4).
STORAGE_FUNCTIONS = frozenset({"get", "set", "delete", "exists", "get-many", "keys",
                               "set-many", "delete-many"})


_MISSING: Any = object()


def _check_key(what: str, value: object) -> str:
    if not isinstance(value, str):
        raise TypeError(f"keyvalue {what} must be a str (WIT `string`), got {value!r} "
                        f"of type {type(value).__name__}")
    return check_text(value, f"keyvalue {what}")


def _check_value(value: object) -> bytes:
    if not isinstance(value, (bytes, bytearray, memoryview)):
        raise TypeError(f"keyvalue values are bytes (WIT `list<u8>`), got {value!r} of type "
                        f"{type(value).__name__}; encode it first, e.g. "
                        f"json.dumps(v).encode()")
    return bytes(value)


class BucketView(MutableMapping[str, bytes]):
    """A live mapping view of one bucket (key → bytes) for tests. Reading a missing key
    raises ``KeyError`` (the guest sees ``none``); assigning stores a copy of the bytes;
    an emptied bucket simply has no keys (buckets are implicit, §1.1)."""

    __slots__ = ("_store", "_ns")

    def __init__(self, store: "KeyValueStore", project: str, name: str) -> None:
        self._store = store
        self._ns = (project, name)

    @property
    def name(self) -> str:
        return self._ns[1]

    @property
    def project(self) -> str:
        return self._ns[0]

    def _data(self) -> dict[str, bytes]:
        """A detached copy of the bucket (taken under the store's lock)."""
        with self._store._lock:
            return dict(self._store._data.get(self._ns, ()))

    def __getitem__(self, key: str) -> bytes:
        value = self._store.get(self.project, self.name, key)
        if value is None:
            raise KeyError(f"{key!r} is not in keyvalue bucket {self.name!r} of project "
                           f"{self.project!r} (keys: {sorted(self._data())!r})")
        return value

    def __setitem__(self, key: str, value: bytes) -> None:
        self._store.put(self.project, self.name, _check_key("key", key), _check_value(value))

    def __delitem__(self, key: str) -> None:
        if not self._store.remove(self.project, self.name, key):
            raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._data()))

    def __len__(self) -> int:
        return len(self._data())

    def __repr__(self) -> str:
        return f"<keyvalue bucket {self.name!r} of project {self.project!r}: {self._data()!r}>"


class KeyValueStore:
    """Every keyvalue namespace of one Golem installation, keyed by (project, bucket)."""

    def __init__(self, golem: "Golem | None" = None, *, project: str = "default") -> None:
        self._golem = golem
        self._default_project = project
        #: (project, bucket) -> key -> value; a dict keeps insertion order (Redis flavour).
        #: An emptied bucket stays as an empty dict (see the module doc, "Threads").
        self._data: dict[tuple[str, str], dict[str, bytes]] = {}
        #: Held around every read and write of ``_data`` (one lock per store, never
        #: around oplog or guest code): each storage call is atomic, as on SQLite/Redis.
        self._lock = threading.Lock()
        self._backend = "sqlite"
        self._profile = "golem"
        self._faults = FaultPlan("golem.keyvalue.fail", STORAGE_FUNCTIONS)
        #: The panic text of the last ``atomic``/``cache`` call that would have aborted
        #: Golem's executor (§1.5, §1.6), else ``None``.
        self.executor_aborted: str | None = None
        #: ``wasi:keyvalue/cache`` entries of the opt-in ``"wit"`` profile: key -> bytes,
        #: or the live ``outgoing-value`` rep a ``vacancy-fill`` returned (its buffer is
        #: read whenever the entry is read).
        self.cache: dict[str, Any] = {}

    # --- configuration -------------------------------------------------------

    @property
    def project(self) -> str:
        """The project whose buckets the workers of this Golem use (§1.1)."""
        g = self._golem
        return g.project if g is not None else self._default_project

    @property
    def backend(self) -> str:
        """``"sqlite"`` (default: the local ``golem server``) or ``"redis"`` (§1.8)."""
        return self._backend

    @backend.setter
    def backend(self, value: str) -> None:
        if value not in BACKENDS:
            raise ValueError(f"golem.keyvalue.backend was set to {value!r}; the flavours are "
                             f"{BACKENDS!r} (docs/golem-io-semantics.md §1.8)")
        self._backend = value

    @property
    def profile(self) -> str:
        """``"golem"`` (default): ``atomic.*`` and ``cache.*`` crash Golem's executor
        (§1.5, §1.6) and trap here. ``"wit"``: they follow the WIT documentation instead
        (counters as 8-byte little-endian u64 — golem-fakes' invention, Golem defines
        none)."""
        return self._profile

    @profile.setter
    def profile(self, value: str) -> None:
        if value not in PROFILES:
            raise ValueError(f"golem.keyvalue.profile was set to {value!r}; the profiles are "
                             f"{PROFILES!r}: 'golem' (Golem's executor aborts on atomic/cache) "
                             f"or 'wit' (the WIT-documented semantics, opt-in)")
        self._profile = value

    def fail(self, message: str, *, functions: Iterable[str] | None = None,
             buckets: Iterable[str] | None = None, times: int | None = 1,
             trap: bool = False) -> InjectedFailure:
        """Make the next ``times`` matching storage calls (``None``: all of them) fail
        with the backend error ``message``: ``get``/``set``/... return ``Err(error)``
        with ``error.trace() == message`` (§1.3, §1.7); ``keys`` traps (§1.4).
        ``functions`` are WIT names from :data:`STORAGE_FUNCTIONS` (default: all).
        With ``trap=True`` every matching call records ``Err(message)`` in the oplog and
        then traps (:class:`~golem_fakes.Trap` carrying ``message``) instead of returning
        it, as a host ``?`` on the failure would (§0.2). The store is left unchanged."""
        return self._faults.add(message, functions=functions, scopes=buckets, times=times,
                                trap=trap)

    def clear_failures(self) -> None:
        """Forget every failure declared with :meth:`fail` that has not been used up
        (a ``times=None`` failure stays until this is called)."""
        self._faults.clear()

    def take_failure(self, function: str, bucket: str) -> str | None:
        """The injected error message for this call, consuming one use, else ``None``."""
        f = self.take_injected(function, bucket)
        return None if f is None else f.message

    def take_injected(self, function: str, bucket: str) -> InjectedFailure | None:
        """The injected failure for this call (message and ``trap`` flag), consuming one
        use, else ``None``."""
        return self._faults.take(function, bucket)

    # --- storage (used by the behaviours) ------------------------------------
    # Each method is one atomic step (module doc, "Threads"). Writers hold ``_lock``
    # (acquire/release: cheaper than ``with`` on the host-call path); ``get`` takes none.

    def get(self, project: str, bucket: str, key: str) -> bytes | None:
        """The value or ``None``, without the lock: two dict lookups, each atomic, on a
        bucket that writers only change in steps leaving it consistent (module doc)."""
        data = self._data.get((project, bucket))
        return None if data is None else data.get(key)

    def put(self, project: str, bucket: str, key: str, value: bytes) -> None:
        lock = self._lock
        lock.acquire()
        try:
            data = self._data.get((project, bucket))
            if data is None:
                data = self._data[(project, bucket)] = {}
            data[key] = value
        finally:
            lock.release()

    def remove(self, project: str, bucket: str, key: str) -> bool:
        """Delete ``key`` (``Ok`` on Golem whether or not it existed, §1.3); returns
        whether it existed. The emptied bucket's dict stays (module doc, "Threads")."""
        lock = self._lock
        lock.acquire()
        try:
            data = self._data.get((project, bucket))
            return data is not None and data.pop(key, _MISSING) is not _MISSING
        finally:
            lock.release()

    def get_many(self, project: str, bucket: str, keys: Iterable[str]) -> list[bytes | None]:
        """The values of ``keys`` in request order, read in one step (one SQLite query /
        one Redis ``HMGET``, §1.4); the backend's duplicate rule is the caller's."""
        with self._lock:
            data = self._data.get((project, bucket))
            if data is None:
                return [None for _ in keys]
            return [data.get(k) for k in keys]

    def put_many(self, project: str, bucket: str, pairs: Iterable[tuple[str, bytes]]) -> None:
        """Write every pair in one step, the last pair of a repeated key winning (one SQLite
        transaction / one Redis ``HMSET``, §1.4): one ``dict.update``, which a lock-free
        reader sees whole or not at all."""
        new = dict(pairs)
        with self._lock:
            data = self._data.get((project, bucket))
            if data is None:
                data = self._data[(project, bucket)] = {}
            data.update(new)

    def remove_many(self, project: str, bucket: str, keys: Iterable[str]) -> None:
        """Delete every key in one step, missing ones skipped (one SQLite transaction /
        one Redis ``HDEL``, §1.4). Several present keys: the bucket is replaced by a new
        dict without them, so a lock-free reader sees all of them gone or none."""
        with self._lock:
            ns = (project, bucket)
            data = self._data.get(ns)
            if data is None:
                return
            drop = {k for k in keys if k in data}
            if len(drop) == 1:
                data.pop(next(iter(drop)))
            elif drop:
                self._data[ns] = {k: v for k, v in data.items() if k not in drop}

    def update(self, project: str, bucket: str, key: str,
               change: Callable[[bytes | None], tuple[bytes | None, Any]]) -> Any:
        """Atomic read-modify-write of one key: ``change(current)`` (``None``: missing)
        returns ``(new value or None to leave the key as it is, result)``; returns the
        result. ``change`` runs under the store's lock: it must not call back into the
        store. For the opt-in ``"wit"`` ``increment``/``compare-and-swap``."""
        with self._lock:
            data = self._data.get((project, bucket))
            new, result = change(None if data is None else data.get(key))
            if new is not None:
                if data is None:
                    data = self._data[(project, bucket)] = {}
                data[key] = new
            return result

    def keys(self, project: str, bucket: str) -> list[str]:
        """Keys in the backend's order (§1.8), listed in one step."""
        with self._lock:
            ks = list(self._data.get((project, bucket), ()))
        if self._backend == "sqlite":
            ks.sort(key=lambda k: k.encode("utf-8", "surrogatepass"))
        return ks

    # --- test-side mapping API ----------------------------------------------

    def bucket(self, name: str, *, project: str | None = None) -> BucketView:
        """The bucket ``name`` of ``project`` (default: this Golem's project)."""
        return BucketView(self, self.project if project is None else
                          check_text(project, "keyvalue project"),
                          _check_key("bucket name", name))

    def __getitem__(self, name: str) -> BucketView:
        return self.bucket(name)

    def __contains__(self, name: object) -> bool:
        with self._lock:
            return bool(self._data.get((self.project, name)))  # type: ignore[call-overload]

    def __iter__(self) -> Iterator[str]:
        """Names of this project's buckets that hold at least one key."""
        p = self.project
        with self._lock:
            return iter([b for (proj, b), d in self._data.items() if proj == p and d])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def snapshot(self, *, project: str | None = None) -> dict[str, dict[str, bytes]]:
        """A plain, detached copy ``{bucket: {key: value}}`` of one project's buckets
        (those holding keys), for ``assert golem.keyvalue.snapshot() == {...}``."""
        p = self.project if project is None else project
        with self._lock:
            return {b: dict(d) for (proj, b), d in self._data.items() if proj == p and d}

    def clear(self) -> None:
        """Forget every key of every project."""
        with self._lock:
            self._data.clear()

    def __repr__(self) -> str:
        return (f"<KeyValueStore project={self.project!r} backend={self._backend!r} "
                f"profile={self._profile!r} {self.snapshot()!r}>")
