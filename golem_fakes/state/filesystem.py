"""The in-memory file system behind ``wasi:filesystem@0.2.3`` (one per worker).

What the real host does, and what this model reproduces:

* **Golem** (``golem-worker-executor/src/durable_host/filesystem/``,
  ``wasi_host/mod.rs``; ``docs/golem-io-semantics.md`` §5.5 and §6 rule 21): each worker
  instance gets a private directory, preopened twice as ``/`` and ``.`` (in that order),
  seeded with the component's *initial files*. ``read-only`` initial files are hard
  links with the OS write permission removed; Golem additionally remembers their paths
  and refuses ``write`` / ``write-via-stream`` / ``set-size`` / ``set-times`` on a
  descriptor opened at such a path with ``not-permitted`` (``fail_if_read_only``), and
  hides ``write`` in ``get-flags``. Opening one for writing fails in the OS with
  ``access`` (a non-root executor). ``read-directory`` is sorted by name,
  ``stat``'s ``status-change-timestamp`` is always ``none``, ``metadata-hash`` is
  MetroHash128 of (modification time, size).
* **wasmtime** (``crates/wasi/src/filesystem.rs``, ``filesystem/unix.rs``,
  ``p2/host/filesystem.rs``, ``p2/filesystem.rs``) on **cap-std** (``cap-primitives``,
  Linux): paths are resolved beneath the descriptor's directory; an absolute path, a
  ``..`` that climbs above it, or a symlink that leads outside are ``not-permitted``
  (cap-std's "a path led outside of the filesystem"); ``*-at`` operations work on
  the parent directory of the path and its last component (cap-std ``via_parent``:
  ``split_parent``), so the errors are those of the Linux ``*at`` system calls on that
  basename (``EEXIST``, ``ENOTEMPTY``, ``EISDIR``, ...), mapped to WASI error codes
  as wasmtime does.

Threads (issue 12 §3): a worker's file system is private to it and Golem runs one
invocation of a worker at a time, so only that worker changes it; golem-fakes does not
queue invocations of one worker from different threads, so run each thread as its own
worker. The test may read a worker's file system from another thread while the worker
changes it: :meth:`FileSystem.snapshot` (and the listings built on it) copy each
directory in one step, so they see every file either before or after a concurrent
create or unlink, never a raw ``KeyError``.

Nothing touches the real disk except :meth:`FileSystem.copy_from`, which reads a host
folder once. Files are ``bytearray``s; reads and writes are slice operations.

The test-side API (plain Python, no bindings)::

    fs = golem.filesystem(worker)
    fs["/static/a.txt"]            # bytes (KeyError if missing)
    fs["/out/b.txt"] = b"..."      # creates parents; a read-write file
    "/out/b.txt" in fs; del fs["/out/b.txt"]
    fs.listdir("/static")          # sorted names
    fs.snapshot()                  # {"/static/": b"", "/static/a.txt": b"...", ...}
    fs.copy_from("tests/data", "/data", read_only=False)
    fs.add_preopen("/data", guest_name="data")
"""

from __future__ import annotations

import itertools
import os
import posixpath
from dataclasses import dataclass
from typing import Any, Iterator, Literal, Mapping

from golem_fakes.state.text import check_text

__all__ = ["FileSystem", "InitialFile", "Symlink", "FsError", "Node", "check_path", "check_name",
           "normalize_initial_files", "metadata_hash", "MAX_FILE_SIZE"]

FILE, DIR, LINK = "regular-file", "directory", "symbolic-link"

#: Linux ``MAXSYMLINKS``: following more symlinks in one lookup gives ``ELOOP``.
MAX_SYMLINKS = 40
#: wasmtime ≥ 43 reads at most this many bytes per call (``MAX_READ_SIZE_ALLOC``); the
#: wasmtime 33.0.0 Golem links has no such cap, so the fake does not apply it.
MAX_READ_SIZE = 64 * 1024
#: ``i64::MAX``: the largest offset / size the OS accepts (``off_t``).
OFF_MAX = (1 << 63) - 1
#: The fake's memory limit for one file (a real file could be sparse; this one cannot):
#: growing a file beyond it fails with ``insufficient-space`` as a full disk would.
MAX_FILE_SIZE = 1 << 30
#: ``st_size`` Linux reports for a directory on ext4 (tmpfs differs; never rely on it).
DIR_SIZE = 4096

