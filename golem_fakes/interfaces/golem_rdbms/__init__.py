"""Behaviour of ``golem:rdbms@0.0.1`` (``postgres``, ``mysql``; ``types`` has no functions)
as Golem v1.3.1 implements it (``golem-rpc-rdbms-semantics.md`` §3; RDB-HOST =
``golem-worker-executor/src/durable_host/rdbms/mod.rs``), backed by **real database
servers**, as Golem is: PostgreSQL through psycopg 3 (its libpq connection, statements
sent with ``$n`` placeholders and parameter types chosen from the ``db-value`` case, as
sqlx does), MySQL/MariaDB through PyMySQL. No SQL is interpreted in Python.

This package module holds what both databases share (one generic implementation in
Golem too, RDB-HOST):

* **Pools** (§3.2): one per :class:`~golem_fakes.Golem` (Golem: per executor), per
  database kind, keyed by the URL; ``open`` connects at once (an unreachable server fails
  ``open`` with ``connection-failure``), later opens of the URL share the pool; each
  statement outside a transaction takes any idle pooled connection (autocommit, no
  session state carried between calls); a transaction pins one. ``open`` is not durable.
* **Durability** (§3.9): statements are durable ``write-remote`` calls named
  ``rdbms::<db>::db-connection::query`` / ``::execute`` (request = pool key (the URL),
  statement, parameters, transaction id; response = ``Ok(result)`` / ``Err(error)``);
  ``query-stream`` opens a ``begin-remote-write`` region and records its request
  (``write-remote-batched(begin)``), its ``get-columns``/``get-next`` are recorded in that
  region, dropping the stream writes ``end-remote-write``; a transaction writes
  ``begin-remote-transaction {transaction_id}``, its statements are
  ``write-remote-transaction(begin)`` calls named ``rdbms::<db>::db-transaction::…``, and
  ``commit``/``rollback`` write ``pre-commit-remote-transaction`` /
  ``committed-remote-transaction`` (``pre-rollback…`` / ``rolled-back…``). Replay returns
  the recorded rows and errors without touching the database.
* **Crash recovery** (§3.9): an unfinished stream region with nothing else after it is
  hidden by a ``jump`` and the query runs again live; a transaction without a pre-commit
  or pre-rollback marker is hidden by a ``jump`` and begun again live (new transaction,
  ``original_begin_index``); a pre-commit without its committed marker asks the database
  (PostgreSQL ``pg_xact_status``, MySQL the ``golem_transactions`` row).

Approximations (see the README section "Databases"): errors are returned at once (no
v1.3.1 retry-before-error: what Golem returns once the worker's retry policy is
exhausted, and what dev.25 always did); a stream runs its query to the end on the first
``get-columns``/``get-next`` and hands out the rows in batches of 50 (Golem fetches batch
by batch); MySQL parameters are escaped into the statement text by PyMySQL's escaping
(PyMySQL has no server-side prepared statements, sqlx uses them); an open stream of a
transaction makes further use of the transaction raise a clear error instead of hanging.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, is_dataclass
from typing import Any, Callable

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import Trap, case_name
from golem_fakes.interfaces import WRITE_REMOTE, crash_tick, current_runtime, durable_call

__all__ = ["Failure", "Dialect", "Pool", "ConnectionRep", "TransactionRep", "StreamRep",
           "open_connection", "query", "execute", "query_stream", "begin_transaction",
           "commit", "rollback", "drop_transaction", "drop_stream", "get_columns", "get_next",
           "plain", "close_idle_connections", "BATCH_SIZE", "MAX_CONNECTIONS", "TRANSACTION_CLOSED"]

#: ``RdbmsQueryConfig::query_batch`` (CONFIG default): rows per ``get-next`` batch.
BATCH_SIZE = 50
#: ``RdbmsPoolConfig::max_connections`` (CONFIG default).
MAX_CONNECTIONS = 20
#: Golem's text for a statement on a committed or rolled back transaction (§3.5).
TRANSACTION_CLOSED = "Transaction is closed"
BATCHED = "write-remote-batched"
TRANSACTIONAL = "write-remote-transaction"


class Failure(Exception):
    """An rdbms ``error`` variant value: ``case`` (``connection-failure``,
    ``query-parameter-failure``, ``query-execution-failure``, ``query-response-failure``,
    ``other``) and its message (§3.6)."""

    def __init__(self, case: str, message: str) -> None:
        super().__init__(message)
        self.case = case
        self.message = message

    @property
    def wit(self) -> tuple[str, str]:
        return (self.case, self.message)


def plain(x: Any) -> Any:
    """A lowered WIT argument as plain data: records → ``dict`` (Python field names),
    variant cases → ``(case, payload)`` (payload ``None`` for cases without one),
    tuples/lists → tuples/lists, lazy-value/type reps → the plain value they hold."""
    t = type(x)
    if t in (int, float, str, bool, bytes, type(None)):
        return x
    if t is list:
        return [plain(v) for v in x]
    if t is tuple:
        return tuple(plain(v) for v in x)
    if isinstance(x, (bytearray, memoryview)):
        return bytes(x)
    if isinstance(x, Lazy):
        return x.value
    if is_dataclass(x):
        if "_" in t.__name__:
            return (case_name(x), plain(getattr(x, "value", None)))
        return {k: plain(v) for k, v in vars(x).items()}
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    raise TypeError(f"unexpected lowered value {x!r} of type {t.__name__}")


class Lazy:
    """A ``lazy-db-value`` / ``lazy-db-column-type`` rep: the plain value it boxes
    (RDB-PG §HostLazyDbValue). ``get`` converts the boxed value to the guest form once,
    making child lazy reps, and returns the same children afterwards (§3.7)."""

    __slots__ = ("value", "_guest", "__weakref__")

    def __init__(self, value: Any) -> None:
        self.value = value
        self._guest: Any = None

    def guest(self, make: Callable[[Any], Any]) -> Any:
        if self._guest is None:
            self._guest = make(self.value)
        return self._guest

    def __repr__(self) -> str:
        return f"Lazy({self.value!r})"


class Dialect(ABC):
    """What differs between PostgreSQL and MySQL: the driver, the conversions, the
    transaction bookkeeping. Subclassed in ``postgres.py`` and ``mysql.py``."""

    name: str = ""
    interface: str = ""
    schemes: tuple[str, ...] = ()

    @abstractmethod
    def connect(self, url: str) -> Any:
        ...

    def on_pool_created(self, pool: "Pool", conn: Any) -> None:
        """Run once with the first connection of a new pool (MySQL: golem_transactions)."""

    @abstractmethod
    def close(self, conn: Any) -> None:
        ...

    @abstractmethod
    def params(self, values: list[Any]) -> list[Any]:
        """Guest ``db-value`` parameters (lowered) → plain values; ``Failure`` on
        conversion errors."""
        ...

    @abstractmethod
    def run(self, pool: "Pool", conn: Any, statement: str, params: list[Any],
            fetch: bool) -> Any:
        """Execute; ``fetch``: ``(columns, rows)`` plain, else the affected row count."""
        ...

    @abstractmethod
    def begin(self, pool: "Pool", conn: Any) -> str:
        ...

    def pre_commit(self, pool: "Pool", conn: Any, txid: str) -> None:
        """Golem's pre-commit step (MySQL: the golem_transactions status update)."""

    def pre_rollback(self, pool: "Pool", conn: Any, txid: str) -> None:
        """Golem's pre-rollback step (MySQL: status update through the pool)."""

    @abstractmethod
    def end(self, pool: "Pool", conn: Any, sql: str) -> None:
        ...

    def cleanup(self, pool: "Pool", txid: str) -> None:
        """After commit/rollback (MySQL: delete the golem_transactions row)."""

    @abstractmethod
    def committed(self, pool: "Pool", txid: str) -> bool:
        """Whether transaction ``txid`` committed (recovery of a pre-commit marker)."""
        ...

    @abstractmethod
    def guest_result(self, result: Any) -> Any:
        """Plain ``(columns, rows)`` → the guest's ``db-result`` value."""
        ...

    @abstractmethod
    def guest_columns(self, columns: list[Any]) -> list[Any]:
        ...

    @abstractmethod
    def guest_rows(self, rows: list[Any]) -> list[Any]:
        ...


