"""golem:api/oplog@1.1.7: get-oplog and search-oplog through the generated bindings
(golem-host-semantics.md §11; Golem v1.3.0-dev.25)."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest

import golem_fakes
from golem_fakes import Golem, Trap
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.state.oplog_query import And, Field, Not, Or, Phrase, QueryError, Regex, Term, parse_query


@pytest.fixture(scope="module")
def op() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import oplog

    return oplog


def _wid(g: Golem, component: str, name: str) -> Any:
    from wit_world.imports import golem_rpc_types as t

    u = g.registry.component(component).component_id.int
    return t.WorkerId(t.ComponentId(t.Uuid(u >> 64, u & (2**64 - 1))), name)


def _me(host: ModuleType) -> Any:
    return host.get_self_metadata().worker_id


def _all(op: ModuleType, wid: Any, start: int = 1) -> list[Any]:
    it = op.GetOplog(wid, start)
    out: list[Any] = []
    while (page := it.get_next()) is not None:
        out.extend(page)
    return out


def _read_from_other(op: ModuleType, g: Golem, component: str, name: str) -> list[Any]:
    """The entries of ``component/name`` read by another worker of ``g``."""
    with g.run_as("reader", "r"):
        return _all(op, _wid(g, component, name))


def _dt(ms: int) -> tuple[int, int]:
    return ms // 1000, (ms % 1000) * 1_000_000


# --- one test per entry kind the fake produces ------------------------------------------


def test_create_entry(op: ModuleType) -> None:
    g = Golem(seed=3)
    w = g.add_worker("app", "w", args=["a", "b"], env={"E": "1"}, created_at=1_234_567)
    entries = _read_from_other(op, g, "app", "w")
    assert len(entries) == 1 and isinstance(entries[0], op.OplogEntry_Create)
    c = entries[0].value
    assert (c.timestamp.seconds, c.timestamp.nanoseconds) == _dt(1_234_567)
    assert c.worker_id == _wid(g, "app", "w") and c.parent is None
    assert c.args == ["a", "b"] and c.env == [("E", "1")]
    assert c.component_version == w.component_version
    assert c.created_by.value == "golem-fakes" and c.initial_active_plugins == []


def test_invocation_entries_and_no_op(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    g.invoke("app", "w", host.get_oplog_index)
    inv = g.invocations("app", "w")[0]
    kinds = [type(e).__name__ for e in _read_from_other(op, g, "app", "w")]
    assert kinds == ["OplogEntry_Create", "OplogEntry_ExportedFunctionInvoked",
                     "OplogEntry_NoOp", "OplogEntry_ExportedFunctionCompleted"]
    e = _read_from_other(op, g, "app", "w")
    started = e[1].value
    assert started.function_name == inv.function_name
    assert started.idempotency_key == inv.idempotency_key
    assert started.request == [] and len(started.trace_id) == 32
    span = started.invocation_context[0][0]
    assert isinstance(span, op.SpanData_LocalSpan)
    assert {a.key: a.value.value for a in span.value.attributes}["name"] == "invoke-exported-function"
    done = e[3].value
    assert done.response is None and done.consumed_fuel == 0
    ts = g.oplog("app", "w")[3].timestamp
    assert (e[2].value.seconds, e[2].value.nanoseconds) == _dt(ts)


def test_imported_function_invoked_as_wit_values(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import golem_rpc_types as t
    from wit_world.imports import wall_clock

    g = Golem()
    with g:
        now = wall_clock.now()
        key = host.generate_idempotency_key()  # write-remote: commits
        entries = _all(op, _me(host))
    clock, gen = entries[2].value, entries[3].value
    assert isinstance(entries[2], op.OplogEntry_ImportedFunctionInvoked)
    assert clock.function_name == "wall_clock::now"
    assert clock.wrapped_function_type == op.WrappedFunctionType_ReadLocal()
    assert clock.request.nodes == [t.WitNode_OptionValue(None)]  # no_payload()
    assert clock.response.nodes == [
        t.WitNode_ResultValue(Ok(1)), t.WitNode_RecordValue([2, 3]),
        t.WitNode_PrimU64(now.seconds), t.WitNode_PrimU64(now.nanoseconds)]
    assert gen.function_name == "golem api::generate_idempotency_key"
    assert gen.wrapped_function_type == op.WrappedFunctionType_WriteRemote()
    assert gen.response.nodes[2:] == [t.WitNode_PrimU64(key.high_bits), t.WitNode_PrimU64(key.low_bits)]


def test_a_recorded_failure_is_an_err_string(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import golem_rpc_types as t

    g = Golem()
    g.add_component("app")
    ghost = _wid(g, "app", "ghost")
    with pytest.raises(Trap, match="^Worker not found: "):
        g.invoke("app", "w", lambda: host.update_worker(ghost, 1, host.UpdateMode.AUTOMATIC))
    call = next(e.value for e in _read_from_other(op, g, "app", "w")
                if isinstance(e, op.OplogEntry_ImportedFunctionInvoked))
    assert call.function_name == "golem::api::update-worker"
    assert call.request.nodes[0] == t.WitNode_TupleValue([1, 2, 3])
    assert call.response.nodes[0] == t.WitNode_ResultValue(Err(1))
    assert call.response.nodes[1].value.startswith("Worker not found: ")


def test_error_entry(op: ModuleType) -> None:
    g = Golem()

    def boom() -> None:
        raise ValueError("kaput")

    with pytest.raises(Exception):
        g.invoke("app", "bad", boom)
    last = _read_from_other(op, g, "app", "bad")[-1]
    assert isinstance(last, op.OplogEntry_Error)
    assert last.value.error == "ValueError: kaput"


def test_exited_entry(op: ModuleType) -> None:
    from golem_fakes.state.process_exit import ProcessExited
    from wit_world.imports import exit as wasi_exit

    g = Golem()
    with pytest.raises(ProcessExited):
        g.invoke("app", "ex", lambda: wasi_exit.exit(Ok(None)))
    last = _read_from_other(op, g, "app", "ex")[-1]
    assert isinstance(last, op.OplogEntry_Exited)
    oplog = g.oplog("app", "ex")
    assert (last.value.seconds, last.value.nanoseconds) == _dt(oplog[len(oplog)].timestamp)


def test_jump_entry(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    jumped = []

    def jump_back_once() -> None:
        idx = host.get_oplog_index()             # 3
        host.generate_idempotency_key()          # 4
        if not jumped:                           # the test's own state, not the worker's
            jumped.append(idx)
            host.set_oplog_index(idx)            # jump {start 4, end 5}

    g.invoke("app", "j", jump_back_once)  # jumps, replays up to 3, goes on live
    assert g.runtime("app", "j").recoveries == 1
    jumps = [e for e in _read_from_other(op, g, "app", "j") if isinstance(e, op.OplogEntry_Jump)]
    assert [(j.value.start, j.value.end) for j in jumps] == [(4, 5)]


def test_retry_policy_persistence_level_and_atomic_region(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        host.set_retry_policy(host.RetryPolicy(5, 10, 20, 2.0, 0.5))
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        begin = host.mark_begin_operation()
        host.mark_end_operation(begin)
        host.generate_idempotency_key()  # write-remote: commits the buffered entries
        e = _all(op, _me(host))[2:6]
    assert isinstance(e[0], op.OplogEntry_ChangeRetryPolicy)
    p = e[0].value.retry_policy
    assert (p.max_attempts, p.min_delay, p.max_delay, p.multiplier, p.max_jitter_factor) == (5, 10, 20, 2.0, None)
    assert e[1].value.persistence_level == host.PersistenceLevel_PersistNothing()
    assert isinstance(e[2], op.OplogEntry_BeginAtomicRegion)
    assert isinstance(e[3], op.OplogEntry_EndAtomicRegion) and e[3].value.begin_index == begin


def test_remote_write_entries(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        host.set_idempotence_mode(False)
        host.generate_idempotency_key()
        e = _all(op, _me(host))[2:]
    assert [type(x).__name__ for x in e] == [
        "OplogEntry_BeginRemoteWrite", "OplogEntry_ImportedFunctionInvoked", "OplogEntry_EndRemoteWrite"]
    assert e[2].value.begin_index == 3


def test_log_entry(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import logging

    g = Golem()
    with g:
        logging.log(logging.Level.WARN, "orders", "order 42 placed")
        host.generate_idempotency_key()  # commits
        log = _all(op, _me(host))[2]
    assert isinstance(log, op.OplogEntry_Log)
    assert (log.value.level, log.value.context, log.value.message) == (op.LogLevel.WARN, "orders", "order 42 placed")


def test_span_entries(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import context as ctx

    g = Golem()
    with g:
        s = ctx.start_span("work")
        s.set_attribute("colour", ctx.AttributeValue_String("blue"))
        s.finish()
        e = _all(op, _me(host))[2:]
    start, attr, finish = e[0].value, e[1].value, e[2].value
    assert isinstance(e[0], op.OplogEntry_StartSpan) and start.linked_context is None
    assert [(a.key, a.value) for a in start.attributes] == [("name", ctx.AttributeValue_String("work"))]
    assert isinstance(e[1], op.OplogEntry_SetSpanAttribute)
    assert (attr.span_id, attr.key, attr.value) == (start.span_id, "colour", ctx.AttributeValue_String("blue"))
    assert isinstance(e[2], op.OplogEntry_FinishSpan) and finish.span_id == start.span_id
    assert start.parent == g.oplog()[2]["invocation_context"][0]["span_id"]


def test_update_and_revert_entries(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    g.add_component("app", version=2)
    g.add_worker("app", "w", component_version=0)
    g.add_worker("app", "v")
    g.invoke("app", "v", host.get_oplog_index)
    with g:
        host.update_worker(_wid(g, "app", "w"), 2, host.UpdateMode.AUTOMATIC)
        host.update_worker(_wid(g, "app", "w"), 3, host.UpdateMode.AUTOMATIC)
        host.revert_worker(_wid(g, "app", "v"), host.RevertWorkerTarget_RevertToOplogIndex(2))
        w_entries = _all(op, _wid(g, "app", "w"))[1:]
        revert = _all(op, _wid(g, "app", "v"))[-1]
    assert [type(x).__name__ for x in w_entries] == [
        "OplogEntry_PendingUpdate", "OplogEntry_SuccessfulUpdate", "OplogEntry_PendingUpdate",
        "OplogEntry_FailedUpdate"]
    assert w_entries[0].value.target_version == 2
    assert w_entries[0].value.update_description == op.UpdateDescription_AutoUpdate()
    assert w_entries[1].value.new_component_size == 0
    failed = w_entries[3].value
    assert failed.target_version == 3 and "does not exist" in failed.details
    assert isinstance(revert, op.OplogEntry_Revert) and (revert.value.start, revert.value.end) == (3, 4)


def test_suspend_entry(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import monotonic_clock

    g = Golem()
    with g:
        monotonic_clock.subscribe_duration(3600 * 10**9).block()
        kinds = [type(e).__name__ for e in _all(op, _me(host))]
    assert "OplogEntry_Suspend" in kinds


# --- paging ----------------------------------------------------------------------------


def test_get_oplog_pages_of_100_and_start_zero(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        for _ in range(247):
            host.get_oplog_index()  # no-ops 3..249
        host.generate_idempotency_key()  # 250, commits
        me = _me(host)
        it = op.GetOplog(me, 0)
        sizes = [len(p) for p in iter(it.get_next, None)]
        assert sizes == [99, 100, 51]  # 0..=99 holds 1..99
        assert [len(p) for p in iter(op.GetOplog(me, 1).get_next, None)] == [100, 100, 50]
        assert len(op.GetOplog(me, 200).get_next()) == 51
        assert op.GetOplog(me, 251).get_next() is None
        it = op.GetOplog(me, 250)
        assert len(it.get_next()) == 1 and it.get_next() is None


def test_buffered_entries_are_invisible(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        host.get_oplog_index()  # buffered no-op at 3
        me = _me(host)
        assert len(op.GetOplog(me, 1).get_next()) == 2
        it = op.GetOplog(me, 3)
        assert it.get_next() is None
        host.oplog_commit(1)  # a replication barrier: flushes nothing (§4.3)
        assert it.get_next() is None
        host.generate_idempotency_key()  # write-remote: commits
        page = it.get_next()  # the cursor did not move
        assert isinstance(page[0], op.OplogEntry_NoOp) and len(page) == 2


def test_unknown_worker_reads_nothing(op: ModuleType) -> None:
    g = Golem()
    g.add_component("app")
    with g:
        ghost = _wid(g, "app", "ghost")
        assert op.GetOplog(ghost, 0).get_next() is None
        assert op.SearchOplog(ghost, "create").get_next() is None


# --- search ----------------------------------------------------------------------------


def _search(op: ModuleType, wid: Any, text: str) -> list[int]:
    s = op.SearchOplog(wid, text)
    out: list[int] = []
    while (page := s.get_next()) is not None:
        out.extend(i for i, _ in page)
    return out


def test_search_query_forms(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import context as ctx
    from wit_world.imports import logging

    g = Golem()
    with g:
        host.get_oplog_index()                                     # 3 no-op
        logging.log(logging.Level.INFO, "Orders", "Order 42 placed")  # 4 log
        host.generate_idempotency_key()                            # 5 imported (commits)
        s = ctx.start_span("work")                                 # 6 start-span (commits)
        me = _me(host)
        assert _search(op, me, "create") == [1]
        assert _search(op, me, "noop") == [3] and _search(op, me, "no-op") == []
        assert _search(op, me, "ORDER") == [4]                     # terms ignore case
        assert _search(op, me, '"Order 42"') == [4] and _search(op, me, '"order 42"') == []
        assert _search(op, me, "/Order [0-9]+ placed/") == [4]
        assert _search(op, me, "imported-function") == [5]
        assert _search(op, me, "generate_idempotency") == [5]
        assert _search(op, me, "exported-function-invoked") == [2]
        assert _search(op, me, g.invocations()[0].idempotency_key) == [2]
        assert _search(op, me, "log OR noop") == [3, 4]
        assert _search(op, me, "log AND orders") == [4]
        assert _search(op, me, "log AND NOT orders") == []
        assert _search(op, me, "NOT create AND NOT exported") == [3, 4, 5, 6]
        assert _search(op, me, "(noop OR create) log") == []        # juxtaposition is AND
        assert _search(op, me, "name:work") == [6]                 # span attribute path
        assert _search(op, me, "colour:work") == []
        assert _search(op, me, "message:orders") == []             # string fields have no path
        assert _search(op, me, "") == [1, 2, 3, 4, 5, 6]           # an empty AND
        s.finish()


def test_search_inside_values(op: ModuleType, host: ModuleType) -> None:
    from wit_world.imports import eventual
    from wit_world.imports import wasi_keyvalue_types as kt

    g = Golem()
    with g:
        eventual.get(kt.Bucket.open_bucket("bkt"), "distinct-key")  # 3: request (bucket, key)
        key = host.generate_idempotency_key()                        # 4: commits
        me = _me(host)
        assert _search(op, me, "distinct-key") == [3]
        assert _search(op, me, "1:distinct-key") == [3]   # tuple items are paths 0, 1, ...
        assert _search(op, me, "0:distinct-key") == []
        assert _search(op, me, "0:bkt") == [3]
        # match_value's record quirk (dev.25): a record's fields are matched against the
        # record's own path, so a record inside ok(...) never matches
        assert _search(op, me, str(key.high_bits)) == []


def test_search_stops_after_100_matches_and_can_return_an_empty_list(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        for _ in range(247):
            host.get_oplog_index()  # 3..249
        host.generate_idempotency_key()  # 250, commits
        s = op.SearchOplog(_me(host), "noop")
        first = s.get_next()
        # 1..100 gives 98 matches (< 100): the scan goes on with 101..200 and stops at 198
        assert len(first) == 198 and first[0][0] == 3 and first[-1][0] == 200
        second = s.get_next()
        assert [i for i, _ in second] == list(range(201, 250))
        assert s.get_next() is None
    h = Golem()
    with h:
        for _ in range(98):
            host.get_oplog_index()  # 3..100
        host.generate_idempotency_key()  # 101 commits: the last index is 101
        s = op.SearchOplog(_me(host), "create")
        assert [i for i, _ in s.get_next()] == [1]  # stopped at 101 >= last index 101
        assert s.get_next() == []                   # read 101, nothing matched: some([])
        assert s.get_next() is None


def test_invalid_query_traps_in_get_next(op: ModuleType, host: ModuleType) -> None:
    g = Golem()
    with g:
        me = _me(host)
        for text in ('"unclosed', "(noop", "noop)", "AND", "noop AND", "NOT"):
            s = op.SearchOplog(me, text)  # the constructor does not parse
            with pytest.raises(Trap, match="Parse error|Keyword"):
                s.get_next()
        with pytest.raises(Trap, match="Invalid regular expression"):
            op.SearchOplog(me, "/[/").get_next()


def test_query_parser_matches_lucene_rs_tests() -> None:
    assert parse_query("hello") == Term("hello")
    assert parse_query("he\\llo") == Term("hello")
    assert parse_query("field:hello") == Field("field", Term("hello"))
    assert parse_query('"hello world" again') == And((Phrase("hello world"), Term("again")))
    assert parse_query("/$hello([a-z]+)?/") == Regex("$hello([a-z]+)?")
    assert parse_query("NOT hello") == Not(Term("hello"))
    assert parse_query("hello AND NOT world") == And((Term("hello"), Not(Term("world"))))
    assert parse_query("hello OR NOT world AND NOT vilag") == Or(
        (Term("hello"), And((Not(Term("world")), Not(Term("vilag"))))))
    assert parse_query("hello AND (world OR vilag) NOT other") == And((
        And((Term("hello"), Or((Term("world"), Term("vilag"))))), Not(Term("other"))))
    with pytest.raises(QueryError):
        parse_query("AND")
