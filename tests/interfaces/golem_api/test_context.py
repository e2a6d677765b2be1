"""golem:api/context@1.1.7 through the generated bindings (semantics §12)."""

from __future__ import annotations

import gc
import re
from types import ModuleType

import pytest

import golem_fakes
from golem_fakes import Golem, Trap
from golem_fakes.state.context import Span, WorkerContext
from golem_fakes.state.oplog import Oplog


@pytest.fixture(scope="session")
def ctx() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import context as c

    return c


def _s(ctx: ModuleType, v: str) -> object:
    return ctx.AttributeValue_String(v)


def test_invocation_span_is_current_and_stored_in_the_invocation_entry(ctx: ModuleType) -> None:
    g = Golem(seed=3)
    with g:
        cur = ctx.current_context()
        trace, span = cur.trace_id(), cur.span_id()
        attrs = {a.key: a.value.value for a in cur.get_attributes(False)}
        root = cur.parent()
        assert root is not None and root.parent() is None
        assert root.get_attributes(True) == []
        root_id = root.span_id()
        inv = g.current_invocation
    assert re.fullmatch(r"[0-9a-f]{32}", trace) and trace[12] == "4" and trace[16] in "89ab"
    assert re.fullmatch(r"[0-9a-f]{16}", span) and int(span, 16) != 0
    w = g.default_worker
    assert attrs == {"name": "invoke-exported-function", "idempotency_key": inv.idempotency_key,
                     "function_name": inv.function_name, "worker_id": str(w)}
    entry = g.oplog()[inv.start_index]
    assert entry.kind == "exported-function-invoked"
    assert entry["trace_id"] == trace and entry["trace_states"] == []
    chain = entry["invocation_context"]
    assert [d["span_id"] for d in chain] == [span, root_id]
    assert chain[0]["parent"] == root_id and chain[1]["parent"] is None
    assert chain[0]["attributes"] == attrs and not chain[0]["inherited"]
    # context reads are not recorded
    assert g.oplog().kinds() == ["create", "exported-function-invoked", "exported-function-completed"]


def test_ids_are_seeded_and_the_same_whether_built_early_or_late(ctx: ModuleType) -> None:
    def ids(g: Golem, early: bool) -> tuple[str, str, str]:
        with g.run_as("component", "w"):
            pass                                   # an invocation that never uses the API
        with g.run_as("component", "w"):
            if early:
                ctx.current_context()
            g.oplog("component", "w").kinds()      # the entry is read before any API use
            cur = ctx.current_context()
            span = ctx.start_span("s")
            started = ctx.current_context().span_id()
            span.finish()
            return cur.trace_id(), cur.span_id(), started
    a, b, c = ids(Golem(seed=7), True), ids(Golem(seed=7), False), ids(Golem(seed=8), True)
    assert a == b and a[0] != c[0] and a[1] != c[1] and a[2] != c[2]
    g = Golem(seed=7)
    ids(g, False)
    first, second = [e for e in g.oplog("component", "w") if e.kind == "exported-function-invoked"]
    assert first["trace_id"] != second["trace_id"]  # a fresh trace per invocation
    assert second["trace_id"] == a[0]


def test_start_span_finish_and_drop(ctx: ModuleType) -> None:
    g = Golem()
    with g:
        outer = ctx.current_context().span_id()
        s = ctx.start_span("work")
        cur = ctx.current_context()
        sid = cur.span_id()
        assert cur.parent().span_id() == outer
        assert cur.get_attribute("name", False) == _s(ctx, "work")
        child = ctx.start_span("inner")
        assert ctx.current_context().parent().span_id() == sid
        child.finish()
        assert ctx.current_context().span_id() == sid       # parent current again
        s.finish()
        assert ctx.current_context().span_id() == outer
        s.__exit__(None, None, None)                        # drop after finish: no trap
        n = len(g.oplog())
        dropped = ctx.start_span("dropped")
        del dropped
        gc.collect()
        assert ctx.current_context().span_id() == outer
    log = g.oplog()
    starts = [e for e in log if e.kind == "start-span"]
    assert [e["attributes"] for e in starts] == [{"name": "work"}, {"name": "inner"}, {"name": "dropped"}]
    assert starts[0]["span_id"] == sid and starts[0]["parent"] == outer
    assert starts[1]["parent"] == sid and starts[0]["linked_context"] is None
    finishes = [e["span_id"] for e in log if e.kind == "finish-span"]
    assert finishes == [starts[1]["span_id"], sid, sid, starts[2]["span_id"]]
    assert log[n + 1].kind == "start-span" and log[n + 2].kind == "finish-span"
    assert log.committed_index >= n + 2          # start-span and finish-span are committed