#: Idle driver connections by ``(database kind, URL)``, shared by every Golem of the
#: process (a Golem's pool takes from and returns to it): a test session makes many
#: short-lived Golems, and a connection per Golem would exhaust the server. At most
#: :data:`MAX_CONNECTIONS` idle connections are kept per URL.
_IDLE: dict[tuple[str, str], list[Any]] = {}
_IDLE_LOCK = threading.Lock()


@dataclass(eq=False)
class Pool:
    """The connection pool of one URL in one Golem (Golem: per executor, §3.2): at most
    :data:`MAX_CONNECTIONS` connections in use at once (an acquire beyond that fails as
    sqlx's pool timeout does); per-pool caches of the dialect (type catalogue). Idle
    connections go back to the process-wide idle list."""

    dialect: Dialect
    url: str
    open_count: int = 0
    cache: dict[Any, Any] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def key(self) -> tuple[str, str]:
        return (self.dialect.name, self.url)

    def acquire(self) -> Any:
        with self.lock:
            if self.open_count >= MAX_CONNECTIONS:
                raise Failure("query-execution-failure",
                              "pool timed out while waiting for an open connection "
                              f"(all {MAX_CONNECTIONS} connections of the pool for this URL "
                              f"are in use: transactions or streams still open)")
            self.open_count += 1
        with _IDLE_LOCK:
            idle = _IDLE.get(self.key)
            conn = idle.pop() if idle else None
        if conn is not None:
            return conn
        try:
            return self.dialect.connect(self.url)
        except BaseException:
            with self.lock:
                self.open_count -= 1
            raise

    def release(self, conn: Any, broken: bool = False) -> None:
        with self.lock:
            self.open_count -= 1
        if not broken:
            with _IDLE_LOCK:
                idle = _IDLE.setdefault(self.key, [])
                if len(idle) < MAX_CONNECTIONS:
                    idle.append(conn)
                    return
        self.dialect.close(conn)


