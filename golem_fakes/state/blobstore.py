"""State of ``wasi:blobstore``: containers and objects (``docs/golem-io-semantics.md`` §2).

Scope (§2.1): every blob call uses the namespace of the worker's *project*, so containers
are shared by all workers of all components of one project and isolated between projects.
All components of a :class:`~golem_fakes.Golem` belong to ``golem.project``; the store
keeps one namespace per project name.

Objects are stored as immutable ``bytes`` with their last-modified time (milliseconds,
§2.1); reads hand out ``memoryview`` slices, never copies. Time is a deterministic
logical clock (:attr:`BlobStore.now_ms`, one millisecond per write) so that tests are
reproducible; ``created-at`` is the *last-modified* time as on Golem.

Backend flavours (§2.6). The default is ``"fs"`` (the local file-system backend of
``golem server``); a test may choose ``golem.blobstore.backend = "s3"``.

=========================================  ==================================  ===========================
Behaviour                                  ``"fs"`` (default)                  ``"s3"``
=========================================  ==================================  ===========================
``get-data`` range                         ``[start, end)``; ``end > size`` or  inclusive ``[start, end]``,
                                           ``start > end`` aborts the executor  ``end`` clamped to the size;
                                           (:class:`~golem_fakes.Trap`)         ``start >= size`` or
                                                                               ``start > end``: not
                                                                               determined → Trap
``list-objects`` on a missing container    ``Err("No such file or directory    ``Ok`` empty
                                           (os error 2)")``
guest-visible listing order                reverse of directory order; the     descending by name
                                           fake uses ascending-name "directory"
                                           order, so the guest sees descending
``delete-object`` of an existing object    ``Err("Not a directory (os error    ``Ok``, object kept
                                           20)")``, object kept
``delete-objects`` with a missing name     ``Err("Failed to delete file at     missing names ignored
                                           \\"…\\": No such file or directory
                                           (os error 2)")``, earlier ones gone
copy/move into a missing container         ``Err("No such file or directory    ok
                                           (os error 2)")``
copy onto itself                           truncates to empty (move deletes)   not determined → Trap
write through a stale handle               re-creates the container            object written, container
                                                                               still missing (no marker)
=========================================  ==================================  ===========================

Fault injection (§0.2, §0.3, §2.7): :meth:`BlobStore.fail` makes the next matching
recorded calls return ``Err(message)`` (or, with ``trap=True``, trap) without touching
the store; the failure is recorded in the oplog like any other result (§2.8).

Host paths in FS messages are rendered as ``<blob-root>/custom_data/<project>/<container>/<object>``
(the real host quotes the executor's absolute path, §2.7).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Literal, Mapping

from golem_fakes.state.faults import FaultPlan, InjectedFailure

if TYPE_CHECKING:
    from golem_fakes.state.golem import Golem

__all__ = ["BlobStore", "ContainerState", "BlobObject", "ContainerView", "BACKENDS",
           "BLOB_ROOT", "EPOCH_MS", "InjectedFailure", "STORAGE_FUNCTIONS"]

Backend = Literal["fs", "s3"]
BACKENDS: tuple[str, ...] = ("fs", "s3")
#: How FS error messages render the executor's blob root (§2.7).
BLOB_ROOT = "<blob-root>"
#: The logical clock's first value: 2025-01-01T00:00:00Z in milliseconds.
EPOCH_MS = 1_735_689_600_000
#: The recorded (storage-touching) WIT functions a failure can be injected into (§2.8).
STORAGE_FUNCTIONS = frozenset({
    "create-container", "get-container", "delete-container", "container-exists",
    "copy-object", "move-object", "get-data", "write-data", "list-objects",
    "delete-object", "delete-objects", "has-object", "object-info", "clear"})


@dataclass(frozen=True)
class BlobObject:
    """One stored object: immutable bytes and its last-modified time in ms (§2.1)."""

    data: bytes
    modified_ms: int

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass
class ContainerState:
    """A container: its objects and its ``created-at`` (directory mtime / S3 marker time).

    ``marker`` is whether the container itself exists (FS: the directory; S3: the
    ``__dir_marker`` object). On S3 objects can exist under a container without marker
    (written through a stale handle, §2.3)."""

    created_ms: int
    marker: bool = True
    objects: dict[str, BlobObject] = field(default_factory=dict)


class ContainerView(Mapping[str, bytes]):
    """Test-side, read-only mapping view of one container: ``view["obj"]`` is the bytes."""

    def __init__(self, store: "BlobStore", project: str, name: str) -> None:
        self._store, self._project, self.name = store, project, name

    def _objects(self) -> dict[str, BlobObject]:
        c = self._store._ns(self._project).get(self.name)
        return c.objects if c is not None else {}

    def __getitem__(self, key: str) -> bytes:
        objs = self._objects()
        if key not in objs:
            raise KeyError(f"object {key!r} is not in blob container {self.name!r} of project "
                           f"{self._project!r} (objects: {sorted(objs)!r})")
        return objs[key].data

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._objects()))

    def __len__(self) -> int:
        return len(self._objects())

    def metadata(self, key: str) -> dict[str, object]:
        """``{name, container, created_at, size}`` as ``object-info`` would report it."""
        self[key]
        obj = self._objects()[key]
        return {"name": key, "container": self.name, "created_at": obj.modified_ms,
                "size": obj.size}


class BlobStore:
    """All blob containers of a :class:`~golem_fakes.Golem`, per project (§2.1).

    Test-side API: ``store["c"]["o"]`` (bytes), ``store["c"].metadata("o")``,
    ``"c" in store``, :meth:`put` to seed data, :meth:`snapshot`, :attr:`backend`."""

    def __init__(self, golem: "Golem | None" = None, *, backend: Backend = "fs") -> None:
        self._golem = golem
        self.backend: Backend = backend
        self._projects: dict[str, dict[str, ContainerState]] = {}
        self._clock = EPOCH_MS
        self._faults = FaultPlan("golem.blobstore.fail", STORAGE_FUNCTIONS)

    # -- plumbing -------------------------------------------------------------------
    @property
    def project(self) -> str:
        return getattr(self._golem, "project", "default")

    def _ns(self, project: str | None = None) -> dict[str, ContainerState]:
        return self._projects.setdefault(project or self.project, {})

    def now_ms(self) -> int:
        """Advance and return the logical clock (one ms per modification)."""
        self._clock += 1
        return self._clock

    def check_backend(self) -> Backend:
        if self.backend not in BACKENDS:
            raise ValueError(f"golem.blobstore.backend is {self.backend!r}, but only "
                             f"{BACKENDS!r} are modelled; set it to one of them")
        return self.backend

    def host_path(self, project: str, container: str, obj: str | None = None) -> str:
        """The FS path Golem quotes in its error messages (§2.1, §2.7)."""
        p = f"{BLOB_ROOT}/custom_data/{project}/{container}"
        return p if obj is None else f"{p}/{obj}"

    # -- fault injection (§0.2, §2.7) ---------------------------------------------------
    def fail(self, message: str, *, functions: Iterable[str] | None = None,
             containers: Iterable[str] | None = None, times: int | None = 1,
             trap: bool = False) -> InjectedFailure:
        """Make the next ``times`` matching recorded calls (``None``: all of them) fail
        with the storage error ``message``: the WIT ``Err(message)`` (§2.7, immediate, no
        retry, §0.3) or, with ``trap=True``, a :class:`~golem_fakes.Trap` carrying it.
        ``functions`` are WIT names from :data:`STORAGE_FUNCTIONS` (``"get-data"``,
        ``"create-container"``, ...; default: all); ``containers`` restricts it to calls on
        those containers (copy/move match the source or destination). Either way the
        failure is recorded as ``Err(message)`` in the oplog (§2.8) and the store is left
        unchanged. ``clear`` always traps on a storage error (§2.3)."""
        return self._faults.add(message, functions=functions, scopes=containers, times=times,
                                trap=trap)

    def take_failure(self, function: str, *containers: str) -> InjectedFailure | None:
        """The injected failure for this call, consuming one use, else ``None``."""
        return self._faults.take(function, *containers)

    # -- test-side API ----------------------------------------------------------------
    def __getitem__(self, name: str) -> ContainerView:
        return ContainerView(self, self.project, name)

    def __contains__(self, name: object) -> bool:
        c = self._ns().get(name)  # type: ignore[arg-type]
        return c is not None and c.marker

    def containers(self, project: str | None = None) -> list[str]:
        """Names of the existing containers (with a marker), sorted."""
        return sorted(n for n, c in self._ns(project).items() if c.marker)

    def put(self, container: str, obj: str, data: bytes, *, project: str | None = None) -> None:
        """Seed an object (creating the container) as a write from another worker would."""
        ns = self._ns(project)
        c = ns.get(container)
        now = self.now_ms()
        if c is None:
            c = ns[container] = ContainerState(created_ms=now)
        c.marker = True
        c.objects[obj] = BlobObject(bytes(data), now)

    def snapshot(self, project: str | None = None) -> dict[str, dict[str, bytes]]:
        """``{container: {object: bytes}}`` of every existing container (and, on S3, of
        marker-less prefixes holding objects), for equality assertions."""
        return {n: {o: b.data for o, b in sorted(c.objects.items())}
                for n, c in sorted(self._ns(project).items()) if c.marker or c.objects}

    def __repr__(self) -> str:
        return f"BlobStore(backend={self.backend!r}, {self.snapshot()!r})"