_inos = itertools.count(2)


class FsError(Exception):
    """A WASI ``error-code`` (its WIT name in ``code``), raised inside the model and
    returned to the guest as ``Err(code)`` by the behaviours."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code


@dataclass(frozen=True)
class InitialFile:
    """One initial file of a component (Golem's component metadata ``files`` entry).

    ``permission`` is ``"read-only"`` (golem-cli's default: the worker cannot write it,
    see :mod:`golem_fakes.state.filesystem`) or ``"read-write"`` (a private copy)."""

    content: bytes
    permission: Literal["read-only", "read-write"] = "read-only"

    def __post_init__(self) -> None:
        if self.permission not in ("read-only", "read-write"):
            raise ValueError(f"InitialFile permission must be 'read-only' or 'read-write', "
                             f"got {self.permission!r}")
        if not isinstance(self.content, (bytes, bytearray, memoryview)):
            raise TypeError(f"InitialFile content must be bytes, got {type(self.content).__name__}")
        object.__setattr__(self, "content", bytes(self.content))

    @property
    def read_only(self) -> bool:
        return self.permission == "read-only"


@dataclass(frozen=True)
class Symlink:
    """A symbolic link in :meth:`FileSystem.snapshot` (its target, as written)."""

    target: str


def _check_guest_path(path: Any) -> str:
    if not isinstance(path, str):
        raise ValueError(f"initial file path {path!r} must be a str (an absolute guest "
                         f"path such as '/static/a.txt')")
    if not path.startswith("/") or path == "/":
        raise ValueError(f"initial file path {path!r} must be an absolute guest path naming "
                         f"a file, such as '/static/a.txt'")
    if "\0" in path:
        raise ValueError(f"initial file path {path!r} contains a NUL character")
    check_text(path, "initial file path")
    parts = path[1:].split("/")
    for p in parts:
        if p in ("", ".", ".."):
            raise ValueError(f"initial file path {path!r} is not normalised (empty, '.' or "
                             f"'..' component); write it as {posixpath.normpath(path)!r}")
    return path


def normalize_initial_files(files: Mapping[str, Any]) -> dict[str, InitialFile]:
    """Validate a component's initial files: guest path → ``bytes``/``str`` (read-only,
    the golem-cli default; ``str`` is UTF-8 encoded) or :class:`InitialFile`. Paths must
    be absolute and normalised; a path below another file is rejected. ``ValueError``
    names the offending path."""
    out: dict[str, InitialFile] = {}
    for path, value in files.items():
        _check_guest_path(path)
        if isinstance(value, InitialFile):
            f = value
        elif isinstance(value, str):
            f = InitialFile(check_text(value, f"initial file {path!r} content").encode("utf-8"))
        elif isinstance(value, (bytes, bytearray, memoryview)):
            f = InitialFile(bytes(value))
        else:
            raise ValueError(f"initial file {path!r}: expected bytes, str or InitialFile, "
                             f"got {type(value).__name__}")
        out[path] = f
    for path in out:
        parent = posixpath.dirname(path)
        while parent != "/":
            if parent in out:
                raise ValueError(f"initial file {path!r} lies below {parent!r}, which is a file")
            parent = posixpath.dirname(parent)
    return out


class Node:
    """An inode: a regular file (``data``), a directory (``entries``, ``parent``) or a
    symbolic link (``target``). Descriptors and streams hold nodes, so a removed file
    stays readable through them (POSIX semantics)."""

    __slots__ = ("kind", "data", "entries", "target", "nlink", "atime", "mtime", "ctime",
                 "ino", "read_only", "parent", "removed")

    def __init__(self, kind: str, now: int) -> None:
        self.kind = kind
        #: a file's contents: ``bytes`` until the file is first changed in place (what
        #: the test seeded, the component's initial files: a read slices it with one
        #: copy), then the ``bytearray`` that every write changes (:func:`writable_data`)
        self.data: bytes | bytearray | None = b"" if kind == FILE else None
        self.entries: dict[str, Node] | None = {} if kind == DIR else None
        self.target = ""
        self.nlink = 2 if kind == DIR else 1
        self.atime = self.mtime = self.ctime = now
        self.ino = next(_inos)
        self.read_only = False  # OS write permission removed (Golem's read-only files)
        self.parent: Node | None = None
        self.removed = False

    @property
    def size(self) -> int:
        if self.kind == FILE:
            return len(self.data)  # type: ignore[arg-type]
        if self.kind == LINK:
            return len(self.target.encode("utf-8"))
        return DIR_SIZE

    def is_ancestor_of(self, other: "Node") -> bool:
        """Whether ``other`` is this directory or lies below it."""
        n: Node | None = other
        while n is not None:
            if n is self:
                return True
            n = n.parent
        return False

    def __repr__(self) -> str:
        return f"Node({self.kind}, ino={self.ino}, nlink={self.nlink})"


# --------------------------------------------------------------------------- hashing

_M64 = (1 << 64) - 1
_K0, _K1, _K2, _K3 = 0xC83A91E1, 0x8648DBDB, 0x7BDEC03B, 0x2F5870A5


def _rotr(v: int, k: int) -> int:
    return ((v >> k) | (v << (64 - k))) & _M64


def _metrohash128(data: bytes) -> tuple[int, int]:
    """MetroHash128 (seed 0) of a short input (< 32 bytes), as the ``metrohash`` crate
    computes it: Golem hashes 20 bytes (u64 seconds, u32 nanoseconds, u64 size, little
    endian)."""
    assert len(data) < 32
    v0 = ((0 - _K0) * _K3) & _M64
    v1 = (_K1 * _K2) & _M64
    p, end = 0, len(data)
    if end - p >= 16:
        v0 = (v0 + int.from_bytes(data[p:p + 8], "little") * _K2) & _M64
        v0 = (_rotr(v0, 33) * _K3) & _M64
        v1 = (v1 + int.from_bytes(data[p + 8:p + 16], "little") * _K2) & _M64
        v1 = (_rotr(v1, 33) * _K3) & _M64
        v0 ^= (_rotr((v0 * _K2 + v1) & _M64, 45) * _K1) & _M64
        v1 ^= (_rotr((v1 * _K3 + v0) & _M64, 45) * _K0) & _M64
        p += 16
    if end - p >= 8:
        v0 = (v0 + int.from_bytes(data[p:p + 8], "little") * _K2) & _M64
        v0 = (_rotr(v0, 33) * _K3) & _M64
        v0 ^= (_rotr((v0 * _K2 + v1) & _M64, 27) * _K1) & _M64
        p += 8
    if end - p >= 4:
        v1 = (v1 + int.from_bytes(data[p:p + 4], "little") * _K2) & _M64
        v1 = (_rotr(v1, 33) * _K3) & _M64
        v1 ^= (_rotr((v1 * _K3 + v0) & _M64, 46) * _K0) & _M64
        p += 4
    if end - p >= 2:
        v0 = (v0 + int.from_bytes(data[p:p + 2], "little") * _K2) & _M64
        v0 = (_rotr(v0, 33) * _K3) & _M64
        v0 ^= (_rotr((v0 * _K2 + v1) & _M64, 22) * _K1) & _M64
        p += 2
    if end - p >= 1:
        v1 = (v1 + data[p] * _K2) & _M64
        v1 = (_rotr(v1, 33) * _K3) & _M64
        v1 ^= (_rotr((v1 * _K3 + v0) & _M64, 58) * _K0) & _M64
    v0 = (v0 + _rotr((v0 * _K0 + v1) & _M64, 13)) & _M64
    v1 = (v1 + _rotr((v1 * _K1 + v0) & _M64, 37)) & _M64
    v0 = (v0 + _rotr((v0 * _K2 + v1) & _M64, 13)) & _M64
    v1 = (v1 + _rotr((v1 * _K3 + v0) & _M64, 37)) & _M64
    return v0, v1


def metadata_hash(mtime_seconds: int | None, mtime_nanoseconds: int, size: int) -> tuple[int, int]:
    """Golem's ``calculate_metadata_hash``: MetroHash128 of the modification time
    (``(0, 0)`` when absent) and the size → ``(lower, upper)``."""
    s = mtime_seconds or 0
    n = mtime_nanoseconds if mtime_seconds is not None else 0
    raw = s.to_bytes(8, "little") + n.to_bytes(4, "little") + size.to_bytes(8, "little")
    return _metrohash128(raw)


# --------------------------------------------------------------------------- paths

_ZERO_CHUNK = bytes(64 * 1024)


#: Linux ``relatime``: an access time this many seconds old is updated by any access
#: (``fs/inode.c`` ``relatime_need_update``: ``24*60*60``)
RELATIME_DAY_S = 24 * 60 * 60
_NS_PER_S = 1_000_000_000


def relatime_update(node: "Node", now: int) -> None:
    """An access of ``node`` at ``now`` (ns) under Linux ``relatime``, the default mount
    option (``fs/inode.c`` ``atime_needs_update`` / ``relatime_need_update``): its
    ``atime`` becomes ``now`` when it was modified (``mtime``) or changed (``ctime``:
    a write, ``set-times``, a link count change) at or after its last access, or that
    access is a whole day or more ago (in whole seconds); else it stays. wasmtime (33 and
    50 alike) passes reads, ``read-directory`` and ``readlink-at`` through to the host
    kernel, so this is what a Golem worker sees on an executor's ext4 disk (checked on
    this machine's ext4 by ``tests/wasmtime/probes/fs_atime.py``)."""
    a = node.atime
    if node.mtime >= a or node.ctime >= a or now // _NS_PER_S - a // _NS_PER_S >= RELATIME_DAY_S:
        node.atime = now