def test_span_methods_after_finish_trap_with_golems_messages(ctx: ModuleType) -> None:
    g = Golem()
    g.clock.advance(1.2345678)
    with g:
        s = ctx.start_span("work")
        at = s.started_at()
        assert at.nanoseconds == 234_000_000               # millisecond precision
        s.set_attribute("a", _s(ctx, "1"))
        s.set_attributes([ctx.Attribute("b", _s(ctx, "2")), ctx.Attribute("a", _s(ctx, "3"))])
        snap = ctx.current_context()
        sid = snap.span_id()
        s.finish()
        with pytest.raises(Trap, match=rf"^Span {sid} not found$"):
            s.started_at()
        with pytest.raises(Trap, match=rf"^Runtime error: Span {sid} not found$"):
            s.set_attribute("c", _s(ctx, "4"))
        with pytest.raises(Trap, match=rf"^Runtime error: Span {sid} not found$"):
            s.set_attributes([ctx.Attribute("c", _s(ctx, "4"))])
        # the snapshot still answers its ids, not its attributes
        assert snap.span_id() == sid and snap.parent() is not None and len(snap.trace_id()) == 32
        for call in (lambda: snap.get_attribute("a", False), lambda: snap.get_attributes(True),
                     lambda: snap.get_attribute_chain("a"), snap.get_attribute_chains,
                     snap.trace_context_headers):
            with pytest.raises(Trap, match=rf"^Span {sid} not found$"):
                call()
    sets = [(e["span_id"], e["key"], e["value"]) for e in g.oplog() if e.kind == "set-span-attribute"]
    assert sets == [(sid, "a", "1"), (sid, "b", "2"), (sid, "a", "3")]
    span = [r for r in g.spans() if r.span_id == sid][0]
    assert span.attributes == {"name": "work", "a": "3", "b": "2"} and span.finished_at is not None
    assert span.started_at == at.seconds * 1000 + at.nanoseconds // 1_000_000


def test_attribute_lookup_and_chains(ctx: ModuleType) -> None:
    g = Golem()
    with g:
        a = ctx.start_span("a")
        a.set_attribute("x", _s(ctx, "outer"))
        a.set_attribute("only-a", _s(ctx, "1"))
        b = ctx.start_span("b")
        b.set_attribute("x", _s(ctx, "inner"))
        cur = ctx.current_context()
        assert cur.get_attribute("only-a", False) is None
        assert cur.get_attribute("only-a", True) == _s(ctx, "1")
        assert cur.get_attribute("x", True) == _s(ctx, "inner")
        assert cur.get_attribute("missing", True) is None
        assert cur.get_attribute_chain("x") == [_s(ctx, "inner"), _s(ctx, "outer")]
        assert cur.get_attribute_chain("name") == [_s(ctx, "b"), _s(ctx, "a"),
                                                   _s(ctx, "invoke-exported-function")]
        assert cur.get_attribute_chain("missing") == []
        own = {x.key: x.value.value for x in cur.get_attributes(False)}
        assert own == {"name": "b", "x": "inner"}
        inherited = {x.key: x.value.value for x in cur.get_attributes(True)}
        assert inherited["x"] == "inner" and inherited["only-a"] == "1"
        assert inherited["function_name"] == g.current_invocation.function_name
        chains = {c.key: [v.value for v in c.values] for c in cur.get_attribute_chains()}
        assert chains["x"] == ["inner", "outer"] and chains["name"][-1] == "invoke-exported-function"
        headers = cur.trace_context_headers()
        assert headers == [("traceparent", f"00-{cur.trace_id()}-{cur.span_id()}-00")]


