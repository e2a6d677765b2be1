"""``worker-any-filter`` → a Python predicate over :class:`~golem_fakes.state.registry.Worker`.

Golem converts the WIT filter (disjunctive normal form: ``worker-any-filter`` = OR of
``worker-all-filter``s = AND of ``worker-property-filter``s) to ``WorkerFilter::Or`` /
``And`` and evaluates it with ``WorkerFilter::matches``, ``StringFilterComparator::matches``
and ``FilterComparator::matches`` (``golem-common/src/model/mod.rs``, v1.3.1;
``golem-host-semantics.md`` §10.4, §16 rule 25):

* empty OR and empty AND are **true** (``filters: []`` matches every worker);
* ``name``: the worker name (not the full id), string comparator;
* ``status``: ``actual <op> value`` in the order running < idle < suspended <
  interrupted < retrying < failed < exited;
* ``version``: the status record's (current) component version;
* ``created-at``: the ``Create`` entry timestamp vs the value in epoch milliseconds;
* ``env``: the first metadata env entry whose name equals the filter's name after
  lower-casing both; its value compared case-sensitively; **no such entry → false for
  every comparator** (``not-equal`` and ``not-like`` too);
* ``wasi-config-vars``: exact, case-sensitive key; missing → false for every comparator;
* string comparators are case-sensitive: ``equal``, ``not-equal``, ``like`` =
  substring containment (no wildcards: ``%`` and ``_`` are literal; ``like ""`` matches
  everything), ``not-like`` = not containing (``not-like ""`` matches nothing).

:func:`compile_filter` turns the filter into nested closures once; evaluating a worker
is a few Python calls, with no walk over the filter value.
"""

from __future__ import annotations

from typing import Any, Callable, Iterable

from golem_fakes.bindings.runtime import case_name
from golem_fakes.state.registry import Worker, WorkerStatus

__all__ = ["Predicate", "compile_filter", "compile_property", "matches"]

#: A compiled filter: ``predicate(worker) -> bool``.
Predicate = Callable[[Worker], bool]

_STRING_COMPARATORS = ("EQUAL", "NOT_EQUAL", "LIKE", "NOT_LIKE")
_COMPARATORS = ("EQUAL", "NOT_EQUAL", "GREATER_EQUAL", "GREATER", "LESS_EQUAL", "LESS")


def _always(w: Worker) -> bool:
    return True


def _never(w: Worker) -> bool:
    return False


def _comparator(value: Any, allowed: tuple[str, ...], what: str) -> str:
    """``LIKE`` from a generated enum member (by name), a WIT name (``not-like``) or a
    Python name (``NOT_LIKE``)."""
    name = value if isinstance(value, str) else getattr(value, "name", None)
    if isinstance(name, str):
        norm = name.upper().replace("-", "_")
        if norm in allowed:
            return norm
    raise ValueError(
        f"{value!r} is not a {what}; expected one of "
        f"{', '.join(a.lower().replace('_', '-') for a in allowed)} "
        f"(a member of the generated host.{what.title().replace(' ', '').replace('-', '')} enum or its name)")


def _field(value: Any, name: str) -> Any:
    if isinstance(value, dict):
        return value[name]
    return getattr(value, name)


# --- string properties ---------------------------------------------------------------


def _string_test(cmp: str, expected: str) -> Callable[[str], bool]:
    """``StringFilterComparator::matches(actual, expected)``."""
    if cmp == "EQUAL":
        return expected.__eq__
    if cmp == "NOT_EQUAL":
        return expected.__ne__
    if cmp == "LIKE":
        return lambda actual: expected in actual
    return lambda actual: expected not in actual


def _name_predicate(cmp: str, expected: str) -> Predicate:
    if cmp == "EQUAL":
        return lambda w: w.name == expected
    if cmp == "NOT_EQUAL":
        return lambda w: w.name != expected
    if cmp == "LIKE":
        return lambda w: expected in w.name
    return lambda w: expected not in w.name


def _env_predicate(name: str, cmp: str, expected: str, golem_env: bool) -> Predicate:
    test = _string_test(cmp, expected)

    def env_filter(w: Worker) -> bool:
        actual = w.env_value(name, golem_env)
        return actual is not None and test(actual)

    return env_filter


def _config_predicate(name: str, cmp: str, expected: str) -> Predicate:
    test = _string_test(cmp, expected)

    def config_filter(w: Worker) -> bool:
        actual = w.config.get(name)
        return actual is not None and test(actual)

    return config_filter


# --- ordered properties ----------------------------------------------------------------


def _ordered_predicate(attr: str, cmp: str, expected: Any) -> Predicate:
    """``FilterComparator::matches(actual, expected)`` = ``actual <op> expected`` on
    the worker attribute ``attr``; one specialised closure per attribute × operator."""
    src = {
        "EQUAL": "==", "NOT_EQUAL": "!=", "GREATER_EQUAL": ">=", "GREATER": ">",
        "LESS_EQUAL": "<=", "LESS": "<",
    }[cmp]
    return _ORDERED[(attr, src)](expected)


