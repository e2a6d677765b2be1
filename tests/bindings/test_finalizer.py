"""``obj.finalizer`` keeps componentize-py's ``weakref.finalize`` protocol (the generated
``__exit__`` unpacks ``detach()``), and a drop by the garbage collector is told apart
from an explicit one (:func:`golem_fakes.bindings.runtime.dropped_by_collector`)."""

from __future__ import annotations

import gc
from typing import Any

import golem_fakes
from golem_fakes.bindings import runtime


def _stream_drop_log(g: golem_fakes.Golem) -> list[bool]:
    seen: list[bool] = []
    g.implement("wasi:io/streams@0.2.3", "[resource-drop]output-stream",
                lambda env, rep: seen.append(runtime.dropped_by_collector()))
    return seen


def test_finalizer_protocol_and_explicit_drop() -> None:
    golem_fakes.install()
    from wit_world.imports import stdout

    with golem_fakes.Golem() as g:
        seen = _stream_drop_log(g)
        s: Any = stdout.get_stdout()
        fin = s.finalizer
        assert fin.alive and fin.atexit is False
        obj, func, args, kwargs = fin.peek()
        assert obj is s and args[0] is g and kwargs == {}
        with s:
            pass
        assert s.handle is None and not fin.alive
        assert fin.detach() is None and fin.peek() is None
        assert seen == [False]


def test_drop_by_the_collector_is_flagged() -> None:
    golem_fakes.install()
    from wit_world.imports import stdout

    with golem_fakes.Golem() as g:
        seen = _stream_drop_log(g)
        s: Any = stdout.get_stdout()
        handle = s.handle
        del s
        gc.collect()
        assert seen == [True]
        assert handle not in g.handles
        assert runtime.dropped_by_collector() is False
