"""Behaviour of ``wasi:blobstore/container``: the ``container`` and
``stream-object-names`` resources (``docs/golem-io-semantics.md`` §2.3, §2.4).

The handle caches ``name`` and ``created-at`` and is never re-validated: methods act on
the path even after ``delete-container``/``clear``. Per method (FS default / S3):

* ``get-data(name, start, end)`` - FS: bytes ``[start, end)`` (end **exclusive**, despite
  the WIT); ``end > size`` or ``start > end`` panics in the ``bytes`` crate: executor
  abort → :class:`~golem_fakes.Trap`. S3: inclusive, ``end`` clamped; ``start >= size``
  and ``start > end`` are not determined → Trap. Missing → ``Err("Object does not exist")``.
* ``write-data`` - copies the outgoing-value; creates or replaces. FS re-creates a missing
  container; S3 writes no marker (``container-exists`` stays false).
* ``list-objects`` - FS: the directory's entries (objects and sub-directories of nested
  names); missing container → ``Err("No such file or directory (os error 2)")``. S3:
  direct children only (nested keys left out); missing container → empty. Names are
  handed out from the back of an ascending listing, so the guest sees descending order.
* ``delete-object`` - Golem calls its "delete directory" operation, so an object is
  **never deleted** (Golem defect, reproduced): FS existing → ``Err("Not a directory
  (os error 20)")``, missing → ``Ok``, a sub-directory (of nested names) is removed with
  everything below it; S3 always ``Ok``, deleting only the keys under ``<name>/``.
* ``delete-objects`` - FS deletes in order and stops at the first failure with
  ``Failed to delete file at "<path>": No such file or directory (os error 2)`` (``Is a
  directory (os error 21)`` for a sub-directory, ``Not a directory (os error 20)``
  through a file); S3 ignores missing names (an empty list is not determined → Trap).
* ``has-object`` → bool; ``object-info`` → metadata or ``Err("Object does not exist")``.
* ``clear`` - **deletes the container itself** (Golem defect, reproduced).
* ``read-stream-object-names(len)`` / ``skip-stream-object-names(n)`` - pop from the
  back; the flag is true only if the list ran out while filling the request.

Names are checked first (:func:`golem_fakes.state.blobstore.check_names`): an absolute
name is the FS root-check ``Err('Path "…" is not within: "<blob-root>"')``; ``..``/``.``/
empty components and ``/`` in container names trap (not determined / not modelled). An
object name with ``/`` is a nested file on FS (see :mod:`golem_fakes.state.blobstore`).

Every method except ``name``/``info`` and the stream methods appends one oplog entry
``golem blobstore::container::<fn>`` (``list-objects`` is ``list_object``, singular) with
the §2.8 request summary and its ``Ok``/``Err`` response.
"""

from __future__ import annotations

from typing import Any, Callable

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_blobstore import (
    CONTAINER,
    ContainerRep,
    IncomingValueRep,
    ObjectNamesRep,
    OutgoingValueRep,
    READ_REMOTE,
    WRITE_REMOTE,
    durable,
    store,
)
from golem_fakes.state.blobstore import (
    BlobNameTrap,
    BlobObject,
    BlobStore,
    ContainerState,
    check_names,
)

NO_OBJECT = "Object does not exist"
ENOENT = "No such file or directory (os error 2)"
ENOTDIR = "Not a directory (os error 20)"
EISDIR = "Is a directory (os error 21)"


def _names(bs: BlobStore, rep: ContainerRep, obj: str | None, fn: str) -> str | None:
    """Golem's path rules for this call (see :func:`check_names`): ``None`` to proceed,
    else the storage error string; a :class:`~golem_fakes.Trap` for a name whose effect
    is not determined or not modelled."""
    try:
        return check_names(bs.backend, rep.name, obj)
    except BlobNameTrap as e:
        raise Trap(f"wasi:blobstore {fn} on container {rep.name!r}: {e}",
                   interface=CONTAINER, function=fn) from None


def _bs(env: Any, function: str) -> BlobStore:
    return store(env, CONTAINER, function)


def _state(bs: BlobStore, rep: ContainerRep) -> ContainerState | None:
    return bs._ns(rep.project).get(rep.name)


_UNCHECKED: Any = object()


