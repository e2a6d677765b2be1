"""The Rust worker (``lib.rs``, built as cargo-component builds a Golem Rust worker:
rustc for wasm32-wasi, the world embedded, the preview1 reactor adapter) run as a worker
of a ``Golem`` through golem_fakes.compiled: its std's stdout, environment and files,
and its imports of golem:api/host, wasi:random and wasi:clocks, are the fakes'.

Most tests use the ``golem`` fixture (the test's own code is the default Python worker)
with ``rust-test`` added as the compiled component. The crash-point tests take a plain
``Golem`` (``plain``): ``explore_crashes`` copies the environment, which cannot be done
while the fixture's own worker is running the test.
"""

from __future__ import annotations

import datetime as dt
import uuid
from pathlib import Path

import pytest

pytest.importorskip("wasmtime")

import golem_fakes  # noqa: E402
from golem_fakes import Golem  # noqa: E402
from golem_fakes.bindings.result import Err  # noqa: E402
from golem_fakes.bindings.runtime import Trap  # noqa: E402

RS = "rust-test"
API = "golem-fakes:rust-test/api"
ENV = {"GREETING": "hej", "EMPTY": ""}
FILES = {"/data/hello.txt": "hi from the component's files\n".encode()}


def _add(g: Golem, wasm: Path) -> Golem:
    g.add_component(RS, wasm=wasm, env=ENV, files=FILES)
    return g


@pytest.fixture
def rs(golem: Golem, rust_wasm: Path) -> Golem:
    return _add(golem, rust_wasm)


@pytest.fixture
def plain(rust_wasm: Path) -> Golem:
    golem_fakes.install()
    return _add(Golem(seed=7), rust_wasm)


def test_println_is_the_worker_s_stdout(rs: Golem) -> None:
    assert rs.invoke(RS, "alice", "greet", "Zoë 🦀") == "hello, Zoë 🦀!"   # UTF-8 both ways
    assert rs.invoke(RS, "alice", f"{API}.{{greet}}", "") == "hello, !"
    console = rs.console(RS, "alice")
    assert console.stdout == "hello, Zoë 🦀!\nhello, !\n".encode()
    assert console.stderr == b""
    assert rs.invoke(RS, "bob", "notes") == []           # every worker has its own instance
    assert rs.console(RS, "bob").stdout == b""           # and its own console


def test_module_state_and_a_list_of_strings(rs: Golem) -> None:
    assert [rs.invoke(RS, "alice", "note", text) for text in ("one", "", "três")] == [1, 2, 3]
    assert rs.invoke(RS, "alice", "notes") == ["one", "", "três"]
    assert rs.console(RS, "alice").text() == "note 1: one\nnote 2: \nnote 3: três\n"
    assert rs.invoke(RS, "bob", "note", "b") == 1


def test_random_is_the_golem_seed_s(rs: Golem, rust_wasm: Path) -> None:
    first = [rs.invoke(RS, "alice", "random") for _ in range(3)]
    assert len(set(first)) == 3 and all(0 <= v < 2**64 for v in first)
    again = _add(rs.fresh(), rust_wasm)                  # the same seed: the same values
    assert [again.invoke(RS, "alice", "random") for _ in range(3)] == first
    other = _add(Golem(seed=rs.seed + 1), rust_wasm)
    assert other.invoke(RS, "alice", "random") != first[0]
    assert rs.call_count("wasi:random/random@0.2.3", "get-random-u64") == 3
    calls = [e for e in rs.oplog(RS, "alice")
             if e.get("function_name") == "golem random::get_random_u64"]
    assert len(calls) == 3                               # each one recorded


def test_the_clock_is_the_virtual_clock(rs: Golem) -> None:
    seconds, nanos = rs.invoke(RS, "alice", "now")
    assert seconds * 1000 + nanos // 1_000_000 == rs.clock.wall_ms()
    rs.clock.advance(dt.timedelta(minutes=90, milliseconds=250))
    later, later_nanos = rs.invoke(RS, "alice", "now")
    assert (later * 10**9 + later_nanos) - (seconds * 10**9 + nanos) == 5400_250_000_000


