"""Behaviour of ``wasi:cli@0.2.3``: ``environment``, ``exit``, ``stdin`` / ``stdout`` /
``stderr`` and the ``terminal-*`` interfaces, as a Golem worker sees them.

Golem links wasmtime's WASI host for these interfaces and changes it in a few places
(``docs/golem-io-semantics.md`` §5; ``golem-worker-executor/src/durable_host/cli/`` and
``durable_host/io/mod.rs`` at v1.3.0-dev.25):

* ``environment``: the worker's arguments and environment (with Golem's injected
  ``GOLEM_*`` variables, §5.4), no working directory; every call recorded (§5.1);
* ``stdout`` / ``stderr``: captured per worker as events and oplog ``log`` entries,
  never the executor's console (§5.6) — here :class:`~golem_fakes.state.console.Console`;
* ``stdin``: every read traps with ``standard input is disabled`` (§5.6);
* ``terminal-stdin`` / ``-stdout`` / ``-stderr``: ``none`` (not a terminal, §5.6);
* ``exit``: ends the invocation and marks the worker exited (§5.7).

The state lives on the current :class:`~golem_fakes.Golem`; under a bare
:class:`~golem_fakes.Environment` these functions raise
:class:`~golem_fakes.NotFaked` (except ``exit``, terminal getters and ``get-stdin``,
which need no state), like the storage interfaces.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.runtime import NotFaked

__all__ = ["ENVIRONMENT", "EXIT", "STDIN", "STDOUT", "STDERR", "TERMINAL_INPUT",
           "TERMINAL_OUTPUT", "TERMINAL_STDIN", "TERMINAL_STDOUT", "TERMINAL_STDERR",
           "READ_LOCAL", "require_golem"]

ENVIRONMENT = "wasi:cli/environment@0.2.3"
EXIT = "wasi:cli/exit@0.2.3"
STDIN = "wasi:cli/stdin@0.2.3"
STDOUT = "wasi:cli/stdout@0.2.3"
STDERR = "wasi:cli/stderr@0.2.3"
TERMINAL_INPUT = "wasi:cli/terminal-input@0.2.3"
TERMINAL_OUTPUT = "wasi:cli/terminal-output@0.2.3"
TERMINAL_STDIN = "wasi:cli/terminal-stdin@0.2.3"
TERMINAL_STDOUT = "wasi:cli/terminal-stdout@0.2.3"
TERMINAL_STDERR = "wasi:cli/terminal-stderr@0.2.3"

#: ``DurableFunctionType::ReadLocal`` (§5.1).
READ_LOCAL = "read-local"


def require_golem(env: Any, interface: str, function: str, what: str) -> Any:
    """``env`` if it is a :class:`~golem_fakes.Golem` (which knows the calling worker),
    else :class:`NotFaked` saying how to proceed."""
    from golem_fakes.state.golem import Golem

    if isinstance(env, Golem):
        return env
    raise NotFaked(
        f"{interface}#{function} needs a golem_fakes.Golem environment (it {what} of the "
        f"worker the code runs as), but the current environment is {env!r}. Use "
        f"`with golem_fakes.Golem():` (or the golem fixture), or override the function "
        f"with env.implement({interface!r}, {function!r}, ...).",
        interface=interface, function=function)
