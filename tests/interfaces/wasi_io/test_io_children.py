"""Child resources: a pollable made by a stream's ``subscribe`` is the stream's child in
wasmtime's resource table (``crates/wasi-io/src/poll.rs`` ``push_child``); dropping the
stream first traps ``resource has children`` (probes ``streams.drop_*``)."""

from __future__ import annotations

import gc
import warnings

import pytest

from golem_fakes.bindings.runtime import Trap
from golem_fakes.state.streams import InputStreamRep, OutputStreamRep, PollableRep


def test_explicit_drop_of_an_input_stream_with_a_live_pollable_traps(io, guest_input):
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    p = s.subscribe()
    assert rep.children == 1
    with pytest.raises(Trap, match="resource has children") as ei:
        s.__exit__(None, None, None)
    assert ei.value.function == "[resource-drop]input-stream"
    assert p.ready()  # the pollable still works
    p.__exit__(None, None, None)
    assert rep.children == 0


def test_explicit_drop_of_an_output_stream_with_a_live_pollable_traps(io, guest_output):
    rep = OutputStreamRep.to_chunks()
    s = guest_output(rep)
    p = s.subscribe()
    with pytest.raises(Trap, match="resource has children") as ei:
        with s:
            pass
    assert ei.value.function == "[resource-drop]output-stream"
    p.__exit__(None, None, None)


def test_dropping_the_pollables_first_lets_the_stream_go(io, guest_input, guest_output):
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    p1, p2 = s.subscribe(), s.subscribe()
    assert rep.children == 2
    p1.__exit__(None, None, None)
    with pytest.raises(Trap):
        s.__exit__(None, None, None)  # p2 is still alive
    p2.__exit__(None, None, None)
    assert rep.children == 0
    s2 = guest_input(InputStreamRep.from_bytes(b""))
    with s2.subscribe():
        pass
    s2.__exit__(None, None, None)  # no trap
    o = guest_output(OutputStreamRep.to_chunks())
    o.subscribe().__exit__(None, None, None)
    o.__exit__(None, None, None)


def test_a_collected_pollable_releases_its_parent(io, guest_input):
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    s.subscribe()  # unreferenced: dropped by its finalizer at once
    gc.collect()
    assert rep.children == 0
    s.__exit__(None, None, None)


def test_a_stream_collected_before_its_pollable_passes_silently(io, guest_input):
    # wasmtime traps here too, but a finalizer cannot trap the worker (drop_stream docs)
    rep = InputStreamRep.from_bytes(b"abc")
    s = guest_input(rep)
    p = s.subscribe()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        del s
        gc.collect()
    assert p.ready()
    p.__exit__(None, None, None)
    assert rep.children == 0


def test_pollable_rep_parent_and_release():
    class Parent:
        children = 0

    parent = Parent()
    p = PollableRep(lambda: True, parent=parent)
    assert parent.children == 1 and p.parent is parent
    p.release()
    p.release()  # once only
    assert parent.children == 0 and p.parent is None
    assert PollableRep(lambda: True).parent is None


def test_clock_pollables_have_no_parent(io, env):
    from wit_world.imports import monotonic_clock

    p = monotonic_clock.subscribe_duration(0)
    assert p.ready()
    p.__exit__(None, None, None)
