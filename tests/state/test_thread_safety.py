"""Concurrent workers in threads (issue 12 §3): the shared stores lose no write and raise
no raw exception.

Each test runs ``THREADS`` workers, each in its own thread and inside its own invocation
(``golem.run_as`` / ``golem.invoke``: a new thread starts with an empty context, so it
must enter the Golem itself), through the generated bindings. ``sys.setswitchinterval``
is lowered for the duration of a test so that the threads interleave inside host calls;
a barrier lines them up so that they hit the same state at the same moment. What must be
there afterwards is computed from the operations, never from timing.

What "atomic" means per store is what the real backends give
(docs/golem-io-semantics.md §1.1, §1.4, §2.2, §2.3; ``golem_fakes.state.keyvalue`` and
``golem_fakes.state.blobstore`` document it): every keyvalue call, including the batch
calls, is one SQLite transaction / one Redis command; every blobstore call acts on the
container directory as a whole.
"""

from __future__ import annotations

import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import pytest

import golem_fakes
from golem_fakes import Golem

THREADS = 8
#: A barrier wait longer than this means a thread died: fail instead of hanging.
HANG_GUARD_S = 60


@pytest.fixture(autouse=True)
def switch_often() -> Iterator[None]:
    """Force the threads to interleave at (almost) every bytecode boundary."""
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(old)


@pytest.fixture(scope="module")
def wit() -> SimpleNamespace:
    golem_fakes.install()
    from wit_world.imports import (
        atomic,
        blobstore,
        container,
        eventual,
        eventual_batch,
        wasi_blobstore_types,
        wasi_keyvalue_types,
    )

    return SimpleNamespace(kv_types=wasi_keyvalue_types, eventual=eventual,
                           batch=eventual_batch, atomic=atomic, blobstore=blobstore,
                           container=container, blob_types=wasi_blobstore_types)


def run_workers(g: Golem, body: Callable[[int, threading.Barrier], Any],
                n: int = THREADS) -> list[Any]:
    """``body(i, barrier)`` as worker ``stress/w<i>`` in thread ``i``, all started at
    once; the results in thread order. An exception in a thread is re-raised here.
    The workers are created first, in this thread, so that only ``body`` races."""
    for i in range(n):
        g.add_worker("stress", f"w{i}")
    barrier = threading.Barrier(n, timeout=HANG_GUARD_S)

    def one(i: int) -> Any:
        try:
            with g.run_as("stress", f"w{i}"):
                barrier.wait()
                return body(i, barrier)
        except BaseException:
            barrier.abort()     # the other threads stop waiting for this one
            raise

    with ThreadPoolExecutor(n) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
    errors = [f.exception() for f in futures]
    first = next((e for e in errors if not isinstance(e, (threading.BrokenBarrierError, type(None)))),
                 None) or next((e for e in errors if e is not None), None)
    if first is not None:
        raise first     # the thread's own exception, not the broken barrier it caused
    return [f.result() for f in futures]


# --- wasi:keyvalue ------------------------------------------------------------------------


def _value(wit: SimpleNamespace, data: bytes) -> Any:
    o = wit.kv_types.OutgoingValue.new_outgoing_value()
    o.outgoing_value_write_body_sync(data)
    return o


def _read(got: Any) -> bytes | None:
    return None if got is None else got.incoming_value_consume_sync()


def test_keyvalue_set_racing_the_removal_of_the_last_key_is_kept(wit: SimpleNamespace) -> None:
    """Every worker sets, reads back and deletes (twice: the second time a missing key)
    its own key in one shared bucket, in step, so the bucket keeps being emptied by some
    workers while others set a key. On SQLite/Redis a ``set`` is never lost to a
    concurrent ``delete`` of another key, and deleting a missing key is ``Ok`` (§1.1,
    §1.3); the old fake dropped the emptied bucket together with the concurrent write,
    and a second remover of the emptied bucket got a raw ``KeyError``."""
    for trial in range(4):
        g, rounds = Golem(seed=trial), 100

        def body(i: int, barrier: threading.Barrier) -> list[Any]:
            b = wit.kv_types.Bucket.open_bucket("shared")
            lost = []
            for j in range(rounds):
                barrier.wait()
                v = f"{i}:{j}".encode()
                wit.eventual.set(b, f"k{i}", _value(wit, v))
                got = _read(wit.eventual.get(b, f"k{i}"))
                if got != v:
                    lost.append((j, got))
                wit.eventual.delete(b, f"k{i}")
                wit.eventual.delete(b, f"k{i}")
            wit.eventual.set(b, f"k{i}", _value(wit, b"final"))
            return lost

        assert run_workers(g, body) == [[]] * THREADS
        assert g.keyvalue.snapshot() == {"shared": {f"k{i}": b"final" for i in range(THREADS)}}


