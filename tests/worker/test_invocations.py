"""Invocations of component code (issue 13 §2-§4): a trap is final, handles belong to
their instance, one worker's invocations run one at a time in arrival order, and an
idempotency key that completed answers again without running."""

from __future__ import annotations

import threading
import time

import pytest

import golem_fakes
from golem_fakes import Trap
from golem_fakes.bindings.result import Err
from golem_fakes.state.process_exit import ProcessExited
from golem_fakes.state.promises import Deadlock

golem_fakes.install()
from wit_world.imports import environment, eventual, exit as wasi_exit, random  # noqa: E402
from wit_world.imports import host, wasi_keyvalue_types as kv  # noqa: E402

C = "shop:cart"


def kinds(g: golem_fakes.Golem, name: str) -> list[str]:
    return [e.kind for e in g.oplog(C, name).entries]


# --- §3 a trap is final --------------------------------------------------------------


def test_a_swallowed_trap_still_ends_the_invocation() -> None:
    g = golem_fakes.Golem()
    seen: list[str] = []

    def worker_code() -> str:
        try:
            random.get_random_bytes(-1)        # componentize-py traps on a negative u64
        except BaseException:                  # noqa: BLE001 - what the test is about
            seen.append("swallowed")
        try:
            host.get_oplog_index()             # the invocation is over: the same trap
        except BaseException as again:         # noqa: BLE001
            seen.append(type(again).__name__)
        print("after the trap")
        return "carried on"

    with pytest.raises(Trap, match="get-random-bytes") as e:
        g.invoke(C, "alice", worker_code)
    # the first attempt and 3 retries (§6.2, dev.25: retried while fewer than
    # max-attempts error entries end the oplog), each swallowing and trapping again
    assert seen == ["swallowed", "Trap"] * 4
    assert g.runtime(C, "alice").retries == 3
    inv = g.invocations(C, "alice")[-1]
    assert inv.outcome == "failed" and inv.trap is e.value
    # each attempt: the panic text on stderr (a log entry, a hint) and an error entry
    assert [k for k in kinds(g, "alice") if k in ("error", "log")] == ["log", "log", "error"] * 4
    # nothing after the trap was recorded: no get-oplog-index, no print on stdout
    assert "no-op" not in kinds(g, "alice")      # get-oplog-index appends one when it runs
    assert g.console(C, "alice").stdout == b""
    assert g.worker(C, "alice").status.name == "FAILED"


def test_every_later_host_call_raises_the_same_trap() -> None:
    g = golem_fakes.Golem()
    traps: list[BaseException] = []

    def worker_code() -> None:
        trapped = False
        for _ in range(3):
            try:
                environment.get_arguments() if trapped else random.get_random_bytes(2 ** 64)
            except BaseException as t:         # noqa: BLE001
                traps.append(t)
                trapped = True

    with pytest.raises(Trap):
        g.invoke(C, "bob", worker_code)
    # 4 attempts (the first and 3 retries), each trapping three times with one trap
    assert len(traps) == 12
    for attempt in range(4):
        first, second, third = traps[3 * attempt:3 * attempt + 3]
        assert first is second is third
    assert traps[0] is not traps[3]


def test_a_finally_block_that_carries_on_cannot_store_anything() -> None:
    g = golem_fakes.Golem()

    def worker_code() -> None:
        bucket = kv.Bucket.open_bucket("carts")
        try:
            raise Trap("the component trapped")
        finally:
            value = None
            try:
                value = kv.OutgoingValue.new_outgoing_value()
            except BaseException:              # noqa: BLE001
                pass
            assert value is None
            try:
                eventual.delete(bucket, "k")
            except BaseException:              # noqa: BLE001
                pass

    g.keyvalue.put("default", "carts", "k", b"kept")
    with pytest.raises(Trap, match="the component trapped"):
        g.invoke(C, "carol", worker_code)
    assert g.keyvalue["carts"]["k"] == b"kept"


def test_a_trap_caught_by_the_test_in_its_own_block_is_an_assertion(golem) -> None:
    """A ``with golem:`` / ``run_as`` block is the test's code, not the component's: it may
    assert a trap and go on calling the host."""
    with pytest.raises(Trap):
        random.get_random_bytes(-1)
    assert len(random.get_random_bytes(4)) == 4
    with golem.run_as(C, "dave"):
        with pytest.raises(Trap):
            random.get_random_bytes(-1)
        assert host.get_self_metadata().worker_id.worker_name == "dave"


def test_a_swallowed_exit_still_exits_the_worker() -> None:
    g = golem_fakes.Golem()

    def worker_code() -> None:
        try:
            wasi_exit.exit(Err(None))
        except Exception:                      # noqa: BLE001
            raise AssertionError("exit is not an Exception")
        except BaseException:                  # noqa: BLE001
            pass
        environment.get_environment()

    with pytest.raises(ProcessExited):
        g.invoke(C, "erin", worker_code)
    assert g.worker(C, "erin").status.name == "EXITED"
    assert g.invocations(C, "erin")[-1].outcome == "exited"


