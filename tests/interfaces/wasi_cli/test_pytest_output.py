"""Worker output of a failing test is shown by pytest: stdout / stderr under "Captured
stdout/stderr call" (echoed at write time), wasi:logging under "Captured log call";
``exit`` fails the test that called it, never the pytest process.

One inner session (pytester, in-process) runs all the inner tests: in-process pytester
runs drop modules they imported first, so separate inner runs would see stale binding
modules."""

from __future__ import annotations

import pytest


def test_failing_test_shows_worker_output_and_exit_fails_only_its_test(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from componentize_py_types import Ok
        from wit_world.imports import exit, logging, stderr, stdout

        def test_fails(golem):
            stdout.get_stdout().blocking_write_and_flush("worker says hi ✓\\n".encode())
            stderr.get_stderr().blocking_write_and_flush(b"worker complains\\n")
            logging.log(logging.Level.INFO, "orders", "order 42 placed")
            assert golem.console().stdout == b"something else"

        def test_passes(golem):
            stdout.get_stdout().blocking_write_and_flush(b"quiet when passing\\n")

        def test_exits(golem):
            exit.exit(Ok(None))

        def test_after_exit():
            pass
    """)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=2, passed=2)
    out = result.stdout.str()
    assert "Captured stdout call" in out and "worker says hi ✓" in out
    assert "Captured stderr call" in out and "worker complains" in out
    assert "Captured log call" in out and "order 42 placed" in out
    assert "quiet when passing" not in out
    result.stdout.fnmatch_lines(["*ProcessExited: Process exited (exit code 0*"])
