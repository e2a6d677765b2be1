"""Components, workers and the worker registry of one Golem environment.

What the real Golem host keeps per worker, and what this module models
(``golem-host-semantics.md`` §1, §9, §10, §16 rules 19-26; Golem v1.3.1 sources cited
where subtle):

* a worker is identified by ``(component-id, worker-name)``; the component id is a
  UUID (random v4 in Golem, ``ComponentId::new_v4``; here derived from the
  environment's seed and the component *name* so tests are reproducible);
* its metadata (the WIT ``worker-metadata`` record) comes from the ``Create`` oplog
  entry (args, env, config vars) plus the last known status record (status, current
  component version) - :meth:`Worker.metadata`;
* ``get-workers`` enumerates the workers of one component in **byte order of the
  worker name** (the SQLite indexed storage of the single ``golem server`` binary:
  ``SELECT DISTINCT key ... ORDER BY key LIMIT ? OFFSET ?``,
  ``golem-worker-executor/src/storage/indexed/sqlite.rs``), in pages of at most 50
  matching workers (``HostGetWorkers``, ``golem-worker-executor/src/durable_host/golem/v1x.rs``;
  ``DefaultWorkerEnumerationService::get``,
  ``golem-worker-executor/src/services/worker_enumeration.rs``) -
  :class:`WorkerEnumeration`. Filters are compiled by :mod:`golem_fakes.state.filters`.

The registry is plain state: no binding concerns, no ContextVar. The ``Golem``
environment (``golem_fakes/state/golem.py``) owns one and the host behaviours
(``golem_fakes/interfaces/golem_api/host.py``) call it.
"""

from __future__ import annotations

import enum
import hashlib
import threading
import time
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from difflib import get_close_matches
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, Mapping

from golem_fakes.state.text import check_text, check_texts

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.filters import Predicate

__all__ = [
    "WorkerStatus",
    "Component",
    "Worker",
    "WorkerRegistry",
    "WorkerEnumeration",
    "PAGE_SIZE",
    "RESERVED_ENV",
    "component_uuid",
    "as_uuid",
    "uuid_value",
]

#: Workers per ``get-workers.get-next`` page (``HostGetWorkers``: ``count`` 50, v1x.rs).
PAGE_SIZE = 50

#: Environment variables Golem v1.3.1 sets on every worker and drops from user input
#: (``WorkerConfig::enrich_env``, ``golem-worker-executor/src/model/mod.rs``). The agent
#: type variable only exists for agent components, which the shared WIT cannot express.
RESERVED_ENV = frozenset({
    "GOLEM_AGENT_ID", "GOLEM_AGENT_TYPE", "GOLEM_WORKER_NAME", "GOLEM_COMPONENT_ID",
    "GOLEM_COMPONENT_VERSION",
})

_U64 = (1 << 64) - 1


class WorkerStatus(enum.IntEnum):
    """A worker's status, in Golem's order (``From<WorkerStatus> for i32`` and the WIT
    enum ``worker-status``): the ``status`` filter compares these numbers
    (``FilterComparator::matches``, ``golem-common/src/model/mod.rs``)."""

    RUNNING = 0
    IDLE = 1
    SUSPENDED = 2
    INTERRUPTED = 3
    RETRYING = 4
    FAILED = 5
    EXITED = 6

    @property
    def wit_name(self) -> str:
        """The WIT spelling: ``"idle"``."""
        return self.name.lower()

    @classmethod
    def parse(cls, value: Any) -> "WorkerStatus":
        """Accept a member, the WIT or Python name (``"idle"``, ``"IDLE"``), a member of a
        generated ``WorkerStatus`` enum (matched by name) or its number."""
        if type(value) is cls:
            return value
        name = value if isinstance(value, str) else getattr(value, "name", None)
        if isinstance(name, str):
            try:
                return cls[name.upper().replace("-", "_")]
            except KeyError:
                pass
        elif isinstance(value, int) and not isinstance(value, bool):
            try:
                return cls(value)
            except ValueError:
                pass
        raise ValueError(
            f"{value!r} is not a worker status; use one of "
            f"{', '.join(m.wit_name for m in cls)} (a WorkerStatus member, its WIT name, "
            f"or the generated host.WorkerStatus member)")


_STATUS_WIT: tuple[str, ...] = tuple(m.name.lower() for m in WorkerStatus)