def test_a_trap_in_a_nested_invocation_ends_only_that_one() -> None:
    g = golem_fakes.Golem()

    def inner() -> None:
        random.get_random_bytes(-1)

    def outer() -> int:
        with pytest.raises(Trap):
            g.invoke(C, "inner", inner)     # the caller sees the callee's trap
        return len(random.get_random_bytes(3))  # the caller's invocation goes on

    assert g.invoke(C, "outer", outer) == 3
    assert g.invocations(C, "inner")[-1].outcome == "failed"
    assert g.invocations(C, "outer")[-1].outcome == "completed"


# --- §4 handles belong to their instance -------------------------------------------


def test_a_handle_of_one_worker_is_unknown_in_another() -> None:
    g = golem_fakes.Golem()
    bucket = g.invoke(C, "alice", lambda: kv.Bucket.open_bucket("carts"))

    def use() -> bool:
        return eventual.exists(bucket, "x")

    with pytest.raises(Trap, match=r"unknown handle index \d+"):
        g.invoke(C, "bob", use)
    assert g.invoke(C, "alice", use) is False           # fine in its own instance
    with g.run_as(C, "carol"), pytest.raises(Trap, match="unknown handle index"):
        use()
    with pytest.raises(Trap, match="unknown handle index"):
        with g:                                         # the default worker: another one
            use()


def test_handle_numbers_are_unique_across_instances() -> None:
    g = golem_fakes.Golem()
    a = g.invoke(C, "a", lambda: kv.Bucket.open_bucket("x"))
    b = g.invoke(C, "b", lambda: kv.Bucket.open_bucket("x"))
    assert a.handle != b.handle
    assert set(g.live_handles()) >= {a.handle, b.handle}
    assert set(g.instance(C, "a").live_handles()) == {a.handle}


def test_dropping_an_instance_drops_its_handles() -> None:
    g = golem_fakes.Golem()
    kept = g.invoke(C, "alice", lambda: kv.Bucket.open_bucket("carts"))
    inst = g.instance(C, "alice")
    assert kept.handle in g.live_handles()
    inst.drop()
    assert kept.handle not in g.live_handles() and inst.dropped
    assert g.call_count("wasi:keyvalue/types@0.2.0-draft", "[resource-drop]bucket") + \
        g.call_count("wasi:keyvalue/types@0.1.0", "[resource-drop]bucket") == 1
    assert g.instance(C, "alice") is not inst            # the next one is new
    with pytest.raises(Trap, match="unknown handle index"):
        g.invoke(C, "alice", lambda: eventual.exists(kept, "x"))


def test_instance_of_an_unknown_worker_names_the_workers() -> None:
    g = golem_fakes.Golem()
    g.add_worker(C, "alice")
    with pytest.raises(KeyError, match="no worker 'nobody'"):
        g.instance(C, "nobody")


# --- §2 queue and idempotency ------------------------------------------------------


def test_enqueued_invocations_run_one_at_a_time_in_arrival_order() -> None:
    g = golem_fakes.Golem()
    ran: list[str] = []
    first = g.enqueue(C, "q", lambda: ran.append("first") or 1)
    second = g.enqueue(C, "q", lambda: ran.append("second") or 2)
    assert ran == [] and not first.done
    assert second.result() == 2                 # awaiting the second runs the first before
    assert ran == ["first", "second"] and first.done
    assert first.result() == 1 and ran == ["first", "second"]
    names = [e.kind for e in g.oplog(C, "q").entries]
    assert names.count("exported-function-invoked") == 2


def test_a_completed_idempotency_key_answers_without_running_again() -> None:
    g = golem_fakes.Golem()
    runs: list[int] = []

    def checkout() -> str:
        runs.append(1)
        return str(host.generate_idempotency_key().low_bits)

    a = g.invoke(C, "alice", checkout, idempotency_key="order-42")
    b = g.invoke(C, "alice", checkout, idempotency_key="order-42")
    c = g.invoke(C, "alice", checkout, idempotency_key="order-43")
    assert a == b != c and len(runs) == 2
    assert kinds(g, "alice").count("exported-function-invoked") == 2


def test_invoking_the_running_worker_from_itself_is_a_deadlock() -> None:
    g = golem_fakes.Golem()

    def again() -> None:
        g.invoke(C, "self", lambda: None)

    with pytest.raises(Deadlock, match="already running"):
        g.invoke(C, "self", again)


def test_threads_invoking_one_worker_never_overlap() -> None:
    g = golem_fakes.Golem()
    running = threading.Event()
    overlaps: list[int] = []

    def code(i: int) -> int:
        if running.is_set():
            overlaps.append(i)
        running.set()
        time.sleep(0.001)
        host.get_oplog_index()
        running.clear()
        return i

    results: list[int] = []
    threads = [threading.Thread(target=lambda i=i: results.append(g.invoke(C, "busy", code, i)))
               for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == list(range(6)) and overlaps == []
    invoked = [e for e in g.oplog(C, "busy").entries if e.kind == "exported-function-invoked"]
    completed = [e for e in g.oplog(C, "busy").entries if e.kind == "exported-function-completed"]
    assert len(invoked) == len(completed) == 6
    # one at a time: every invocation completes before the next begins
    seq = [e.kind for e in g.oplog(C, "busy").entries
           if e.kind.startswith("exported-function")]
    assert seq == ["exported-function-invoked", "exported-function-completed"] * 6
