"""Behaviour of ``wasi:cli/exit@0.2.3``: ``exit`` and the unstable ``exit-with-code``.

What Golem does (``docs/golem-io-semantics.md`` §5.7, §6 rule 23; Golem v1.3.0-dev.25,
``golem-worker-executor/src/durable_host/cli/exit.rs`` → wasmtime's host, which ends the
Wasm call with ``I32Exit(code)``): ``exit(ok)`` is code 0, ``exit(err)`` code 1,
``exit-with-code(n)`` code ``n``, and all are handled alike — the invocation stops, an
``exited`` hint entry is written, nothing is retried, the invocation fails with
``Process exited``, the worker's status becomes ``exited`` and later invocations are
refused with ``The previously invoked function exited``. Not recorded as a function call
(§5.1). Golem links ``exit-with-code`` although it is unstable (§5).

Here both raise :class:`~golem_fakes.state.process_exit.ProcessExited` (never
``SystemExit``); :class:`~golem_fakes.Golem` ends the invocation as above.
"""

from __future__ import annotations

from typing import Any, NoReturn

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_cli import EXIT
from golem_fakes.state.process_exit import ProcessExited

__all__ = ["exit", "exit_with_code"]


def _exit(env: Any, code: int, function: str) -> NoReturn:
    exc = ProcessExited(code, interface=EXIT, function=function)
    inv = getattr(env, "current_invocation", None)
    if inv is not None:
        # The worker has exited even if the test catches ProcessExited inside the block:
        # the invocation ends as exited when the block ends (Golem._end_invocation).
        inv.outcome = "exited"
    raise exc


@implements(EXIT, "exit")
def exit(env: Any, status: Any) -> NoReturn:  # noqa: A001 - the WIT function name
    """End the invocation: code 0 for ``Ok(None)``, 1 for ``Err(None)`` (wasmtime's
    ``exit``); Golem treats both alike (see the module docstring)."""
    _exit(env, 0 if type(status) is Ok else 1, "exit")


@implements(EXIT, "exit-with-code")
def exit_with_code(env: Any, status_code: int) -> NoReturn:
    """End the invocation with ``status_code`` (0..255); Golem treats every code alike,
    0 included (see the module docstring)."""
    _exit(env, status_code, "exit-with-code")
