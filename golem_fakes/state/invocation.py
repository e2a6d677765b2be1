"""Invocations and the per-worker executor state the host API acts on.

In Golem, worker code only ever runs inside an *invocation* of an exported function
(``golem-host-semantics.md`` §16 rule 2): the executor appends
``exported-function-invoked`` (carrying the invocation's idempotency key, §7.2),
runs the code with status ``running``, and appends ``exported-function-completed``.
Besides the oplog, the executor keeps per worker (``PrivateDurableWorkerState``,
``golem-worker-executor/src/durable_host/mod.rs``) the in-memory retry-policy override
(§6.1), persistence level (default smart, §5.1), idempotence mode (default true,
§5.2) and the stack of open atomic regions (§4.4) — :class:`WorkerRuntime`.

The invocation the current code runs in is found through :data:`current_invocation`
(a ``ContextVar``, so threads and asyncio tasks each have their own; the binding seam
itself only uses ``runtime.current_environment``).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable

from golem_fakes.state.oplog import Oplog

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.registry import Worker

__all__ = ["RetryPolicy", "DEFAULT_RETRY_POLICY", "Invocation", "WorkerRuntime",
           "current_invocation", "active_invocation", "PendingInvocation", "InvocationRejected", "PERSISTENCE_LEVELS"]

#: WIT case names of ``persistence-level``.
PERSISTENCE_LEVELS = ("persist-nothing", "persist-remote-side-effects", "smart")


@dataclass(frozen=True)
class RetryPolicy:
    """Golem's ``RetryConfig`` (``golem-common/src/model/mod.rs``) in WIT units:
    delays in **nanoseconds** (WIT ``duration``), ``multiplier`` a float,
    ``max_jitter_factor`` ``None`` or a float."""

    max_attempts: int = 3
    min_delay: int = 100_000_000
    max_delay: int = 1_000_000_000
    multiplier: float = 3.0
    max_jitter_factor: float | None = 0.15

    def to_wit(self) -> dict[str, Any]:
        """The WIT ``retry-policy`` record as a dict of Python field names."""
        return {"max_attempts": self.max_attempts, "min_delay": self.min_delay,
                "max_delay": self.max_delay, "multiplier": self.multiplier,
                "max_jitter_factor": self.max_jitter_factor}

    def base_delay_ms(self, count: int) -> int | None:
        """Golem's ``get_delay`` without jitter (§6.3): ``None`` (no retry) if
        ``count >= max_attempts``, else ``min(max_ms, trunc(multiplier)**(count-1) *
        min_ms)`` whole milliseconds (the multiplier is truncated to an integer)."""
        if count >= self.max_attempts:
            return None
        base = int(self.multiplier) ** (max(count, 1) - 1) * (self.min_delay // 1_000_000)
        return min(self.max_delay // 1_000_000, min(base, (1 << 64) - 1))


#: The worker retry policy of Golem's executor config (``RetryConfig::max_attempts_3``,
#: ``golem-common/src/config.rs``; §6.1): 3 attempts, 100 ms .. 1 s, x3, jitter 0.15.
DEFAULT_RETRY_POLICY = RetryPolicy()


class InvocationRejected(Exception):
    """Golem refused to start an invocation (e.g. the worker is failed: "Previous
    invocation failed", ``ensure_not_failed`` in ``golem-worker-executor/src/grpc/mod.rs``)."""


@dataclass(eq=False)
class Invocation:
    """One invocation of an exported function of ``worker``.

    ``idempotency_key`` is the invocation's key (the one the caller gave, else a fresh
    v4 UUID derived from the environment's seed; §7.2); ``start_index`` is the index
    of its ``exported-function-invoked`` entry; ``outcome`` is ``None`` while running,
    then ``"completed"``, ``"failed"``, ``"suspended"``, ``"jumped"`` or ``"exited"``
    (``wasi:cli/exit``; set as soon as the worker calls it); ``error`` holds the failure
    message (``"Process exited"`` for an exit); :attr:`stderr` is what the worker wrote
    to stderr during this invocation — the text Golem attaches to an "invocation failed"
    error (stderr-stream output only, no ``wasi:logging`` lines at v1.3.0-dev.25:
    ``get_last_invocation_errors``, ``golem-io-semantics.md`` §3, §6 rule 16)."""

    golem: "Golem" = field(repr=False)
    worker: "Worker"
    runtime: "WorkerRuntime" = field(repr=False)
    idempotency_key: str
    function_name: str
    start_index: int
    parent: "Invocation | None" = field(default=None, repr=False)
    outcome: str | None = None
    error: str | None = None
    #: The raw stderr writes of this invocation (see :attr:`stderr`).
    stderr_chunks: list[bytes] = field(default_factory=list, repr=False)
    #: True for an invocation of component code (``Golem.invoke`` / ``enqueue``): a trap
    #: inside it is final (issue 13 §3). A test's own ``with golem:`` / ``run_as`` block
    #: is the test's code: a Trap it catches is an assertion, not worker code going on.
    final: bool = field(default=False, repr=False)
    #: The trap that ended this invocation (``final`` invocations), else ``None``.
    trap: BaseException | None = field(default=None, repr=False)
    #: What was invoked, for replay: ``(export, fn, args, kwargs)`` of an invocation of
    #: component code (``Golem.invoke``/``enqueue``); ``None`` for a test block.
    call: Any = field(default=None, repr=False)
    #: True once the worker's instance was lost inside this invocation (a crash, a
    #: jump): whatever the code does afterwards is not the invocation's outcome.
    crashed: bool = field(default=False, repr=False)
    #: While ``outcome`` is ``"retrying"``: the delay before the next attempt (ms, §6.3).
    retry_delay_ms: int = field(default=0, repr=False)

    @property
    def stderr(self) -> str:
        """stderr output of this invocation, UTF-8 decoded with replacement."""
        return b"".join(self.stderr_chunks).decode("utf-8", "replace")


@dataclass(eq=False)
class WorkerRuntime:
    """The executor-side state of one worker (not part of its metadata)."""

    oplog: Oplog = field(default_factory=Oplog)
    #: ``set-retry-policy`` override (``None``: the executor default applies).
    retry_policy: RetryPolicy | None = None
    #: WIT case name of the ``persistence-level`` (default ``smart``, §5.1).
    persistence_level: str = "smart"
    #: Idempotence mode (default true, §5.2); never recorded.
    idempotent: bool = True
    #: Begin indices of open atomic regions, innermost last (§4.4).
    atomic_regions: list[int] = field(default_factory=list)
    #: Every invocation, oldest first.
    invocations: list[Invocation] = field(default_factory=list)
    #: Keys returned by ``generate-idempotency-key``, in order.
    idempotency_keys: list[uuid.UUID] = field(default_factory=list)
    #: ``(target-version, mode)`` of updates queued and not finished (§8.1).
    pending_updates: list[tuple[int, str]] = field(default_factory=list)
    #: Set when an invocation failed for good: later invocations are rejected.
    failed_error: str | None = None
    #: Completed invocations of component code by idempotency key: ``(True, value)`` or
    #: ``(False, Err)`` — a second invocation with the key returns it without running
    #: (Golem's executor looks the key up in the oplog, §7.2).
    results: dict[str, tuple[bool, Any]] = field(default_factory=dict, repr=False)
    #: Invocations enqueued and not run yet, in arrival order (``Golem.enqueue``).
    queue: Any = field(default=None, repr=False)
    #: The worker's invocation context and spans (``golem:api/context``,
    #: :class:`~golem_fakes.state.context.WorkerContext`), made on first use.
    context: Any = field(default=None, repr=False)
    #: False while the worker's instance replays its oplog after a crash (recovery);
    #: Golem's ``is_live()`` (``current-durable-execution-state``'s ``is-live``).
    live: bool = True
    #: The replay in progress (:class:`golem_fakes.worker.replay.Replay`) while
    #: :attr:`live` is false, else ``None``.
    replay: Any = field(default=None, repr=False)
    #: ``Golem.crash(..., after=N)``: recorded host calls left before the crash (``0``:
    #: at the start of the next invocation, :func:`golem_fakes.worker.replay.arm_crash`).
    crash_in: int | None = None
    #: What the armed crash does: ``"crash"`` (the instance is lost) or ``"trap"`` (the
    #: invocation traps there).
    crash_mode: str = "crash"
    #: Crashes while a recovery replays: recorded host calls replayed before each
    #: (one per recovery, in order).
    recovery_crashes: list[int] = field(default_factory=list)
    #: While a crash is armed and this is a list: the oplog index after each counted
    #: host call (crash exploration maps its crash points to oplog indices with it).
    crash_trace: list[int] | None = field(default=None, repr=False)
    #: Crash exploration's reference run (:mod:`golem_fakes.worker.explore`): called
    #: with the number of host calls counted so far when the invocation starts (``0``)
    #: and after each counted host call (while :attr:`crash_trace` is a list), at the
    #: moment an armed crash would lose the instance there, to copy the environment.
    crash_hook: Callable[[int], None] | None = field(default=None, repr=False)
    #: The oplog's length when the worker's instance was lost (a crash, an interrupt, a
    #: jump; :func:`golem_fakes.worker.replay.mark_lost`): what the dead instance's code
    #: writes while it unwinds, and the drops of its handles, are cut back to it
    #: (:func:`golem_fakes.worker.replay.forget_lost_instance`), as a real executor's
    #: dead instance writes nothing. ``None`` while no loss is pending.
    lost_at: int | None = None
    #: How many times the instance was lost (crash) and recovered (replay).
    crashes: int = 0
    recoveries: int = 0
    #: Attempts retried after a failure (each a recovery after the policy's delay).
    retries: int = 0
    #: ``golem:durability`` ``observe-function-call``s of this worker, oldest first
    #: (:class:`~golem_fakes.state.durability.ObservedCall`; Golem's host-call metric).
    observed_calls: list[Any] = field(default_factory=list, repr=False)
    #: While an update is replayed: the component version whose code the new instance
    #: runs (``None``: the worker's own version; :mod:`golem_fakes.worker.admin`).
    code_version: int | None = None
    #: Set by ``revert-worker``: the instance is gone and the worker's next activation
    #: rebuilds it by replaying the oplog without the deleted region (§8.3).
    stale: bool = False
    #: ``golem.interrupt`` (:mod:`golem_fakes.worker.lifecycle`): the interrupt that is
    #: stopping the instance now (``"interrupt"`` / ``"restart"``), read by the executor.
    interrupting: str | None = None
    #: Set when an interrupt dropped the worker from memory: its next activation
    #: (``golem.resume``, a new invocation) rebuilds it by replay and the cut invocation
    #: goes on first (Golem's ``get_or_create_running``).
    reload: bool = False


class PendingInvocation:
    """The invocation ``with golem:`` runs its block in, begun on first use.

    Beginning an invocation creates the default worker, draws an invocation key and
    writes oplog entries; a test that never calls the host should not pay for that (the
    ``golem`` fixture's cost per test), and cannot tell the difference: everything that
    can observe the invocation (host calls, ``Golem.current_invocation``,
    ``Golem.current_worker``, a nested ``run_as``) begins it through :meth:`resolve`."""

    __slots__ = ("golem", "_begin", "invocation", "beginning")

    def __init__(self, golem: Any, begin: Callable[[], Invocation]) -> None:
        self.golem = golem
        self._begin = begin
        self.invocation: Invocation | None = None
        #: True while the invocation is being begun (creating the state it observes).
        self.beginning = False

    def resolve(self) -> Invocation:
        """The invocation, begun now if it was not. If this pending invocation is the
        current one of the calling context, the begun :class:`Invocation` replaces it
        there (the ``with`` block's token still restores the value from before the
        block), so later host calls in the block find it without calling this again."""
        inv = self.invocation
        if inv is None:
            self.beginning = True
            try:
                inv = self.invocation = self._begin()
            finally:
                self.beginning = False
        if current_invocation.get() is self:
            current_invocation.set(inv)
        return inv


#: The invocation the code in this context (thread / asyncio task) runs in (pending
#: until first used, see :class:`PendingInvocation`).
current_invocation: ContextVar[Invocation | PendingInvocation | None] = ContextVar(
    "golem_fakes_current_invocation", default=None)


def active_invocation() -> Invocation | None:
    """The invocation the calling code runs in, begun now if it was pending."""
    inv = current_invocation.get()
    if inv is None or type(inv) is Invocation:
        return inv
    return inv.resolve()  # type: ignore[union-attr]
