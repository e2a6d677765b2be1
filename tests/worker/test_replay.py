"""Crash, recovery and replay (issue 14 §2): ``Golem.crash`` loses a worker's instance,
a new instance replays the oplog with the recorded host-call results — no side effect
performed again — and then goes on live; a replay that makes other host calls is a
:class:`~golem_fakes.worker.replay.Divergence`.

The component (``durableapp``, world ``tests/data/durable``) is real worker code invoked
by export name: its module state (``calls``) is what replay must rebuild."""

from __future__ import annotations

import random as pyrandom
import sys
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.runtime import Trap
from golem_fakes import Divergence, NotReplayable
from golem_fakes.worker.replay import NON_IDEMPOTENT_WRITE
from worker_world import component_sources


DATA = Path(__file__).resolve().parents[1] / "data" / "durable"
C = "test:durable"
API = "golem-fakes:durable/api@1.0.0"

COMPONENT = '''
import random as pyrandom
from wit_world import exports
from wit_world.imports import eventual, host, logging, random
from wit_world.imports import wasi_keyvalue_types as kv

#: module state: what each live or replayed incr returned, in order
calls: list[int] = []
#: what each roll returned
rolls: list[int] = []


def _get(bucket, key):
    v = eventual.get(bucket, key)
    return int(v.incoming_value_consume_sync().decode()) if v is not None else 0


def _set(bucket, key, n):
    out = kv.OutgoingValue.new_outgoing_value()
    out.outgoing_value_write_body_sync(str(n).encode())
    eventual.set(bucket, key, out)


class Api(exports.Api):
    def incr(self, key):
        b = kv.Bucket.open_bucket("counters")
        n = _get(b, key) + 1
        _set(b, key, n)
        calls.append(n)
        print(f"incr {key} -> {n}")
        return n

    def roll(self):
        rolls.append(random.get_random_u64())
        return rolls[-1]

    def rolled(self):
        return list(rolls)

    def history(self):
        return list(calls)

    def sloppy(self):
        if pyrandom.random() < 0.5:             # Python's own random: not recorded
            return random.get_random_u64()
        return host.get_oplog_index()

    def region(self, key):
        b = kv.Bucket.open_bucket("counters")
        begin = host.mark_begin_operation()
        n = _get(b, key) + 1
        _set(b, key, n)
        host.mark_end_operation(begin)
        return n

    def quiet(self):
        kept = random.get_random_u64()
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        fresh = random.get_random_u64()
        b = kv.Bucket.open_bucket("counters")
        _set(b, "quiet", _get(b, "quiet") + 1)   # the keyvalue hot paths, unrecorded
        host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
        return (kept, fresh)

    def unsafe_write(self, key):
        host.set_idempotence_mode(False)
        b = kv.Bucket.open_bucket("counters")
        _set(b, key, 1)
        return 1

    def jump_until(self, key, target):
        b = kv.Bucket.open_bucket("counters")
        idx = host.get_oplog_index()
        n = _get(b, key) + 1
        _set(b, key, n)
        if n < target:
            host.set_oplog_index(idx)           # time travel: go on live after idx
        return n

    def promise(self):
        p = host.create_promise()
        logging.log(logging.Level.INFO, "promise", "created")
        return p.oplog_idx.__str__() + "/" + str(len(calls))

    def keys(self):
        return [str(host.generate_idempotency_key()) for _ in range(2)]
'''



@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The component's source directory, with the durable world installed."""
    with component_sources(tmp_path_factory, DATA, "durable-world", {"durableapp": COMPONENT}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=3)
    g.add_component(C, code="durableapp", path=src)
    return g


def counter(g: golem_fakes.Golem, key: str = "k") -> bytes | None:
    return g.keyvalue.get("default", "counters", key)


def ifi_count(g: golem_fakes.Golem, worker: str) -> int:
    return sum(e.kind == "imported-function-invoked" for e in g.oplog(C, worker).entries)


