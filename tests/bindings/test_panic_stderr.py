"""A lowering panic writes componentize-py's runtime panic text to the worker's stderr
before the trap (golem_fakes/bindings/panic.py; checked against the real component by
the differential probes rand.random_bytes_negative and log.bad_level_traps)."""

from __future__ import annotations

import pytest

import golem_fakes
from golem_fakes.bindings.panic import panic_writes
from golem_fakes.bindings.runtime import Panic, Trap

NOTE = b"note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace\n"


@pytest.fixture
def g() -> golem_fakes.Golem:
    golem_fakes.install()
    g = golem_fakes.Golem()
    g.add_component("c")
    g.add_worker("c", "w")
    return g


def test_negative_length_writes_the_runtime_panic_to_stderr(g: golem_fakes.Golem) -> None:
    from wit_world.imports import random

    with g.run_as("c", "w"):
        with pytest.raises(Trap):
            random.get_random_bytes(-1)
        stderr = g.console().stderr
    # componentize-py 0.19.3 runtime/src/lib.rs:1466 is pop_u64's `.extract(py).unwrap()`
    assert stderr == (
        b"\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1466:67:\n"
        b"called `Result::unwrap()` on an `Err` value: PyErr { type: <class 'OverflowError'>, "
        b"value: OverflowError(\"can't convert negative int to unsigned\"), traceback: None }\n"
        + NOTE)
    logs = [e["message"] for e in g.oplog(g.worker("c", "w")).entries if e.kind == "log"]
    assert len(logs) == 2 and logs[1] == NOTE.decode()  # two writes, as Rust's hook


def test_enum_without_value_writes_pop_enums_panic(g: golem_fakes.Golem) -> None:
    from wit_world.imports import logging

    with g.run_as("c", "w"):
        with pytest.raises(Trap):
            logging.log("info", "ctx", "msg")  # type: ignore[arg-type]
        stderr = g.console().stderr
    assert stderr.startswith(b"\nthread '<unnamed>' (1) panicked at runtime/src/lib.rs:1541:18:\n"
                             b"called `Result::unwrap()` on an `Err` value: PyErr { type: "
                             b"<class 'AttributeError'>, value: AttributeError(\"'str' object "
                             b"has no attribute 'value'\")")


def test_a_bare_environment_has_no_stderr_to_write_to(capsys: pytest.CaptureFixture[str]) -> None:
    golem_fakes.install()
    from wit_world.imports import random

    with golem_fakes.Environment():
        with pytest.raises(Trap):
            random.get_random_bytes(-1)
    assert "panicked" not in capsys.readouterr().err


def test_locations_follow_the_release() -> None:
    # componentize-py 0.17.0 (Golem's templates): componentize_py_to_canon_u64 at
    # runtime/src/lib.rs:579, `value.extract().unwrap()`; no thread id (older Rust).
    # Observed: a 0.17.0 component calling get-random-bytes(-1) under wasmtime-py 51
    # wrote exactly this head and note to stderr.
    err = OverflowError("can't convert negative int to unsigned")
    head, note = panic_writes("u64", err, "0.17.0")
    assert head.startswith(b"\nthread '<unnamed>' panicked at runtime/src/lib.rs:579:21:\n")
    assert note == NOTE
    assert panic_writes("u8", err, "0.17.0")[0] == panic_writes("u32", err, "0.17.0")[0]
    assert b"lib.rs:1454:67" in panic_writes("u8", err, "0.19.3")[0]
    assert b"lib.rs:1504:89" in panic_writes("string", TypeError("x"), "0.19.3")[0]
    char = panic_writes("char", Panic("assertion failed: `chars().count() == 1`"), "0.19.3")
    assert char[0].endswith(b"lib.rs:1491:9:\nassertion failed: value.chars().count() == 1\n")
    assert panic_writes("record-thing", err, "0.19.3") == []  # unknown location: nothing
    assert panic_writes("u64", err, "9.9.9") == []