def _recorded(env: Any, bs: BlobStore, rep: ContainerRep, function: str, dtype: str,
              request: Any, compute: Callable[[], tuple[Any, Any]], *,
              oplog_name: str | None = None, checked: Any = _UNCHECKED) -> Any:
    """Record one container call as ``golem blobstore::container::<name>`` (§2.8).
    With ``checked`` (an object name, or ``None`` for the container alone), the names
    are checked first (:func:`_names`): a problem is the recorded ``Err`` result."""
    if checked is not _UNCHECKED:
        run = compute

        def compute() -> tuple[Any, Any]:
            problem = _names(bs, rep, checked, f"[method]container.{function}")
            return _same(Err(problem)) if problem is not None else run()

    name_ = oplog_name or function.replace("-", "_")
    return durable(env, bs, CONTAINER, function, f"golem blobstore::container::{name_}",
                   dtype, (rep.name,), request, compute)


def _same(result: Any) -> tuple[Any, Any]:
    """A result that is both handed to the guest and recorded."""
    return result, result


@implements(CONTAINER, "[method]container.name")
def name(env: Any, rep: ContainerRep) -> Ok[str]:
    """The cached name; not recorded, never fails (§2.3)."""
    return Ok(rep.name)


@implements(CONTAINER, "[method]container.info")
def info(env: Any, rep: ContainerRep) -> Ok[dict[str, Any]]:
    """``{name, created-at}`` cached when the handle was obtained (§2.3)."""
    return Ok({"name": rep.name, "created_at": rep.created_ms})


@implements(CONTAINER, "[method]container.get-data")
def get_data(env: Any, rep: ContainerRep, obj: str, start: int, end: int) -> Any:
    """A range of the object as an incoming-value (a view, no copy); see the module doc."""
    fn = "[method]container.get-data"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        value = _get_data(bs, rep, obj, start, end, fn)
        if isinstance(value, Err):
            return value, value
        # the data itself is in the oplog (§2.8): the stored (immutable) bytes when the
        # range is the whole object, else a copy of the range; the guest gets a view
        whole = len(value) == len(value.obj)     # type: ignore[arg-type]
        return Ok(IncomingValueRep(value)), Ok(value.obj if whole else bytes(value))

    return _recorded(env, bs, rep, "get-data", READ_REMOTE, (rep.name, obj, start, end), run)


def _get_data(bs: BlobStore, rep: ContainerRep, obj: str, start: int, end: int,
              fn: str) -> memoryview | Err[str]:
    """The requested range as a view of the stored bytes, ``Err``, or an abort (§2.3)."""
    problem = _names(bs, rep, obj, fn)
    if problem is not None:
        return Err(problem)
    c = _state(bs, rep)
    blob = c.objects.get(obj) if c is not None else None
    if blob is None:
        if bs.backend == "fs" and c is not None and obj in c.dirs:
            # metadata() succeeds for a directory, then reading it fails (fs.rs get_raw)
            return Err(f"Failed to read file from {bs.quoted_path(rep.project, rep.name, obj)}"
                       f": {EISDIR}")
        return Err(NO_OBJECT)
    size = blob.size
    if bs.backend == "fs":
        if start > end:
            raise Trap(f"executor abort in get-data({obj!r}, {start}, {end}) of container "
                       f"{rep.name!r}: range start must not be greater than end: {start} <= "
                       f"{end} (the FS backend slices [start, end), §2.3)",
                       interface=CONTAINER, function=fn)
        if end > size:
            raise Trap(f"executor abort in get-data({obj!r}, {start}, {end}) of container "
                       f"{rep.name!r}: range end out of bounds: {end} <= {size} (the FS "
                       f"backend slices [start, end) of the {size}-byte object; pass "
                       f"end <= {size}, §2.3)", interface=CONTAINER, function=fn)
        return memoryview(blob.data)[start:end]
    if start >= size or start > end:
        raise Trap(f"get-data({obj!r}, {start}, {end}) on the S3 backend for a {size}-byte "
                   f"object: Golem's result for start >= size or start > end is not "
                   f"determined (docs/golem-io-semantics.md §2.3); use 0 <= start <= end "
                   f"< size, or golem.implement() it.", interface=CONTAINER, function=fn)
    return memoryview(blob.data)[start:min(end, size - 1) + 1]