def test_oplog_index_grows_and_is_a_no_op_entry(rs: Golem) -> None:
    first = rs.invoke(RS, "alice", "oplog-index")
    second = rs.invoke(RS, "alice", "oplog-index")
    oplog = rs.oplog(RS, "alice")
    assert first < second < oplog.current_index
    # Golem's get-oplog-index appends a no-op entry and returns its index
    assert [e.kind for e in oplog if e.index in (first, second)] == ["no-op", "no-op"]
    invoked = [e.index for e in oplog if e.kind == "exported-function-invoked"]
    assert invoked[0] < first < invoked[1] < second


def test_the_idempotency_key_derives_from_the_invocation_s(rs: Golem, rust_wasm: Path) -> None:
    key = rs.invoke(RS, "alice", "idempotency-key", idempotency_key="order-1")
    assert uuid.UUID(key) in rs.idempotency_keys[(RS, "alice")]   # formatted by the Rust code
    again = _add(rs.fresh(), rust_wasm)
    assert again.invoke(RS, "alice", "idempotency-key", idempotency_key="order-1") == key
    other = again.invoke(RS, "alice", "idempotency-key", idempotency_key="order-2")
    assert uuid.UUID(other) != uuid.UUID(key)


def test_std_env_reads_the_worker_s_environment(rs: Golem) -> None:
    assert rs.invoke(RS, "alice", "env", "GREETING") == "hej"     # add_component(env=...)
    assert rs.invoke(RS, "alice", "env", "EMPTY") == ""
    assert rs.invoke(RS, "alice", "env", "UNSET") is None
    assert rs.invoke(RS, "alice", "env", "GOLEM_WORKER_NAME") == "alice"   # Golem's own
    component_id = str(rs.registry.component(RS).component_id)
    assert rs.invoke(RS, "alice", "env", "GOLEM_COMPONENT_ID") == component_id
    rs.add_worker(RS, "bob", env={"GREETING": "hallo"})          # the worker's own env first
    assert rs.invoke(RS, "bob", "env", "GREETING") == "hallo"


def test_std_fs_reads_and_writes_the_worker_s_files(rs: Golem) -> None:
    assert rs.invoke(RS, "alice", "read-file", "/data/hello.txt") == \
        "hi from the component's files\n"                          # add_component(files=...)
    with pytest.raises(Err) as e:
        rs.invoke(RS, "alice", "read-file", "/data/missing.txt")
    assert e.value.value == "/data/missing.txt: No such file or directory (os error 44)"
    assert rs.invoke(RS, "alice", "write-file", "/notes.txt", "written by Rust") is None
    assert rs.filesystem(RS, "alice")["/notes.txt"] == b"written by Rust"   # the test's view
    rs.filesystem(RS, "alice")["/data/from-test.txt"] = b"written by the test"
    assert rs.invoke(RS, "alice", "read-file", "/data/from-test.txt") == "written by the test"
    with pytest.raises(Err, match=r"^/data/hello.txt: Permission denied"):   # read-only
        rs.invoke(RS, "alice", "write-file", "/data/hello.txt", "overwritten")
    with pytest.raises(Err, match="No such file"):               # each worker its own files
        rs.invoke(RS, "bob", "read-file", "/notes.txt")


