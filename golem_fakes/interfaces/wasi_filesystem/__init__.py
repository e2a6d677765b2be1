"""Behaviour of ``wasi:filesystem@0.2.3``: ``types`` (descriptor, directory-entry-stream,
``filesystem-error-code``) and ``preopens``.

The model is :mod:`golem_fakes.state.filesystem` (one per worker). Golem's durable
wrapper (``golem-worker-executor/src/durable_host/filesystem/`` at v1.3.0-dev.25;
``docs/golem-io-semantics.md`` §5.1, §5.5) runs on wasmtime's WASI host
(``crates/wasi/src/filesystem.rs``, ``crates/wasi/src/p2/host/filesystem.rs``,
``crates/wasi/src/p2/filesystem.rs`` of bytecodealliance/wasmtime, checked at commit
e6b33de5) over cap-std (``cap-primitives``, Linux).
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.runtime import NotFaked
from golem_fakes.state.filesystem import DIR, FileSystem, Node

__all__ = ["TYPES", "PREOPENS", "DescriptorRep", "DirectoryEntriesRep", "filesystem_of"]

TYPES = "wasi:filesystem/types@0.2.3"
PREOPENS = "wasi:filesystem/preopens@0.2.3"


class DescriptorRep:
    """Rep of a ``descriptor``: an open file or directory.

    ``node`` is the inode (kept alive after the name is removed, as POSIX does);
    ``read``/``write`` are wasmtime's ``OpenMode`` (for a directory, ``write`` means the
    preopen may mutate it: ``get-flags`` reports ``mutate-directory``); ``path`` is the
    path Golem remembers for the descriptor (``Dir::path.join(path)``), against which
    its read-only initial files are checked. ``write`` is whether the OS descriptor
    is writable; ``mode_write`` whether wasmtime 33 records ``OpenMode::WRITE`` (what
    ``get-flags`` reports): the two differ for ``open-at`` with ``truncate`` but neither
    ``create`` nor the ``write`` flag, which wasmtime 33 opens writable without recording
    it (recorded only since wasmtime 46, commit dc740c9099)."""

    __slots__ = ("fs", "node", "read", "write", "path", "mode_write")

    def __init__(self, fs: FileSystem, node: Node, *, read: bool, write: bool, path: str,
                 mode_write: bool | None = None) -> None:
        self.fs = fs
        self.node = node
        self.read = read
        self.write = write
        self.path = path
        self.mode_write = write if mode_write is None else mode_write

    @property
    def is_dir(self) -> bool:
        return self.node.kind == DIR

    def __repr__(self) -> str:
        kind = "dir" if self.is_dir else "file"
        mode = ("r" if self.read else "") + ("w" if self.write else "")
        return f"DescriptorRep({kind} {self.path!r}, {mode})"


class DirectoryEntriesRep:
    """Rep of a ``directory-entry-stream``: the entries read (and sorted) when
    ``read-directory`` was called, handed out one by one."""

    __slots__ = ("entries", "index")

    def __init__(self, entries: list[dict[str, str]]) -> None:
        self.entries = entries
        self.index = 0

    def __repr__(self) -> str:
        return f"DirectoryEntriesRep({self.index}/{len(self.entries)})"


def filesystem_of(env: Any, interface: str, function: str) -> FileSystem:
    """The current worker's :class:`FileSystem`, or :class:`NotFaked` outside a
    :class:`~golem_fakes.Golem`."""
    fs = getattr(env, "filesystem", None)
    if not callable(fs):
        raise NotFaked(
            f"{interface}#{function} needs a golem_fakes.Golem environment (each worker "
            f"has its own file system, `golem.filesystem(worker)`), but the current "
            f"environment is {env!r}. Use `with golem_fakes.Golem():`, or override the "
            f"function with env.implement({interface!r}, {function!r}, ...).",
            interface=interface, function=function)
    return fs()