@implements(CONTAINER, "[method]container.write-data")
def write_data(env: Any, rep: ContainerRep, obj: str, data: OutgoingValueRep) -> Ok[None]:
    """Creates or replaces the object with the buffer's bytes at this moment (§2.3)."""
    fn = "[method]container.write-data"
    bs = _bs(env, fn)
    value = data.getvalue()         # copied at call time (§2.5)

    def run() -> tuple[Any, Any]:
        problem = _names(bs, rep, obj, fn)
        if problem is None and bs.backend == "fs":
            problem = _fs_write_problem(bs, rep, obj)
        if problem is not None:
            return _same(Err(problem))
        ns = bs._ns(rep.project)
        now = bs.now_ms()
        c = ns.get(rep.name)
        if c is None:
            c = ns[rep.name] = ContainerState(created_ms=now, marker=bs.backend == "fs")
        elif bs.backend == "fs" and not c.marker:
            c.marker = True
        if bs.backend == "fs":
            top = obj.split("/", 1)[0]
            if top not in c.objects and top not in c.dirs:
                c.created_ms = now      # directory mtime moves on a new entry
            c.dirs.update(c.parents(obj))           # create_dir_all(parent)
        c.objects[obj] = BlobObject(value, now)
        return _same(Ok(None))

    return _recorded(env, bs, rep, "write-data", WRITE_REMOTE, (rep.name, obj, len(value)), run)


def _fs_write_problem(bs: BlobStore, rep: ContainerRep, obj: str) -> str | None:
    """Why ``FileSystemBlobStorage::put_raw`` of ``<container>/<obj>`` fails, if it does:
    the name is a directory (``EISDIR``), its parent is a file (the write gets
    ``ENOTDIR``), or a further ancestor is a file (``create_dir_all(parent)`` gets it)."""
    c = _state(bs, rep)
    if c is None:
        return None
    kind = c.resolve(obj)
    if kind == "dir":
        return f"Failed to store file at {bs.quoted_path(rep.project, rep.name, obj)}: {EISDIR}"
    if kind == "notdir":
        parent = obj.rsplit("/", 1)[0]
        if parent in c.objects:     # metadata(parent) succeeds, the write itself fails
            return (f"Failed to store file at {bs.quoted_path(rep.project, rep.name, obj)}: "
                    f"{ENOTDIR}")
        return (f"Failed to create parent directory "
                f"{bs.quoted_path(rep.project, rep.name, parent)}: {ENOTDIR}")
    return None


@implements(CONTAINER, "[method]container.list-objects")
def list_objects(env: Any, rep: ContainerRep) -> Ok[ObjectNamesRep] | Err[str]:
    """The names of the container's objects as a stream (§2.3, §2.4)."""
    fn = "[method]container.list-objects"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        c = _state(bs, rep)
        if c is None or (bs.backend == "fs" and not c.marker):
            if bs.backend == "fs":
                return _same(Err(ENOENT))
            names: list[str] = []
        elif bs.backend == "fs":
            # the directory's entries: files and sub-directories, by name
            entries = {n for n in c.objects if "/" not in n}
            entries.update(d for d in c.dirs if "/" not in d)
            names = sorted(entries, key=lambda n: n.encode())
        else:
            # S3 lists direct children only: nested keys are left out (s3.rs list_dir)
            names = sorted((n for n in c.objects if "/" not in n), key=lambda n: n.encode())
        return Ok(ObjectNamesRep(list(names))), Ok(names)     # the whole list is recorded

    return _recorded(env, bs, rep, "list-objects", READ_REMOTE, rep.name, run,
                     oplog_name="list_object", checked=None)


@implements(CONTAINER, "[method]container.delete-object")
def delete_object(env: Any, rep: ContainerRep, obj: str) -> Ok[None] | Err[str]:
    """Golem's broken delete: the object is never removed (§2.3)."""
    fn = "[method]container.delete-object"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        c = _state(bs, rep)
        if c is None:
            return _same(Ok(None))
        if bs.backend == "s3":
            # delete_dir lists the keys under `<container>/<obj>/`: only nested objects go
            prefix = obj + "/"
            for n in [n for n in c.objects if n.startswith(prefix)]:
                del c.objects[n]
            return _same(Ok(None))
        kind = c.resolve(obj)       # FS: remove_dir_all(<container>/<obj>)
        if kind in ("file", "notdir"):
            return _same(Err(ENOTDIR))
        if kind == "dir":
            c.remove_tree(obj)
            if c.is_top_level_entry(obj):
                c.created_ms = bs.now_ms()
        return _same(Ok(None))

    return _recorded(env, bs, rep, "delete-object", WRITE_REMOTE, (rep.name, obj), run, checked=obj)


@implements(CONTAINER, "[method]container.delete-objects")
def delete_objects(env: Any, rep: ContainerRep, names: list[str]) -> Ok[None] | Err[str]:
    """Deletes each object in order (§2.3; FS stops at the first missing one)."""
    fn = "[method]container.delete-objects"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        return _same(_delete_objects(bs, rep, names, fn))

    return _recorded(env, bs, rep, "delete-objects", WRITE_REMOTE, (rep.name, list(names)), run)