def _make_ordered() -> dict[tuple[str, str], Callable[[Any], Predicate]]:
    # Generated once at import: a factory per (attribute, operator) that closes over the
    # expected value, so a worker costs one attribute load and one comparison.
    table: dict[tuple[str, str], Callable[[Any], Predicate]] = {}
    for attr in ("status", "component_version", "created_at"):
        for op in ("==", "!=", ">=", ">", "<=", "<"):
            ns: dict[str, Any] = {}
            exec(f"def factory(v):\n    return lambda w: w.{attr} {op} v\n", ns)
            table[(attr, op)] = ns["factory"]
    return table


_ORDERED = _make_ordered()


def _u64(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 1 << 64:
        raise ValueError(f"{what} filter value must be a u64 int, got {value!r}")
    return value


# --- compilation -----------------------------------------------------------------------


def _case(prop: Any) -> tuple[str, Any]:
    """``(wit case name, payload)`` of a ``worker-property-filter`` value: a generated
    case instance or ``("case-name", payload)``."""
    if isinstance(prop, tuple) and len(prop) == 2 and isinstance(prop[0], str):
        return prop[0].lower().replace("_", "-"), prop[1]
    try:
        return case_name(prop), prop.value
    except (TypeError, AttributeError):
        raise ValueError(
            f"{prop!r} is not a worker-property-filter; use host.WorkerPropertyFilter_Name(...) "
            f"(or _Status, _Version, _CreatedAt, _Env, _WasiConfigVars) or (\"name\", payload)") from None


def compile_property(prop: Any, *, golem_env: bool = True) -> Predicate:
    """One ``worker-property-filter`` as a predicate. ``golem_env`` says whether the
    metadata env contains Golem v1.3.1's ``GOLEM_*`` variables (the registry's
    setting)."""
    case, p = _case(prop)
    if case == "name":
        cmp = _comparator(_field(p, "comparator"), _STRING_COMPARATORS, "string-filter-comparator")
        return _name_predicate(cmp, str(_field(p, "value")))
    if case == "status":
        cmp = _comparator(_field(p, "comparator"), _COMPARATORS, "filter-comparator")
        return _ordered_predicate("status", cmp, WorkerStatus.parse(_field(p, "value")))
    if case == "version":
        cmp = _comparator(_field(p, "comparator"), _COMPARATORS, "filter-comparator")
        return _ordered_predicate("component_version", cmp, _u64(_field(p, "value"), "version"))
    if case == "created-at":
        cmp = _comparator(_field(p, "comparator"), _COMPARATORS, "filter-comparator")
        return _ordered_predicate("created_at", cmp, _u64(_field(p, "value"), "created-at"))
    if case == "env":
        cmp = _comparator(_field(p, "comparator"), _STRING_COMPARATORS, "string-filter-comparator")
        return _env_predicate(str(_field(p, "name")), cmp, str(_field(p, "value")), golem_env)
    if case == "wasi-config-vars":
        cmp = _comparator(_field(p, "comparator"), _STRING_COMPARATORS, "string-filter-comparator")
        return _config_predicate(str(_field(p, "name")), cmp, str(_field(p, "value")))
    raise ValueError(
        f"unknown worker-property-filter case {case!r} in {prop!r}; the cases are name, status, "
        f"version, created-at, env, wasi-config-vars")


def _all(preds: list[Predicate]) -> Predicate:
    """AND; an empty list is true (``WorkerFilter::And([])``)."""
    if not preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda w: a(w) and b(w)
    if len(preds) == 3:
        a, b, c = preds
        return lambda w: a(w) and b(w) and c(w)
    t = tuple(preds)
    return lambda w: all(p(w) for p in t)


def _any(preds: list[Predicate]) -> Predicate:
    """OR; an empty list is true too (``WorkerFilter::matches`` on an empty ``Or``,
    §10.4), unlike Python's ``any([])``."""
    if not preds or _always in preds:
        return _always
    if len(preds) == 1:
        return preds[0]
    if len(preds) == 2:
        a, b = preds
        return lambda w: a(w) or b(w)
    t = tuple(preds)
    return lambda w: any(p(w) for p in t)


def _filters(value: Any) -> Iterable[Any]:
    fs = value.get("filters") if isinstance(value, dict) else getattr(value, "filters", None)
    if fs is None:
        raise ValueError(f"{value!r} has no 'filters' list; expected a worker-any-filter / worker-all-filter")
    return fs


def compile_filter(filter: Any, *, golem_env: bool = True) -> Predicate | None:
    """Compile an ``option<worker-any-filter>``: ``None`` (no filtering) stays ``None``;
    otherwise a predicate ``worker -> bool``. Accepts the generated classes
    (``host.WorkerAnyFilter(filters=[host.WorkerAllFilter(filters=[...])])``), any
    objects or dicts with ``filters``, and property cases as generated case instances
    or ``("case-name", payload)``. A malformed filter raises ``ValueError`` here, once,
    not per worker."""
    if filter is None:
        return None
    ors = [_all([compile_property(p, golem_env=golem_env) for p in _filters(conj)])
           for conj in _filters(filter)]
    return _any(ors)


def matches(filter: Any, worker: Worker, *, golem_env: bool = True) -> bool:
    """Convenience: does ``worker`` match ``filter`` (``None`` matches)? Compiles
    the filter on every call; keep the result of :func:`compile_filter` for loops."""
    pred = compile_filter(filter, golem_env=golem_env)
    return True if pred is None else pred(worker)