def close_idle_connections() -> None:
    """Close every idle pooled connection of the process (e.g. before stopping a test
    server)."""
    with _IDLE_LOCK:
        lists = list(_IDLE.items())
        _IDLE.clear()
    from golem_fakes.interfaces.golem_rdbms import mysql, postgres

    dialects = {"postgres": postgres.DIALECT, "mysql": mysql.DIALECT}
    for (kind, _), conns in lists:
        for c in conns:
            dialects[kind].close(c)


class RdbmsState:
    """The pools of one Golem (``golem.__dict__['_rdbms']``)."""

    def __init__(self) -> None:
        self.pools: dict[tuple[str, str], Pool] = {}
        self.lock = threading.Lock()


def state_of(env: Any) -> RdbmsState:
    d = getattr(env, "__dict__", None)
    if d is None:
        raise TypeError(f"golem:rdbms needs an environment object with attributes, got {env!r}")
    st = d.get("_rdbms")
    if st is None:
        st = d["_rdbms"] = RdbmsState()
    return st


@dataclass(eq=False)
class ConnectionRep:
    """A ``db-connection``: the pool it uses (§3.2)."""

    dialect: Dialect
    pool: Pool


@dataclass(eq=False)
class TransactionRep:
    """A ``db-transaction``: its pinned connection, the transaction id and the oplog
    index of its ``begin-remote-transaction`` (§3.5). ``closed`` once committed, rolled
    back, or replayed from an oplog in which it ended."""

    dialect: Dialect
    pool: Pool
    conn: Any
    txid: str
    begin_index: int
    env: Any
    instance: Any
    closed: bool = False
    open_stream: "StreamRep | None" = None


@dataclass(eq=False)
class StreamRep:
    """A ``db-result-stream``: the request, executed lazily on the first ``get-*``
    (§3.4); the rows in batches once executed."""

    dialect: Dialect
    pool: Pool
    transaction: TransactionRep | None
    request: dict[str, Any]
    params: list[Any]
    begin_index: int
    owner: str  # "db-connection" or "db-transaction"
    env: Any
    instance: Any
    executed: bool = False
    columns: list[Any] = field(default_factory=list)
    batches: list[list[Any]] = field(default_factory=list)
    next_batch: int = 0
    ended: bool = False

    @property
    def dtype(self) -> tuple[str, int]:
        if self.transaction is not None:
            return (TRANSACTIONAL, self.transaction.begin_index)
        return (BATCHED, self.begin_index)


