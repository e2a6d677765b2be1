"""wasi:cli stdin / stdout / stderr and the terminal getters
(docs/golem-io-semantics.md §5.6, §6 rules 16 and 22)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.state.console import Console
from golem_fakes.state.registry import WorkerStatus

STREAMS = "wasi:io/streams@0.2.3"


def logs(g: golem_fakes.Golem, *worker: object) -> list[tuple[str, str, str]]:
    return [(e["level"], e["context"], e["message"]) for e in g.oplog(*worker).entries
            if e.kind == "log"]


# --- stdout / stderr -------------------------------------------------------------------


def test_stdout_writes_are_captured_in_order(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    out = cli.stdout.get_stdout()
    out.write(b"hello ")
    out.blocking_write_and_flush(b"world\n")
    out.flush()
    out.blocking_flush()
    cli.stdout.get_stdout().write(b"again\n")  # a second stream, same sink
    assert g.console().stdout == b"hello world\nagain\n"
    assert g.console().text() == "hello world\nagain\n"
    assert g.console().stderr == b""


def test_stderr_is_captured_separately(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    cli.stdout.get_stdout().write(b"out")
    cli.stderr.get_stderr().blocking_write_and_flush(b"err")
    assert (g.console().stdout, g.console().stderr) == (b"out", b"err")
    assert g.console().text("stderr") == "err"
    with pytest.raises(ValueError, match="stdout' or 'stderr"):
        g.console().text("stdin")  # type: ignore[arg-type]


def test_check_write_is_wasmtimes_stdio_permit(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert cli.stdout.get_stdout().check_write() == 1024 * 1024
    assert cli.stderr.get_stderr().check_write() == 1024 * 1024


def test_large_blocking_write_is_accepted_whole(cli: SimpleNamespace,
                                                g: golem_fakes.Golem) -> None:
    # Golem's blocking-write-and-flush on stdout is a plain write + flush: no 4096 cap.
    data = bytes(range(256)) * 64  # 16 KiB
    cli.stdout.get_stdout().blocking_write_and_flush(data)
    assert g.console().stdout == data
    assert len(logs(g)) == 1


def test_blocking_write_above_the_permit_is_accepted(cli: SimpleNamespace,
                                                     g: golem_fakes.Golem) -> None:
    data = b"z" * (1024 * 1024 + 5)
    cli.stdout.get_stdout().blocking_write_and_flush(data)
    assert g.console().stdout == data


def test_writes_need_no_check_write(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    # Golem's write on stdout/stderr only emits the event (durable_host/io/streams.rs):
    # no permit bookkeeping, unlike wasmtime's file streams.
    out = cli.stdout.get_stdout()
    for i in range(3):
        out.write(b"%d" % i)
    assert g.console().stdout == b"012"


def test_write_above_the_permit_does_not_trap(cli: SimpleNamespace,
                                              g: golem_fakes.Golem) -> None:
    # Golem v1.3.0-dev.25 HostOutputStream::write on ManagedStdOut/ManagedStdErr emits
    # the event and never asks wasmtime's permit (durable_host/io/streams.rs)
    for get, name in ((cli.stdout.get_stdout, "stdout"), (cli.stderr.get_stderr, "stderr")):
        s = get()
        n = s.check_write()
        data = b"q" * (n + 1)
        s.write(data)
        assert getattr(g.console(), name) == data
        g.console().clear()
    assert len(logs(g)) == 2  # one event (and log entry) per write


def test_blocking_write_above_the_permit_is_one_event(cli: SimpleNamespace,
                                                      g: golem_fakes.Golem) -> None:
    # Golem's blocking-write-and-flush is its own write (one event) + blocking-flush
    cli.stdout.get_stdout().blocking_write_and_flush(b"w" * (2 * 1024 * 1024 + 1))
    assert len(logs(g)) == 1


def test_an_empty_write_is_still_an_event(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    # Golem v1.3.0-dev.25: HostOutputStream::write emits InternalWorkerEvent::stdout for
    # any contents, and its Log oplog entry (model/event.rs), also for no bytes
    out = cli.stdout.get_stdout()
    out.write(b"")
    out.blocking_write_and_flush(b"")
    cli.stderr.get_stderr().write(b"")
    assert logs(g) == [("stdout", "", ""), ("stdout", "", ""), ("stderr", "", "")]
    assert g.console().stdout == b"" and g.console().stderr == b""


def test_write_zeroes_go_to_the_executors_stdout(cli: SimpleNamespace, g: golem_fakes.Golem,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    # golem-io-semantics.md §5.6: write-zeroes is wasmtime's, which calls
    # ManagedStdOut::write -> the executor's own stdout, not the worker's output
    out, err = cli.stdout.get_stdout(), cli.stderr.get_stderr()
    out.write(b"a")
    out.write_zeroes(3)
    out.blocking_write_zeroes_and_flush(2)
    err.write_zeroes(1)
    out.write(b"b")
    assert g.console().stdout == b"ab"
    assert g.console().stderr == b""
    assert [m for _, _, m in logs(g)] == ["a", "b"]
    captured = capsys.readouterr()
    assert captured.out == "a\0\0\0\0\0b"  # the executor's stdout (echo + zeroes)
    assert captured.err == "\0"


def test_write_zeroes_on_stdout_is_bounded(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    # wasmtime 33 allocates all the zeroes at once (the executor aborts for a huge
    # length); the fake traps above the permit, in constant time and memory
    from golem_fakes.bindings.runtime import Trap

    out = cli.stdout.get_stdout()
    # a length no host can allocate: the executor's abort (host_buffer_trap)
    with pytest.raises(Trap, match="memory allocation of 9223372036854775807 bytes failed"):
        out.write_zeroes(2**63 - 1)
    with pytest.raises(Trap, match="capacity overflow"):
        out.write_zeroes(2**64 - 1)
    # one the host could allocate but above the permit: the fake's bounded answer
    with pytest.raises(Trap, match="cannot write more zeroes than `check_write` allows"):
        out.write_zeroes(out.check_write() + 1)
    # Golem passes blocking-write-zeroes-and-flush to wasmtime's host: capped at 4096
    with pytest.raises(Trap, match=r"blocking-write-zeroes-and-flush \(expected at most 4096\)"):
        out.blocking_write_zeroes_and_flush(2**63 - 1)
    with pytest.raises(Trap, match="expected at most 4096"):
        cli.stderr.get_stderr().blocking_write_zeroes_and_flush(4097)
    assert g.console().stdout == b""


def test_splice_to_stdout_goes_to_the_executors_stdout(cli: SimpleNamespace,
                                                       g: golem_fakes.Golem,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    # wasmtime's splice / blocking-splice write through ManagedStdOut::write (§5.6)
    from golem_fakes.state.streams import InputStreamRep

    src = InputStreamRep.from_bytes(b"spliced!")
    g.implement("wasi:cli/stdin@0.2.3", "get-stdin", lambda e: src)
    s = cli.stdin.get_stdin()
    out = cli.stdout.get_stdout()
    assert out.splice(s, 3) == 3
    assert out.blocking_splice(s, 100) == 5
    assert g.console().stdout == b""
    assert logs(g) == []
    assert capsys.readouterr().out == "spliced!"


def test_each_write_is_an_oplog_log_entry_decoded_with_replacement(
        cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    out = cli.stdout.get_stdout()
    out.write(b"caf\xc3")  # an UTF-8 sequence split over two writes
    out.write(b"\xa9\n")
    cli.stderr.get_stderr().write(b"bad \xff byte")
    assert logs(g) == [("stdout", "", "caf\ufffd"), ("stdout", "", "\ufffd\n"),
                       ("stderr", "", "bad \ufffd byte")]
    assert all(e.is_hint for e in g.oplog().entries if e.kind == "log")
    # the captured bytes are the raw bytes
    assert g.console().stdout == b"caf\xc3\xa9\n"
    assert g.console().text() == "café\n"
    with pytest.raises(UnicodeDecodeError):
        g.console().text("stderr", errors="strict")


def test_output_is_echoed_for_pytest(cli: SimpleNamespace, g: golem_fakes.Golem,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    out = cli.stdout.get_stdout()
    out.write(b"caf\xc3")
    out.write(b"\xa9!\n")
    cli.stderr.get_stderr().write(b"oops\n")
    captured = capsys.readouterr()
    assert captured.out == "café!\n"  # the split sequence is echoed intact
    assert captured.err == "oops\n"


def test_echo_can_be_switched_off(cli: SimpleNamespace, g: golem_fakes.Golem,
                                  capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    g.console().echo = False
    cli.stdout.get_stdout().write(b"quiet")
    assert capsys.readouterr().out == ""
    assert g.console().stdout == b"quiet"
    monkeypatch.setattr(Console, "echo", False)
    with g.run_as(g.current_worker.component, "other"):
        cli.stderr.get_stderr().write(b"also quiet")
    assert capsys.readouterr().err == ""


def test_output_is_per_worker(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    comp = g.current_worker.component
    cli.stdout.get_stdout().write(b"from worker-1")
    with g.run_as(comp, "w2"):
        cli.stdout.get_stdout().write(b"from w2")
        assert g.console().stdout == b"from w2"
    assert g.console().stdout == b"from worker-1"
    assert g.console(comp, "w2").stdout == b"from w2"
    assert g.console("w2") is g.console(comp, "w2")
    assert logs(g, comp, "w2") == [("stdout", "", "from w2")]


def test_a_stream_of_one_worker_is_an_unknown_handle_in_another(
        cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    """Each worker is its own instance with its own handle table (issue 13 §4)."""
    out = cli.stdout.get_stdout()
    with g.run_as(g.current_worker.component, "w2"):
        with pytest.raises(golem_fakes.Trap, match="unknown handle index"):
            out.write(b"worker-1's stream")
    out.write(b"worker-1's")  # still fine in its own instance
    assert g.console().stdout == b"worker-1's"
    assert g.console(g.current_worker.component.name, "w2").stdout == b""


def test_clear_forgets_captured_output_but_not_the_oplog(cli: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    cli.stdout.get_stdout().write(b"one")
    cli.stderr.get_stderr().write(b"two")
    g.console().clear()
    assert (g.console().stdout, g.console().stderr, g.console().logs) == (b"", b"", [])
    cli.stdout.get_stdout().write(b"three")
    assert g.console().stdout == b"three"
    assert [m for _, _, m in logs(g)] == ["one", "two", "three"]


def test_stdout_subscribe_is_ready(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert cli.stdout.get_stdout().subscribe().ready()


def test_console_repr_names_the_worker(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    cli.stdout.get_stdout().write(b"abc")
    comp = g.current_worker.component.name
    assert repr(g.console()) == (f"<Console {comp}/worker-1: 3 stdout bytes, 0 stderr bytes, "
                                 f"0 log records>")


def test_stdout_needs_a_golem(cli: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="get-stdout"):
            cli.stdout.get_stdout()
        with pytest.raises(golem_fakes.NotFaked, match="get-stderr"):
            cli.stderr.get_stderr()


# --- stdin -------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["read", "blocking_read", "skip", "blocking_skip"])
def test_every_stdin_read_traps(cli: SimpleNamespace, g: golem_fakes.Golem,
                                method: str) -> None:
    s = cli.stdin.get_stdin()
    with pytest.raises(golem_fakes.Trap, match="^standard input is disabled") as info:
        getattr(s, method)(1)
    assert info.value.interface == STREAMS


def test_stdin_pollable_is_ready_at_once(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    s = cli.stdin.get_stdin()
    p = s.subscribe()
    assert p.ready()
    p.block()  # returns immediately
    assert cli.poll.poll([p]) == [0]


def test_a_stdin_read_fails_the_invocation(cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()
    with pytest.raises(golem_fakes.Trap, match="standard input is disabled"):
        g.invoke("component", "reader", lambda: cli.stdin.get_stdin().blocking_read(10))
    assert g.worker("component", "reader").status is WorkerStatus.FAILED


def test_get_stdin_needs_no_golem(cli: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.Trap, match="standard input is disabled"):
            cli.stdin.get_stdin().read(1)


# --- terminals ---------------------------------------------------------------------------


def test_terminal_getters_return_none(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert cli.terminal_stdin.get_terminal_stdin() is None
    assert cli.terminal_stdout.get_terminal_stdout() is None
    assert cli.terminal_stderr.get_terminal_stderr() is None
    # the resource types exist, as types only
    assert isinstance(cli.terminal_input.TerminalInput, type)
    assert isinstance(cli.terminal_output.TerminalOutput, type)


def test_terminal_getters_under_a_bare_environment(cli: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        assert cli.terminal_stdin.get_terminal_stdin() is None
        assert cli.terminal_stdout.get_terminal_stdout() is None
        assert cli.terminal_stderr.get_terminal_stderr() is None


def test_stdio_calls_are_not_recorded_as_function_calls(cli: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    start = len(g.oplog())
    cli.stdout.get_stdout().write(b"x")
    cli.stderr.get_stderr()
    cli.stdin.get_stdin()
    cli.terminal_stdin.get_terminal_stdin()
    assert [e.kind for e in g.oplog().entries[start:]] == ["log"]
