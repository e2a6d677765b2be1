"""Test-only replay stand-in for the golem:durability tests (not shipped in golem_fakes).

:class:`TestOnlyListReplay` is *not* golem-fakes' replay engine (``golem_fakes.worker.replay``,
built separately): it implements just the contract the durability interface codes
against — ``runtime.replay`` is ``None`` when live; otherwise an object whose
``next_entry()`` returns the next non-hint entry to replay and raises a Trap when none is
left — plus the optional ``last_replayed_non_hint_index``, ``replay_target`` and
``switch_to_live()`` it uses where Golem needs them. It replays a given list of entries.
"""

from __future__ import annotations

from contextlib import contextmanager
from typing import Any, Iterable, Iterator

from golem_fakes import Golem, Trap
from golem_fakes.state.invocation import WorkerRuntime
from golem_fakes.state.oplog import OplogEntry


class TestOnlyListReplay:
    """Replays ``entries`` (hints skipped) of ``runtime``'s worker; test-only."""

    __test__ = False  # not a pytest test class

    def __init__(self, runtime: WorkerRuntime, entries: Iterable[OplogEntry]) -> None:
        self.runtime = runtime
        self.entries = [e for e in entries if not e.is_hint]
        self.position = 0
        self.last_replayed_non_hint_index = self.entries[0].index - 1 if self.entries else 0
        self.replay_target = max((e.index for e in self.entries), default=0)
        self.switched_to_live = False

    def next_entry(self) -> OplogEntry:
        if self.position >= len(self.entries):
            raise Trap("test replay: no entry left to replay")
        e = self.entries[self.position]
        self.position += 1
        self.last_replayed_non_hint_index = e.index
        return e

    def switch_to_live(self) -> None:
        self.switched_to_live = True
        self.runtime.replay = None
        self.runtime.live = True


@contextmanager
def replaying(g: Golem, entries: Iterable[OplogEntry]) -> Iterator[TestOnlyListReplay]:
    """Run the block as if the current worker replayed ``entries`` (live again after)."""
    rt = g.runtime()
    replay = TestOnlyListReplay(rt, list(entries))
    rt.live, rt.replay = False, replay
    try:
        yield replay
    finally:
        rt.live, rt.replay = True, None


def invocation_entries(g: Golem, inv: Any) -> list[OplogEntry]:
    """The entries of invocation ``inv`` after its ``exported-function-invoked``, up to
    its completion (excluded)."""
    out = []
    for e in g.runtime(inv.worker).oplog.entries[inv.start_index:]:
        if e.kind == "exported-function-completed":
            break
        out.append(e)
    return out