def writable_data(node: "Node") -> bytearray:
    """A file node's contents as the ``bytearray`` that writes change in place: a file
    holds ``bytes`` until its first change (see :attr:`Node.data`), converted here once.
    Every in-place change of a file's contents goes through this function (a ``bytes``
    left in place would make such a change fail loudly, never go stale)."""
    data = node.data
    if type(data) is not bytearray:
        assert data is not None
        node.data = data = bytearray(data)
    return data


def _zero_extend(buf: bytearray, n: int) -> None:
    """Append ``n`` zero bytes (a gap written past the end, ``ftruncate`` growing the
    file) in 64 KiB pieces: ``buf.extend(bytes(n))`` would hold the gap twice in memory
    at its peak (the temporary and the grown buffer)."""
    chunk = memoryview(_ZERO_CHUNK)
    while n >= len(chunk):
        buf += chunk
        n -= len(chunk)
    if n:
        buf += chunk[:n]


def rust_join(base: str, path: str) -> str:
    """``PathBuf::join`` followed by Rust's component normalisation (interior ``.`` and
    repeated ``/`` vanish, ``..`` stays): the form Golem compares remembered paths in."""
    full = path if path.startswith("/") else (base.rstrip("/") + "/" + path)
    comps = [c for c in full.split("/") if c not in ("", ".")]
    return "/" + "/".join(comps)