def test_keyvalue_batches_and_increments_are_atomic(wit: SimpleNamespace) -> None:
    """``set-many``/``delete-many`` are one SQLite transaction / one Redis command and
    ``get-many`` one query (§1.4): a reader never sees half a batch. ``increment`` (the
    opt-in ``"wit"`` profile) is a read-modify-write done atomically: no increment is
    lost and each returns a distinct new value."""
    g, rounds = Golem(seed=0), 120
    g.keyvalue.profile = "wit"

    def body(i: int, barrier: threading.Barrier) -> tuple[list[Any], list[int]]:
        b = wit.kv_types.Bucket.open_bucket("shared")
        n = (i + 1) % THREADS
        torn, counts = [], []
        for j in range(rounds):
            barrier.wait()
            v = f"{i}:{j}".encode()
            wit.batch.set_many(b, [(f"{i}a", _value(wit, v)), (f"{i}b", _value(wit, v))])
            pair = [_read(x) for x in wit.batch.get_many(b, [f"{n}a", f"{n}b"])]
            if pair[0] != pair[1]:
                torn.append(pair)
            wit.batch.delete_many(b, [f"{i}a", f"{i}b"])
            counts.append(wit.atomic.increment(b, "counter", 1))
        return torn, counts

    results = run_workers(g, body)
    assert [torn for torn, _ in results] == [[]] * THREADS
    total = THREADS * rounds
    assert sorted(c for _, counts in results for c in counts) == list(range(1, total + 1))
    assert g.keyvalue.snapshot() == {"shared": {"counter": total.to_bytes(8, "little")}}


# --- wasi:blobstore -----------------------------------------------------------------------


def _blob(wit: SimpleNamespace, data: bytes) -> Any:
    o = wit.blob_types.OutgoingValue.new_outgoing_value()
    o.outgoing_value_write_body().blocking_write_and_flush(data)
    return o


def test_blobstore_writes_recreating_a_deleted_container_keep_every_object(
        wit: SimpleNamespace) -> None:
    """Round by round every worker holds a handle of container ``r<n>``, worker 0 deletes
    the container, then all write one object through their stale handles at once. On the
    FS backend each write re-creates the directory and stores its file (§2.3), so every
    object is there; the old fake let concurrent re-creations replace each other."""
    g, rounds = Golem(seed=0), 200

    def body(i: int, barrier: threading.Barrier) -> None:
        for r in range(rounds):
            c = wit.blobstore.create_container(f"r{r}")
            barrier.wait()
            if i == 0:
                wit.blobstore.delete_container(f"r{r}")
            barrier.wait()
            c.write_data(f"o{i}", _blob(wit, f"{r}:{i}".encode()))

    run_workers(g, body)
    assert g.blobstore.snapshot() == {
        f"r{r}": {f"o{i}": f"{r}:{i}".encode() for i in range(THREADS)} for r in range(rounds)}


def test_blobstore_mixed_operations_give_only_wit_results(wit: SimpleNamespace) -> None:
    """Creating, listing, reading, writing and deleting in shared containers at once:
    every call returns its WIT result or ``Err`` string (no raw Python exception such as
    a dictionary changed during iteration), and the objects written to a container
    nobody deletes are all there."""
    for trial in range(5):
        _mixed_blob_trial(wit, Golem(seed=trial), rounds=60)


def _mixed_blob_trial(wit: SimpleNamespace, g: Golem, rounds: int) -> None:
    errors: list[str] = []

    def attempt(call: Callable[[], Any]) -> Any:
        try:
            return call()
        except wit.container.Err as e:      # the WIT error string is fine
            errors.append(e.value)
            return None

    def body(i: int, barrier: threading.Barrier) -> None:
        keep = wit.blobstore.create_container("keep")
        for j in range(rounds):
            barrier.wait()
            c = wit.blobstore.create_container(f"m{j % 2}")
            if i % 2:       # half the workers list while the other half write
                names = attempt(lambda: c.list_objects().read_stream_object_names(1000)[0])
            c.write_data(f"o{i}-{j}", _blob(wit, b"x" * (j % 5)))
            if i % 2 == 0:
                names = attempt(lambda: c.list_objects().read_stream_object_names(1000)[0])
            assert names is None or all(isinstance(n, str) for n in names)
            assert isinstance(c.has_object(f"o{i}-{j}"), bool)
            attempt(lambda: c.get_data(f"o{i}-{j}", 0, j % 5))
            attempt(lambda: c.delete_objects([f"o{i}-{j}"]))
            if j % 7 == i % 7:
                wit.blobstore.delete_container(f"m{j % 2}")
            keep.write_data(f"o{i}-{j}", _blob(wit, f"{i}:{j}".encode()))

    run_workers(g, body)
    # a container deleted by another worker in between: Golem's FS error strings (§2.7)
    assert all(e in ("No such file or directory (os error 2)", "Object does not exist")
               or e.startswith("Failed to delete file at ") for e in errors), set(errors)
    assert g.blobstore.snapshot()["keep"] == {
        f"o{i}-{j}": f"{i}:{j}".encode() for i in range(THREADS) for j in range(rounds)}


