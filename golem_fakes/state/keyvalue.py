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

from typing import TYPE_CHECKING, Any, Iterable, Iterator, MutableMapping

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
        return self._store._data.get(self._ns, {})

    def __getitem__(self, key: str) -> bytes:
        data = self._data()
        if key not in data:
            raise KeyError(f"{key!r} is not in keyvalue bucket {self.name!r} of project "
                           f"{self.project!r} (keys: {sorted(data)!r})")
        return data[key]

    def __setitem__(self, key: str, value: bytes) -> None:
        self._store.put(self.project, self.name, _check_key("key", key), _check_value(value))

    def __delitem__(self, key: str) -> None:
        if key not in self._data():
            raise KeyError(key)
        self._store.remove(self.project, self.name, key)

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
        self._data: dict[tuple[str, str], dict[str, bytes]] = {}
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

    def get(self, project: str, bucket: str, key: str) -> bytes | None:
        return self._data.get((project, bucket), {}).get(key)

    def put(self, project: str, bucket: str, key: str, value: bytes) -> None:
        self._data.setdefault((project, bucket), {})[key] = value

    def remove(self, project: str, bucket: str, key: str) -> None:
        data = self._data.get((project, bucket))
        if data is not None:
            data.pop(key, None)
            if not data:
                del self._data[(project, bucket)]

    def keys(self, project: str, bucket: str) -> list[str]:
        """Keys in the backend's order (§1.8)."""
        ks = list(self._data.get((project, bucket), {}))
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
        return (self.project, name) in self._data

    def __iter__(self) -> Iterator[str]:
        """Names of this project's buckets that hold at least one key."""
        p = self.project
        return iter([b for (proj, b) in list(self._data) if proj == p])

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def snapshot(self, *, project: str | None = None) -> dict[str, dict[str, bytes]]:
        """A plain, detached copy ``{bucket: {key: value}}`` of one project's buckets
        (those holding keys), for ``assert golem.keyvalue.snapshot() == {...}``."""
        p = self.project if project is None else project
        return {b: dict(d) for (proj, b), d in self._data.items() if proj == p}

    def clear(self) -> None:
        """Forget every key of every project."""
        self._data.clear()

    def __repr__(self) -> str:
        return (f"<KeyValueStore project={self.project!r} backend={self._backend!r} "
                f"profile={self._profile!r} {self.snapshot()!r}>")
