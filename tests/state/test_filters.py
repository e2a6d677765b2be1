"""Filter evaluation: every worker-property-filter case × comparator, the DNF structure,
the missing-variable rule and the string semantics of ``golem-host-semantics.md`` §10.4.

Filters are built with the generated binding classes (what worker code passes) and
compiled with :func:`golem_fakes.state.filters.compile_filter`; expectations are
written out by hand per case, and a hypothesis test compares the compiled predicates
with a direct, interpretive reading of Golem's ``WorkerFilter::matches``."""

from __future__ import annotations

from types import ModuleType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import golem_fakes
from golem_fakes.bindings.runtime import case_name
from golem_fakes.state.filters import compile_filter, compile_property, matches
from golem_fakes.state.registry import Worker, WorkerRegistry, WorkerStatus


@pytest.fixture(scope="module")
def host() -> ModuleType:
    golem_fakes.install()
    from wit_world.imports import host as h

    return h


def _scmp(host: ModuleType, name: str) -> Any:
    return host.StringFilterComparator[name.upper().replace("-", "_")]


def _cmp(host: ModuleType, name: str) -> Any:
    return host.FilterComparator[name.upper().replace("-", "_")]


def prop(host: ModuleType, case: str, *args: Any) -> Any:
    """A generated worker-property-filter case instance."""
    if case == "name":
        return host.WorkerPropertyFilter_Name(host.WorkerNameFilter(_scmp(host, args[0]), args[1]))
    if case == "status":
        return host.WorkerPropertyFilter_Status(host.WorkerStatusFilter(_cmp(host, args[0]), args[1]))
    if case == "version":
        return host.WorkerPropertyFilter_Version(host.WorkerVersionFilter(_cmp(host, args[0]), args[1]))
    if case == "created-at":
        return host.WorkerPropertyFilter_CreatedAt(host.WorkerCreatedAtFilter(_cmp(host, args[0]), args[1]))
    if case == "env":
        return host.WorkerPropertyFilter_Env(host.WorkerEnvFilter(args[0], _scmp(host, args[1]), args[2]))
    if case == "wasi-config-vars":
        return host.WorkerPropertyFilter_WasiConfigVars(
            host.WorkerWasiConfigVarsFilter(args[0], _scmp(host, args[1]), args[2]))
    raise AssertionError(case)


def any_of(host: ModuleType, *alls: list[Any]) -> Any:
    return host.WorkerAnyFilter(filters=[host.WorkerAllFilter(filters=list(a)) for a in alls])


def select(flt: Any, workers: list[Worker], **kw: Any) -> list[str]:
    pred = compile_filter(flt, **kw)
    return [w.name for w in workers if pred is None or pred(w)]


@pytest.fixture
def reg() -> WorkerRegistry:
    r = WorkerRegistry(seed=1)
    r.add_component("shop", version=2, env={"REGION": "ap", "TIER": "free"})
    r.add_worker("shop", "cart-1", env=[("REGION", "eu")], config={"mode": "fast"},
                 status="idle", component_version=0, created_at=1000)
    r.add_worker("shop", "cart-2", env=[("region", "us"), ("REGION", "eu")],
                 config={"Mode": "slow"}, status="suspended", component_version=1, created_at=2000)
    r.add_worker("shop", "user-1", status="failed", component_version=2, created_at=3000)
    r.add_worker("other", "a%b_c", env=[("X", "1")], status="running", created_at=4000)
    return r


@pytest.fixture
def ws(reg: WorkerRegistry) -> list[Worker]:
    return list(reg)


# --- name ----------------------------------------------------------------------------


