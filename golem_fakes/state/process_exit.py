"""``ProcessExited``: the worker called ``wasi:cli/exit``.

What Golem does (``docs/golem-io-semantics.md`` §5.7 and §6 rule 23; Golem v1.3.0-dev.25):
``exit(ok)`` (code 0), ``exit(err)`` (code 1) and ``exit-with-code(n)`` all go to
wasmtime's host, which ends the Wasm call with an ``I32Exit`` error. The executor treats
that as ``TrapType::Exit`` whatever the code (``on_invocation_failure`` in
``golem-worker-executor/src/durable_host/mod.rs``): it appends and commits an ``exited``
hint entry, sets the worker's status to ``Exited``, never retries, and fails the
invocation with the runtime error ``Process exited``. Every later invocation of the worker
is refused with ``The previously invoked function exited`` (``ensure_not_failed`` in
``golem-worker-executor/src/grpc/mod.rs``).

golem-fakes raises :class:`ProcessExited` from the exit functions — never ``SystemExit``,
so the pytest process keeps running — and :meth:`golem_fakes.Golem` ends the invocation
as above when it leaves the ``with golem:`` / ``run_as`` / ``invoke`` block (also when the
test caught the exception inside the block: the worker exited all the same).
"""

from __future__ import annotations

from golem_fakes.bindings.runtime import Trap

__all__ = ["ProcessExited", "EXIT_INVOCATION_ERROR", "EXITED_REJECTION"]

#: The invocation's error (Golem: ``WorkerExecutorError::runtime("Process exited")``,
#: rendered "Runtime error: Process exited").
EXIT_INVOCATION_ERROR = "Process exited"

#: Golem's ``PreviousInvocationExited`` text (``golem-service-base/src/error/worker_executor.rs``).
EXITED_REJECTION = "The previously invoked function exited"


class ProcessExited(Trap):
    """The worker called ``wasi:cli/exit`` ``exit`` or ``exit-with-code``: the current
    invocation ends here (``code``: 0 for ``exit(ok)``, 1 for ``exit(err)``, ``n`` for
    ``exit-with-code(n)``). Golem handles every code alike: the invocation fails with
    ``Process exited``, the worker becomes ``exited`` and accepts no further invocation.

    A :class:`~golem_fakes.Trap` (a ``BaseException``), so worker code's ``except
    Exception`` cannot swallow it, and never ``SystemExit``: test it with
    ``pytest.raises(ProcessExited)``."""

    def __init__(self, code: int, *, interface: str = "wasi:cli/exit@0.2.3",
                 function: str = "exit") -> None:
        super().__init__(
            f"{EXIT_INVOCATION_ERROR} (exit code {code}, {interface}#{function}): Golem ends "
            f"the invocation, marks the worker exited and rejects its later invocations "
            f"with {EXITED_REJECTION!r}",
            interface=interface, function=function)
        self.code = code