# --- installation state made on first use ---------------------------------------------------


def test_first_use_from_many_threads_makes_one_store_each(wit: SimpleNamespace) -> None:
    """A fresh Golem creates its keyvalue and blob stores, the registry and the workers'
    runtimes on first use; when many threads use them first at the same moment, they all
    get the same ones (the old fake could make two and lose what went to the other)."""
    for seed in range(25):
        g = Golem(seed=seed)

        def first(i: int, barrier: threading.Barrier) -> None:
            barrier.wait()
            g.keyvalue["b"][f"k{i}"] = b"v"
            g.blobstore.put("c", f"o{i}", b"v")
            g.runtime(g.worker("stress", f"w{i}"))

        run_workers(g, first)
        assert g.keyvalue.snapshot() == {"b": {f"k{i}": b"v" for i in range(THREADS)}}
        assert g.blobstore.snapshot() == {"c": {f"o{i}": b"v" for i in range(THREADS)}}


def test_one_new_worker_invoked_from_many_threads(wit: SimpleNamespace) -> None:
    """Golem creates a worker on its first invocation; many threads invoking the same new
    worker (and component) at once all reach that one worker, and its oplog keeps one
    entry per index (the old fake raised ``Worker already exists`` / ``component ...
    already exists`` and could give two entries one index)."""
    for seed in range(15):
        g = Golem(seed=seed)
        barrier = threading.Barrier(THREADS, timeout=HANG_GUARD_S)

        def call(i: int) -> str:
            def fn() -> str:
                b = wit.kv_types.Bucket.open_bucket("b")
                wit.eventual.set(b, f"k{i}", _value(wit, b"v"))
                return g.current_worker.name

            barrier.wait()
            return g.invoke("new-component", "same", fn)

        with ThreadPoolExecutor(THREADS) as pool:
            names = list(pool.map(call, range(THREADS)))
        assert names == ["same"] * THREADS
        assert [w.name for w in g.workers] == ["same"]
        oplog = g.oplog("new-component", "same")
        assert [e.index for e in oplog] == list(range(1, len(oplog) + 1))
        assert oplog.kinds().count("imported-function-invoked") == THREADS
        assert len(g.invocations("new-component", "same")) == THREADS


def test_injected_failures_are_used_exactly_times_times(wit: SimpleNamespace) -> None:
    """``golem.keyvalue.fail(..., times=n)`` hits exactly ``n`` calls even when they race
    (the old fault plan could hand one failure out once too often and then raise a raw
    ``ValueError`` removing it from its list). Through the bindings, then straight at the
    store's fault plan, where racing calls meet far more often."""
    g = Golem(seed=0)
    for n in range(THREADS * 3):
        g.keyvalue.fail(f"disk I/O error {n}", functions={"get"}, times=1)

    def body(i: int, barrier: threading.Barrier) -> list[str]:
        b = wit.kv_types.Bucket.open_bucket("b")
        failed = []
        for _ in range(4):
            barrier.wait()
            try:
                wit.eventual.get(b, "k")
            except wit.eventual.Err as e:
                failed.append(e.value.trace())
        return failed

    messages = sorted(m for got in run_workers(g, body) for m in got)
    assert messages == sorted(f"disk I/O error {n}" for n in range(THREADS * 3))

    for seed in range(10):
        kv = Golem(seed=seed).keyvalue
        for n in range(THREADS * 40):
            kv.fail(f"{n}", functions={"get"}, times=2)

        def take(i: int) -> list[str | None]:
            return [kv.take_failure("get", "b") for _ in range(100)]

        with ThreadPoolExecutor(THREADS) as pool:
            taken = [m for got in pool.map(take, range(THREADS)) for m in got]
        assert sorted(m for m in taken if m is not None) == sorted(
            [f"{n}" for n in range(THREADS * 40)] * 2)


class _Key:
    """A stand-in worker key (hashable by identity, with ``.key``)."""

    key: tuple[str, str]