@pytest.mark.parametrize("cmp,value,expected", [
    ("equal", "cart-1", ["cart-1"]),
    ("equal", "Cart-1", []),                       # case-sensitive
    ("equal", "cart", []),
    ("not-equal", "cart-1", ["cart-2", "user-1", "a%b_c"]),
    ("like", "cart", ["cart-1", "cart-2"]),        # substring, not prefix-anchored
    ("like", "-1", ["cart-1", "user-1"]),
    ("like", "CART", []),                          # case-sensitive
    ("like", "c%", []),                            # % is literal, not a wildcard
    ("like", "%b_", ["a%b_c"]),                    # ... and so is _
    ("like", "", ["cart-1", "cart-2", "user-1", "a%b_c"]),
    ("not-like", "cart", ["user-1", "a%b_c"]),
    ("not-like", "", []),
    ("not-like", "%", ["cart-1", "cart-2", "user-1"]),
])
def test_name(host: ModuleType, ws: list[Worker], cmp: str, value: str, expected: list[str]) -> None:
    assert select(any_of(host, [prop(host, "name", cmp, value)]), ws) == expected


# --- ordered properties ----------------------------------------------------------------


@pytest.mark.parametrize("cmp,expected", [
    ("equal", ["cart-2"]),
    ("not-equal", ["cart-1", "user-1", "a%b_c"]),
    ("greater-equal", ["cart-2", "user-1"]),
    ("greater", ["user-1"]),
    ("less-equal", ["cart-1", "cart-2", "a%b_c"]),
    ("less", ["cart-1", "a%b_c"]),
])
def test_status(host: ModuleType, ws: list[Worker], cmp: str, expected: list[str]) -> None:
    # running(a%b_c) < idle(cart-1) < suspended(cart-2) < ... < failed(user-1)
    flt = any_of(host, [prop(host, "status", cmp, host.WorkerStatus.SUSPENDED)])
    assert select(flt, ws) == expected


def test_status_order_covers_every_status(host: ModuleType) -> None:
    r = WorkerRegistry()
    for s in WorkerStatus:
        r.add_worker("c", f"w{s.value}", status=s)
    ws = r.workers_of("c")
    flt = any_of(host, [prop(host, "status", "greater", host.WorkerStatus.INTERRUPTED)])
    assert select(flt, ws) == ["w4", "w5", "w6"]  # retrying, failed, exited
    flt = any_of(host, [prop(host, "status", "less", host.WorkerStatus.IDLE)])
    assert select(flt, ws) == ["w0"]


@pytest.mark.parametrize("cmp,expected", [
    ("equal", ["cart-2"]),
    ("not-equal", ["cart-1", "user-1", "a%b_c"]),
    ("greater-equal", ["cart-2", "user-1"]),
    ("greater", ["user-1"]),
    ("less-equal", ["cart-1", "cart-2", "a%b_c"]),
    ("less", ["cart-1", "a%b_c"]),
])
def test_version(host: ModuleType, ws: list[Worker], cmp: str, expected: list[str]) -> None:
    # component versions: cart-1 0, cart-2 1, user-1 2, a%b_c 0 (its component's)
    assert select(any_of(host, [prop(host, "version", cmp, 1)]), ws) == expected


def test_version_is_the_current_worker_version(host: ModuleType, reg: WorkerRegistry) -> None:
    w = reg.get("shop", "cart-1")
    flt = any_of(host, [prop(host, "version", "equal", 2)])
    assert select(flt, [w]) == []
    w.component_version = 2  # a successful update
    assert select(flt, [w]) == ["cart-1"]


@pytest.mark.parametrize("cmp,expected", [
    ("equal", ["cart-2"]),
    ("not-equal", ["cart-1", "user-1", "a%b_c"]),
    ("greater-equal", ["cart-2", "user-1", "a%b_c"]),
    ("greater", ["user-1", "a%b_c"]),
    ("less-equal", ["cart-1", "cart-2"]),
    ("less", ["cart-1"]),
])
def test_created_at_in_epoch_ms(host: ModuleType, ws: list[Worker], cmp: str, expected: list[str]) -> None:
    assert select(any_of(host, [prop(host, "created-at", cmp, 2000)]), ws) == expected


# --- env -------------------------------------------------------------------------------


