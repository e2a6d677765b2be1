"""Fixtures for the wasi:filesystem behaviour tests: the generated modules of the
all-imports world, a Golem whose default worker's component has known initial files,
and helpers to open things."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.state.filesystem import InitialFile

FILES = {
    "/static/a.txt": b"read-only content",                       # read-only (default)
    "/static/sub/b.txt": InitialFile(b"bbb"),                     # read-only
    "/rw.txt": InitialFile(b"hello world", permission="read-write"),
    "/data/empty.bin": InitialFile(b"", permission="read-write"),
}


@pytest.fixture(scope="session")
def m() -> SimpleNamespace:
    golem_fakes.install()
    from componentize_py_types import Err
    from wit_world.imports import error, preopens, streams, wall_clock
    from wit_world.imports import wasi_filesystem_types as t

    return SimpleNamespace(t=t, preopens=preopens, streams=streams, error=error,
                           wall_clock=wall_clock, Err=Err)


@pytest.fixture
def g(m: SimpleNamespace) -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as g:
        comp, _name = g.default_worker.component, g.default_worker.name
        from golem_fakes.state.filesystem import normalize_initial_files

        comp.files = normalize_initial_files(FILES)
        yield g


@pytest.fixture
def root(m: SimpleNamespace, g: golem_fakes.Golem) -> Any:
    """The ``/`` preopen descriptor."""
    return m.preopens.get_directories()[0][0]


@pytest.fixture
def fs(g: golem_fakes.Golem) -> Any:
    return g.filesystem()


class Open:
    def __init__(self, m: SimpleNamespace) -> None:
        self.m = m

    def __call__(self, d: Any, path: str, oflags: Any = None, flags: Any = None, *,
                 follow: bool = False) -> Any:
        t = self.m.t
        return d.open_at(t.PathFlags.SYMLINK_FOLLOW if follow else t.PathFlags(0), path,
                         t.OpenFlags(0) if oflags is None else oflags,
                         t.DescriptorFlags.READ if flags is None else flags)


@pytest.fixture
def open_(m: SimpleNamespace) -> Open:
    return Open(m)


@pytest.fixture
def code(m: SimpleNamespace) -> Any:
    """``code(fn)`` → the WIT name of the error-code ``fn()`` raised (fails if none)."""
    def run(fn: Any) -> str:
        with pytest.raises(m.Err) as ei:
            fn()
        v = ei.value.value
        return v.name.lower().replace("_", "-")
    return run