def test_spans_survive_invocations_and_golem_spans_reads_them(ctx: ModuleType) -> None:
    g = Golem()
    kept = []
    with g.run_as("component", "w"):
        kept.append(ctx.start_span("long"))
        first_trace = ctx.current_context().trace_id()
    with g.run_as("component", "w"):
        cur = ctx.current_context()
        assert cur.trace_id() != first_trace
        assert cur.get_attribute("name", False) == _s(ctx, "invoke-exported-function")
        kept[0].set_attribute("later", _s(ctx, "yes"))       # still live
        kept[0].finish()
    spans = g.spans("component", "w")
    names = [r.name for r in spans]
    assert names == [None, "invoke-exported-function", "long", None, "invoke-exported-function"]
    long = spans[2]
    assert long.parent == spans[1].span_id and long.attributes["later"] == "yes"
    assert long.finished_at is not None and spans[1].finished_at is not None
    assert spans[1].attributes["worker_id"] == str(g.worker("component", "w"))


def test_allow_forwarding_flag_is_per_worker_and_not_recorded(ctx: ModuleType) -> None:
    g = Golem()
    with g.run_as("component", "a"):
        assert ctx.allow_forwarding_trace_context_headers(False) is True
        assert ctx.allow_forwarding_trace_context_headers(False) is False
    with g.run_as("component", "a"):
        assert ctx.allow_forwarding_trace_context_headers(True) is False
    with g.run_as("component", "b"):
        assert ctx.allow_forwarding_trace_context_headers(True) is True
    assert g.oplog("component", "a").kinds().count("exported-function-invoked") == 2
    assert len(g.oplog("component", "a")) == 5


def test_current_span_removed_under_a_current_child(ctx: ModuleType) -> None:
    """Finishing a span while its child is current, then the child: the finished parent
    becomes current, and using it traps as Golem does."""
    g = Golem()
    with g:
        a = ctx.start_span("a")
        aid = ctx.current_context().span_id()
        b = ctx.start_span("b")
        a.finish()
        b.finish()
        with pytest.raises(Trap, match=rf"^Span {aid} not found$"):
            ctx.current_context()
        with pytest.raises(Trap, match=rf"^Runtime error: Span {aid} not found$"):
            ctx.start_span("c")


def test_linked_context_external_span_and_trace_states() -> None:
    """The lookup rules of ``InvocationContextSpan`` for what golem-fakes' own
    invocations never produce (linked contexts, external parents, trace states)."""
    ext = Span("00f067aa0ba902b7", None, external=True)
    ext.attributes["x"] = "hidden"
    root = Span("0000000000000001", 0, ext, {"r": "root"})
    link = Span("0000000000000002", 0, Span("0000000000000009", 0, None, {"deep": "no"}),
                {"y": "linked", "r": "link"})
    s = Span("0000000000000003", 0, root, {"z": "own"}, link)
    assert s.get_attribute("y", True) == "linked" and s.get_attribute("y", False) is None
    assert s.get_attribute("deep", True) is None          # the link's parents are not searched
    assert s.get_attribute("x", True) is None             # the external parent ends the walk
    assert s.get_attribute_chain("r") == ["link", "root"]
    assert s.get_attributes(True) == {"z": ["own"], "y": ["linked"], "r": ["link", "root"]}
    wc = WorkerContext(0, "c/w", Oplog())
    wc.trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    wc.trace_states = ["a=1", "b=2"]
    wc.spans[s.span_id] = s
    assert wc.trace_context_headers(s.span_id) == [
        ("traceparent", f"00-{wc.trace_id}-{s.span_id}-00"), ("tracestate", "a=1,b=2")]