# --- recovery between invocations ----------------------------------------------------


def test_recovery_rebuilds_module_state_without_repeating_effects(g: golem_fakes.Golem) -> None:
    for expected in (1, 2, 3):
        assert g.invoke(C, "w", "incr", "k") == expected
    before = list(g.oplog(C, "w").entries)
    old = g.instance(C, "w")
    g.crash(C, "w")                              # at once, between invocations
    assert g.instance(C, "w") is not old         # a new instance ...
    assert g.invoke(C, "w", "history") == [1, 2, 3]   # ... rebuilt by replaying
    assert counter(g) == b"3"                    # no key-value write repeated
    assert g.oplog(C, "w").entries[:len(before)] == before  # replay appended nothing
    assert g.console(C, "w").stdout.decode().count("incr k") == 3  # no output again
    rt = g.runtime(C, "w")
    assert (rt.crashes, rt.recoveries, rt.live, rt.replay) == (1, 1, True, None)


def test_replayed_host_calls_return_their_recorded_results(g: golem_fakes.Golem) -> None:
    rolls = [g.invoke(C, "w", "roll") for _ in range(3)]
    keys = g.invoke(C, "w", "keys")
    g.crash(C, "w")
    assert g.invoke(C, "w", "rolled") == rolls   # the new instance got the same values
    assert g.invoke(C, "w", "keys") != keys      # a new invocation: new keys
    g.crash(C, "w")
    assert g.invoke(C, "w", "rolled") == rolls


def test_a_promise_is_not_created_twice_and_the_log_line_not_written_again(
        g: golem_fakes.Golem) -> None:
    first = g.invoke(C, "w", "promise")
    assert len(g.promises) == 1
    g.crash(C, "w")
    assert len(g.promises) == 1                  # create-promise was replayed, not re-run
    assert [r.message for r in g.console(C, "w").logs] == ["created"]
    assert g.invoke(C, "w", "promise") != first and len(g.promises) == 2


# --- crashing inside an invocation -------------------------------------------------------


@pytest.mark.parametrize("after", [1, 2, 3])
def test_a_crash_at_any_host_call_of_an_invocation_gives_the_same_outcome(
        src: Path, after: int) -> None:
    g = golem_fakes.Golem(seed=3)
    g.add_component(C, code="durableapp", path=src)
    g.invoke(C, "w", "incr", "k")
    g.invoke(C, "w", "incr", "k")
    g.crash(C, "w", after=after)                 # get (1), set (2); 3 never comes: no crash
    assert g.invoke(C, "w", "incr", "k") == 3    # the caller sees the result as in Golem
    assert counter(g) == b"3"
    assert g.invoke(C, "w", "history") == [1, 2, 3]
    rt = g.runtime(C, "w")
    assert rt.recoveries == (1 if after <= 2 else 0)
    if after == 3:
        assert rt.crash_in == 1                  # still armed: the next call crashes


def test_entries_not_committed_at_the_crash_are_lost_and_run_again(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "incr", "k")
    g.crash(C, "w", after=1)                     # right after the get, a read: not committed
    assert g.invoke(C, "w", "incr", "k") == 2
    names = [e.payload["function_name"] for e in g.oplog(C, "w").entries
             if e.kind == "imported-function-invoked"]
    # the second invocation's get appears once: the lost one ran again live
    assert names.count("golem keyvalue::eventual::get") == 2


def test_a_crash_after_the_write_does_not_repeat_it(g: golem_fakes.Golem) -> None:
    puts: list[Any] = []
    original = g.keyvalue.put

    def counting_put(*args: Any, **kwargs: Any) -> Any:
        puts.append(args)
        return original(*args, **kwargs)

    g.keyvalue.put = counting_put  # type: ignore[method-assign]
    g.invoke(C, "w", "incr", "k")
    g.crash(C, "w", after=2)                     # right after the (committed) set
    assert g.invoke(C, "w", "incr", "k") == 2
    assert len(puts) == 2                        # one per invocation, none replayed
    out = g.console(C, "w").stdout.decode()
    assert out.count("incr k -> 2") == 1         # the print after the crash point: once