@pytest.mark.parametrize("name,cmp,value,expected", [
    # cart-1: REGION=eu; cart-2: region=us then REGION=eu (first match wins: us);
    # user-1: only the component's REGION=ap; a%b_c (component "other"): no REGION.
    ("REGION", "equal", "eu", ["cart-1"]),
    ("region", "equal", "us", ["cart-2"]),
    ("Region", "equal", "ap", ["user-1"]),
    ("REGION", "equal", "EU", []),                          # value case-sensitive
    ("REGION", "not-equal", "eu", ["cart-2", "user-1"]),    # missing var: false even here
    ("REGION", "like", "u", ["cart-1", "cart-2"]),
    ("REGION", "like", "", ["cart-1", "cart-2", "user-1"]),
    ("REGION", "not-like", "u", ["user-1"]),
    ("REGION", "not-like", "zzz", ["cart-1", "cart-2", "user-1"]),
    ("NOPE", "not-equal", "x", []),
    ("NOPE", "not-like", "x", []),
    ("tier", "equal", "free", ["cart-1", "cart-2", "user-1"]),  # component env
])
def test_env(host: ModuleType, ws: list[Worker], name: str, cmp: str, value: str,
             expected: list[str]) -> None:
    assert select(any_of(host, [prop(host, "env", name, cmp, value)]), ws) == expected


def test_env_worker_value_overrides_component_value(host: ModuleType) -> None:
    r = WorkerRegistry()
    r.add_component("c", env={"TIER": "free"})
    r.add_worker("c", "w", env={"TIER": "paid"})
    ws = r.workers_of("c")
    assert select(any_of(host, [prop(host, "env", "TIER", "equal", "free")]), ws) == []
    assert select(any_of(host, [prop(host, "env", "TIER", "equal", "paid")]), ws) == ["w"]


def test_env_sees_golem_variables_of_v131(host: ModuleType) -> None:
    r = WorkerRegistry()
    comp = r.add_component("c", version=4)
    w = r.add_worker("c", "w-1", env={"GOLEM_WORKER_NAME": "spoofed"})
    ws = [w]
    by_name = any_of(host, [prop(host, "env", "golem_worker_name", "equal", "w-1")])
    assert select(by_name, ws) == ["w-1"]       # the user's value was dropped
    assert select(any_of(host, [prop(host, "env", "GOLEM_COMPONENT_ID", "equal",
                                     str(comp.component_id))]), ws) == ["w-1"]
    assert select(any_of(host, [prop(host, "env", "GOLEM_COMPONENT_VERSION", "equal", "4")]),
                  ws) == ["w-1"]
    assert select(any_of(host, [prop(host, "env", "GOLEM_AGENT_ID", "like", "w-")]), ws) == ["w-1"]
    # dev.25 metadata: no GOLEM_* entries, the user's variable is kept
    assert select(by_name, ws, golem_env=False) == []
    spoofed = any_of(host, [prop(host, "env", "GOLEM_WORKER_NAME", "equal", "spoofed")])
    assert select(spoofed, ws, golem_env=False) == ["w-1"]
    assert select(spoofed, ws) == []


def test_env_lowercase_user_variable_is_not_reserved(host: ModuleType) -> None:
    # enrich_env drops exact GOLEM_* names only; a lower-case spelling stays and, coming
    # first in the list, is the first case-insensitive match.
    r = WorkerRegistry()
    w = r.add_worker("c", "w", env=[("golem_worker_name", "mine")])
    flt = any_of(host, [prop(host, "env", "GOLEM_WORKER_NAME", "equal", "mine")])
    assert select(flt, [w]) == ["w"]
    assert w.env_value("GOLEM_WORKER_NAME") == dict(w.metadata_env())["golem_worker_name"]


# --- wasi-config-vars --------------------------------------------------------------------


@pytest.mark.parametrize("name,cmp,value,expected", [
    ("mode", "equal", "fast", ["cart-1"]),
    ("Mode", "equal", "slow", ["cart-2"]),        # exact key
    ("MODE", "equal", "fast", []),                # keys are case-sensitive
    ("mode", "not-equal", "slow", ["cart-1"]),    # missing key: false even for not-equal
    ("mode", "like", "as", ["cart-1"]),
    ("mode", "like", "", ["cart-1"]),
    ("mode", "not-like", "as", []),
    ("mode", "not-like", "x", ["cart-1"]),
])
def test_wasi_config_vars(host: ModuleType, ws: list[Worker], name: str, cmp: str, value: str,
                          expected: list[str]) -> None:
    assert select(any_of(host, [prop(host, "wasi-config-vars", name, cmp, value)]), ws) == expected


