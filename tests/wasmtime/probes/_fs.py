"""Helpers shared by the ``fs_*`` probes (not a probe module: the name starts with ``_``).

Every probe starts from a fresh host whose preopens ``/`` and ``.`` name one directory
seeded with :data:`probe_setup.FILES` (read-write files on both hosts)."""

from __future__ import annotations

from typing import Any

from componentize_py_types import Err
from wit_world.imports import preopens
from wit_world.imports import wasi_filesystem_types as types

from ._util import err_name

NOFOLLOW = types.PathFlags(0)
FOLLOW = types.PathFlags.SYMLINK_FOLLOW
NO_OPEN = types.OpenFlags(0)
R = types.DescriptorFlags.READ
W = types.DescriptorFlags.WRITE
RW = types.DescriptorFlags.READ | types.DescriptorFlags.WRITE


def root() -> Any:
    """The ``/`` preopen."""
    return preopens.get_directories()[0][0]


def open_(d: Any, path: str, oflags: Any = NO_OPEN, flags: Any = R, follow: bool = False) -> Any:
    return d.open_at(FOLLOW if follow else NOFOLLOW, path, oflags, flags)


def attempt(out: list[str], label: str, fn: Any) -> Any:
    """``label: ok`` / ``label: err <code>`` (the value is returned, not printed)."""
    try:
        v = fn()
    except Err as e:
        out.append(f"{label}: err {err_name(e)}")
        return None
    out.append(f"{label}: ok")
    return v


def read_all(d: Any, path: str) -> bytes:
    f = open_(d, path)
    data = b""
    while True:
        chunk, end = f.read(65536, len(data))
        data += chunk
        if end:
            return data
