"""``print()`` in worker code under the fixture reaches the worker's stdout / stderr
(``golem.console()``), as it reaches ``wasi:cli/stdout`` inside a component, while
pytest's own capture, ``capsys`` and ``-s`` keep working (golem_fakes/state/stdio.py)."""

from __future__ import annotations

import pytest

SOURCE = """
    import sys
    import golem_fakes

    def test_print_reaches_the_console(golem):
        print("from the worker")
        print("oops", file=sys.stderr)
        assert golem.console().stdout == b"from the worker\\n"
        assert golem.console().stderr == b"oops\\n"
        assert [e.payload["message"] for e in golem.oplog() if e.kind == "log"] == [
            "from the worker", "\\n", "oops", "\\n"]

    def test_capsys_still_sees_it(golem, capsys):
        print("seen")
        assert capsys.readouterr().out == "seen\\n"
        assert golem.console().stdout == b"seen\\n"

    def test_other_worker_gets_its_own(golem):
        with golem.run_as("other", "w2"):
            print("second")
        assert golem.console("other", "w2").stdout == b"second\\n"
        assert golem.console().stdout == b""

    def test_opt_out(golem):
        golem.console().capture_print = False
        print("not recorded")
        assert golem.console().stdout == b""

    def test_streams_restored_without_a_golem():
        assert type(sys.stdout).__name__ != "StdioTee"
        assert type(sys.stderr).__name__ != "StdioTee"

    def test_failing_shows_output(golem):
        print("visible in the report")
        assert False
"""


@pytest.mark.parametrize("capture", ["fd", "sys", "no"])
def test_print_in_worker_code_is_captured_per_worker(pytester: pytest.Pytester,
                                                     capture: str) -> None:
    pytester.makepyfile(SOURCE)
    result = pytester.runpytest_subprocess(f"--capture={capture}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=5, failed=1)
    if capture != "no":
        result.stdout.fnmatch_lines(["*Captured stdout call*", "visible in the report"])


def test_print_outside_pytest_is_recorded_and_passed_on() -> None:
    import io
    import sys

    import golem_fakes

    buf = io.StringIO()
    old = sys.stdout
    sys.stdout = buf
    try:
        g = golem_fakes.Golem()
        with g:
            print("hi")
            with g:                      # nested: same invocation, one tee
                print("there")
        print("after")                   # no Golem entered: only passed on
        assert sys.stdout is buf
    finally:
        sys.stdout = old
    assert buf.getvalue() == "hi\nthere\nafter\n"
    assert g.console().stdout == b"hi\nthere\n"


def test_forwarded_log_records_are_not_worker_stderr() -> None:
    """Python's last-resort handler prints forwarded ``wasi:logging`` warnings to
    ``sys.stderr``; that text is Golem's log, not the worker's stderr."""
    import io
    import logging
    import sys

    import golem_fakes

    golem_fakes.install()
    from wit_world.imports import logging as wasi_logging

    buf = io.StringIO()
    old, sys.stderr = sys.stderr, buf
    saved = (logging.lastResort, logging.root.handlers[:])
    logging.root.handlers.clear()                     # so the last-resort handler runs
    logging.lastResort = logging._StderrHandler(logging.WARNING)  # the stdlib default
    try:
        g = golem_fakes.Golem()
        with g:
            wasi_logging.log(wasi_logging.Level.ERROR, "ctx", "boom")
            logging.getLogger("worker.code").error("own")   # the worker's own logging
    finally:
        sys.stderr = old
        logging.lastResort, logging.root.handlers[:] = saved[0], saved[1]
    assert "boom" in buf.getvalue() and "own" in buf.getvalue()
    assert g.console().stderr == b"own\n"


def test_invocation_stderr_is_its_stderr_output_only() -> None:
    """Golem attaches the stderr written during a failed invocation to its error; log
    lines are not part of it (v1.3.0-dev.25, golem-io-semantics.md §3)."""
    import sys

    import golem_fakes

    golem_fakes.install()
    from wit_world.imports import logging as wasi_logging
    from wit_world.imports import stderr

    g = golem_fakes.Golem()

    def fail() -> None:
        print("before the crash", file=sys.stderr)
        stderr.get_stderr().blocking_write_and_flush(b"binding line\n")
        wasi_logging.log(wasi_logging.Level.ERROR, "ctx", "a log line")
        raise ValueError("boom")

    with g.run_as("c", "w"):
        print("an earlier invocation", file=sys.stderr)
    try:
        g.invoke("c", "w", fail)
    except ValueError:
        pass
    first, second = g.invocations("c", "w")
    assert first.stderr == "an earlier invocation\n"
    assert second.outcome == "failed"
    assert second.stderr == "before the crash\nbinding line\n"
