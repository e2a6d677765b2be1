"""wasi:io/poll (poll, pollable.ready, pollable.block) and wasi:io/error."""

from __future__ import annotations

import pytest

from golem_fakes import Trap
from golem_fakes.state.promises import Deadlock
from golem_fakes.state.streams import InputStreamRep, OutputStreamRep, StreamErrorRep


def test_poll_empty_list_traps(io, env):
    with pytest.raises(Trap, match="empty poll list"):
        io.poll.poll([])


def test_poll_returns_indices_of_ready_pollables(io, guest_input, guest_output):
    blocked = guest_input(InputStreamRep(lambda n: b"")).subscribe()
    ready_in = guest_input(InputStreamRep.from_bytes(b"x")).subscribe()
    ready_out = guest_output(OutputStreamRep.to_chunks()).subscribe()
    assert io.poll.poll([blocked, ready_in, ready_out]) == [1, 2]
    assert io.poll.poll([ready_in, blocked, ready_in]) == [0, 2]


def test_poll_waits_until_one_becomes_ready(io, guest_input):
    it = iter([b"", b"", b"", b"d"])
    s = guest_input(InputStreamRep(lambda n: next(it, None)))
    assert io.poll.poll([s.subscribe()]) == [0]
    assert s.read(1) == b"d"


def test_poll_on_never_ready_pollables_deadlocks(io, guest_input):
    p = guest_input(InputStreamRep(lambda n: b"", name="stuck-pipe")).subscribe()
    with pytest.raises(Deadlock, match=r"poll on \[subscribe\(stuck-pipe\)\]"):
        io.poll.poll([p])


def test_pollable_ready_and_block(io, guest_input):
    ok = guest_input(InputStreamRep.from_bytes(b"x")).subscribe()
    assert ok.ready() is True
    assert ok.block() is None
    stuck = guest_input(InputStreamRep(lambda n: b"", name="stuck")).subscribe()
    assert stuck.ready() is False
    with pytest.raises(Deadlock, match="pollable.block on subscribe\\(stuck\\)"):
        stuck.block()


def test_error_to_debug_string(io, guest_input):
    rep = InputStreamRep.from_bytes(b"")
    rep.failure = "broken pipe (os error 32)"
    s = guest_input(rep)
    with pytest.raises(io.Err) as e:
        s.read(1)
    err = e.value.value.value
    assert isinstance(err, io.error.Error)
    assert err.to_debug_string() == "broken pipe (os error 32)"


def test_stream_error_rep_repr():
    assert "boom" in repr(StreamErrorRep("boom"))


def test_poll_and_block_are_recorded_ready_is_not(io, env, guest_input):
    ok = guest_input(InputStreamRep.from_bytes(b"x")).subscribe()
    stuck = guest_input(InputStreamRep(lambda n: b"")).subscribe()
    before = len(env.oplog().entries)
    ok.ready()
    assert len(env.oplog().entries) == before
    assert io.poll.poll([stuck, ok]) == [1]
    ok.block()
    with pytest.raises(Deadlock):
        io.poll.poll([stuck])                      # an unfinished poll is not recorded
    new = env.oplog().entries[before:]
    assert [(e.kind, e.payload["function_name"], e.payload["response"].value,
             e.payload["durable_function_type"]) for e in new] == [
        ("imported-function-invoked", "golem io::poll::poll", [1], "read-local"),
        ("imported-function-invoked", "golem io::poll::poll", [0], "read-local"),
    ]
