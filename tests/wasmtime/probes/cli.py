"""wasi:cli probes: environment, arguments, initial-cwd, stdio, terminals, exit.

Golem differences (see ``EXPECTED_OVERRIDES`` in ``test_differential.py``): stdin
reads trap in Golem (golem-io-semantics.md §5.6) where wasmtime's unconfigured stdin
is closed. The ``GOLEM_*`` variables (§5.4), ``initial-cwd`` none (§5.4) and the
terminal getters returning none (§5.6) coincide with wasmtime as configured by the
runner (same env list; stdout/stderr captured to files, so not terminals).
"""

from __future__ import annotations

from componentize_py_types import Err, Ok
from wit_world.imports import (environment, exit, stderr, stdin, stdout, terminal_stderr,
                               terminal_stdin, terminal_stdout)

from ._util import render, try_


def probe_arguments(out: list[str]) -> None:
    args = environment.get_arguments()
    out.append(f"type: {type(args).__name__}")
    out.append(f"count: {len(args)}")
    for a in args:
        out.append(f"arg: {a!r}")


def probe_environment(out: list[str]) -> None:
    env = environment.get_environment()
    out.append(f"type: {type(env).__name__} of {sorted({type(p).__name__ for p in env})}")
    out.append(f"count: {len(env)}")
    for k, v in env:
        out.append(f"env: {k!r}={v!r}")


def probe_environment_golem_vars(out: list[str]) -> None:
    # golem-io-semantics.md §5.4: GOLEM_WORKER_NAME, GOLEM_COMPONENT_ID,
    # GOLEM_COMPONENT_VERSION appended last, in this order (wasmtime is given the same
    # list by the runner, so both hosts agree).
    env = environment.get_environment()
    keys = [k for k, _ in env]
    out.append(f"last three: {keys[-3:]}")
    d = dict(env)
    cid = d.get("GOLEM_COMPONENT_ID", "")
    out.append(f"component id shape: {[len(p) for p in cid.split('-')]}")
    out.append(f"component id lower-case: {cid == cid.lower()}")
    out.append(f"version is decimal: {d.get('GOLEM_COMPONENT_VERSION', '').isdigit()}")
    out.append(f"no HOME/PATH/PWD: {not any(k in d for k in ('HOME', 'PATH', 'PWD'))}")


def probe_environment_repeatable(out: list[str]) -> None:
    a = environment.get_environment()
    b = environment.get_environment()
    out.append(f"equal: {a == b}")
    out.append(f"same object: {a is b}")
    c = environment.get_arguments()
    d = environment.get_arguments()
    out.append(f"args equal: {c == d}, same object: {c is d}")


def probe_initial_cwd(out: list[str]) -> None:
    out.append(f"initial-cwd: {render(environment.initial_cwd())}")


def probe_stdout_write(out: list[str]) -> None:
    s = stdout.get_stdout()
    n = s.check_write()
    out.append(f"check-write > 0: {n > 0}")
    try_(out, "write", lambda: s.write(b"hello "))
    try_(out, "blocking-write-and-flush", lambda: s.blocking_write_and_flush(b"stdout\n"))
    try_(out, "flush", lambda: s.flush())
    try_(out, "blocking-flush", lambda: s.blocking_flush())
    try_(out, "write unicode", lambda: s.blocking_write_and_flush("h\u00e9 \u2603\n".encode()))
    try_(out, "write empty", lambda: s.write(b""))
    out.append(f"subscribe ready: {s.subscribe().ready()}")


def probe_stderr_write(out: list[str]) -> None:
    s = stderr.get_stderr()
    out.append(f"check-write > 0: {s.check_write() > 0}")
    try_(out, "blocking-write-and-flush", lambda: s.blocking_write_and_flush(b"to stderr\n"))
    try_(out, "write", lambda: s.write(b"more"))
    try_(out, "flush", lambda: s.blocking_flush())


def probe_stdout_many_handles(out: list[str]) -> None:
    # each get-stdout call returns a new handle to the same stream
    a = stdout.get_stdout()
    b = stdout.get_stdout()
    a.blocking_write_and_flush(b"a1\n")
    b.blocking_write_and_flush(b"b1\n")
    a.blocking_write_and_flush(b"a2\n")
    out.append("written through two handles")


def probe_stdout_blocking_write_4096(out: list[str]) -> None:
    s = stdout.get_stdout()
    try_(out, "4096 bytes", lambda: s.blocking_write_and_flush(b"x" * 4095 + b"\n"))


def probe_stdout_blocking_write_4097(out: list[str]) -> None:
    # wasi:io: blocking-write-and-flush takes at most 4096 bytes; wasmtime traps
    s = stdout.get_stdout()
    out.append("before")
    s.blocking_write_and_flush(b"y" * 4096 + b"\n")
    out.append("not reached")


