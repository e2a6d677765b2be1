"""Crash-point exploration: run one invocation crashed at every host call (issue 14 §4).

A Golem worker is correct under crashes if, wherever its executor dies, the recovered
worker ends as if nothing had happened: replay returns the recorded results of the host
calls made before the crash (:mod:`golem_fakes.worker.replay`), and only the calls after
it run again. Code that decides from something replay does not restore (Python's own
``random`` or ``time``, a global the test changes), or a write that is not idempotent
and runs outside Golem's protection, breaks that — at some crash points only.

:func:`explore_crashes` (``Golem.explore_crashes``) finds them:

1. a **reference run**: on a copy of the environment (:meth:`Golem.copy`, as it is
   before the invocation; the test's Golem itself never runs it), the invocation runs
   once uncrashed; its recorded host calls are counted (``N``: what ``Golem.crash``'s
   ``after=`` counts, :func:`~golem_fakes.worker.replay.crash_tick`), and at each crash
   point a plan needs (where an armed crash would fire: the invocation's start and
   after each counted call) the environment is **snapshotted**
   (:func:`~golem_fakes.state.snapshot.copy_golem` ``running=``: the state at that
   moment, the running invocation's record, a stand-in holding the instance's handles);
2. for every **crash plan** (by default: the points ``k`` in ``0..N``), on the snapshot
   of its point ``k`` (a copy of it when several plans start there), the worker's
   instance is lost right there, as an armed crash loses it, the executor recovers it
   (:func:`~golem_fakes.worker.executor.conclude_lost`: truncation to the committed
   index, the lost instance's handles dropped, a new instance replaying the ``k``
   calls, then live), and the invocation's result as the caller sees it (its value,
   or the exception it raised) is handed to ``check(golem_copy, result)``. So a point
   costs one recovery, not a run up to the point and a recovery: the whole exploration
   costs about ``N + 1`` runs (``benchmarks/README.md``). A point the snapshot cannot
   serve (another worker's invocation queued, a replay in progress at that moment)
   runs the old way: on a fresh copy from before the invocation, with the crash armed;
   the results are the same (``tests/worker/test_explore_snapshots.py`` compares both
   ways point by point);
3. a point **fails** if ``check`` raises (an ``AssertionError`` or any exception) or
   the recovery diverged (:class:`~golem_fakes.worker.replay.Divergence`: the replayed
   code made other host calls than the recorded ones). Without ``check``, a point
   fails if its result or its durable effects differ from the reference run's (output
   is compared but does not fail a point: :data:`OUTPUT`).

Every point's effects are compared with the reference run's — the invocation's
result, key-value entries, blob objects, promises, each worker's stdout / stderr /
``wasi:logging`` lines, files, invocations and status — and a failing point's report
names the first difference ("repeated" when the crashed run has the reference's items
and more: a log line written twice, a remote invocation made twice), the divergence if
any, and the oplog of the crashed copy around the crash point.

Options: ``points`` (a subset: crash points or :class:`CrashPlan` objects);
``during_recovery=True`` (also a second crash while the recovery replays, after ``j``
replayed host calls, for every ``j``); ``traps=True`` (a :class:`~golem_fakes.Trap` at
the point instead of a crash: the executor's handling of a trap runs — a retry per
retry policy where the executor retries, the worker failing where it does not).

For hypothesis: :func:`golem_fakes.strategies.crash_plans` draws :class:`CrashPlan`
objects; ``plan.arm(golem, component, worker)`` arms one on a worker before the test
invokes it, and hypothesis shrinks a failing plan to the smallest.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Iterable

from golem_fakes.worker.replay import CRASH, TRAP, Divergence, _describe, arm_crash, mark_lost

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.registry import Component

__all__ = ["CrashPlan", "CrashPoint", "ExploreReport", "CrashExplorationFailed",
           "explore_crashes", "effects_of", "first_difference"]

_IFI = "imported-function-invoked"
#: ``crash_in`` while the reference run counts its host calls (never reached).
_COUNTING = 1 << 62


@dataclass(frozen=True)
class CrashPlan:
    """Where a run is crashed: after ``after`` recorded host calls of the invocation
    (``0``: when it starts); then, for each number in ``during_recovery``, again while
    the recovery replays, after that many replayed host calls (one per recovery);
    ``mode`` ``"crash"`` (the instance is lost) or ``"trap"`` (the invocation traps
    there, so the executor's trap handling runs)."""

    after: int
    during_recovery: tuple[int, ...] = ()
    mode: str = CRASH

    def __post_init__(self) -> None:
        if type(self.after) is not int or self.after < 0:
            raise ValueError(f"CrashPlan(after=...) takes a number of host calls >= 0, "
                             f"got {self.after!r}")
        if any(type(j) is not int or j < 0 for j in self.during_recovery):
            raise ValueError(f"CrashPlan(during_recovery=...) takes numbers of replayed host "
                             f"calls >= 0, got {self.during_recovery!r}")
        if self.mode not in (CRASH, TRAP):
            raise ValueError(f"CrashPlan(mode=...) is {CRASH!r} or {TRAP!r}, got {self.mode!r}")

    def arm(self, golem: "Golem", component: "str | Component", worker: str) -> None:
        """Arm this plan on worker ``component/worker`` of ``golem`` (created if it does
        not exist, as its first invocation would): its next invocation is crashed as
        planned. A copy's worker is rebuilt by replay first (that replay is not
        crashed)."""
        w = golem.registry.find_or_add(component, worker)
        pending = golem.__dict__.get("_recover_on_use")
        if pending and (w.component.name, w.name) in pending:
            golem._instance_for(w.component.name, w.name)
        arm_crash(golem.runtime(w), self.after, mode=self.mode,
                  during_recovery=self.during_recovery)

    def __str__(self) -> str:
        what = "trap" if self.mode == TRAP else "crash"
        s = (f"{what} when the invocation starts" if self.after == 0
             else f"{what} after {self.after} host call{'s' if self.after != 1 else ''}")
        for j in self.during_recovery:
            s += f", crash again after {j} replayed call{'s' if j != 1 else ''}"
        return s


@dataclass
class CrashPoint:
    """One run of an exploration: its :attr:`plan`, the :attr:`result` the caller saw
    (the value, or the exception raised), whether it :attr:`failed`, the exception
    ``check`` raised (:attr:`error`), the :attr:`divergence` of the recovery if it
    diverged, :attr:`difference` (the first effect that differs from the reference
    run, ``None`` if none), :attr:`crash_index` (the oplog index of the host call after
    which it crashed, in the reference run's numbering), :attr:`crashes` (how many
    times the instance was lost: less than planned if the plan's later crashes were not
    reached) and :attr:`oplog` (the crashed copy's oplog around the crash, as text)."""

    plan: CrashPlan
    result: Any
    failed: bool
    error: BaseException | None = None
    divergence: Divergence | None = None
    difference: str | None = None
    crash_index: int | None = None
    crashes: int = 0
    oplog: str = ""
    golem: Any = field(default=None, repr=False)

    @property
    def point(self) -> int:
        """The crash point (``plan.after``)."""
        return self.plan.after

    def describe(self) -> str:
        """The readable report of this point."""
        where = f" (oplog index {self.crash_index})" if self.crash_index is not None else ""
        lines = [f"point {self.point}: {self.plan}{where}"]
        planned = 1 + len(self.plan.during_recovery)
        if self.plan.mode == CRASH and self.crashes < planned:
            lines.append(f"  only {self.crashes} of the {planned} planned crashes were reached")
        if self.divergence is not None:
            lines.append("  the recovery diverged:")
            lines.extend("    " + ln for ln in str(self.divergence).splitlines())
        if self.error is not None:
            msg = str(self.error).strip() or type(self.error).__name__
            lines.append(f"  check failed: {type(self.error).__name__}: "
                         + msg.replace("\n", "\n    "))
        lines.append(f"  result: {_show_result(self.result)}")
        lines.append("  first difference from the uncrashed run: "
                     + (self.difference or "none"))
        if self.oplog:
            lines.append("  oplog of the crashed run around the crash point:")
            lines.extend("    " + ln for ln in self.oplog.splitlines())
        return "\n".join(lines)


class CrashExplorationFailed(AssertionError):
    """``explore_crashes`` found failing crash points; :attr:`report` has them all."""

    def __init__(self, report: "ExploreReport") -> None:
        self.report = report
        super().__init__(report.describe())


@dataclass
class ExploreReport:
    """What :func:`explore_crashes` found: :attr:`host_calls` (``N``, the reference
    run's recorded host calls), :attr:`reference` (its result), :attr:`points` (every
    :class:`CrashPoint` run, in order), :attr:`failures` (those that failed),
    :attr:`seconds` (wall time of the exploration)."""

    target: str
    host_calls: int
    reference: Any
    points: list[CrashPoint]
    seconds: float = 0.0

    @property
    def failures(self) -> list[CrashPoint]:
        return [p for p in self.points if p.failed]

    @property
    def ok(self) -> bool:
        return not self.failures

    def describe(self, limit: int = 5) -> str:
        """The failing points (the first ``limit`` in full), readable."""
        fails = self.failures
        head = (f"explore_crashes: {len(fails)} of {len(self.points)} crash points fail for "
                f"{self.target} ({self.host_calls} recorded host calls; uncrashed result: "
                f"{_show_result(self.reference)})")
        if not fails:
            return head + ": none fails"
        lines = [head + "; failing points: "
                 + ", ".join(str(p.point) + ("+" + "+".join(map(str, p.plan.during_recovery))
                                             if p.plan.during_recovery else "")
                             for p in fails)]
        for p in fails[:limit]:
            lines.append(p.describe())
        if len(fails) > limit:
            lines.append(f"... and {len(fails) - limit} more (report.failures has them all)")
        return "\n".join(lines)

    def raise_for_failures(self) -> None:
        """:class:`CrashExplorationFailed` (an ``AssertionError``) if any point failed."""
        if self.failures:
            raise CrashExplorationFailed(self)


# --- effects ---------------------------------------------------------------------------


def _show_result(r: Any) -> str:
    if isinstance(r, BaseException):
        text = str(r).splitlines()[0] if str(r) else ""
        return f"raised {type(r).__name__}: {text}"
    s = repr(r)
    return s if len(s) <= 200 else s[:197] + "..."


def _result_key(r: Any) -> Any:
    if isinstance(r, BaseException):
        return ("raised", type(r).__name__, str(r))
    return ("returned", r)


def _lines(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").splitlines()


def effects_of(golem: "Golem", result: Any) -> dict[tuple[Any, ...], Any]:
    """What an invocation left that an outside observer sees, as ``{what: value}`` in a
    stable order: the result, key-value entries, blob objects, promises, and per worker
    its status, invocations (function and outcome), stdout / stderr / log lines and
    files. Only state the Golem made is read (nothing is created)."""
    d = golem.__dict__
    out: dict[tuple[Any, ...], Any] = {("result",): _result_key(result)}
    kv = d.get("_keyvalue")
    if kv is not None:
        for bucket, items in sorted(kv.snapshot().items()):
            for k, v in sorted(items.items()):
                out[("keyvalue", bucket, k)] = v
    bs = d.get("_blobstore")
    if bs is not None:
        for container, objs in sorted(bs.snapshot().items()):
            for k, v in sorted(objs.items()):
                out[("blob", container, k)] = v
    ps = d.get("_promises")
    if ps is not None:
        for key, p in sorted(ps.all().items(), key=lambda kv_: str(kv_[0])):
            out[("promise", str(key))] = (p.state.name, p.payload, p.completed_by)
    runtimes = d.get("_runtimes", {})
    consoles = d.get("_consoles", {})
    files = d.get("_filesystems", {})
    for w in (golem.workers if d.get("_registry") is not None else []):
        name = f"{w.component.name}/{w.name}"
        out[("status", name)] = w.status.name
        rt = runtimes.get(w)
        if rt is not None:
            out[("invocations", name)] = [(i.function_name, i.outcome) for i in rt.invocations]
        fs = files.get(w)
        if fs is not None:
            for path, v in sorted(fs.snapshot().items()):
                out[("file", name, path)] = v
    # output last: not durable (see OUTPUT)
    for w in (golem.workers if d.get("_registry") is not None else []):
        c = consoles.get(w)
        if c is not None:
            name = f"{w.component.name}/{w.name}"
            out[("stdout", name)] = _lines(c.stdout)
            out[("stderr", name)] = _lines(c.stderr)
            out[("log", name)] = [(r.level, r.context, r.message) for r in c.logs]
    return out


#: Effects that are output, not durable state: Golem writes no output while a worker
#: replays, but output the code wrote after the oplog's last commit is lost with the
#: crash from the oplog only — the caller saw it — and is written again when that code
#: re-runs live. So a repeated line after a crash is what Golem does too; without
#: ``check``, only a difference in the other effects fails a point.
OUTPUT = frozenset({"stdout", "stderr", "log"})


_WHAT = {"keyvalue": "key-value bucket {!r} key {!r}", "blob": "blob container {!r} object {!r}",
         "promise": "promise {}", "status": "status of worker {}",
         "invocations": "invocations of worker {}", "stdout": "stdout lines of worker {}",
         "stderr": "stderr lines of worker {}", "log": "wasi:logging lines of worker {}",
         "file": "file of worker {} at {!r}", "result": "the invocation's result"}


def _what(key: tuple[Any, ...]) -> str:
    return _WHAT.get(key[0], "{}").format(*key[1:]) if len(key) > 1 or key[0] == "result" \
        else str(key)


def first_difference(reference: dict[tuple[Any, ...], Any],
                     crashed: dict[tuple[Any, ...], Any], *,
                     durable_only: bool = False) -> str | None:
    """The first effect (in :func:`effects_of` order) that differs between the
    uncrashed and the crashed run, as text; ``None`` if none does. ``durable_only``:
    output (:data:`OUTPUT`) does not count."""
    for key in list(reference) + [k for k in crashed if k not in reference]:
        if durable_only and key[0] in OUTPUT:
            continue
        a = reference.get(key, _ABSENT)
        b = crashed.get(key, _ABSENT)
        if a == b:
            continue
        what = _what(key)
        if key == ("result",):
            return (f"{what}: {_show_key(b)} after the crash, {_show_key(a)} uncrashed")
        if a is _ABSENT:
            return f"{what}: {b!r} after the crash, absent uncrashed"
        if b is _ABSENT:
            return f"{what}: absent after the crash, {a!r} uncrashed"
        if isinstance(a, list) and isinstance(b, list) and len(b) > len(a) \
                and _subsequence(a, b):
            extra = _extra(a, b)
            return (f"{what}: repeated after the crash — {len(b) - len(a)} more than "
                    f"uncrashed: {extra!r} (uncrashed: {a!r})")
        return f"{what}: {b!r} after the crash, {a!r} uncrashed"
    return None


_ABSENT: Any = type("Absent", (), {"__repr__": lambda self: "absent"})()


def _show_key(k: Any) -> str:
    if k is _ABSENT:
        return "absent"
    if k[0] == "raised":
        return f"raised {k[1]}: {k[2].splitlines()[0] if k[2] else ''}"
    return f"returned {k[1]!r}"


def _subsequence(a: list[Any], b: list[Any]) -> bool:
    it = iter(b)
    return all(any(x == y for y in it) for x in a)


def _extra(a: list[Any], b: list[Any]) -> list[Any]:
    rest = list(a)
    extra = []
    for y in b:
        if rest and rest[0] == y:
            rest.pop(0)
        else:
            extra.append(y)
    return extra


def _oplog_around(golem: "Golem", worker: Any, index: int | None, width: int = 3) -> str:
    oplog = golem.runtime(worker).oplog
    entries = oplog.entries
    if not entries:
        return ""
    centre = index if index is not None else len(entries)
    lo, hi = max(1, centre - width), min(len(entries), centre + width)
    lines = []
    for e in entries[lo - 1:hi]:
        mark = ">" if e.index == index else " "
        lines.append(f"{mark} {e.index:4} {_describe(e)}")
    if index is not None:
        lines.append(f"  ('>': the crash point; index {index} is where the uncrashed run "
                     f"recorded its {'start' if index == 0 else 'host call'})")
    return "\n".join(lines)


# --- running ----------------------------------------------------------------------------


def _run(golem: "Golem", component: Any, worker: str, export: Any, args: tuple[Any, ...],
         key: str | None) -> Any:
    try:
        return golem.invoke(component, worker, export, *args, idempotency_key=key)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - the invocation's outcome, as the caller sees it
        return e


def _divergence_of(result: Any) -> Divergence | None:
    """The recovery's divergence: ``recover`` ends the invocation with it (the worker
    is failed), so ``invoke`` raises it."""
    return result if isinstance(result, Divergence) else None


def _check_target(golem: "Golem", component: Any, worker: str) -> None:
    cname = getattr(component, "name", component)
    if (cname, worker) == golem._default[:2] and golem._code_of(cname) is not None:
        raise ValueError(
            f"explore_crashes({cname!r}, {worker!r}): that is the default worker, whose "
            f"instance is the modules the test imported; a copy of the environment cannot "
            f"have its own of them, so crashing it would re-initialise the test's modules. "
            f"Explore a named worker: golem.explore_crashes({cname!r}, 'some-worker', ...).")


def _plans(n: int, points: Iterable[Any] | None, during_recovery: bool, traps: bool,
           prior: int) -> list[CrashPlan]:
    mode = TRAP if traps else CRASH
    plans: list[CrashPlan] = []
    for p in (range(n + 1) if points is None else points):
        if isinstance(p, CrashPlan):
            plans.append(p)
            continue
        if type(p) is not int or not 0 <= p <= n:
            raise ValueError(f"explore_crashes(points=...): {p!r} is not a crash point of "
                             f"this invocation: it makes {n} recorded host calls, so the "
                             f"points are 0..{n} (or give CrashPlan objects)")
        plans.append(CrashPlan(p, mode=mode))
        if during_recovery and not traps:
            # the recovery of a crash after p calls replays the earlier invocations'
            # calls and these p: a second crash after each number of replayed calls
            plans.extend(CrashPlan(p, (j,)) for j in range(prior + p))
    return plans


def explore_crashes(golem: "Golem", component: "str | Component", worker: str, export: Any,
                    *args: Any, check: Callable[["Golem", Any], Any] | None = None,
                    points: Iterable[Any] | None = None, during_recovery: bool = False,
                    traps: bool = False, idempotency_key: str | None = None,
                    raise_on_failure: bool = True, _strategy: str = "snapshot") -> ExploreReport:
    """``Golem.explore_crashes``: see the module docstring and the Golem method.
    ``_strategy="rerun"`` (internal, for the tests that compare the two): every plan
    re-runs the whole invocation from a copy taken before it (the way points were run
    before snapshots, and the fallback for the plans snapshots cannot serve)."""
    if _strategy not in ("snapshot", "rerun"):
        raise ValueError(f"explore_crashes(_strategy=...) is 'snapshot' or 'rerun', "
                         f"got {_strategy!r}")
    start = time.perf_counter()
    cname = getattr(component, "name", component)
    _check_target(golem, component, worker)
    target = f"{cname}/{worker} {getattr(export, '__qualname__', export)}" \
             f"({', '.join(repr(a) for a in args)})"
    # 1. the reference run, counting the recorded host calls (and, with snapshots,
    # copying the environment at every crash point a plan needs)
    ref = golem.copy()
    w = ref.registry.find_or_add(component, worker)
    pending = ref.__dict__.get("_recover_on_use")
    if pending and (w.component.name, w.name) in pending:
        ref._instance_for(w.component.name, w.name)
    rt = ref.runtime(w)
    prior = sum(1 for e in rt.oplog.replayable() if e.kind == _IFI)
    crashes0 = rt.crashes
    rt.crash_in = _COUNTING
    rt.crash_trace = trace = []
    snaps = _Snapshots(ref, w, _needed(points))
    if _strategy == "snapshot" and (snaps.wanted is None or snaps.wanted):
        rt.crash_hook = snaps.take
    before = len(rt.invocations)
    try:
        reference = _run(ref, component, worker, export, args, idempotency_key)
    finally:
        rt.crash_hook = None
    n = _COUNTING - rt.crash_in if rt.crash_in is not None else 0
    rt.crash_in = rt.crash_trace = None
    ref_effects = effects_of(ref, reference)
    # where each crash point is in the reference oplog: the invocation's start, then
    # the oplog index after each counted host call
    call_index: list[int] = []
    if len(rt.invocations) > before:
        call_index = [rt.invocations[before].start_index] + trace
    report = ExploreReport(target, n, reference, [])
    plans = _plans(n, points, during_recovery, traps, prior)
    uses: dict[int, int] = {}
    for plan in plans:
        uses[plan.after] = uses.get(plan.after, 0) + 1
    # 2. every crash plan: on the snapshot of its point, or on a fresh copy
    for plan in plans:
        uses[plan.after] -= 1
        snap = snaps.get(plan.after, last=uses[plan.after] == 0)
        if snap is not None:
            g, result = _from_snapshot(snap, (w.component.name, w.name), plan, trace)
            grt = g.runtime(g.worker(component, worker))
            crashes = grt.crashes - crashes0
        else:
            g = golem.copy()
            plan.arm(g, component, worker)
            grt = g.runtime(g.worker(component, worker))
            before_crashes = grt.crashes
            result = _run(g, component, worker, export, args, idempotency_key)
            crashes = grt.crashes - before_crashes
        grt.crash_in = None
        grt.recovery_crashes = []
        div = _divergence_of(result)
        error: BaseException | None = None
        effects = effects_of(g, result)
        diff = first_difference(ref_effects, effects)
        durable_diff = diff if diff is None else first_difference(ref_effects, effects,
                                                                   durable_only=True)
        if check is not None:
            try:
                check(g, result)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as e:  # noqa: BLE001 - a failing check, reported
                error = e
        failed = error is not None or div is not None or (check is None and durable_diff is not None)
        index = call_index[plan.after] if plan.after < len(call_index) else None
        cp = CrashPoint(plan, result, failed, error, div, diff, index, crashes,
                        golem=g if failed else None)
        if failed:
            cp.oplog = _oplog_around(g, g.worker(component, worker), index)
        report.points.append(cp)
    report.seconds = time.perf_counter() - start
    if raise_on_failure:
        report.raise_for_failures()
    return report


def _needed(points: Iterable[Any] | None) -> set[int] | None:
    """The crash points the plans start from (``None``: every point, not known before
    the reference run counted them)."""
    if points is None:
        return None
    out: set[int] = set()
    for p in points:
        after = p.after if isinstance(p, CrashPlan) else p
        if type(after) is int and after >= 0:
            out.add(after)
    return out


class _Snapshots:
    """The environment at each crash point of the reference run, copied while the
    invocation runs (:func:`~golem_fakes.state.snapshot.copy_golem` ``running=``):
    ``take(k)`` is the reference runtime's ``crash_hook`` (called when the invocation
    starts, ``k = 0``, and after the ``k``-th counted host call — where an armed crash
    would fire). A point whose copy is refused (a worker replays there, another
    worker's invocation is queued) has none: its plans re-run."""

    __slots__ = ("ref", "worker", "wanted", "taken")

    def __init__(self, ref: "Golem", worker: Any, wanted: set[int] | None) -> None:
        self.ref = ref
        self.worker = worker
        self.wanted = wanted
        self.taken: dict[int, Any] = {}

    def take(self, k: int) -> None:
        if k in self.taken or (self.wanted is not None and k not in self.wanted):
            return
        from golem_fakes.state.snapshot import SnapshotError, copy_golem

        try:
            self.taken[k] = copy_golem(self.ref, running=self.worker)
        except SnapshotError:
            self.taken[k] = None

    def get(self, k: int, last: bool) -> "Golem | None":
        """The environment at point ``k`` for one plan (``None``: no snapshot): a copy
        of the snapshot, or for its ``last`` plan the snapshot itself (then freed)."""
        from golem_fakes.state.snapshot import copy_golem

        snap = self.taken.get(k)
        if snap is None:
            return None
        if last:
            del self.taken[k]
            return snap
        w = snap.registry.get(self.worker.component.name, self.worker.name)
        return copy_golem(snap, running=w)


def _from_snapshot(g: "Golem", key: tuple[str, str], plan: CrashPlan,
                   trace: list[int]) -> tuple["Golem", Any]:
    """Run ``plan`` on ``g``, the environment at point ``plan.after`` of the reference
    run: the worker's instance is lost there as an armed crash loses it
    (:func:`~golem_fakes.worker.replay.lose_instance`: the invocation marked crashed,
    ``crashes`` counted), or the invocation traps there as an armed trap makes it
    (:func:`~golem_fakes.worker.replay.crash_tick` ``mode="trap"``, then the executor
    ends the invocation with that trap, ``Golem._end_invocation``); then the executor
    drives the outcome as ``invoke`` does (:func:`~golem_fakes.worker.executor.conclude_lost`:
    recovery — truncation to the committed index, the lost instance's handles dropped,
    replay, live — and retries). Returns ``g`` and the result as the caller sees it."""
    from golem_fakes.bindings.runtime import Trap
    from golem_fakes.worker.executor import conclude_lost
    from golem_fakes.worker.replay import WorkerCrashed

    w = g.registry.get(*key)
    rt = g.runtime(w)
    inv = next(i for i in reversed(rt.invocations) if i.outcome is None)
    lost = g.__dict__["_instances"].get(key)
    rt.recovery_crashes = list(plan.during_recovery)
    at = ("when the invocation started, before any host call" if plan.after == 0 else
          f"after a host call completed (oplog index {trace[plan.after - 1]})")
    outcome: tuple[str, Any]
    if plan.mode == TRAP:
        trap = Trap(f"golem.crash(mode='trap'): the worker trapped {at}")
        inv.trap = trap
        g._end_invocation(inv, trap)
        outcome = ("error", trap)
    else:
        inv.crashed = True
        rt.crashes += 1
        mark_lost(rt)
        outcome = ("crash", WorkerCrashed(f"golem.crash: the instance of the worker was lost "
                                          f"in invocation {inv.function_name} {at}"))
    try:
        result = conclude_lost(g, w, inv, outcome).result()
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as e:  # noqa: BLE001 - the invocation's outcome, as the caller sees it
        result = e
    if lost is not None and g.__dict__["_instances"].get(key) is lost:
        # not recovered (a trap that is not retried): the trapped instance would stay;
        # the stand-in has no code, so the worker is rebuilt by replay on first use
        g._forget_instance(lost)
        g.__dict__["_recover_on_use"].add(key)
    return g, result
