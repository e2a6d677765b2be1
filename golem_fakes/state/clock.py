"""The virtual clock of a :class:`~golem_fakes.Golem`: ``wasi:clocks`` wall and monotonic time.

What the real host does (``docs/golem-io-semantics.md`` §5.1, §5.2, §6 rule 19):

* ``wall-clock.now`` reads the host's system clock (wasmtime ``WallClock``, i.e.
  ``SystemTime::now()`` since the Unix epoch); ``resolution`` is
  ``clock_getres(CLOCK_REALTIME)`` — 1 ns on Linux.
* Golem replaces wasmtime's monotonic clock by a *system-time* clock
  (``golem-worker-executor/src/wasi_host/helpers/clocks.rs``): ``monotonic-clock.now``
  is nanoseconds since the Unix epoch, so it is roughly ``wall-clock now`` in ns;
  resolution 1 ns.
* ``subscribe-duration(d)`` reads ``now`` (recorded) and subscribes to the instant
  ``now + d`` (saturating); ``subscribe-instant(t)`` is ready once the clock reaches ``t``.
* A ``poll`` whose earliest clock deadline is at least ``suspend_after`` (executor default
  10 s) away suspends the worker (a ``suspend`` hint entry) and resumes it when the
  deadline passes; shorter sleeps block.

The fake (like trio's ``MockClock`` and temporal's time-skipping test server):

* time starts at :data:`DEFAULT_START` (2025-01-01T00:00:00Z) and is **frozen**: it
  moves only when the test moves it (:meth:`VirtualClock.advance`, :meth:`VirtualClock.set`)
  or when worker code blocks on a clock pollable with nothing else ready — then the
  clock *jumps* to the earliest deadline instead of sleeping (:meth:`VirtualClock.skip_to`,
  called by ``wasi:io/poll``); every jump is listed in :attr:`VirtualClock.skips`.
  ``clock.frozen = False`` makes it tick with real elapsed time on top of that.
* while freezegun's ``freeze_time`` or time-machine's ``travel`` is active, the wall clock
  is theirs: ``wall_ns()`` returns ``time.time_ns()`` as they patch it. Detection looks at
  their module state only if they are already in ``sys.modules`` (nothing is imported
  or scanned).
* the monotonic clock is ``max(wall clock, highest value it has had)``: it follows the
  wall clock forwards and never goes backwards, whatever the wall clock (or freezegun)
  does; :meth:`advance` and time skips move it forward by the same amount as the wall
  clock.
"""

from __future__ import annotations

import datetime as _dt
import sys
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable

from golem_fakes.state.streams import PollableRep

if TYPE_CHECKING:
    from golem_fakes.state.golem import Golem

__all__ = ["VirtualClock", "ClockPollable", "Skip", "DEFAULT_START", "DEFAULT_START_NS",
           "WALL_RESOLUTION_NS", "MONOTONIC_RESOLUTION_NS", "SUSPEND_AFTER_NS", "U64_MAX",
           "external_time_active"]

#: Where every virtual clock starts (wall and monotonic): 2025-01-01T00:00:00Z.
DEFAULT_START = _dt.datetime(2025, 1, 1, tzinfo=_dt.timezone.utc)
#: :data:`DEFAULT_START` in nanoseconds since the Unix epoch.
DEFAULT_START_NS = 1_735_689_600 * 1_000_000_000
#: ``wall-clock.resolution``: wasmtime returns ``clock_getres(CLOCK_REALTIME)``, 1 ns on
#: Linux (``crates/wasi/src/clocks/host.rs``).
WALL_RESOLUTION_NS = 1
#: ``monotonic-clock.resolution``: Golem's system-time clock's resolution, 1 ns on Linux.
MONOTONIC_RESOLUTION_NS = 1
#: The executor's ``suspend_after`` default (``SuspendConfig``,
#: ``golem-worker-executor/src/services/golem_config.rs``): 10 s.
SUSPEND_AFTER_NS = 10 * 1_000_000_000
U64_MAX = 2**64 - 1