#: Linux ``NAME_MAX`` / ``PATH_MAX``.
NAME_MAX, PATH_MAX = 255, 4096


def check_path(path: str) -> None:
    """What fails before any lookup: a NUL byte (Rust's ``CString`` conversion:
    ``invalid``) or a path of ``PATH_MAX`` bytes or more (``name-too-long``)."""
    if "\0" in path:
        raise FsError("invalid", "path contains a NUL byte")
    if len(path.encode("utf-8")) >= PATH_MAX:
        raise FsError("name-too-long")


def check_name(name: str) -> None:
    """A component longer than ``NAME_MAX`` bytes: ``ENAMETOOLONG`` when the lookup
    reaches it."""
    if len(name) > NAME_MAX // 4 and len(name.encode("utf-8")) > NAME_MAX:
        raise FsError("name-too-long")


def _split_parent(path: str) -> tuple[str, str]:
    """cap-std ``split_parent``: ``(dirname, basename)`` where basename ``"."`` means
    the directory itself (paths ending in ``/``, ``/.``, ``..``)."""
    if path == "":
        raise FsError("no-entry", "empty path")
    check_path(path)
    if not (path.endswith("/") or path.endswith("/.")):
        # Rust Path components: repeated '/' and interior '.' vanish.
        lead_dot = path.startswith("./") or path == "."
        root = path.startswith("/")
        comps = [c for c in path.split("/") if c not in ("", ".")]
        if comps and comps[-1] != "..":
            rest = "/".join(comps[:-1])
            if root:
                rest = "/" + rest
            elif lead_dot and not rest:
                rest = "."
            return rest, comps[-1]
        if not comps and lead_dot and not root:
            return "", "."
    return path, "."