def test_a_crash_drops_the_instance_and_recovery_replays_without_printing_again(
        rs: Golem) -> None:
    rs.invoke(RS, "alice", "note", "a")
    rs.invoke(RS, "alice", "note", "b")
    value = rs.invoke(RS, "alice", "random")
    printed = rs.console(RS, "alice").stdout
    before = rs.instance(RS, "alice").wasm
    rs.crash(RS, "alice")
    assert rs.runtime(RS, "alice").crashes == 1
    # Rust's statics are rebuilt by replaying the three invocations into a new instance
    assert rs.invoke(RS, "alice", "notes") == ["a", "b"]
    assert rs.instance(RS, "alice").wasm is not before and before.dropped
    assert rs.console(RS, "alice").stdout == printed             # replay prints nothing
    # the replayed get-random-u64 answered from its entry: none added, none lost
    assert sum(e.get("function_name") == "golem random::get_random_u64"
               for e in rs.oplog(RS, "alice")) == 1
    assert rs.invoke(RS, "alice", "random") != value
    assert rs.invoke(RS, "alice", "note", "c") == 3


def test_a_crash_inside_an_invocation_recovers_and_finishes_it(plain: Golem,
                                                               rust_wasm: Path) -> None:
    plain.invoke(RS, "alice", "note", "first")
    uncrashed = _add(plain.fresh(), rust_wasm)
    uncrashed.invoke(RS, "alice", "note", "first")
    expected = uncrashed.invoke(RS, "alice", "stamp", "s")
    # right after stamp's first recorded host call, golem:api/host.get-oplog-index
    plain.crash(RS, "alice", after=1)
    assert plain.invoke(RS, "alice", "stamp", "s") == expected
    assert plain.runtime(RS, "alice").crashes == 1
    assert plain.invoke(RS, "alice", "notes") == ["first", expected]
    assert plain.console(RS, "alice").text() == f"note 1: first\n{expected}\n"


def test_every_crash_point_of_an_invocation_finishes_it_once(plain: Golem) -> None:
    """At every crash point of ``stamp`` (before it, after each of its three recorded
    host calls) the recovery replays ``note`` and finishes ``stamp`` once: one note, the
    line printed once, the oplog index the one the uncrashed run got. A host call whose
    entry the crash lost (read-local entries are not committed before they return, as in
    Golem) runs again live: the random value can differ."""
    plain.invoke(RS, "alice", "note", "first")
    indexes: set[str] = set()

    def finished_once(copy: Golem, line: object) -> None:
        assert isinstance(line, str) and line.startswith("s #")
        assert copy.invoke(RS, "alice", "notes") == ["first", line]
        assert copy.console(RS, "alice").text() == f"note 1: first\n{line}\n"
        indexes.add(line.split()[1])

    report = plain.explore_crashes(RS, "alice", "stamp", "s", check=finished_once)
    assert report.host_calls == 3          # get-oplog-index, get-random-u64, wall-clock now
    assert len(report.points) == 4 and not report.failures
    assert len(indexes) == 1
    assert plain.invoke(RS, "alice", "notes") == ["first"]   # the Golem itself is unchanged


def test_a_panic_traps_with_its_message_on_stderr(plain: Golem) -> None:
    from golem_fakes.state.invocation import RetryPolicy

    plain.retry_policy = RetryPolicy(max_attempts=0)   # one attempt: one panic message
    plain.invoke(RS, "alice", "note", "before")
    with pytest.raises(Trap, match=r"api.\{fail\}: the component trapped"):
        plain.invoke(RS, "alice", "fail", "out of coffee")
    stderr = plain.console(RS, "alice").stderr.decode()
    assert stderr.startswith("thread '<unnamed>' panicked at 'out of coffee', lib.rs:")
    assert stderr.count("panicked at") == 1
    assert plain.worker(RS, "alice").status.name == "FAILED"


def test_a_panic_is_retried_per_the_retry_policy(plain: Golem) -> None:
    """Golem retries a trapped invocation (``max_attempts`` retries); a panic traps
    every attempt, so the worker fails after them, each attempt's panic on stderr."""
    with pytest.raises(Trap):
        plain.invoke(RS, "alice", "fail", "again")
    attempts = 1 + plain.retry_policy.max_attempts
    assert plain.console(RS, "alice").stderr.decode().count("panicked at 'again'") == attempts
    assert plain.worker(RS, "alice").status.name == "FAILED"