def _delete_objects(bs: BlobStore, rep: ContainerRep, names: list[str],
                    fn: str) -> Ok[None] | Err[str]:
    for n in names:             # names Golem's result is undetermined for trap up front;
        if _names(bs, rep, n, fn) is not None:
            break               # an FS root-check error comes in order, below
    c = _state(bs, rep)
    if bs.backend == "s3":
        if not names:
            raise Trap("delete-objects with an empty list on the S3 backend: S3 may reject an "
                       "empty DeleteObjects request; Golem's result is not determined "
                       "(docs/golem-io-semantics.md §2.3). Skip the call for no names.",
                       interface=CONTAINER, function=fn)
        for n in names:
            if c is not None:
                c.objects.pop(n, None)
        return Ok(None)
    for n in names:             # remove_file each in order; stop at the first failure
        problem = _names(bs, rep, n, fn)
        if problem is not None:
            return Err(problem)
        kind = "missing" if c is None else c.resolve(n)
        if kind != "file":
            reason = {"missing": ENOENT, "notdir": ENOTDIR, "dir": EISDIR}[kind]
            return Err(f"Failed to delete file at {bs.quoted_path(rep.project, rep.name, n)}: "
                       f"{reason}")
        assert c is not None
        del c.objects[n]
        if c.is_top_level_entry(n):
            c.created_ms = bs.now_ms()
    return Ok(None)


@implements(CONTAINER, "[method]container.has-object")
def has_object(env: Any, rep: ContainerRep, obj: str) -> Ok[bool]:
    """Whether the object exists; false for a missing container (§2.3)."""
    fn = "[method]container.has-object"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        c = _state(bs, rep)
        return _same(Ok(c is not None and obj in c.objects))   # a directory is no object

    return _recorded(env, bs, rep, "has-object", READ_REMOTE, (rep.name, obj), run, checked=obj)


@implements(CONTAINER, "[method]container.object-info")
def object_info(env: Any, rep: ContainerRep, obj: str) -> Ok[dict[str, Any]] | Err[str]:
    """``{name, container, created-at: last-modified ms, size}`` (§2.3)."""
    fn = "[method]container.object-info"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        c = _state(bs, rep)
        blob = c.objects.get(obj) if c is not None else None
        if blob is None:
            if bs.backend == "fs" and c is not None and obj in c.dirs:
                raise Trap(f"object-info({obj!r}) on container {rep.name!r}: {obj!r} is a "
                           f"directory (of nested objects) on Golem's FS backend, whose "
                           f"metadata is reported as an object: its size is the host file "
                           f"system's directory size, not determined "
                           f"(golem-service-base/src/storage/blob/fs.rs get_metadata)",
                           interface=CONTAINER, function=fn)
            return _same(Err(NO_OBJECT))
        return _same(Ok({"name": obj, "container": rep.name, "created_at": blob.modified_ms,
                         "size": blob.size}))

    return _recorded(env, bs, rep, "object-info", READ_REMOTE, (rep.name, obj), run, checked=obj)


@implements(CONTAINER, "[method]container.clear")
def clear(env: Any, rep: ContainerRep) -> Ok[None]:
    """Golem's ``clear`` deletes the container itself, not only its objects (§2.3)."""
    fn = "[method]container.clear"
    bs = _bs(env, fn)

    def run() -> tuple[Any, Any]:
        problem = _names(bs, rep, None, fn)
        if problem is not None:     # recorded, then `?` (§2.3): a trap
            return Trap(problem, interface=CONTAINER, function=fn), Err(problem)
        bs._ns(rep.project).pop(rep.name, None)
        return _same(Ok(None))

    return _recorded(env, bs, rep, "clear", WRITE_REMOTE, rep.name, run)


@implements(CONTAINER, "[method]stream-object-names.read-stream-object-names")
def read_stream_object_names(env: Any, rep: ObjectNamesRep, n: int) -> Ok[tuple[list[str], bool]]:
    """Up to ``n`` names popped from the back; true only if it ran out while filling (§2.4)."""
    out: list[str] = []
    while len(out) < n:
        if not rep.names:
            return Ok((out, True))
        out.append(rep.names.pop())
    return Ok((out, False))


@implements(CONTAINER, "[method]stream-object-names.skip-stream-object-names")
def skip_stream_object_names(env: Any, rep: ObjectNamesRep, n: int) -> Ok[tuple[int, bool]]:
    """Like the read, returning the count skipped (§2.4)."""
    done = 0
    while done < n:
        if not rep.names:
            return Ok((done, True))
        rep.names.pop()
        done += 1
    return Ok((done, False))
