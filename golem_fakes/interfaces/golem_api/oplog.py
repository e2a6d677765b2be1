"""Behaviour of ``golem:api/oplog@1.1.7``: the ``get-oplog`` and ``search-oplog`` resources.

Golem v1.3.0-dev.25 (the exact WIT; ``golem-host-semantics.md`` §0, §11):
``HostGetOplog`` / ``HostSearchOplog`` in
``golem-worker-executor/src/durable_host/golem/v1x.rs`` over ``get_public_oplog_chunk`` /
``search_public_oplog`` (``golem-worker-executor/src/model/public_oplog/mod.rs``).

* Neither resource is durable (nothing is recorded in the caller's oplog) and both read
  the **committed** entries of any worker of the caller's project (here: any worker of
  the :class:`~golem_fakes.Golem`'s registry; the worker id is not checked: an unknown
  worker has no entries).
* ``get-oplog(worker-id, start)``: each ``get-next`` reads the index range ``next ..=
  next + 99`` and returns the entries found, ``some(list)`` while the read makes progress
  and ``none`` once a read returns nothing; ``start = 0`` reads ``0 ..= 99``, i.e. at most
  99 entries starting at index 1.
* ``search-oplog(worker-id, text)``: the constructor stores the text; each ``get-next``
  parses it (an invalid query traps there, ``Query::parse``,
  ``golem-common/src/model/lucene.rs``; see :mod:`golem_fakes.state.oplog_query`), then
  scans chunks of 100 from where the last call stopped, collecting ``(index, entry)`` for
  the matching entries (``PublicOplogEntry::matches``), until it reaches the last
  committed index or has at least 100 matches. It returns ``some(list)`` whenever it
  advanced — possibly ``some([])`` — and ``none`` once nothing is left.
* The entries are converted to the WIT cases as :mod:`golem_fakes.state.public_oplog`
  describes (which fields are approximate is listed there). A payload that cannot be
  decoded (raw bytes persisted through ``golem:durability``) makes ``get-next`` trap with
  the decoder's message, as in Golem (``get_public_oplog_chunk``'s error, ``v1x.rs``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces import golem_state
from golem_fakes.state.golem import Golem
from golem_fakes.state.oplog import Oplog
from golem_fakes.state.oplog_query import QueryError, parse_query
from golem_fakes.state.public_oplog import (PAGE_SIZE, PayloadDecodeError, read_chunk,
                                           search_chunk)
from golem_fakes.state.registry import WorkerRegistry

OPLOG = "golem:api/oplog@1.1.7"


def _oplog_of(env: Golem, worker_id: Any) -> Oplog | None:
    """The oplog of the worker ``worker_id`` names, ``None`` if it does not exist
    (Golem's oplog service then has no entries for it)."""
    w = env.registry.find_by_id(worker_id)
    return None if w is None else env.runtime(w).oplog


@dataclass(eq=False, slots=True)
class GetOplog:
    """A ``get-oplog`` resource (``GetOplogEntry``): the worker and the next index."""

    golem: Golem
    worker_id: Any
    next_index: int

    def get_next(self) -> list[Any] | None:
        oplog = _oplog_of(self.golem, self.worker_id)
        if oplog is None:
            return None
        try:
            chunk, nxt = read_chunk(oplog, self.next_index, PAGE_SIZE, self.golem.seed)
        except PayloadDecodeError as e:  # Golem: the decoder's error, as a trap
            raise Trap(str(e), interface=OPLOG, function="[method]get-oplog.get-next") from None
        if nxt == self.next_index:
            return None
        self.next_index = nxt
        return [e.wit for _, e in chunk]


@dataclass(eq=False, slots=True)
class SearchOplog:
    """A ``search-oplog`` resource (``SearchOplogEntry``): the worker, the query text
    (parsed on each ``get-next``) and the next index (starts at 1)."""

    golem: Golem
    worker_id: Any
    query: str
    next_index: int = 1

    def get_next(self) -> list[tuple[int, Any]] | None:
        try:
            query = parse_query(self.query)
        except QueryError as e:
            raise Trap(str(e), interface=OPLOG, function="[method]search-oplog.get-next") from None
        oplog = _oplog_of(self.golem, self.worker_id)
        if oplog is None:
            return None
        try:
            found, nxt = search_chunk(oplog, self.next_index, PAGE_SIZE, query, self.golem.seed)
        except (QueryError, PayloadDecodeError) as e:  # an invalid regex (Golem panics in
            # matches()); an undecodable payload (the decoder's error, as a trap)
            raise Trap(str(e), interface=OPLOG, function="[method]search-oplog.get-next") from None
        if nxt == self.next_index:
            return None
        self.next_index = nxt
        return [(i, e.wit) for i, e in found]


@implements(OPLOG, "[constructor]get-oplog")
def get_oplog_new(env: Any, worker_id: Any, start: int) -> GetOplog:
    """Stores the worker id and ``start``; no validation, nothing recorded."""
    golem_state(env, "registry", WorkerRegistry, OPLOG, "[constructor]get-oplog")
    return GetOplog(env, worker_id, start)


@implements(OPLOG, "[method]get-oplog.get-next")
def get_oplog_get_next(env: Any, rep: GetOplog) -> list[Any] | None:
    """The next page of at most 100 committed entries, ``None`` when nothing was read."""
    return rep.get_next()


@implements(OPLOG, "[constructor]search-oplog")
def search_oplog_new(env: Any, worker_id: Any, text: str) -> SearchOplog:
    """Stores the worker id and the query text (not parsed yet); nothing recorded."""
    golem_state(env, "registry", WorkerRegistry, OPLOG, "[constructor]search-oplog")
    return SearchOplog(env, worker_id, text)


@implements(OPLOG, "[method]search-oplog.get-next")
def search_oplog_get_next(env: Any, rep: SearchOplog) -> list[tuple[int, Any]] | None:
    """The matches of the next scan (see the module docstring); traps on an invalid
    query."""
    return rep.get_next()