def test_code_that_swallows_the_crash_cannot_go_on(src: Path) -> None:
    g = golem_fakes.Golem()
    seen: list[str] = []
    from wit_world.imports import random

    def worker_code() -> int:
        try:
            random.get_random_u64()
        except BaseException as e:               # noqa: BLE001 - what the test is about
            seen.append(type(e).__name__)
        try:
            random.get_random_u64()              # the instance is gone: raised again
        except BaseException as e:               # noqa: BLE001
            seen.append(type(e).__name__)
        return len(seen)

    g.invoke(C, "cb", worker_code)
    g.crash(C, "cb", after=1)
    # the crashed run swallowed the crash, and its next host call raised it again; the
    # recovered run then went on without one (and returned what it saw)
    assert g.invoke(C, "cb", worker_code) == 2
    assert seen == ["WorkerCrashed", "WorkerCrashed"]
    assert g.runtime(C, "cb").recoveries == 1


# --- divergence -------------------------------------------------------------------------


def test_python_random_in_worker_code_is_caught_as_a_divergence(g: golem_fakes.Golem) -> None:
    pyrandom.seed(1)                             # first random() < 0.5: get-random-u64
    g.invoke(C, "w", "sloppy")
    pyrandom.seed(2)                             # first random() > 0.5: get-oplog-index
    with pytest.raises(Divergence) as e:
        g.crash(C, "w")
    d = e.value
    index = next(e.index for e in g.oplog(C, "w").entries
                 if e.get("function_name") == "golem random::get_random_u64")
    assert d.index == index and d.worker == f"{C}/w"
    recorded = g.oplog(C, "w")[index]
    assert d.recorded is not None
    assert (d.recorded.index, d.recorded.kind, d.recorded.payload) == \
        (recorded.index, recorded.kind, recorded.payload)
    text = str(d)
    assert f"diverged from its oplog at index {index}:" in text
    assert "recorded: imported-function-invoked 'golem random::get_random_u64'" in text
    assert "replayed: no-op" in text and "Python's own random" in text
    assert g.worker(C, "w").status.name == "FAILED"


def test_changed_code_that_makes_fewer_calls_is_a_divergence(src: Path, tmp_path: Path) -> None:
    code_dir = tmp_path / "code"
    code_dir.mkdir()
    (code_dir / "durableapp.py").write_text(COMPONENT)
    g = golem_fakes.Golem()
    g.add_component(C, code="durableapp", path=code_dir)
    g.invoke(C, "w", "incr", "k")
    changed = COMPONENT.replace("        n = _get(b, key) + 1\n        _set(b, key, n)\n        calls",
                                "        n = 1\n        _set(b, key, n)\n        calls")
    assert changed != COMPONENT
    (code_dir / "durableapp.py").write_text(changed)
    with pytest.raises(Divergence, match=r"recorded: imported-function-invoked "
                                         r"'golem keyvalue::eventual::get'"):
        g.crash(C, "w")
    sys.modules.pop("durableapp", None)


# --- persistence level, idempotence, regions, jumps ----------------------------------


def test_a_persist_nothing_region_runs_live_again_on_replay(g: golem_fakes.Golem) -> None:
    kept, fresh = g.invoke(C, "w", "quiet")
    calls_before = ifi_count(g, "w")
    oplog_before = len(g.oplog(C, "w"))
    g.crash(C, "w")
    # the replayed run drew a new value inside the region; outside it, the recorded one
    replayed = [e for e in g.oplog(C, "w").entries if e.kind == "imported-function-invoked"]
    assert len(replayed) == calls_before         # the live re-run recorded nothing new
    assert len(g.oplog(C, "w")) == oplog_before
    # the region's keyvalue calls ran live again (§5.1): the counter was set twice
    assert g.keyvalue["counters"]["quiet"] == b"2"
    draws = [e for e in replayed if "random" in e.payload["function_name"]]
    assert draws[-2].payload["response"].value == kept
    assert g.runtime(C, "w").persistence_level == "smart"