# --- structure ---------------------------------------------------------------------------


def test_none_and_empty_filters_match_everything(host: ModuleType, ws: list[Worker]) -> None:
    everyone = ["cart-1", "cart-2", "user-1", "a%b_c"]
    assert compile_filter(None) is None
    assert select(None, ws) == everyone
    assert select(host.WorkerAnyFilter(filters=[]), ws) == everyone       # empty OR is true
    assert select(any_of(host, []), ws) == everyone                       # empty AND is true
    assert select(any_of(host, [], [prop(host, "name", "equal", "x")]), ws) == everyone
    assert matches(None, ws[0]) and matches(host.WorkerAnyFilter(filters=[]), ws[0])


def test_any_of_all(host: ModuleType, ws: list[Worker]) -> None:
    flt = any_of(
        host,
        [prop(host, "name", "like", "cart"), prop(host, "status", "equal", host.WorkerStatus.IDLE)],
        [prop(host, "version", "greater-equal", 2)],
        [prop(host, "created-at", "greater", 3500), prop(host, "env", "x", "equal", "1"),
         prop(host, "name", "like", "%"), prop(host, "status", "equal", host.WorkerStatus.RUNNING)],
    )
    assert select(flt, ws) == ["cart-1", "user-1", "a%b_c"]
    # AND needs every clause: drop the last worker by one failing clause
    flt2 = any_of(host, [prop(host, "created-at", "greater", 3500), prop(host, "env", "x", "equal", "2"),
                         prop(host, "name", "like", "%"), prop(host, "status", "equal", host.WorkerStatus.RUNNING)])
    assert select(flt2, ws) == []


def test_filter_is_compiled_once(host: ModuleType, ws: list[Worker]) -> None:
    flt = any_of(host, [prop(host, "name", "like", "cart")])
    pred = compile_filter(flt)
    flt.filters[0].filters[0].value.value = "user"   # later changes do not leak in
    assert [w.name for w in ws if pred(w)] == ["cart-1", "cart-2"]


def test_plain_forms_are_accepted(ws: list[Worker]) -> None:
    flt = {"filters": [{"filters": [("name", {"comparator": "like", "value": "cart"}),
                                    ("created_at", {"comparator": "GREATER", "value": 1000})]}]}
    assert select(flt, ws) == ["cart-2"]


@pytest.mark.parametrize("bad,message", [
    (("colour", {"comparator": "equal", "value": "x"}), "unknown worker-property-filter case 'colour'"),
    (("name", {"comparator": "greater", "value": "x"}), "not a string-filter-comparator"),
    (("status", {"comparator": "equal", "value": "sleepy"}), "not a worker status"),
    (("version", {"comparator": "equal", "value": -1}), "u64"),
    (42, "not a worker-property-filter"),
])
def test_malformed_filters_fail_at_compile_time(bad: Any, message: str) -> None:
    with pytest.raises((ValueError, TypeError), match=message):
        compile_property(bad)


def test_case_name_helper(host: ModuleType) -> None:
    assert case_name(prop(host, "created-at", "equal", 1)) == "created-at"
    assert case_name(prop(host, "wasi-config-vars", "x", "equal", "y")) == "wasi-config-vars"
    assert case_name(prop(host, "name", "equal", "y")) == "name"
    with pytest.raises(TypeError, match="not an instance of a generated variant case"):
        case_name(host.WorkerNameFilter(host.StringFilterComparator.LIKE, "x"))


# --- against a reference reading of WorkerFilter::matches ---------------------------------------


