"""Behaviour of ``wasi:filesystem/preopens@0.2.3``.

Golem (``durable_host/filesystem/preopens.rs`` at v1.3.0-dev.25;
``docs/golem-io-semantics.md`` §5.1, §5.5): the worker's private directory is
preopened as ``/`` and ``.`` (that order, the same directory); every call is a durable
``read-local`` call ``cli::preopens::get_directories`` whose response is the list of
names. Each call returns *new* descriptors (wasmtime pushes a fresh table entry per
preopen), all naming the same directory. Preopens a test added with
:meth:`~golem_fakes.state.filesystem.FileSystem.add_preopen` follow.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces import durable_call
from golem_fakes.interfaces.wasi_filesystem import PREOPENS, DescriptorRep, filesystem_of


@implements(PREOPENS, "get-directories")
def get_directories(env: Any) -> list[tuple[DescriptorRep, str]]:
    """``[(descriptor, "/"), (descriptor, ".")]`` (+ test-added preopens), recorded."""
    fs = filesystem_of(env, PREOPENS, "get-directories")

    def compute() -> tuple[Any, Any]:
        out = [(DescriptorRep(fs, node, read=True, write=True, path=host), name)
               for node, name, host in fs.preopens]
        return out, [name for _, name in out]

    return durable_call(env, "cli::preopens::get_directories", "read-local", None, compute)