def test_an_unfinished_non_idempotent_write_fails_the_worker(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "unsafe-write", "k")
    oplog = g.oplog(C, "w")
    begin = next(e.index for e in oplog.entries if e.kind == "begin-remote-write")
    oplog.truncate(begin)                        # the executor died between begin and end
    with pytest.raises(Trap, match=NON_IDEMPOTENT_WRITE):
        g.crash(C, "w")
    # the failed recovery is retried as any failure (§6.2): each retry's replay meets
    # the same unfinished write, then the worker is failed
    assert g.runtime(C, "w").retries == 3
    assert g.oplog(C, "w").kinds().count("error") == 4
    assert g.worker(C, "w").status.name == "FAILED"


def test_a_crash_inside_an_atomic_region_re_executes_the_whole_region(
        g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "region", "k")              # a completed region replays as recorded
    g.crash(C, "w")
    assert counter(g) == b"1"
    g.crash(C, "w", after=3)                     # begin (1), get (2), set (3): inside
    assert g.invoke(C, "w", "region", "k") == 3  # the region ran again live: set twice
    assert counter(g) == b"3"
    kinds = g.oplog(C, "w").kinds()
    jump = [e for e in g.oplog(C, "w").entries if e.kind == "jump"]
    assert len(jump) == 1 and "end-atomic-region" in kinds
    begins = [e.index for e in g.oplog(C, "w").entries if e.kind == "begin-atomic-region"]
    assert jump[0]["start"] == begins[-1] + 1    # everything after the begin marker


def test_set_oplog_index_travels_back_and_runs_the_rest_live(g: golem_fakes.Golem) -> None:
    assert g.invoke(C, "w", "jump-until", "k", 2) == 2  # one jump: the rest ran again
    assert counter(g) == b"2"
    oplog = g.oplog(C, "w")
    jumps = [e for e in oplog.entries if e.kind == "jump"]
    assert len(jumps) == 1 and g.runtime(C, "w").recoveries == 1
    noop = next(e.index for e in oplog.entries if e.kind == "no-op")
    assert (jumps[0]["start"], jumps[0]["end"]) == (noop + 1, jumps[0].index)
    assert oplog.is_deleted(noop + 1) and not oplog.is_deleted(noop)
    g.crash(C, "w")                              # the deleted region stays skipped
    assert counter(g) == b"2" and g.invoke(C, "w", "history") == []


def test_a_second_jump_to_the_same_index_traps_as_in_golem(g: golem_fakes.Golem) -> None:
    # Golem v1.3.0-dev.25 checks the target against every deleted region, the first
    # jump's included (``set_oplog_index``, durable_host/golem/v1x.rs): jumping back to
    # the same index twice traps (and golem-cloud's infallible_transaction retries once)
    with pytest.raises(Trap, match=r"^Attempted to jump to a deleted region in oplog to "
                                   r"index \d+ from \d+$"):
        g.invoke(C, "w", "jump-until", "k", 3)
    assert counter(g) == b"2"


# --- what cannot be replayed ------------------------------------------------------------


def test_a_worker_that_ran_a_test_block_is_not_replayable(g: golem_fakes.Golem) -> None:
    from wit_world.imports import host

    with g.run_as(C, "t"):
        host.get_oplog_index()
    with pytest.raises(NotReplayable, match="test code and cannot be run again"):
        g.crash(C, "t")


def test_crash_arguments_are_checked(g: golem_fakes.Golem) -> None:
    g.invoke(C, "w", "roll")
    with pytest.raises(ValueError, match="number of host calls >= 0"):
        g.crash(C, "w", after=-1)
    with pytest.raises(KeyError):
        g.crash(C, "nobody")