def _reference(flt: Any, w: Worker) -> bool:
    """An interpretive walk written straight from golem-common's ``WorkerFilter::matches``
    over the worker's metadata (env list, config map)."""
    def string_cmp(cmp: str, actual: str, value: str) -> bool:
        return {"EQUAL": actual == value, "NOT_EQUAL": actual != value,
                "LIKE": value in actual, "NOT_LIKE": value not in actual}[cmp]

    def cmp_(cmp: str, actual: int, value: int) -> bool:
        return {"EQUAL": actual == value, "NOT_EQUAL": actual != value,
                "GREATER_EQUAL": actual >= value, "GREATER": actual > value,
                "LESS_EQUAL": actual <= value, "LESS": actual < value}[cmp]

    def prop_matches(p: Any) -> bool:
        case = type(p).__name__.split("_", 1)[1]
        v = p.value
        if case == "Name":
            return string_cmp(v.comparator.name, w.name, v.value)
        if case == "Status":
            return cmp_(v.comparator.name, int(w.status), v.value.value)
        if case == "Version":
            return cmp_(v.comparator.name, w.component_version, v.value)
        if case == "CreatedAt":
            return cmp_(v.comparator.name, w.created_at, v.value)
        if case == "Env":
            for k, val in w.metadata_env():
                if k.lower() == v.name.lower():
                    return string_cmp(v.comparator.name, val, v.value)
            return False
        if case == "WasiConfigVars":
            md = dict(w.metadata()["wasi_config_vars"])
            return v.name in md and string_cmp(v.comparator.name, md[v.name], v.value)
        raise AssertionError(case)

    if flt is None:
        return True
    if not flt.filters:
        return True
    return any(all(prop_matches(p) for p in a.filters) for a in flt.filters)


_words = st.sampled_from(["", "a", "b", "ab", "A", "%", "x_"])


def _prop_strategy(host: ModuleType) -> st.SearchStrategy[Any]:
    scmp = st.sampled_from(list(host.StringFilterComparator))
    cmp = st.sampled_from(list(host.FilterComparator))
    return st.one_of(
        st.builds(lambda c, v: host.WorkerPropertyFilter_Name(host.WorkerNameFilter(c, v)), scmp, _words),
        st.builds(lambda c, v: host.WorkerPropertyFilter_Status(host.WorkerStatusFilter(c, v)),
                  cmp, st.sampled_from(list(host.WorkerStatus))),
        st.builds(lambda c, v: host.WorkerPropertyFilter_Version(host.WorkerVersionFilter(c, v)),
                  cmp, st.integers(0, 3)),
        st.builds(lambda c, v: host.WorkerPropertyFilter_CreatedAt(host.WorkerCreatedAtFilter(c, v)),
                  cmp, st.integers(0, 3)),
        st.builds(lambda n, c, v: host.WorkerPropertyFilter_Env(host.WorkerEnvFilter(n, c, v)),
                  st.sampled_from(["K", "k", "golem_worker_name", "Z"]), scmp, _words),
        st.builds(lambda n, c, v: host.WorkerPropertyFilter_WasiConfigVars(
            host.WorkerWasiConfigVarsFilter(n, c, v)), st.sampled_from(["K", "k"]), scmp, _words),
    )


def test_compiled_filters_agree_with_reference(host: ModuleType) -> None:
    props = _prop_strategy(host)
    filters = st.none() | st.builds(
        lambda alls: host.WorkerAnyFilter([host.WorkerAllFilter(a) for a in alls]),
        st.lists(st.lists(props, max_size=4), max_size=3))
    pairs = st.lists(st.tuples(st.sampled_from(["K", "k", "GOLEM_WORKER_NAME"]), _words), max_size=3)
    workers = st.builds(
        lambda name, env, cenv, cfg, status, ver, created: (name, env, cenv, cfg, status, ver, created),
        _words.filter(bool), pairs, st.dictionaries(st.sampled_from(["K", "k", "Q"]), _words, max_size=2),
        st.dictionaries(st.sampled_from(["K", "k"]), _words, max_size=2),
        st.sampled_from(list(WorkerStatus)), st.integers(0, 3), st.integers(0, 3))

    @settings(max_examples=300, deadline=None)
    @given(flt=filters, spec=workers)
    def check(flt: Any, spec: tuple[Any, ...]) -> None:
        name, env, cenv, cfg, status, ver, created = spec
        r = WorkerRegistry()
        r.add_component("c", env=cenv)
        w = r.add_worker("c", name, env=env, config=cfg, status=status, component_version=ver,
                         created_at=created)
        pred = compile_filter(flt)
        got = True if pred is None else pred(w)
        assert got == _reference(flt, w), (flt, w, w.metadata_env())

    check()