def probe_stdout_large_in_chunks(out: list[str]) -> None:
    s = stdout.get_stdout()
    data = b"".join(b"line %05d\n" % i for i in range(2000))
    pos = 0
    while pos < len(data):
        chunk = data[pos:pos + 4096]
        s.blocking_write_and_flush(chunk)
        pos += len(chunk)
    out.append(f"wrote {pos}")


def probe_stdout_after_drop(out: list[str]) -> None:
    s = stdout.get_stdout()
    s.blocking_write_and_flush(b"first\n")
    s.__exit__(None, None, None)  # drop the handle
    s2 = stdout.get_stdout()
    try_(out, "write after re-get", lambda: s2.blocking_write_and_flush(b"second\n"))


def probe_stdin_get(out: list[str]) -> None:
    s = stdin.get_stdin()
    out.append(f"got: {render(s)}")


def probe_stdin_read(out: list[str]) -> None:
    # Golem traps here ("standard input is disabled", §5.6); wasmtime reports closed
    s = stdin.get_stdin()
    try_(out, "read 10", lambda: s.read(10))


def probe_stdin_blocking_read(out: list[str]) -> None:
    s = stdin.get_stdin()
    try_(out, "blocking-read 10", lambda: s.blocking_read(10))


def probe_stdin_subscribe(out: list[str]) -> None:
    # Golem's ManagedStdIn is always ready (its reads trap); wasmtime's closed stdin too
    s = stdin.get_stdin()
    p = s.subscribe()
    out.append(f"ready: {p.ready()}")
    p.block()
    out.append("blocked ok")


def probe_stdin_skip(out: list[str]) -> None:
    # Golem: skip is read-and-discard, so it traps like read (§5.6)
    s = stdin.get_stdin()
    try_(out, "skip 3", lambda: s.skip(3))


def probe_stdin_read_zero(out: list[str]) -> None:
    # Golem: every read traps, also of 0 bytes (ManagedStdIn::read, §5.6)
    s = stdin.get_stdin()
    try_(out, "read 0", lambda: s.read(0))


def probe_terminals(out: list[str]) -> None:
    # §5.6: Golem's terminal getters return none; wasmtime returns none when the
    # stream is not a terminal (files / closed stdin here)
    out.append(f"terminal-stdin: {render(terminal_stdin.get_terminal_stdin())}")
    out.append(f"terminal-stdout: {render(terminal_stdout.get_terminal_stdout())}")
    out.append(f"terminal-stderr: {render(terminal_stderr.get_terminal_stderr())}")


def probe_exit_ok(out: list[str]) -> None:
    stdout.get_stdout().blocking_write_and_flush(b"before exit\n")
    exit.exit(Ok(None))
    out.append("not reached")


def probe_exit_err(out: list[str]) -> None:
    stdout.get_stdout().blocking_write_and_flush(b"before exit\n")
    exit.exit(Err(None))
    out.append("not reached")


def probe_exit_not_catchable(out: list[str]) -> None:
    try:
        exit.exit(Err(None))
    except Exception:  # the real component cannot catch it either
        out.append("caught (wrong)")
    out.append("not reached")


def probe_stdout_write_above_permit(out: list[str]) -> None:
    # wasmtime's stdout (OutputFile / StdioOutputStream) and Golem's ManagedStdOut both
    # take a write larger than the 1 MiB permit (no budget check)
    s = stdout.get_stdout()
    n = s.check_write()
    out.append(f"check-write: {n}")
    try_(out, "write permit + 1", lambda: s.write(b"p" * (n + 1)))
    s.blocking_flush()


def probe_stdout_write_zeroes(out: list[str]) -> None:
    # wasmtime: the zeroes reach the stdout file; Golem: the executor's own stdout
    # (golem-io-semantics.md §5.6), not the worker's output
    s = stdout.get_stdout()
    s.blocking_write_and_flush(b"[")
    try_(out, "write-zeroes 3", lambda: s.write_zeroes(3))
    try_(out, "blocking-write-zeroes-and-flush 2", lambda: s.blocking_write_zeroes_and_flush(2))
    s.blocking_write_and_flush(b"]")


def probe_stdout_write_zeroes_huge(out: list[str]) -> None:
    # wasmtime-py 50 checks the permit first; wasmtime 33 would allocate 2**63-1 bytes
    # (the executor aborts); the fake traps above the permit
    s = stdout.get_stdout()
    out.append("before")
    s.write_zeroes(2**63 - 1)
    out.append("not reached")


def probe_stdout_blocking_write_zeroes_4097(out: list[str]) -> None:
    # Golem passes blocking-write-zeroes-and-flush to wasmtime's host: at most 4096
    s = stdout.get_stdout()
    out.append("before")
    s.blocking_write_zeroes_and_flush(4097)
    out.append("not reached")
