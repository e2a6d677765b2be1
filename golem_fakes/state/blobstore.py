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

Threads (issue 12 §3). Workers may run in several threads at once. Every recorded
blobstore call is one atomic step on the project's containers: the behaviour runs under
the store's one lock (:attr:`BlobStore.lock`, taken by
:func:`golem_fakes.interfaces.wasi_blobstore.durable` around the storage work only, not
the oplog append), and the test-side API takes it too. That is what the real backends
give the calls a test can race: FS ``write-data`` is ``create_dir_all`` then one file
write, so a write through a stale handle concurrent with other writes or with
``delete-container`` either lands in the (re-created) directory or is removed with it,
never silently replaced by another writer's re-creation; every other write through the
handle keeps its object; ``list-objects`` is one directory listing; ``delete-container``
/ ``clear`` remove the directory with everything in it at that moment; S3 requests are
atomic per object. Golem adds no locking of its own (§2.1): concurrent writers of one
object race and the last write wins.

Fault injection (§0.2, §0.3, §2.7): :meth:`BlobStore.fail` makes the next matching
recorded calls return ``Err(message)`` (or, with ``trap=True``, trap) without touching
the store; the failure is recorded in the oplog like any other result (§2.8).

Host paths in FS messages are rendered as ``<blob-root>/custom_data/<project>/<container>/<object>``
(the real host quotes the executor's absolute path, §2.7), quoted and escaped as Rust's
``{:?}`` of a ``Path`` does.

Names are joined as paths (``golem-worker-executor/src/services/blob_store.rs``:
``Path::new(container).join(object)``; ``golem-service-base/src/storage/blob/fs.rs``,
``s3.rs``), which :func:`check_names` applies before every recorded call:

* a name starting with ``/`` replaces the whole path. FS: the lexical root check fails,
  ``Err('Path "/x" is not within: "<blob-root>"')`` (``clear`` traps with it). S3: the key
  leaves the project prefix; the result is not determined → :class:`~golem_fakes.Trap`.
* ``..`` components pass the FS root check (``Path::starts_with`` is lexical) and are then
  resolved by the executor host's OS, reaching other containers, projects or host
  directories; ``.`` and empty components (``a//b``, a trailing ``/``, ``""``) and
  S3's ``__dir_marker`` object names change what the host addresses in ways that depend
  on the host: not determined → Trap.
* a container name containing ``/`` is a directory inside another container (FS) / a
  marker under another container's prefix (S3), so two handles alias one object; golem-fakes
  keeps containers flat and traps (not modelled).
* an object name containing ``/`` is modelled. FS: a nested file; its parent directories
  are created by ``write-data`` and stay when the file is deleted
  (:attr:`ContainerState.dirs`); ``list-objects`` shows the first component (the
  directory); a directory name gives ``has-object`` false, ``get-data``
  ``Err('Failed to read file from "…": Is a directory (os error 21)')``, ``write-data``
  ``Err('Failed to store file at "…": Is a directory (os error 21)')``, and
  ``delete-object`` of a directory **removes it with everything in it**; a file used as a
  directory gives ``Not a directory (os error 20)`` errors. S3: an opaque key, except
  that ``list-objects`` leaves nested objects out and ``delete-object(prefix)`` deletes
  the objects under ``prefix/``.
"""

from __future__ import annotations

import threading
import unicodedata
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Iterable, Iterator, Literal, Mapping

from golem_fakes.state.faults import FaultPlan, InjectedFailure
from golem_fakes.state.text import check_text

if TYPE_CHECKING:
    from golem_fakes.state.golem import Golem

__all__ = ["BlobStore", "ContainerState", "BlobObject", "ContainerView", "BACKENDS",
           "BLOB_ROOT", "EPOCH_MS", "InjectedFailure", "STORAGE_FUNCTIONS", "MARKER",
           "BlobNameTrap", "check_names", "rust_debug", "rust_join"]

Backend = Literal["fs", "s3"]
BACKENDS: tuple[str, ...] = ("fs", "s3")
#: How FS error messages render the executor's blob root (§2.7).
BLOB_ROOT = "<blob-root>"
#: The S3 backend's container marker object (``<container>/__dir_marker``, §2.1).
MARKER = "__dir_marker"
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
    #: FS: the sub-directories inside the container (``"x"``, ``"x/y"``), created for
    #: nested object names and left behind when their files are deleted.
    dirs: set[str] = field(default_factory=set)

    def resolve(self, name: str) -> Literal["file", "dir", "missing", "notdir"]:
        """What the FS path ``<container>/<name>`` is: a file, a directory, missing, or
        unreachable because a parent component is a file (``ENOTDIR``)."""
        if name in self.objects:
            return "file"
        if name in self.dirs:
            return "dir"
        if "/" in name:
            prefix = ""
            for part in name.split("/")[:-1]:
                prefix = f"{prefix}/{part}" if prefix else part
                if prefix in self.objects:
                    return "notdir"
                if prefix not in self.dirs:
                    return "missing"
        return "missing"

    def parents(self, name: str) -> list[str]:
        """The directory prefixes of ``name`` (``"x/y/z"`` → ``["x", "x/y"]``)."""
        parts = name.split("/")[:-1]
        return ["/".join(parts[:i + 1]) for i in range(len(parts))]

    def is_top_level_entry(self, name: str) -> bool:
        """Whether ``name`` is a directory entry of the container itself (whose creation
        or removal moves the container directory's mtime, i.e. its ``created-at``)."""
        return "/" not in name

    def remove_tree(self, name: str) -> None:
        """``remove_dir_all`` of the sub-directory ``name``: it and everything below it."""
        prefix = name + "/"
        for o in [o for o in self.objects if o.startswith(prefix)]:
            del self.objects[o]
        self.dirs = {d for d in self.dirs if d != name and not d.startswith(prefix)}


def rust_debug(text: str) -> str:
    """``text`` quoted and escaped as Rust's ``{:?}`` of a ``str``/``Path`` renders it."""
    out = ['"']
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ch == "\0":
            out.append("\\0")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
            out.append(f"\\u{{{ord(ch):x}}}")
        else:
            out.append(ch)
    out.append('"')
    return "".join(out)


def rust_join(base: str, name: str) -> str:
    """Rust's ``Path::new(base).join(name)`` as text: an absolute ``name`` replaces."""
    if name.startswith("/"):
        return name
    if not base or base.endswith("/"):
        return base + name
    return f"{base}/{name}"


class BlobNameTrap(Exception):
    """A name whose effect on Golem is not determined or not modelled (the behaviours
    turn it into a :class:`~golem_fakes.Trap`)."""


def check_names(backend: str, container: str, obj: str | None = None) -> str | None:
    """Apply Golem's path rules for ``container`` (and ``obj``) before a storage call:
    ``None`` when the call proceeds, the FS root-check error string for an absolute path
    (``Path "…" is not within: "<blob-root>"``), or :class:`BlobNameTrap` with the
    reason for a name whose effect is not determined or not modelled."""
    if (container and "/" not in container and container not in (".", "..")
            and (obj is None or (obj and obj[0] != "/" and obj not in (".", "..")
                                 and ("/" not in obj and (backend == "fs" or obj != MARKER))))):
        return None                                                 # the fast path
    full = container if obj is None else rust_join(container, obj)
    if full.startswith("/"):
        if backend == "fs":
            return f"Path {rust_debug(full)} is not within: {rust_debug(BLOB_ROOT)}"
        raise BlobNameTrap(
            f"the blob path {full!r} is absolute: on S3 Golem joins it onto the bucket root "
            f"instead of the project's prefix, so the object it addresses is not determined "
            f"(docs/golem-io-semantics.md §2.1)")
    for kind, name in (("container", container), ("object", obj)):
        if name is None:
            continue
        parts = name.split("/")
        if name == "" or any(p in ("", ".", "..") for p in parts):
            what = ("'..' components are resolved by the executor host's OS after Golem's "
                    "lexical root check, so they reach other containers, projects or host "
                    "directories" if ".." in parts else
                    "an empty name, '.' or empty path components ('a//b', a trailing '/') "
                    "address the parent directory or change how the host resolves the path")
            raise BlobNameTrap(f"the {kind} name {name!r}: {what}; Golem's result is not "
                               f"determined (docs/golem-io-semantics.md §2.1). Use plain "
                               f"names such as 'reports' or 'images/cat.png'.")
    if "/" in container:
        raise BlobNameTrap(
            f"the container name {container!r} contains '/': on Golem it is a directory "
            f"(FS) or a marker (S3) inside the container {container.split('/')[0]!r}, so "
            f"objects of the two containers alias each other; not modelled (golem-fakes keeps "
            f"containers flat, docs/golem-io-semantics.md §2.1). Put the '/' "
            f"in the object name instead.")
    if backend == "s3" and obj is not None and obj.split("/")[-1] == MARKER:
        raise BlobNameTrap(
            f"the object name {obj!r} ends in {MARKER!r}, the key Golem's S3 backend uses "
            f"to mark containers: writing it creates or hides a container; not modelled "
            f"(golem-service-base/src/storage/blob/s3.rs)")
    return None

class ContainerView(Mapping[str, bytes]):
    """Test-side, read-only mapping view of one container: ``view["obj"]`` is the bytes."""

    def __init__(self, store: "BlobStore", project: str, name: str) -> None:
        self._store, self._project, self.name = store, project, name

    def _objects(self) -> dict[str, BlobObject]:
        """A detached copy of the objects (taken under the store's lock)."""
        with self._store.lock:
            c = self._store._ns(self._project).get(self.name)
            return dict(c.objects) if c is not None else {}

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
        objs = self._objects()
        if key not in objs:
            self[key]       # the KeyError naming what exists
        obj = objs[key]
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
        #: Held around every storage step (each recorded call's behaviour, the test-side
        #: API): one lock per store, see the module doc, "Threads". Not re-entrant: the
        #: behaviours call only the unlocked helpers (``_ns``, ``now_ms``, ...).
        self.lock = threading.Lock()

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

    def quoted_path(self, project: str, container: str, obj: str | None = None) -> str:
        """:meth:`host_path` as Golem's messages quote it (Rust ``{:?}``)."""
        return rust_debug(self.host_path(project, container, obj))

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

    def clear_failures(self) -> None:
        """Forget every failure declared with :meth:`fail` that has not been used up
        (a ``times=None`` failure stays until this is called)."""
        self._faults.clear()

    def take_failure(self, function: str, *containers: str) -> InjectedFailure | None:
        """The injected failure for this call, consuming one use, else ``None``."""
        return self._faults.take(function, *containers)

    # -- test-side API ----------------------------------------------------------------
    def __getitem__(self, name: str) -> ContainerView:
        return ContainerView(self, self.project, name)

    def __contains__(self, name: object) -> bool:
        with self.lock:
            c = self._ns().get(name)  # type: ignore[arg-type]
            return c is not None and c.marker

    def containers(self, project: str | None = None) -> list[str]:
        """Names of the existing containers (with a marker), sorted."""
        with self.lock:
            return sorted(n for n, c in self._ns(project).items() if c.marker)

    def put(self, container: str, obj: str, data: bytes, *, project: str | None = None) -> None:
        """Seed an object (creating the container) as a write from another worker would.
        Names follow the guest's rules (:func:`check_names`); on the FS flavour a nested
        name creates its parent directories, and ``ValueError`` explains a name that the
        FS could not store (a parent is a file, or the name is a directory)."""
        check_text(container, "golem.blobstore.put container name")
        check_text(obj, "golem.blobstore.put object name")
        check_text(project, "golem.blobstore.put project")
        try:
            problem = check_names(self.backend, container, obj)
        except BlobNameTrap as e:
            raise ValueError(f"golem.blobstore.put({container!r}, {obj!r}): {e}") from None
        if problem is not None:
            raise ValueError(f"golem.blobstore.put({container!r}, {obj!r}): {problem}")
        with self.lock:
            self._put(container, obj, bytes(data), project)

    def _put(self, container: str, obj: str, data: bytes, project: str | None) -> None:
        ns = self._ns(project)
        c = ns.get(container)
        if c is not None and self.backend == "fs":
            kind = c.resolve(obj)
            if kind in ("dir", "notdir"):
                raise ValueError(
                    f"golem.blobstore.put({container!r}, {obj!r}): "
                    + (f"{obj!r} is a directory (of nested objects) on the FS backend"
                       if kind == "dir" else
                       f"a parent of {obj!r} is an object (file) on the FS backend"))
        now = self.now_ms()
        if c is None:
            c = ns[container] = ContainerState(created_ms=now)
        c.marker = True
        if self.backend == "fs":
            c.dirs.update(c.parents(obj))
        c.objects[obj] = BlobObject(data, now)

    def snapshot(self, project: str | None = None) -> dict[str, dict[str, bytes]]:
        """``{container: {object: bytes}}`` of every existing container (and, on S3, of
        marker-less prefixes holding objects), for equality assertions."""
        with self.lock:
            return {n: {o: b.data for o, b in sorted(c.objects.items())}
                    for n, c in sorted(self._ns(project).items()) if c.marker or c.objects}

    def __repr__(self) -> str:
        return f"BlobStore(backend={self.backend!r}, {self.snapshot()!r})"