# --- helpers --------------------------------------------------------------------------


def _instance(env: Any) -> Any:
    from golem_fakes.state.invocation import Invocation, current_invocation

    inv = current_invocation.get()
    if inv is None or getattr(inv, "golem", None) is not env:
        return None
    if type(inv) is not Invocation:
        inv = inv.resolve()
    w = inv.worker
    return env.__dict__.get("_instances", {}).get((w.component.name, w.name))


def _fn(dialect: Dialect, resource: str, function: str) -> str:
    return f"rdbms::{dialect.name}::{resource}::{function}"


def _durable(env: Any, name: str, dtype: Any, request: Any,
             compute: Callable[[], tuple[Any, Any]]) -> Any:
    """Golem's ``Durability`` wrapper for rdbms calls: ``write-remote`` through
    :func:`golem_fakes.interfaces.durable_call`; the batched and transactional types
    record in their region and commit (DURABILITY §end_durable_function). Replay returns
    the recorded guest value."""
    if dtype == WRITE_REMOTE:
        return durable_call(env, name, dtype, request, compute)
    rt = current_runtime(env)
    if rt is None:
        value = compute()[0]
    else:
        if rt.replay is not None and rt.persistence_level != "persist-nothing":
            return rt.replay.replayed(name, request, dtype)
        value, response = compute()
        rt.oplog.record(name, request, response, dtype, value)
        rt.oplog.commit()
        if rt.crash_in is not None and not isinstance(value, Trap):
            crash_tick(rt)
    if isinstance(value, Trap):
        raise value
    return value


def _result(compute: Callable[[], tuple[Any, Any]]) -> tuple[Any, Any]:
    """Run ``compute`` (→ ``(guest ok value, recorded ok value)``), mapping a
    :class:`Failure` to ``(Err(guest error), Err(recorded error))``."""
    try:
        guest, recorded = compute()
    except Failure as f:
        return Err(f.wit), Err(f.wit)
    return Ok(guest), Ok(recorded)


# --- db-connection --------------------------------------------------------------------


