"""Behaviour of ``wasi:blobstore/blobstore`` (``docs/golem-io-semantics.md`` §2.2).

* ``create-container(name)`` - ``Ok(container)``, **no error if it exists** (objects
  kept). ``created-at``: FS keeps the directory mtime; S3 re-puts the marker, so it moves.
* ``get-container(name)`` - ``Ok(container)`` or ``Err("Container not found")``.
* ``delete-container(name)`` - removes it and everything in it; ``Ok`` also when missing.
* ``container-exists(name)`` - ``Ok(bool)`` (S3: the marker exists).
* ``copy-object(src, dest)`` / ``move-object`` - overwrite dest. FS (``std::fs::copy``): a
  missing source, destination container or destination directory gives
  ``Err("No such file or directory (os error 2)")``, a path through a file ``Not a
  directory (os error 20)``, a directory as destination ``Is a directory (os error 21)``
  and as source Rust's "the source path is neither a regular file nor a symlink to a
  regular file"; copying
  an object onto itself **truncates it to 0 bytes** and moving it onto itself **deletes
  it** (Golem defects, reproduced). S3: no destination container needed; a missing
  source and self-copy are not determined (the AWS error text), golem-fakes traps.

Each call appends one oplog entry ``golem blobstore::blobstore::<fn>`` (§2.8).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_blobstore import (
    BLOBSTORE,
    READ_REMOTE,
    WRITE_REMOTE,
    ContainerRep,
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

ENOENT = "No such file or directory (os error 2)"
ENOTDIR = "Not a directory (os error 20)"
EISDIR = "Is a directory (os error 21)"
#: Rust std's ``fs::copy`` error for a source that is not a regular file (a directory).
NOT_A_FILE = "the source path is neither a regular file nor a symlink to a regular file"


def _names(bs: BlobStore, function: str, container: str, obj: str | None = None) -> str | None:
    """Golem's path rules (:func:`check_names`): ``None``, the FS root-check error, or a
    :class:`~golem_fakes.Trap` for a name whose effect is not determined / not modelled."""
    try:
        return check_names(bs.backend, container, obj)
    except BlobNameTrap as e:
        raise Trap(f"wasi:blobstore {function}: {e}", interface=BLOBSTORE,
                   function=function) from None


@implements(BLOBSTORE, "create-container")
def create_container(env: Any, name: str) -> Ok[ContainerRep]:
    """Creates the container if needed and returns a handle (§2.2)."""
    bs = store(env, BLOBSTORE, "create-container")

    def run() -> tuple[Any, Any]:
        problem = _names(bs, "create-container", name)
        if problem is not None:
            return Err(problem), Err(problem)
        ns = bs._ns()
        c = ns.get(name)
        if c is None:
            c = ns[name] = ContainerState(created_ms=bs.now_ms())
        elif bs.backend == "s3" or not c.marker:
            c.created_ms = bs.now_ms()      # S3 marker re-put: LastModified refreshed
        c.marker = True
        return Ok(ContainerRep(bs.project, name, c.created_ms)), Ok(c.created_ms)

    return durable(env, bs, BLOBSTORE, "create-container",
                   "golem blobstore::blobstore::create_container", WRITE_REMOTE, (name,),
                   name, run)


@implements(BLOBSTORE, "get-container")
def get_container(env: Any, name: str) -> Ok[ContainerRep] | Err[str]:
    """A handle caching ``created-at``, or ``Err("Container not found")`` (§2.2, §2.7)."""
    bs = store(env, BLOBSTORE, "get-container")

    def run() -> tuple[Any, Any]:
        problem = _names(bs, "get-container", name)
        if problem is not None:
            return Err(problem), Err(problem)
        c = bs._ns().get(name)
        if c is None or not c.marker:
            return Err("Container not found"), Ok(None)    # recorded as Ok(none), §2.7
        return Ok(ContainerRep(bs.project, name, c.created_ms)), Ok(c.created_ms)

    return durable(env, bs, BLOBSTORE, "get-container",
                   "golem blobstore::blobstore::get_container", READ_REMOTE, (name,), name, run)


@implements(BLOBSTORE, "delete-container")
def delete_container(env: Any, name: str) -> Ok[None]:
    """Removes the container and its objects; ``Ok`` even when it does not exist (§2.2)."""
    bs = store(env, BLOBSTORE, "delete-container")

    def run() -> tuple[Any, Any]:
        problem = _names(bs, "delete-container", name)
        if problem is not None:
            return Err(problem), Err(problem)
        bs._ns().pop(name, None)
        return Ok(None), Ok(None)

    return durable(env, bs, BLOBSTORE, "delete-container",
                   "golem blobstore::blobstore::delete_container", WRITE_REMOTE, (name,),
                   name, run)


@implements(BLOBSTORE, "container-exists")
def container_exists(env: Any, name: str) -> Ok[bool]:
    """Whether the container (directory / S3 marker) exists (§2.2)."""
    bs = store(env, BLOBSTORE, "container-exists")

    def run() -> tuple[Any, Any]:
        problem = _names(bs, "container-exists", name)
        if problem is not None:
            return Err(problem), Err(problem)
        c = bs._ns().get(name)
        exists = c is not None and c.marker
        return Ok(exists), Ok(exists)

    return durable(env, bs, BLOBSTORE, "container-exists",
                   "golem blobstore::blobstore::container_exists", READ_REMOTE, (name,),
                   name, run)


def _fields(oid: Any) -> tuple[str, str]:
    if isinstance(oid, dict):
        return oid["container"], oid["object"]
    return oid.container, oid.object


def _copy(bs: BlobStore, src: Any, dest: Any, *, move: bool, function: str) -> Ok[None] | Err[str]:
    (sc, so), (dc, do) = _fields(src), _fields(dest)
    problem = _names(bs, function, sc, so) or _names(bs, function, dc, do)
    if problem is not None:
        return Err(problem)
    ns = bs._ns()
    s_cont = ns.get(sc)
    obj = s_cont.objects.get(so) if s_cont is not None else None
    if bs.backend == "fs":
        # std::fs::copy: open the source (a regular file), then create the destination
        d_cont = ns.get(dc)
        s_kind = "missing" if s_cont is None else s_cont.resolve(so)
        if s_kind != "file":
            return Err({"missing": ENOENT, "notdir": ENOTDIR, "dir": NOT_A_FILE}[s_kind])
        d_kind = "missing" if d_cont is None or not d_cont.marker else d_cont.resolve(do)
        if d_kind == "missing" and d_cont is not None and d_cont.marker:
            parent = do.rsplit("/", 1)[0] if "/" in do else None
            if parent is None or parent in d_cont.dirs:
                d_kind = "new"
        if d_kind not in ("file", "new"):
            return Err({"missing": ENOENT, "notdir": ENOTDIR, "dir": EISDIR}[d_kind])
        assert s_cont is not None and obj is not None and d_cont is not None
        now = bs.now_ms()
        if (sc, so) == (dc, do):
            # std::fs::copy onto itself truncates the file first (§2.2): empty object;
            # move then deletes the "source", i.e. the object itself.
            if move:
                del s_cont.objects[so]
                if s_cont.is_top_level_entry(so):
                    s_cont.created_ms = now
            else:
                s_cont.objects[so] = BlobObject(b"", now)
            return Ok(None)
        if d_kind == "new" and d_cont.is_top_level_entry(do):
            d_cont.created_ms = now      # directory mtime moves on a new entry
        d_cont.objects[do] = BlobObject(obj.data, now)
        if move:
            del s_cont.objects[so]
            if s_cont.is_top_level_entry(so):
                s_cont.created_ms = now
        return Ok(None)
    # s3
    if obj is None:
        raise Trap(f"wasi:blobstore {function}: the source object {sc!r}/{so!r} does not "
                   f"exist; on the S3 backend Golem returns the AWS SDK's error text, which "
                   f"is not determined (docs/golem-io-semantics.md §2.2, §2.7). Use the "
                   f"default 'fs' backend to test this case, or golem.implement() it.",
                   interface=BLOBSTORE, function=function)
    if (sc, so) == (dc, do):
        raise Trap(f"wasi:blobstore {function} of {sc!r}/{so!r} onto itself on the S3 "
                   f"backend follows S3 CopyObject rules, which are not determined "
                   f"(docs/golem-io-semantics.md §2.6). Use the 'fs' backend or "
                   f"golem.implement() it.", interface=BLOBSTORE, function=function)
    d_cont = ns.get(dc)
    if d_cont is None:
        d_cont = ns[dc] = ContainerState(created_ms=bs.now_ms(), marker=False)
    d_cont.objects[do] = BlobObject(obj.data, bs.now_ms())
    if move:
        assert s_cont is not None
        del s_cont.objects[so]
    return Ok(None)


def _recorded_copy(env: Any, bs: BlobStore, src: Any, dest: Any, *, move: bool) -> Any:
    """``copy_object``/``move_object`` with request ``(src container, src object, dest
    container, dest object)`` (§2.8)."""
    function = "move-object" if move else "copy-object"
    (sc, so), (dc, do) = _fields(src), _fields(dest)

    def run() -> tuple[Any, Any]:
        result = _copy(bs, src, dest, move=move, function=function)
        return result, result

    return durable(env, bs, BLOBSTORE, function,
                   f"golem blobstore::blobstore::{function.replace('-', '_')}", WRITE_REMOTE,
                   (sc, dc), (sc, so, dc, do), run)


@implements(BLOBSTORE, "copy-object")
def copy_object(env: Any, src: Any, dest: Any) -> Ok[None] | Err[str]:
    """Copies ``src`` over ``dest`` (§2.2; FS self-copy truncates, reproduced)."""
    return _recorded_copy(env, store(env, BLOBSTORE, "copy-object"), src, dest, move=False)


@implements(BLOBSTORE, "move-object")
def move_object(env: Any, src: Any, dest: Any) -> Ok[None] | Err[str]:
    """Copy then delete the source (§2.2; FS self-move deletes the object, reproduced)."""
    return _recorded_copy(env, store(env, BLOBSTORE, "move-object"), src, dest, move=True)