def _strip_dir_suffix(path: str) -> str:
    while len(path) > 1 and path.endswith("/"):
        path = path[:-1]
    return path


class FileSystem:
    """One worker's file system: a tree of :class:`Node` plus the preopens and Golem's
    set of read-only paths. Built by :meth:`for_worker` from the component's initial
    files; see the module docstring for the test-side API."""

    def __init__(self, golem: Any = None) -> None:
        self._golem = golem
        self.root = Node(DIR, self.now_ns())
        #: ``(directory node, guest name, host path)`` in ``get-directories`` order.
        self.preopens: list[tuple[Node, str, str]] = [(self.root, "/", "/"), (self.root, ".", "/")]
        #: Golem's ``read_only_paths``: paths of read-only initial files (never updated).
        self.read_only_paths: set[str] = set()

    @classmethod
    def for_worker(cls, golem: Any, worker: Any) -> "FileSystem":
        """A fresh file system seeded with ``worker.component.files``."""
        fs = cls(golem)
        component = getattr(worker, "component", None)
        for path, f in (getattr(component, "files", None) or {}).items():
            if not isinstance(f, InitialFile):
                f = normalize_initial_files({path: f})[path]
            fs._put(path, f.content, read_only=f.read_only)
        return fs

    def copy(self) -> "FileSystem":
        """An independent copy (same tree, hard links kept as shared nodes, preopens,
        read-only paths; same clock): the file system a fork starts with."""
        import copy as _copy

        g = self._golem
        return _copy.deepcopy(self, {id(g): g}) if g is not None else _copy.deepcopy(self)

    # ------------------------------------------------------------------ clock

    def now_ns(self) -> int:
        """Wall-clock time for timestamps: the installation's virtual clock
        (``golem.clock.wall_ns()``), 0 without one."""
        g = self._golem
        if g is None:
            return 0
        try:
            # the Golem's clock once made (what its ``clock`` property returns, without
            # the property's frame); the property makes it on first use
            clock = g.__dict__.get("_clock") or g.clock
            return int(clock.wall_ns())
        except (ImportError, AttributeError):
            return 0

    # ------------------------------------------------------------------ resolution

    def resolve(self, start: Node, path: str, *, follow: bool,
                create: bool = False) -> tuple[Node, str, Node | None]:
        """Resolve ``path`` beneath ``start`` like cap-std/openat2 with
        ``RESOLVE_BENEATH``: ``(parent dir, last name, node or None)``; ``None`` only
        with ``create`` when the last component is missing. Raises :class:`FsError`."""
        if path == "":
            raise FsError("no-entry", "empty path")
        check_path(path)
        if path.startswith("/"):
            raise FsError("not-permitted", "a path led outside of the filesystem")
        must_dir = path.endswith("/") or path.endswith("/.") or path == "."
        stack = [c for c in reversed(path.split("/")) if c not in ("", ".")]
        trail = [start]
        cur = start
        parent, name = start, "."
        links = 0
        while stack:
            c = stack.pop()
            last = not stack
            if cur.kind != DIR:
                raise FsError("not-directory")
            if c == "..":
                if len(trail) == 1:
                    raise FsError("not-permitted", "a path led outside of the filesystem")
                trail.pop()
                cur = trail[-1]
                parent, name = cur, "."
                continue
            check_name(c)
            if cur.removed:
                raise FsError("no-entry")
            child = cur.entries.get(c)  # type: ignore[union-attr]
            if child is None:
                if last and create:
                    if must_dir:
                        raise FsError("is-directory")
                    return cur, c, None
                raise FsError("no-entry")
            if child.kind == LINK and (not last or follow or must_dir):
                links += 1
                if links > MAX_SYMLINKS:
                    raise FsError("loop")
                t = child.target
                if t.startswith("/"):
                    raise FsError("not-permitted", "a path led outside of the filesystem")
                if t.endswith("/") and last:
                    must_dir = True
                stack.extend(x for x in reversed(t.split("/")) if x not in ("", "."))
                continue
            parent, name = cur, c
            trail.append(child)
            cur = child
        if must_dir and cur.kind != DIR:
            raise FsError("not-directory")
        return parent, name, cur

    def lookup(self, start: Node, path: str, *, follow: bool) -> Node:
        """The node at ``path`` (see :meth:`resolve`)."""
        node = self.resolve(start, path, follow=follow)[2]
        assert node is not None
        return node

    def open_parent(self, start: Node, path: str) -> tuple[Node, str]:
        """cap-std ``open_parent``: the directory holding the last component and that
        component (``"."`` = the directory itself)."""
        dirname, base = _split_parent(path)
        if dirname == "" or dirname == ".":
            d = start
        else:
            d = self.lookup(start, dirname, follow=True)
            if d.kind != DIR:
                raise FsError("not-directory")
        check_name(base)
        return d, base

    # ------------------------------------------------------------------ mutation helpers

    def touch_dir(self, d: Node) -> None:
        d.mtime = d.ctime = self.now_ns()

    def link_into(self, d: Node, name: str, node: Node) -> None:
        d.entries[name] = node  # type: ignore[index]
        if node.kind == DIR:
            node.parent = d
            d.nlink += 1
        self.touch_dir(d)

    def unlink_from(self, d: Node, name: str) -> Node:
        node = d.entries.pop(name)  # type: ignore[union-attr]
        if node.kind == DIR:
            d.nlink -= 1
            node.removed = True
            node.nlink = 0
        else:
            node.nlink -= 1
            node.ctime = self.now_ns()
        self.touch_dir(d)
        return node

    def accessed(self, node: Node) -> None:
        """``file_accessed`` / ``touch_atime``: a read, directory listing or ``readlink``
        of ``node`` now (:func:`relatime_update`)."""
        relatime_update(node, self.now_ns())

    def new_node(self, kind: str) -> Node:
        return Node(kind, self.now_ns())

    def write_at(self, node: Node, data: Any, offset: int) -> int:
        """``pwrite``: write ``data`` at ``offset`` (zero-filling a gap)."""
        n = len(data)
        if offset > OFF_MAX or offset + n > OFF_MAX:  # rw_verify_area: pos + count overflows
            raise FsError("invalid")
        buf = node.data
        assert buf is not None
        if offset + n > MAX_FILE_SIZE and offset + n > len(buf):
            raise FsError("insufficient-space", f"golem-fakes keeps files in memory, at most "
                                                f"{MAX_FILE_SIZE} bytes (MAX_FILE_SIZE)")
        if n == 0:
            return 0
        buf = writable_data(node)
        size = len(buf)
        if offset > size:
            _zero_extend(buf, offset - size)
        buf[offset:offset + n] = data
        node.mtime = node.ctime = self.now_ns()
        return n

    def read_at(self, node: Node, n: int, offset: int) -> bytes:
        """``pread``: up to ``n`` bytes from ``offset`` (empty at/after the end);
        ``invalid`` when ``offset + n`` overflows ``i64`` (Linux ``rw_verify_area``)."""
        if offset > OFF_MAX or (n > 0 and offset + n > OFF_MAX):
            raise FsError("invalid")
        buf = node.data
        assert buf is not None
        if n <= 0:  # Linux filemap_read returns before file_accessed: no atime update
            return b""
        self.accessed(node)  # a read of n > 0 bytes, at or past the end too
        if offset >= len(buf):
            return b""
        out = buf[offset:offset + n]
        return out if type(out) is bytes else bytes(out)

    def set_size(self, node: Node, size: int) -> None:
        """``ftruncate``."""
        if size > OFF_MAX:
            raise FsError("invalid")
        buf = node.data
        assert buf is not None
        cur = len(buf)
        if size > cur:
            if size > MAX_FILE_SIZE:
                raise FsError("insufficient-space", f"golem-fakes keeps files in memory, at "
                                                    f"most {MAX_FILE_SIZE} bytes (MAX_FILE_SIZE)")
            _zero_extend(writable_data(node), size - cur)
        elif size < cur:
            del writable_data(node)[size:]
        node.mtime = node.ctime = self.now_ns()

    # ------------------------------------------------------------------ test-side API

    def _abs(self, path: str) -> str:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ValueError(f"file system paths in tests are absolute guest paths such as "
                             f"'/static/a.txt', got {path!r}")
        return check_text(path, "file system path")

    def _node(self, path: str, *, follow: bool = True) -> Node:
        path = self._abs(path)
        rel = path.lstrip("/")
        if rel == "":
            return self.root
        try:
            return self.lookup(self.root, rel, follow=follow)
        except FsError:
            raise KeyError(path) from None

    def _mkdirs(self, path: str) -> Node:
        d = self.root
        for part in [p for p in path.split("/") if p]:
            child = d.entries.get(part)  # type: ignore[union-attr]
            if child is None:
                child = self.new_node(DIR)
                self.link_into(d, part, child)
            elif child.kind != DIR:
                raise NotADirectoryError(f"{path!r}: {part!r} is not a directory")
            d = child
        return d

    def _put(self, path: str, content: bytes, *, read_only: bool = False) -> Node:
        path = self._abs(path)
        parent, name = posixpath.split(posixpath.normpath(path))
        if not name:
            raise ValueError(f"cannot write a file at {path!r}")
        d = self._mkdirs(parent)
        node = d.entries.get(name)  # type: ignore[union-attr]
        if node is None or node.kind != FILE:
            if node is not None and node.kind == DIR:
                raise IsADirectoryError(path)
            if node is not None:
                self.unlink_from(d, name)
            node = self.new_node(FILE)
            self.link_into(d, name, node)
        node.data = bytes(content)  # kept as bytes until first changed (Node.data)
        node.mtime = node.ctime = self.now_ns()
        node.read_only = read_only
        if read_only:
            # Golem hard-links read-only initial files from its shared file cache, so
            # their link count is at least 2 (more if other workers on the executor
            # link the same cached file: not modelled).
            node.nlink = max(node.nlink, 2)
            self.read_only_paths.add(rust_join("/", path))
        return node

    def __getitem__(self, path: str) -> bytes:
        node = self._node(path)
        if node.kind == DIR:
            raise IsADirectoryError(path)
        return bytes(node.data)  # type: ignore[arg-type]

    def __setitem__(self, path: str, content: bytes | str) -> None:
        if isinstance(content, str):
            content = check_text(content, f"content of file {path!r}").encode("utf-8")
        self._put(path, bytes(content))

    def __delitem__(self, path: str) -> None:
        path = self._abs(path)
        parent, name = posixpath.split(posixpath.normpath(path))
        d = self._node(parent)
        if d.kind != DIR or name not in d.entries:  # type: ignore[operator]
            raise KeyError(path)
        node = d.entries[name]  # type: ignore[index]
        if node.kind == DIR and node.entries:
            raise OSError(f"directory {path!r} is not empty")
        self.unlink_from(d, name)

    def __contains__(self, path: object) -> bool:
        if not isinstance(path, str):
            return False
        try:
            self._node(path, follow=False)
        except (KeyError, ValueError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        """Paths of every regular file, sorted."""
        return iter(sorted(p for p, v in self.snapshot().items() if isinstance(v, bytes)
                           and not p.endswith("/")))

    def listdir(self, path: str = "/") -> list[str]:
        """Names in a directory, sorted (as Golem's ``read-directory``)."""
        node = self._node(path)
        if node.kind != DIR:
            raise NotADirectoryError(path)
        return sorted(node.entries)  # type: ignore[arg-type]

    def mkdir(self, path: str) -> None:
        """Create a directory (and its parents)."""
        self._mkdirs(self._abs(path))

    def symlink(self, target: str, path: str) -> None:
        """Create a symbolic link at ``path`` pointing to ``target`` (as written)."""
        path = self._abs(path)
        check_text(target, f"symbolic link {path!r} target")
        parent, name = posixpath.split(posixpath.normpath(path))
        d = self._mkdirs(parent)
        if name in d.entries:  # type: ignore[operator]
            raise FileExistsError(path)
        node = self.new_node(LINK)
        node.target = target
        self.link_into(d, name, node)

    def readlink(self, path: str) -> str:
        node = self._node(path, follow=False)
        if node.kind != LINK:
            raise OSError(f"{path!r} is not a symbolic link")
        return node.target

    def is_dir(self, path: str) -> bool:
        return self._node(path).kind == DIR

    def is_read_only(self, path: str) -> bool:
        """Whether ``path`` is a read-only initial file (Golem refuses writes to it)."""
        node = self._node(path)
        return node.read_only or rust_join("/", path) in self.read_only_paths

    def mtime_ns(self, path: str, *, follow: bool = True) -> int:
        """The modification time (ns since the epoch, from the virtual clock), of a
        symbolic link itself with ``follow=False``."""
        return self._node(path, follow=follow).mtime

    def atime_ns(self, path: str, *, follow: bool = True) -> int:
        """The access time (ns since the epoch), of a symbolic link itself with
        ``follow=False``: updated by accesses as Linux ``relatime`` does
        (:func:`relatime_update`). Reading it here is not an access, unlike a guest's
        ``stat``, which on Golem writes the times back and so changes the ctime."""
        return self._node(path, follow=follow).atime

    def ctime_ns(self, path: str, *, follow: bool = True) -> int:
        """The status-change time (ns since the epoch), which a guest never sees (Golem
        reports ``status-change-timestamp`` as none) but Linux ``relatime`` consults."""
        return self._node(path, follow=follow).ctime

    def snapshot(self) -> dict[str, bytes | Symlink]:
        """Everything, sorted by path: files → ``bytes``, directories → ``"path/": b""``,
        symbolic links → :class:`Symlink`. The root itself is not listed."""
        out: dict[str, bytes | Symlink] = {}

        def walk(d: Node, prefix: str) -> None:
            entries = dict(d.entries)  # type: ignore[arg-type]  # one atomic copy: the
            for name in sorted(entries):   # worker may change it from another thread
                n = entries[name]
                p = prefix + name
                if n.kind == DIR:
                    out[p + "/"] = b""
                    walk(n, p + "/")
                elif n.kind == LINK:
                    out[p] = Symlink(n.target)
                else:
                    out[p] = bytes(n.data)  # type: ignore[arg-type]

        walk(self.root, "/")
        return out

    def copy_from(self, source: str | os.PathLike[str], dest: str = "/", *,
                  read_only: bool = False) -> list[str]:
        """Copy a real folder (recursively; symlinks are copied as links) into the file
        system at ``dest``; ``read_only`` marks the files as read-only initial files.
        Returns the guest paths of the copied files. The only place the real disk is
        read."""
        src = os.fspath(source)
        if not os.path.isdir(src):
            raise NotADirectoryError(f"copy_from: {src!r} is not a directory")
        dest = self._abs(dest)
        # Every name first: a host file name that is not UTF-8 (os.walk decodes it with
        # surrogateescape) fails before anything is copied.
        for dirpath, dirnames, filenames in os.walk(src):
            for name in dirnames + filenames:
                full = os.path.join(dirpath, name)
                check_text(full, "copy_from host file name")
                if os.path.islink(full):
                    check_text(os.readlink(full), f"copy_from symbolic link {full!r} target")
        self._mkdirs(dest)
        copied: list[str] = []
        for dirpath, dirnames, filenames in os.walk(src):
            dirnames.sort()
            rel = os.path.relpath(dirpath, src)
            gdir = dest if rel == "." else posixpath.join(dest, *rel.split(os.sep))
            self._mkdirs(gdir)
            for name in sorted(dirnames):
                full = os.path.join(dirpath, name)
                if os.path.islink(full):
                    self.symlink(os.readlink(full), posixpath.join(gdir, name))
            for name in sorted(filenames):
                full = os.path.join(dirpath, name)
                gp = posixpath.join(gdir, name)
                if os.path.islink(full):
                    self.symlink(os.readlink(full), gp)
                    continue
                with open(full, "rb") as fh:
                    self._put(gp, fh.read(), read_only=read_only)
                copied.append(gp)
        return copied

    def add_preopen(self, path: str, guest_name: str | None = None) -> None:
        """Preopen the directory at ``path`` (created if missing) under ``guest_name``
        (default: ``path``), appended after Golem's ``/`` and ``.``, as a plain WASI
        host (``wasmtime --dir host::guest``) would. Golem itself offers only ``/`` and
        ``.``; use this for code written for other hosts."""
        path = self._abs(path)
        check_text(guest_name, "add_preopen guest_name")
        d = self._mkdirs(path)
        name = path if guest_name is None else guest_name
        if any(n == name for _, n, _ in self.preopens):
            raise ValueError(f"a preopen named {name!r} exists already")
        self.preopens.append((d, name, rust_join("/", path)))

    def __repr__(self) -> str:
        return f"FileSystem({len(list(self))} files, preopens={[n for _, n, _ in self.preopens]})"