def component_uuid(seed: int, name: str) -> uuid.UUID:
    """The component id golem-fakes gives component ``name`` in an environment with
    ``seed``: stable across runs, different per seed and name, shaped like Golem's
    random v4 ids (``ComponentId::new_v4``)."""
    digest = hashlib.sha256(f"golem-fakes/component/{seed}/{name}".encode()).digest()
    return uuid.UUID(bytes=digest[:16], version=4)


def uuid_value(u: uuid.UUID) -> dict[str, int]:
    """The WIT ``uuid`` record as plain data: ``high-bits`` = the first 8 bytes read
    big-endian, ``low-bits`` = the last 8 (``as_u64_pair``, ``wasm-rpc/src/lib.rs``)."""
    n = u.int
    return {"high_bits": n >> 64, "low_bits": n & _U64}


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID from what a test or a behaviour holds: a ``uuid.UUID``, its string, a
    WIT ``uuid`` record (``high_bits``/``low_bits``, object or dict), a WIT
    ``component-id`` (``.uuid``), or a :class:`Component`."""
    if isinstance(value, uuid.UUID):
        return value
    if isinstance(value, Component):
        return value.component_id
    if isinstance(value, str):
        return uuid.UUID(value)
    if isinstance(value, Mapping):
        if "uuid" in value:
            return as_uuid(value["uuid"])
        if "high_bits" in value and "low_bits" in value:
            return uuid.UUID(int=(value["high_bits"] << 64) | value["low_bits"])
    else:
        inner = getattr(value, "uuid", None)
        if inner is not None:
            return as_uuid(inner)
        hi, lo = getattr(value, "high_bits", None), getattr(value, "low_bits", None)
        if isinstance(hi, int) and isinstance(lo, int):
            return uuid.UUID(int=(hi << 64) | lo)
    raise TypeError(
        f"{value!r} is not a component id; pass a uuid.UUID, a Component, or a "
        f"golem:rpc component-id / uuid record")


@dataclass(eq=False)
class Component:
    """A component known to the environment.

    ``version`` is the *current* (latest uploaded) component version; Golem numbers a
    component's first upload **0** (``Component::new``,
    ``golem-component-service/src/model/component.rs``). ``env`` is the component's
    environment, added to every worker's env after the worker's own variables
    (``merge_worker_env_with_component_env``, ``golem-worker-executor/src/worker/mod.rs``).
    """

    name: str
    component_id: uuid.UUID
    version: int = 0
    env: dict[str, str] = field(default_factory=dict)
    #: The component's initial files (Golem's component metadata ``files``): guest path
    #: (absolute, e.g. ``/static/a.txt``) → ``InitialFile`` (see
    #: :mod:`golem_fakes.state.filesystem`), copied into each worker's file system.
    files: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._id_cache: tuple[uuid.UUID, dict[str, int], str] | None = None

    def _ids(self) -> tuple[uuid.UUID, dict[str, int], str]:
        """``(id, uuid record, display string)``, recomputed if ``component_id`` was
        reassigned."""
        c = self._id_cache
        if c is None or c[0] is not self.component_id:
            u = self.component_id
            c = self._id_cache = (u, uuid_value(u), str(u))
        return c

    def component_id_value(self) -> dict[str, Any]:
        """The WIT ``component-id`` record as plain data the bindings accept."""
        return {"uuid": dict(self._ids()[1])}

    def __repr__(self) -> str:
        return f"Component({self.name!r}, {self.component_id}, version={self.version})"


@dataclass(eq=False)
class Worker:
    """One worker: its creation data (the ``Create`` oplog entry) and its last known
    status record.

    * ``args``, ``env`` (pairs in the creation call's order) and ``config`` (the
      ``wasi-config-vars``) are what the worker was created with;
    * ``status`` and ``component_version`` are the status record (``component_version``
      is the version the worker currently runs, which a successful update changes);
    * ``created_component_version`` is the version at creation, which the metadata's
      ``GOLEM_COMPONENT_VERSION`` keeps showing after updates (§9.1: the metadata copy of
      the env is not refreshed); ``None`` means ``component_version``;
    * ``created_name`` is the worker name the ``Create`` entry's ``GOLEM_AGENT_ID`` /
      ``GOLEM_WORKER_NAME`` carry; ``None`` means ``name``. A fork copies its source's
      ``Create`` entry, so a forked worker reports the source's name there (§9.2, derived);
    * ``created_at`` is the ``Create`` entry's timestamp in epoch milliseconds;
    * ``retry_count`` is the real retry bookkeeping; the WIT metadata always reports 0
      (§6.4).

    Identity semantics (``eq=False``): two workers are the same only if they are the
    same object; the registry guarantees one object per ``(component, name)``.
    """

    component: Component
    name: str
    args: list[str] = field(default_factory=list)
    env: list[tuple[str, str]] = field(default_factory=list)
    config: dict[str, str] = field(default_factory=dict)
    status: WorkerStatus = WorkerStatus.IDLE
    component_version: int = 0
    created_at: int = 0
    retry_count: int = 0
    created_component_version: int | None = None
    created_name: str | None = None

    # --- identity -------------------------------------------------------------------

    @property
    def key(self) -> tuple[str, str]:
        """``(component name, worker name)``: the registry key."""
        return (self.component.name, self.name)

    @property
    def component_id(self) -> uuid.UUID:
        return self.component.component_id

    def worker_id_value(self) -> dict[str, Any]:
        """The WIT ``worker-id`` record as plain data the bindings accept."""
        return {"component_id": {"uuid": dict(self.component._ids()[1])}, "worker_name": self.name}

    def __str__(self) -> str:
        """Golem's display form ``<component-uuid>/<worker-name>`` (``WorkerId``,
        ``golem-common/src/base_model.rs``)."""
        return f"{self.component.component_id}/{self.name}"

    def __repr__(self) -> str:
        return (f"Worker({self.component.name!r}, {self.name!r}, "
                f"status={self.status.wit_name}, version={self.component_version})")

    # --- metadata -------------------------------------------------------------------

    def golem_env(self) -> list[tuple[str, str]]:
        """The variables Golem v1.3.1 appends to every worker's env, in its order:
        ``GOLEM_AGENT_ID`` and ``GOLEM_WORKER_NAME`` (the worker name, or
        ``created_name`` for a fork),
        ``GOLEM_COMPONENT_ID`` (the lowercase hyphenated UUID) and
        ``GOLEM_COMPONENT_VERSION`` (the version at creation) (``WorkerConfig::enrich_env``,
        ``golem-worker-executor/src/model/mod.rs``)."""
        version = self.component_version if self.created_component_version is None \
            else self.created_component_version
        name = self.name if self.created_name is None else self.created_name
        return [("GOLEM_AGENT_ID", name), ("GOLEM_WORKER_NAME", name),
                ("GOLEM_COMPONENT_ID", self.component._ids()[2]),
                ("GOLEM_COMPONENT_VERSION", str(version))]

    def metadata_env(self, golem_env: bool = True) -> list[tuple[str, str]]:
        """The ``env`` of the worker's metadata (§9.1, §16 rule 19): the creation env in
        the caller's order, then the component's env variables whose names the worker
        did not set (exact names; component dict order), then, with ``golem_env``
        (v1.3.1, the default), :meth:`golem_env`. Golem drops user values for the
        ``GOLEM_*`` names of :data:`RESERVED_ENV` (exact, case-sensitive names) before
        appending its own. ``golem_env=False`` gives dev.25's metadata (creation +
        component env only; the ``GOLEM_*`` variables exist only in the WASI env)."""
        out: list[tuple[str, str]] = []
        seen: set[str] = set()
        for k, v in self.env:
            seen.add(k)
            if not golem_env or k not in RESERVED_ENV:
                out.append((k, v))
        for k, v in self.component.env.items():
            if k not in seen and (not golem_env or k not in RESERVED_ENV):
                out.append((k, v))
        if golem_env:
            out.extend(self.golem_env())
        return out

    def metadata(self, *, golem_env: bool = True) -> dict[str, Any]:
        """The WIT ``worker-metadata`` record as plain data a behaviour may return (a
        ``dict`` keyed by the generated class's *Python* field names, which is what the
        seam's record lifting reads, see :func:`golem_fakes.bindings.runtime.fields`):

        ``worker_id`` ({component_id: {uuid: {high_bits, low_bits}}, worker_name}),
        ``args``, ``env`` (:meth:`metadata_env`), ``wasi_config_vars`` (pairs sorted by
        key in byte order: Golem stores them in an ordered map), ``status`` (WIT name),
        ``component_version`` (the current version) and ``retry_count`` - always 0,
        because Golem hard-codes it when converting to the WIT record
        (``From<WorkerMetadata> for ...::WorkerMetadata`` in ``v1x.rs``, §6.4)."""
        return {
            "worker_id": self.worker_id_value(),
            "args": list(self.args),
            "env": self.metadata_env(golem_env),
            "wasi_config_vars": sorted(self.config.items()),
            "status": _STATUS_WIT[self.status],
            "component_version": self.component_version,
            "retry_count": 0,
        }

    def env_value(self, name: str, golem_env: bool = True) -> str | None:
        """The value the ``env`` filter property sees for ``name``: the first entry of
        :meth:`metadata_env` whose name equals ``name`` case-insensitively (both
        lower-cased, ``WorkerFilter::matches``), or ``None`` if none does. Computed
        without building the merged list: a component variable can only be the first
        match if no creation variable matched, and then no creation variable overrides
        it either."""
        lname = name.lower()
        for k, v in self.env:
            if k.lower() == lname and not (golem_env and k in RESERVED_ENV):
                return v
        for k, v in self.component.env.items():
            if k.lower() == lname and not (golem_env and k in RESERVED_ENV):
                return v
        if golem_env and lname.startswith("golem_"):
            for k, v in self.golem_env():
                if k.lower() == lname:
                    return v
        return None


def _pairs(value: Mapping[str, str] | Iterable[tuple[str, str]] | None, what: str) -> list[tuple[str, str]]:
    if value is None:
        return []
    items = value.items() if isinstance(value, Mapping) else value
    out: list[tuple[str, str]] = []
    for item in items:
        try:
            k, v = item
        except (TypeError, ValueError):
            raise TypeError(f"{what} entries must be (name, value) pairs of strings, got {item!r}") from None
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"{what} entries must be (name, value) pairs of strings, got {item!r}")
        out.append((check_text(k, f"{what} name"), check_text(v, f"{what} value of {k!r}")))
    return out


class _ComponentWorkers:
    """The workers of one component: by name, plus a lazily re-sorted list in byte
    order of the name (what the SQLite scan returns)."""

    __slots__ = ("by_name", "_sorted", "_lock")

    def __init__(self, lock: AbstractContextManager[Any]) -> None:
        self.by_name: dict[str, Worker] = {}
        self._sorted: list[Worker] | None = []
        #: The registry's lock, held by :meth:`add`/:meth:`remove` callers; taken here to
        #: rebuild the sorted list, so a list sorted before a concurrent add is never
        #: cached after it (issue 12 §3).
        self._lock = lock

    def add(self, worker: Worker) -> None:
        self.by_name[worker.name] = worker
        s = self._sorted
        if s is not None:
            if not s or s[-1].name < worker.name:
                s.append(worker)  # names added in order stay sorted for free
            else:
                self._sorted = None

    def remove(self, name: str) -> Worker:
        w = self.by_name.pop(name)
        self._sorted = None
        return w

    def ordered(self) -> list[Worker]:
        """Workers sorted by name; Python's code-point order of ``str`` is the byte
        order of their UTF-8 encodings, i.e. SQLite's binary collation."""
        s = self._sorted
        if s is None:
            with self._lock:
                s = self._sorted
                if s is None:
                    s = self._sorted = sorted(self.by_name.values(), key=_name_key)
        return s


def _name_key(w: Worker) -> str:
    return w.name


class WorkerRegistry:
    """Every component and worker of one environment, keyed by
    ``(component name, worker name)``, with lookups by component id.

    ``seed`` determines component ids (:func:`component_uuid`); ``now_ms`` gives
    ``created_at`` for workers created without one (default: the wall clock in epoch
    ms; ``Golem`` passes its own clock); ``golem_env_in_metadata`` selects dev.25's
    metadata env (creation + component env, no ``GOLEM_*`` entries: the default, as
    the fake implements dev.25's WIT) or v1.3.1's (``GOLEM_*`` variables appended;
    §9.1, §14). The WASI environment has Golem's ``GOLEM_*`` variables either way
    (``wasi:cli/environment``).

    Threads: adding and removing components and workers is atomic (one re-entrant lock
    per registry) and :meth:`find_or_add` creates a worker once however many threads
    invoke it first at the same moment, as Golem's worker creation on first invocation
    does; lookups take no lock.
    """

    def __init__(self, seed: int = 0, *, now_ms: Callable[[], int] | None = None,
                 golem_env_in_metadata: bool = False) -> None:
        self.seed = seed
        self.now_ms: Callable[[], int] = now_ms or (lambda: time.time_ns() // 1_000_000)
        self.golem_env_in_metadata = golem_env_in_metadata
        self.components: dict[str, Component] = {}
        self._by_id: dict[uuid.UUID, Component] = {}
        self._workers: dict[uuid.UUID, _ComponentWorkers] = {}
        #: Held while components and workers are added or removed (re-entrant: adding a
        #: worker may add its component), so that threads creating the same worker at
        #: once get one worker (:meth:`find_or_add`); lookups read without it.
        self._lock = threading.RLock()

    # --- components -----------------------------------------------------------------

    def add_component(self, name: str, *, version: int = 0,
                      env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                      component_id: uuid.UUID | None = None) -> Component:
        """Register component ``name`` (current version ``version``, first upload 0)
        with id ``component_id`` or the seed-derived :func:`component_uuid`. Adding a
        name twice raises ``ValueError``; change ``registry.component(name)`` instead."""
        check_text(name, "component name")
        with self._lock:
            return self._add_component(name, version, env, component_id)

    def _add_component(self, name: str, version: int,
                       env: Mapping[str, str] | Iterable[tuple[str, str]] | None,
                       component_id: uuid.UUID | None) -> Component:
        if name in self.components:
            raise ValueError(
                f"component {name!r} already exists ({self.components[name]!r}); change "
                f"its attributes (version, env) on the existing object instead of adding it again")
        if not isinstance(version, int) or isinstance(version, bool) or not 0 <= version <= _U64:
            raise ValueError(f"component version must be a u64 int, got {version!r}")
        cid = component_id if component_id is not None else component_uuid(self.seed, name)
        if cid in self._by_id:
            raise ValueError(f"component id {cid} is already used by {self._by_id[cid]!r}")
        comp = Component(name, cid, version, dict(_pairs(env, "component env")))
        # published last, so that a lookup without the lock never finds a component
        # whose worker table is not there yet
        self._workers[cid] = _ComponentWorkers(self._lock)
        self._by_id[cid] = comp
        self.components[name] = comp
        return comp

    def component(self, name: str) -> Component:
        """The component called ``name``; ``KeyError`` naming the known ones otherwise."""
        try:
            return self.components[name]
        except KeyError:
            raise KeyError(self._unknown_component(name)) from None

    def ensure_component(self, component: str | Component) -> Component:
        """The component (added with defaults if the name is unknown)."""
        if isinstance(component, Component):
            if self.components.get(component.name) is not component:
                raise ValueError(f"{component!r} belongs to another environment; pass its name instead")
            return component
        comp = self.components.get(component)
        if comp is not None:
            return comp
        with self._lock:                # another thread may have added it meanwhile
            comp = self.components.get(component)
            return comp if comp is not None else self.add_component(component)

    def component_by_id(self, component_id: Any) -> Component | None:
        """The component with that id (UUID, WIT ``component-id``/``uuid`` value, or
        string), or ``None``."""
        return self._by_id.get(as_uuid(component_id))

    # --- workers --------------------------------------------------------------------

    def add_worker(self, component: str | Component, name: str, *,
                   args: Iterable[str] = (),
                   env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                   config: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                   status: WorkerStatus | str = WorkerStatus.IDLE,
                   component_version: int | None = None,
                   created_at: int | None = None) -> Worker:
        """Create worker ``name`` of ``component`` (auto-added if unknown), like Golem
        creating a worker: ``args`` and ``env`` keep their order, ``config`` becomes
        the ``wasi-config-vars``, ``component_version`` defaults to the component's
        current version, ``created_at`` (epoch ms) to ``now_ms()``. A second worker with
        the same name raises ``ValueError`` (Golem: ``Worker already exists``)."""
        if not isinstance(name, str):
            raise TypeError(f"worker name must be a str, got {name!r}")
        check_text(name, "worker name")
        # every argument is checked before anything is stored (the component included)
        arg_list = list(args)
        if isinstance(args, str) or not all(isinstance(a, str) for a in arg_list):
            raise TypeError(f"worker args must be an iterable of str, got {args!r}")
        check_texts(arg_list, "worker arg")
        env_pairs = _pairs(env, "worker env")
        config_vars = dict(_pairs(config, "worker config"))
        with self._lock:
            return self._add_worker(component, name, arg_list, env_pairs, config_vars, status,
                                    component_version, created_at)

    def find_or_add(self, component: str | Component, name: str) -> Worker:
        """The worker (:meth:`find`), created with defaults (its component too) if it does
        not exist, as Golem creates a worker on its first invocation. Atomic: threads
        invoking the same new worker at once all get the one worker."""
        w = self.find(component, name)
        if w is not None:
            return w                    # the common case: no lock
        with self._lock:
            w = self.find(component, name)
            return w if w is not None else self.add_worker(component, name)

    def _add_worker(self, component: str | Component, name: str, arg_list: list[str],
                    env_pairs: list[tuple[str, str]], config_vars: dict[str, str],
                    status: WorkerStatus | str, component_version: int | None,
                    created_at: int | None) -> Worker:
        comp = self.ensure_component(component)
        bucket = self._workers[comp.component_id]
        if name in bucket.by_name:
            raise ValueError(
                f"Worker already exists: {comp.name}/{name} ({bucket.by_name[name]!r}); use "
                f"registry.get({comp.name!r}, {name!r}) to reach it, or remove it first")
        version = comp.version if component_version is None else component_version
        worker = Worker(
            component=comp, name=name, args=arg_list, env=env_pairs,
            config=config_vars, status=WorkerStatus.parse(status),
            component_version=version,
            created_at=self.now_ms() if created_at is None else int(created_at),
            created_component_version=version)
        bucket.add(worker)
        return worker

    def find(self, component: str | Component | Any, name: str) -> Worker | None:
        """The worker, or ``None``. ``component`` is a name, a :class:`Component`, or a
        component id (UUID or WIT value)."""
        comp = self._resolve(component)
        if comp is None:
            return None
        return self._workers[comp.component_id].by_name.get(name)

    def find_by_id(self, worker_id: Any) -> Worker | None:
        """The worker for a WIT ``worker-id`` value (``component_id`` + ``worker_name``,
        object or dict), or ``None``."""
        if isinstance(worker_id, Mapping):
            cid, name = worker_id["component_id"], worker_id["worker_name"]
        else:
            cid, name = worker_id.component_id, worker_id.worker_name
        comp = self._by_id.get(as_uuid(cid))
        return None if comp is None else self._workers[comp.component_id].by_name.get(name)

    def get(self, component: str | Component | Any, name: str) -> Worker:
        """The worker; ``KeyError`` saying what exists otherwise."""
        w = self.find(component, name)
        if w is not None:
            return w
        comp = self._resolve(component)
        if comp is None:
            raise KeyError(self._unknown_component(component))
        names = list(self._workers[comp.component_id].by_name)
        close = get_close_matches(name, names, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise KeyError(
            f"no worker {name!r} in component {comp.name!r} ({len(names)} workers){hint} "
            f"Create it with add_worker({comp.name!r}, {name!r}).")

    def remove(self, component: str | Component | Any, name: str) -> Worker:
        """Delete the worker (Golem: its oplog is deleted) and return it."""
        with self._lock:
            w = self.get(component, name)
            return self._workers[w.component.component_id].remove(name)

    def workers_of(self, component: str | Component | Any) -> list[Worker]:
        """The workers of one component in byte order of their names (a new list)."""
        comp = self._resolve(component)
        return [] if comp is None else list(self._workers[comp.component_id].ordered())

    def __iter__(self) -> Iterator[Worker]:
        """Every worker: components in the order they were added, workers by name."""
        for comp in self.components.copy().values():
            yield from list(self._workers[comp.component_id].ordered())

    def __len__(self) -> int:
        return sum(len(b.by_name) for b in self._workers.copy().values())

    def __contains__(self, key: object) -> bool:
        if isinstance(key, Worker):
            return self.find(key.component.component_id, key.name) is key
        if isinstance(key, tuple) and len(key) == 2:
            return self.find(key[0], key[1]) is not None
        return False

    # --- enumeration ----------------------------------------------------------------

    def get_workers(self, component_id: Any, filter: Any = None, precise: bool = False, *,
                    page_size: int = PAGE_SIZE) -> "WorkerEnumeration":
        """The state of one ``get-workers`` resource (use it as the rep): constructed
        like Golem's, storing the arguments and a cursor only; an unknown component
        is not an error (its pages are empty). ``filter`` is a WIT
        ``worker-any-filter`` value (or ``None``), compiled once here."""
        from golem_fakes.state.filters import compile_filter

        return WorkerEnumeration(self, as_uuid(component_id),
                                 compile_filter(filter, golem_env=self.golem_env_in_metadata),
                                 bool(precise), page_size)

    def pages(self, component_id: Any, filter: Any = None,
              precise: bool = False) -> Iterator[list[dict[str, Any]]]:
        """Every page ``get-next`` would return, in order (each a list of metadata
        dicts; the ``none`` that ends the enumeration is not yielded)."""
        return iter(self.get_workers(component_id, filter, precise))

    # --- helpers --------------------------------------------------------------------

    def _resolve(self, component: Any) -> Component | None:
        if isinstance(component, str):
            comp = self.components.get(component)
            if comp is not None:
                return comp
            try:
                return self._by_id.get(uuid.UUID(component))
            except ValueError:
                return None
        if isinstance(component, Component):
            return self._by_id.get(component.component_id)
        try:
            return self._by_id.get(as_uuid(component))
        except TypeError:
            return None

    def _unknown_component(self, component: Any) -> str:
        known = ", ".join(repr(n) for n in self.components) or "none"
        return (f"unknown component {component!r} (known components: {known}); add it with "
                f"add_component(name) or add_worker(name, worker)")

    def __repr__(self) -> str:
        return f"<WorkerRegistry seed={self.seed} components={len(self.components)} workers={len(self)}>"


class WorkerEnumeration:
    """One ``get-workers`` resource: ``get_next()`` returns the next page, a list of
    at most ``page_size`` (50) metadata dicts, or ``None`` once exhausted.

    Mirrors ``DefaultWorkerEnumerationService::get`` over SQLite (v1.3.1): the cursor is
    an **offset** into the component's workers in name order; each step scans
    ``page_size - matches so far`` workers from the cursor, keeps those matching the
    filter, and marks the scan exhausted when it got fewer workers than it asked for.
    Hence the first call always returns a list (maybe empty), a page that ends the scan
    is still a list, a page can be ``[]`` when the previous one ended exactly at the
    last worker, and only the call after the exhausting page returns ``None``. Workers
    added or removed between calls shift the offset exactly as rows do under
    ``LIMIT ? OFFSET ?``. ``precise`` is accepted and stored: the fake's status is always
    exact, so both settings read the same status (§10.2).
    """

    __slots__ = ("registry", "component_id", "predicate", "precise", "page_size",
                 "cursor", "exhausted")

    def __init__(self, registry: WorkerRegistry, component_id: uuid.UUID,
                 predicate: "Predicate | None", precise: bool, page_size: int = PAGE_SIZE) -> None:
        if page_size < 1:
            raise ValueError(f"page_size must be at least 1, got {page_size}")
        self.registry = registry
        self.component_id = component_id
        self.predicate = predicate
        self.precise = precise
        self.page_size = page_size
        self.cursor = 0
        self.exhausted = False

    def next_workers(self) -> list[Worker] | None:
        """The next page as :class:`Worker` objects (``None`` when exhausted)."""
        if self.exhausted:
            return None
        bucket = self.registry._workers.get(self.component_id)
        ordered = bucket.ordered() if bucket is not None else []
        pred = self.predicate
        count = self.page_size
        page: list[Worker] = []
        cursor = self.cursor
        while len(page) < count:
            want = count - len(page)
            chunk = ordered[cursor:cursor + want]
            cursor += want
            if pred is None:
                page.extend(chunk)
            else:
                page.extend([w for w in chunk if pred(w)])
            if len(chunk) < want:
                self.exhausted = True
                break
        self.cursor = cursor
        return page

    def get_next(self) -> list[dict[str, Any]] | None:
        """What ``get-workers.get-next`` returns: ``None`` or a list of metadata dicts
        (:meth:`Worker.metadata`)."""
        page = self.next_workers()
        if page is None:
            return None
        golem_env = self.registry.golem_env_in_metadata
        return [w.metadata(golem_env=golem_env) for w in page]

    def __iter__(self) -> Iterator[list[dict[str, Any]]]:
        while True:
            page = self.get_next()
            if page is None:
                return
            yield page

    def __repr__(self) -> str:
        state = "exhausted" if self.exhausted else f"cursor={self.cursor}"
        return f"<WorkerEnumeration {self.component_id} {state}>"