def test_test_side_reads_copy_in_one_step_even_when_the_collector_runs(
        wit: SimpleNamespace) -> None:
    """A copy made with ``list(d.items())`` allocates a tuple per item, so a garbage
    collection can start half-way and run Python code (weakref callbacks: every
    dropped resource's finalizer), during which another thread may switch in and change
    the dict — a raw ``RuntimeError`` seen once in a fresh-clone CI run on Python 3.11.
    The reads copy with ``dict.copy()`` (no Python code can run during it). Here a
    collector callback stands in for the other thread, deterministically."""
    import gc

    from wit_world.imports import host

    g = Golem(seed=1)
    with g:
        for _ in range(50):
            host.create_promise()
            host.generate_idempotency_key()
    for i in range(50):
        g.runtime(g.add_worker("stress", f"w-{i}"))
    store, runtimes = g.promise_store, g._runtimes
    spare_promise = next(iter(store._promises.items()))
    spare_runtime = next(iter(runtimes.items()))
    added = [0]

    def meddle(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":  # what another thread could do at this moment
            added[0] += 1
            store._promises[("gc", added[0])] = spare_promise[1]  # type: ignore[index]
            key = _Key()
            key.key = ("gc", f"w-{added[0]}")
            runtimes[key] = spare_runtime[1]  # type: ignore[index]

    threshold = gc.get_threshold()
    gc.callbacks.append(meddle)
    gc.set_threshold(1)
    try:
        for _ in range(20):
            assert len(g.promises) >= 50
            assert len(g.idempotency_keys) >= 1
            assert len(g.registry) >= 50
    finally:
        gc.set_threshold(*threshold)
        gc.callbacks.remove(meddle)
    assert added[0] > 0  # the collector did run during the reads


def test_the_test_reads_state_while_workers_change_it(wit: SimpleNamespace) -> None:
    """The test side (``golem.promises``, ``golem.idempotency_keys``, ``golem.workers``,
    the store views) can be read from one thread while workers in others create promises,
    runtimes and workers: every read is a consistent copy, never a raw ``RuntimeError``
    (dictionary changed size during iteration)."""
    from wit_world.imports import host

    for seed in range(3):
        g, rounds = Golem(seed=seed), 40
        done = threading.Event()
        seen: list[int] = []
        failures: list[BaseException] = []

        def body(i: int, barrier: threading.Barrier) -> None:
            for j in range(rounds):
                host.create_promise()
                host.generate_idempotency_key()
                g.runtime(g.add_worker("stress", f"extra-{i}-{j}"))

        def reader() -> None:
            try:
                while not done.is_set():
                    seen.append(len(g.promises) + len(g.idempotency_keys) + len(g.workers))
            except BaseException as e:      # re-raised in the test's thread below
                failures.append(e)

        watcher = threading.Thread(target=reader)
        watcher.start()
        try:
            run_workers(g, body)
        finally:
            done.set()
            watcher.join()
        if failures:
            raise failures[0]
        assert seen, "the reader never ran"
        assert len(g.promises) == THREADS * rounds
        assert sum(len(k) for k in g.idempotency_keys.values()) == THREADS * rounds
        assert len(g.workers) == THREADS * (rounds + 1)


def test_reading_a_file_system_while_its_worker_changes_it(wit: SimpleNamespace) -> None:
    """A test snapshotting ``golem.filesystem(worker)`` while the worker creates and
    removes files from another thread gets a consistent listing each time, never a raw
    ``KeyError`` for a file removed in between (the old walk listed the names, then
    looked each one up)."""
    from wit_world.imports import preopens
    from wit_world.imports import wasi_filesystem_types as t

    g = Golem(seed=0)
    g.add_worker("stress", "files")
    fs = g.filesystem(g.worker("stress", "files"))
    started, done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def churn() -> None:
        try:
            with g.run_as("stress", "files"):
                root = preopens.get_directories()[0][0]
                started.set()
                for n in range(1000):
                    for k in range(4):
                        root.open_at(t.PathFlags(0), f"f{n}-{k}", t.OpenFlags.CREATE,
                                     t.DescriptorFlags.WRITE)
                    for k in range(4):
                        root.unlink_file_at(f"f{n}-{k}")
                root.open_at(t.PathFlags(0), "kept", t.OpenFlags.CREATE,
                             t.DescriptorFlags.WRITE)
        except BaseException as e:      # re-raised in the test's thread below
            failures.append(e)
        finally:
            started.set()
            done.set()

    worker = threading.Thread(target=churn)
    worker.start()
    started.wait(HANG_GUARD_S)
    try:
        while not done.is_set():
            assert all(p.startswith("/f") or p == "/kept" for p in fs.snapshot())
    finally:
        done.set()
        worker.join()
    if failures:
        raise failures[0]
    assert fs.snapshot() == {"/kept": b""}