_NS = 1_000_000_000
#: Real monotonic time for ``frozen = False`` (in a tuple: freezegun rewrites module
#: attributes that are the real ``time`` functions, not tuple items).
_REAL = (time.perf_counter_ns,)
_modules = sys.modules


def external_time_active() -> bool:
    """Whether freezegun's ``freeze_time`` or time-machine's ``travel`` is active now
    (only looked up if the module is already imported; never imports it)."""
    fg = _modules.get("freezegun.api")
    if fg is not None and getattr(fg, "freeze_factories", None):
        return True
    tm = _modules.get("time_machine")
    if tm is not None and (getattr(tm, "traveller_stack", None)  # time-machine >= 3
                           or getattr(tm, "coordinates_stack", None)):  # older
        return True
    return False


def to_ns(value: Any, what: str = "value") -> int:
    """Nanoseconds since the epoch of an aware ``datetime`` (naive = UTC, as freezegun
    reads it) or an ``int`` of nanoseconds."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        delta = value - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
        return (delta.days * 86_400 + delta.seconds) * _NS + delta.microseconds * 1_000
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raise TypeError(f"{what} must be a datetime or an int of nanoseconds since the epoch, "
                    f"got {value!r}")


def duration_ns(value: Any) -> int:
    """Nanoseconds of a ``timedelta`` or a number of seconds (int or float)."""
    if isinstance(value, _dt.timedelta):
        return (value.days * 86_400 + value.seconds) * _NS + value.microseconds * 1_000
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return round(value * _NS)
    raise TypeError(f"a duration must be a timedelta or a number of seconds, got {value!r}")


def _fmt(ns: int) -> str:
    try:
        d = _dt.datetime.fromtimestamp(ns // _NS, _dt.timezone.utc)
        return d.strftime("%Y-%m-%dT%H:%M:%S") + f".{ns % _NS:09d}Z"
    except (OverflowError, ValueError, OSError):
        return f"{ns} ns"


@dataclass(frozen=True)
class Skip:
    """One time jump: worker code blocked on clock pollables with nothing else ready, so
    the monotonic clock went from ``from_ns`` to ``to_ns`` at once. ``suspended``: the
    jump was ``suspend_after`` or longer, so Golem suspended the worker (a ``suspend``
    oplog entry) instead of sleeping; ``worker`` is ``"component/name"`` or ``None``
    outside an invocation."""

    from_ns: int
    to_ns: int
    suspended: bool
    worker: str | None

    @property
    def seconds(self) -> float:
        """Length of the jump in seconds."""
        return (self.to_ns - self.from_ns) / _NS


class VirtualClock:
    """The wall and monotonic clocks of one :class:`~golem_fakes.Golem` (``g.clock``).

    :param golem: the installation (may be ``None`` for a stand-alone clock).
    :param start: the initial instant (default :data:`DEFAULT_START`).

    Reading: :meth:`wall_ns`, :meth:`monotonic_ns`, :meth:`now` (an aware datetime).
    Moving: :meth:`advance`, :meth:`set`, :attr:`frozen`. Observing: :attr:`skips`.
    """

    __slots__ = ("golem", "start_ns", "_wall", "_wall_ms", "_floor", "_frozen", "_origin",
                 "skips", "suspend_after_ns", "on_move", "__weakref__")

    def __init__(self, golem: "Golem | None" = None, *, start: Any = None) -> None:
        self.golem = golem
        start_ns = DEFAULT_START_NS if start is None else to_ns(start, "start")
        if start_ns < 0:
            raise ValueError("the clock cannot start before the Unix epoch")
        #: The instant the clock started at (ns since the epoch).
        self.start_ns = start_ns
        self._wall = start_ns       # virtual wall clock while frozen
        #: ``_wall // 1_000_000``, kept with every write of ``_wall``: the frozen clock's
        #: oplog timestamp without a division (and a new int) per entry
        self._wall_ms = start_ns // 1_000_000
        self._floor = start_ns      # highest monotonic value so far
        self._frozen = True
        self._origin = 0            # real perf-counter reading when unfrozen
        #: Every time jump made for blocked worker code, in order.
        self.skips: list[Skip] = []
        #: Sleeps at least this long suspend the worker (executor ``suspend_after``).
        self.suspend_after_ns = SUSPEND_AFTER_NS
        #: Called with the clock after :meth:`advance`, :meth:`set` and :meth:`skip_to`
        #: moved it: golem:rpc's scheduler fires due invocations there
        #: (:func:`golem_fakes.rpc.wasm_rpc.clock_moved`; a plain function that finds
        #: the scheduler through :attr:`golem`, so a copied Golem ticks its own).
        self.on_move: list[Callable[["VirtualClock"], None]] = []

    # --- reading ------------------------------------------------------------------

    def wall_ns(self) -> int:
        """The wall clock in ns since the epoch: freezegun's / time-machine's time while
        one of them is active, else the virtual wall clock."""
        fg = _modules.get("freezegun.api")
        if fg is not None and getattr(fg, "freeze_factories", None):
            return time.time_ns()
        tm = _modules.get("time_machine")
        if tm is not None and (getattr(tm, "traveller_stack", None)
                               or getattr(tm, "coordinates_stack", None)):
            return time.time_ns()
        if self._frozen:
            return self._wall
        return self._wall + (_REAL[0]() - self._origin)

    def monotonic_ns(self) -> int:
        """The monotonic clock in ns since the epoch (Golem's system-time clock):
        the wall clock, but never less than any value it had before (:meth:`wall_ns`
        written out: one frame fewer for every ``monotonic-clock.now``)."""
        fg = _modules.get("freezegun.api")
        if fg is not None and getattr(fg, "freeze_factories", None):
            m = time.time_ns()
        else:
            tm = _modules.get("time_machine")
            if tm is not None and (getattr(tm, "traveller_stack", None)
                                   or getattr(tm, "coordinates_stack", None)):
                m = time.time_ns()
            elif self._frozen:
                m = self._wall
            else:
                m = self._wall + (_REAL[0]() - self._origin)
        if m > self._floor:
            self._floor = m
            return m
        return self._floor

    def now(self) -> _dt.datetime:
        """The wall clock as an aware UTC datetime (microsecond precision)."""
        ns = self.wall_ns()
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(
            microseconds=ns // 1_000)

    def wall_ms(self) -> int:
        """The wall clock in ms since the epoch (Golem's oplog / worker timestamps):
        :meth:`wall_ns` // 1,000,000 (inlined: every oplog entry reads it)."""
        fg = _modules.get("freezegun.api")
        if fg is not None and getattr(fg, "freeze_factories", None):
            return time.time_ns() // 1_000_000
        tm = _modules.get("time_machine")
        if tm is not None and (getattr(tm, "traveller_stack", None)
                               or getattr(tm, "coordinates_stack", None)):
            return time.time_ns() // 1_000_000
        if self._frozen:
            return self._wall_ms
        return (self._wall + (_REAL[0]() - self._origin)) // 1_000_000

    @property
    def start(self) -> _dt.datetime:
        """The instant the clock started at, as an aware UTC datetime."""
        return _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc) + _dt.timedelta(
            microseconds=self.start_ns // 1_000)

    @property
    def wall_resolution_ns(self) -> int:
        """``wall-clock.resolution`` in ns."""
        return WALL_RESOLUTION_NS

    @property
    def monotonic_resolution_ns(self) -> int:
        """``monotonic-clock.resolution`` in ns."""
        return MONOTONIC_RESOLUTION_NS

    # --- moving -------------------------------------------------------------------

    @property
    def frozen(self) -> bool:
        """``True`` (default): the virtual clock moves only when told to. ``False``: it
        also ticks with real elapsed time."""
        return self._frozen

    @frozen.setter
    def frozen(self, value: bool) -> None:
        value = bool(value)
        if value == self._frozen:
            return
        if value:
            self._wall += _REAL[0]() - self._origin
            self._wall_ms = self._wall // 1_000_000
        else:
            self._origin = _REAL[0]()
        self._frozen = value

    def advance(self, delta: Any) -> None:
        """Move both clocks forward by ``delta`` (a ``timedelta`` or seconds). While
        freezegun / time-machine own the wall clock, the virtual wall clock (seen again
        once they stop) and the monotonic clock move."""
        d = duration_ns(delta)
        if d < 0:
            raise ValueError(f"advance({delta!r}): the clocks only move forward; use "
                             f"clock.set(...) to put the wall clock back")
        mono = self.monotonic_ns()
        if mono + d > U64_MAX:
            raise OverflowError(f"advance({delta!r}) would take the monotonic clock past "
                                f"2**64-1 ns, which a WASI instant cannot hold")
        self._wall += d
        self._wall_ms = self._wall // 1_000_000
        self._floor = mono + d
        if self.on_move:
            self._moved()

    def _moved(self) -> None:
        for hook in list(self.on_move):
            hook(self)

    def set(self, when: Any) -> None:
        """Set the virtual wall clock to ``when`` (aware ``datetime``, naive = UTC, or ns
        since the epoch). It may go back (like a system clock being reset); the
        monotonic clock never does: it stays where it is until the wall clock passes it."""
        ns = to_ns(when, "set()")
        if ns < 0:
            raise ValueError(f"set({when!r}): WASI wall-clock datetimes before the Unix "
                             f"epoch cannot be represented (seconds is a u64)")
        if not self._frozen:
            self._origin = _REAL[0]()
        self._wall = ns
        self._wall_ms = ns // 1_000_000
        if self.on_move:
            self._moved()

    def skip_to(self, deadline_ns: int, *, worker: str | None = None,
                suspended: bool = False) -> Skip:
        """Jump so that the monotonic clock reads ``deadline_ns`` (the wall clock moves by
        the same amount); a deadline already passed changes nothing. Recorded in
        :attr:`skips`. Called by ``wasi:io/poll`` when worker code blocks."""
        mono = self.monotonic_ns()
        target = max(mono, min(int(deadline_ns), U64_MAX))
        self._wall += target - mono
        self._wall_ms = self._wall // 1_000_000
        self._floor = target
        s = Skip(mono, target, suspended, worker)
        self.skips.append(s)
        if self.on_move:
            self._moved()
        return s

    def subscribe(self, deadline_ns: int, name: str | None = None) -> "ClockPollable":
        """A pollable ready once the monotonic clock reaches ``deadline_ns``."""
        return ClockPollable(self, deadline_ns, name)

    def __repr__(self) -> str:
        state = "frozen" if self._frozen else "ticking"
        ext = ", wall clock from freezegun/time-machine" if external_time_active() else ""
        return (f"<VirtualClock wall={_fmt(self.wall_ns())} "
                f"monotonic={_fmt(self._floor)} {state}{ext}>")


class ClockPollable(PollableRep):
    """The pollable of ``subscribe-instant`` / ``subscribe-duration``: ready once the
    monotonic clock reaches :attr:`deadline_ns`. ``wasi:io/poll`` recognises it and
    skips time instead of waiting."""

    def __init__(self, clock: VirtualClock, deadline_ns: int, name: str | None = None) -> None:
        self.clock = clock
        #: Monotonic instant (ns since the epoch) at which the pollable becomes ready.
        self.deadline_ns = deadline_ns
        self.name = name or f"monotonic-clock deadline {_fmt(deadline_ns)}"

    def ready(self) -> bool:
        return self.clock.monotonic_ns() >= self.deadline_ns

    def __repr__(self) -> str:
        return f"ClockPollable({self.name!r})"