def open_connection(env: Any, dialect: Dialect, address: str) -> Any:
    """``db-connection.open`` (§3.2): validate the URL and scheme, get or create the pool
    of the URL (connecting at once). Not durable: runs again on replay."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(address)
        parts.port  # noqa: B018 - validates the port like the url crate
    except ValueError as e:
        return Err(("connection-failure", str(e)))
    if not parts.scheme or "://" not in address:
        return Err(("connection-failure", "relative URL without a base"))
    if parts.scheme not in dialect.schemes:
        return Err(("connection-failure", f"scheme '{parts.scheme}' in url is invalid"))
    st = state_of(env)
    key = (dialect.name, address)
    with st.lock:
        pool = st.pools.get(key)
    if pool is None:
        pool = Pool(dialect, address)
        try:
            conn = pool.acquire()
        except Failure as f:
            return Err(f.wit)
        try:
            dialect.on_pool_created(pool, conn)
        except Failure as f:
            pool.release(conn, broken=True)
            return Err(f.wit)
        pool.release(conn)
        with st.lock:
            pool = st.pools.setdefault(key, pool)
    return Ok(ConnectionRep(dialect, pool))


def _request(pool: Pool, statement: str, params: list[Any] | None,
             txid: str | None) -> dict[str, Any]:
    return {"pool_key": pool.url, "statement": statement, "params": params,
            "transaction_id": txid}


def _convert(dialect: Dialect, params: list[Any]) -> tuple[list[Any] | None, Failure | None]:
    try:
        return dialect.params(params), None
    except Failure as f:
        return None, f


def _statement(env: Any, dialect: Dialect, owner: str, fn: str, pool: Pool,
               tx: TransactionRep | None, statement: str, params: list[Any]) -> Any:
    """``query``/``execute`` on a connection or transaction (§3.3, §3.5)."""
    values, failure = _convert(dialect, params)
    txid = tx.txid if tx is not None else None
    request = _request(pool, statement, values, txid)
    fetch = fn == "query"

    def compute() -> tuple[Any, Any]:
        def run() -> tuple[Any, Any]:
            if failure is not None:
                raise failure
            if tx is not None:
                _check_open(tx, fn)
                out = dialect.run(pool, tx.conn, statement, values or [], fetch)
            else:
                conn = pool.acquire()
                broken = False
                try:
                    out = dialect.run(pool, conn, statement, values or [], fetch)
                except Failure:
                    raise
                except BaseException:
                    broken = True
                    raise
                finally:
                    pool.release(conn, broken)
            if fetch:
                return dialect.guest_result(out), {"columns": out[0], "rows": out[1]}
            return out, out
        return _result(run)

    dtype: Any = WRITE_REMOTE if tx is None else (TRANSACTIONAL, tx.begin_index)
    return _durable(env, _fn(dialect, owner, fn), dtype, request, compute)


def _check_open(tx: TransactionRep, fn: str) -> None:
    if tx.closed:
        raise Failure("other", TRANSACTION_CLOSED)
    if tx.open_stream is not None and not tx.open_stream.ended:
        raise Trap(
            f"golem:rdbms/{tx.dialect.name} db-transaction.{fn} while a result stream of the "
            f"same transaction is still open: on Golem the transaction's connection is held "
            f"by the stream until it is exhausted or dropped, so this call would wait forever "
            f"(semantics §3.5). Read the stream to its end (get-next returns none) or drop it "
            f"first.", interface=tx.dialect.interface, function=f"[method]db-transaction.{fn}")


def query(env: Any, conn: ConnectionRep, statement: str, params: list[Any]) -> Any:
    return _statement(env, conn.dialect, "db-connection", "query", conn.pool, None,
                      statement, params)


def execute(env: Any, conn: ConnectionRep, statement: str, params: list[Any]) -> Any:
    return _statement(env, conn.dialect, "db-connection", "execute", conn.pool, None,
                      statement, params)


def tx_query(env: Any, tx: TransactionRep, statement: str, params: list[Any]) -> Any:
    return _statement(env, tx.dialect, "db-transaction", "query", tx.pool, tx,
                      statement, params)


def tx_execute(env: Any, tx: TransactionRep, statement: str, params: list[Any]) -> Any:
    return _statement(env, tx.dialect, "db-transaction", "execute", tx.pool, tx,
                      statement, params)


# --- query-stream ---------------------------------------------------------------------


def query_stream(env: Any, dialect: Dialect, pool: Pool, tx: TransactionRep | None,
                 statement: str, params: list[Any]) -> Any:
    """``query-stream`` (§3.4): records the request only; the SQL runs on the first
    ``get-columns``/``get-next``. A connection stream opens a ``begin-remote-write``
    region (an unfinished one at recovery is done again live, behind a ``jump``)."""
    owner = "db-connection" if tx is None else "db-transaction"
    rt = current_runtime(env)
    begin = 0
    if tx is None and rt is not None:
        begin = _begin_region(rt)
    values, failure = _convert(dialect, params)
    request = _request(pool, statement, values, tx.txid if tx is not None else None)
    dtype: Any = (BATCHED, begin) if tx is None else (TRANSACTIONAL, tx.begin_index)
    instance = _instance(env)

    def compute() -> tuple[Any, Any]:
        if failure is not None:
            return Err(failure.wit), Err(failure.wit)
        if tx is not None:
            if tx.closed:
                return Err(("other", TRANSACTION_CLOSED)), Err(("other", TRANSACTION_CLOSED))
            _check_open(tx, "query-stream")
        return Ok(None), Ok(request)

    out = _durable(env, _fn(dialect, owner, "query-stream"), dtype, request, compute)
    if isinstance(out, Err):
        if tx is None and rt is not None:
            _end_region(rt, begin)
        return out
    stream = StreamRep(dialect, pool, tx, request, values or [], begin, owner, env, instance)
    if tx is not None:
        tx.open_stream = stream
    return Ok(stream)


def _begin_region(rt: Any) -> int:
    """``begin_function(WriteRemoteBatched(None))``: live, append and commit
    ``begin-remote-write``; in replay read it, and if its ``end-remote-write`` is missing
    with no concurrent side effect after it, go live behind a ``jump`` (§3.9)."""
    if rt.replay is None:
        index = rt.oplog.append("begin-remote-write").index
        rt.oplog.commit()
        return int(index)
    from golem_fakes.interfaces.golem_durability import durability as d

    begin = d._expect(rt, "begin-remote-write", "BeginRemoteWrite", "query-stream").index
    if not rt.idempotent:
        if d._lookup_end(rt, begin, batched=False) is None:
            d._switch_to_live(rt)
            raise Trap("Runtime error: Non-idempotent remote write operation was not "
                       "completed, cannot retry")
        return int(begin)
    state = _region_state(rt, begin)
    if state == "overlapped":
        raise Trap("Runtime error: Non-idempotent remote write operation was not "
                   "completed, cannot retry")
    if state == "open":
        d._switch_to_live(rt)
        _jump(rt, begin + 1)
    return int(begin)


def _jump(rt: Any, start: int) -> None:
    """Hide ``start`` up to and including the ``jump`` entry appended now (everything the
    lost instance recorded after ``start``, trailing hints included), so that a later
    replay skips the region and the jump alike; committed."""
    end = rt.oplog.current_index + 1
    rt.oplog.delete_region(start, end)
    rt.oplog.append("jump", start=start, end=end)
    rt.oplog.commit()


def _region_state(rt: Any, begin: int) -> str:
    """How the stream region of ``begin`` looks in the oplog: ``"ended"`` (its
    ``end-remote-write`` with only its own calls, reads and local writes before it),
    ``"overlapped"`` (another remote side effect, or the end of an invocation, inside
    it: Golem cannot redo it) or ``"open"`` (unfinished, nothing else after it)."""
    from golem_fakes.interfaces.golem_durability import durability as d

    oplog = rt.oplog
    for e in oplog.entries[begin:]:
        if oplog.is_deleted(e.index) or e.is_hint:
            continue
        if e.kind == "end-remote-write" and e.get("begin_index") == begin:
            return "ended"
        if not d._no_concurrent_side_effect(e, begin):
            return "overlapped"
    return "open"


def _end_region(rt: Any, begin: int) -> None:
    if rt.replay is None:
        rt.oplog.append("end-remote-write", begin_index=begin)
        rt.oplog.commit()
    else:
        rt.oplog.append("end-remote-write", begin_index=begin)


def _run_stream(stream: StreamRep, fn: str) -> None:
    """Execute the stream's statement (the first ``get-*``) and split the rows into
    batches; execution errors are traps (no error channel, §3.4)."""
    d = stream.dialect
    tx = stream.transaction
    try:
        if tx is not None:
            if tx.closed:
                raise Failure("other", TRANSACTION_CLOSED)
            cols, rows = d.run(stream.pool, tx.conn, stream.request["statement"],
                               stream.params, True)
        else:
            conn = stream.pool.acquire()
            try:
                cols, rows = d.run(stream.pool, conn, stream.request["statement"],
                                   stream.params, True)
            finally:
                stream.pool.release(conn)
    except Failure as f:
        raise Trap(f"golem:rdbms/{d.name} db-result-stream.{fn}: the stream's statement "
                   f"failed ({f.case}: {f.message}); Golem has no error channel here and "
                   f"traps (semantics §3.4). Statement: {stream.request['statement']!r}",
                   interface=d.interface, function=f"[method]db-result-stream.{fn}") from None
    stream.executed = True
    stream.columns = cols
    stream.batches = [rows[i:i + BATCH_SIZE] for i in range(0, len(rows), BATCH_SIZE)] or [[]]


def get_columns(env: Any, stream: StreamRep) -> Any:
    """``get-columns`` (durable, §3.4): the columns of the first row (``[]`` for no rows)."""

    def compute() -> tuple[Any, Any]:
        if not stream.executed:
            _run_stream(stream, "get-columns")
        return stream.dialect.guest_columns(stream.columns), stream.columns

    return _durable(env, _fn(stream.dialect, "db-result-stream", "get-columns"), stream.dtype,
                    stream.request, compute)


def get_next(env: Any, stream: StreamRep) -> Any:
    """``get-next`` (durable, §3.4): the next batch of up to 50 rows (``some([])`` once for
    an empty result), then ``none``."""

    def compute() -> tuple[Any, Any]:
        if not stream.executed:
            _run_stream(stream, "get-next")
        if stream.next_batch >= len(stream.batches):
            stream.ended = True
            return None, None
        batch = stream.batches[stream.next_batch]
        stream.next_batch += 1
        return stream.dialect.guest_rows(batch), batch

    out = _durable(env, _fn(stream.dialect, "db-result-stream", "get-next"), stream.dtype,
                   stream.request, compute)
    if out is None:
        stream.ended = True
    return out


def drop_stream(env: Any, stream: StreamRep) -> None:
    """Dropping a stream: a connection stream closes its region (``end-remote-write``);
    nothing is written for a transaction stream; the transaction is usable again."""
    stream.ended = True
    tx = stream.transaction
    if tx is not None:
        if tx.open_stream is stream:
            tx.open_stream = None
        return
    if stream.instance is not None and stream.instance.dropped:
        return  # the executor lost the instance: nothing is written
    rt = current_runtime(env)
    if rt is not None and stream.begin_index:
        _end_region(rt, stream.begin_index)


# --- transactions ---------------------------------------------------------------------


def begin_transaction(env: Any, conn: ConnectionRep) -> Any:
    """``begin-transaction`` (§3.5): live, pin a connection, begin, write and commit
    ``begin-remote-transaction {transaction_id}``. In replay: read that entry; a
    transaction without a pre-commit/pre-rollback marker later in the oplog (or whose
    pre-commit did not commit in the database) is begun again live behind a ``jump``;
    otherwise the handle is closed and its calls replay from the oplog."""
    d, pool = conn.dialect, conn.pool
    rt = current_runtime(env)
    instance = _instance(env)
    original: int | None = None
    if rt is not None and rt.replay is not None:
        entry = rt.oplog.append("begin-remote-transaction")
        begin = int(entry.index)
        txid = str(entry.get("transaction_id"))
        state = _transaction_outcome(rt, d, pool, begin, txid)
        if state != "restart":
            return Ok(TransactionRep(d, pool, None, txid, begin, env, instance, closed=True))
        if not rt.idempotent:
            raise Trap("Runtime error: Non-idempotent remote write operation was not "
                       "completed, cannot retry")
        from golem_fakes.interfaces.golem_durability import durability as dd

        dd._switch_to_live(rt)
        _jump(rt, begin)
        original = begin
    try:
        c = pool.acquire()
    except Failure as f:
        return Err(("connection-failure", f.message))
    except Exception as e:  # noqa: BLE001 - a driver error connecting
        return Err(("connection-failure", str(e)))
    try:
        txid = d.begin(pool, c)
    except Failure as f:
        pool.release(c, broken=True)
        return Err(f.wit)
    begin = 0
    if rt is not None:
        payload: dict[str, Any] = {"transaction_id": txid}
        if original is not None:
            payload["original_begin_index"] = original
        begin = int(rt.oplog.append("begin-remote-transaction", **payload).index)
        rt.oplog.commit()
    return Ok(TransactionRep(d, pool, c, txid, begin, env, instance))


def _transaction_outcome(rt: Any, d: Dialect, pool: Pool, begin: int, txid: str) -> str:
    """How a recorded transaction ended: ``"ended"`` (markers found), or ``"restart"``
    (no marker: the transaction died with the lost instance), raising Golem's trap when
    other side effects overlapped it (§3.9)."""
    oplog = rt.oplog
    pre_commit = committed = pre_rollback = False
    overlapped = False
    for e in oplog.entries[begin:]:
        if oplog.is_deleted(e.index):
            continue
        k = e.kind
        if e.get("begin_index") == begin:
            if k == "pre-commit-remote-transaction":
                pre_commit = True
            elif k == "committed-remote-transaction":
                committed = True
            elif k in ("pre-rollback-remote-transaction", "rolled-back-remote-transaction"):
                pre_rollback = True
            continue
        if pre_commit or pre_rollback:
            continue
        if k == "exported-function-completed":
            overlapped = True
        elif k == "imported-function-invoked":
            dt = e.get("durable_function_type")
            if not (isinstance(dt, tuple) and dt[1] == begin) and dt not in (
                    "read-local", "write-local", "read-remote"):
                overlapped = True
        elif k in ("begin-remote-write", "begin-remote-transaction"):
            overlapped = True
    if pre_rollback or committed:
        return "ended"
    if pre_commit:
        return "ended" if d.committed(pool, txid) else "restart"
    if overlapped:
        raise Trap("Runtime error: Transaction overlapped with other side effects was not "
                   "completed, cannot retry")
    return "restart"


def _finish(env: Any, tx: TransactionRep, action: str) -> Any:
    """``commit`` / ``rollback`` (§3.5): the pre-step, the pre marker (committed), the
    database ``COMMIT``/``ROLLBACK``, the done marker (committed), the cleanup."""
    d, pool = tx.dialect, tx.pool
    rt = current_runtime(env)
    pre, done = (("pre-commit-remote-transaction", "committed-remote-transaction")
                 if action == "commit" else
                 ("pre-rollback-remote-transaction", "rolled-back-remote-transaction"))
    replaying = rt is not None and rt.replay is not None
    if tx.open_stream is not None and not tx.open_stream.ended and not tx.closed:
        _check_open(tx, action)
    if not tx.closed and not replaying:
        try:
            if action == "commit":
                d.pre_commit(pool, tx.conn, tx.txid)
            else:
                d.pre_rollback(pool, tx.conn, tx.txid)
        except Failure as f:
            return Err(f.wit)
    if rt is not None:
        rt.oplog.append(pre, begin_index=tx.begin_index)
        rt.oplog.commit()
    error: Failure | None = None
    if not tx.closed and not (rt is not None and rt.replay is not None):
        tx.closed = True
        try:
            d.end(pool, tx.conn, "COMMIT" if action == "commit" else "ROLLBACK")
        except Failure as f:
            error = f
        pool.release(tx.conn, broken=error is not None)
        tx.conn = None
        d.cleanup(pool, tx.txid)
    tx.closed = True
    if error is not None:
        return Err(error.wit)
    if rt is not None:
        rt.oplog.append(done, begin_index=tx.begin_index)
        rt.oplog.commit()
    return Ok(None)


def commit(env: Any, tx: TransactionRep) -> Any:
    return _finish(env, tx, "commit")


def rollback(env: Any, tx: TransactionRep) -> Any:
    return _finish(env, tx, "rollback")


def drop_transaction(env: Any, tx: TransactionRep) -> None:
    """Dropping an open transaction rolls it back (markers written, errors ignored);
    when the instance was lost (a crash) nothing is written and the database transaction
    dies with its connection."""
    if tx.closed:
        return
    if tx.instance is not None and tx.instance.dropped:
        tx.closed = True
        if tx.conn is not None:
            tx.pool.release(tx.conn, broken=True)
            tx.conn = None
        return
    if tx.open_stream is not None:
        tx.open_stream.ended = True
    _finish(env, tx, "rollback")


def register_dialect(interface: str, dialect: Dialect) -> None:
    """Register the behaviours every function of ``golem:rdbms/<db>@0.0.1`` shares
    (``postgres`` and ``mysql`` have the same resources and functions, and Golem's host
    implements both with one generic ``RdbmsType``; only ``open`` and the streams need
    the dialect)."""
    from golem_fakes.bindings.registry import implements

    def open_(env: Any, address: str) -> Any:
        return open_connection(env, dialect, address)

    def conn_query_stream(env: Any, conn: ConnectionRep, statement: str,
                          params: list[Any]) -> Any:
        return query_stream(env, dialect, conn.pool, None, statement, params)

    def transaction_query_stream(env: Any, tx: TransactionRep, statement: str,
                                 params: list[Any]) -> Any:
        return query_stream(env, dialect, tx.pool, tx, statement, params)

    for name, fn in (
            ("[static]db-connection.open", open_),
            ("[method]db-connection.query", query),
            ("[method]db-connection.execute", execute),
            ("[method]db-connection.query-stream", conn_query_stream),
            ("[method]db-connection.begin-transaction", begin_transaction),
            ("[method]db-transaction.query", tx_query),
            ("[method]db-transaction.execute", tx_execute),
            ("[method]db-transaction.query-stream", transaction_query_stream),
            ("[method]db-transaction.commit", commit),
            ("[method]db-transaction.rollback", rollback),
            ("[resource-drop]db-transaction", drop_transaction),
            ("[method]db-result-stream.get-columns", get_columns),
            ("[method]db-result-stream.get-next", get_next),
            ("[resource-drop]db-result-stream", drop_stream)):
        implements(interface, name)(fn)
