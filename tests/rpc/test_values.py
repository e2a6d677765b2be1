"""``golem_fakes.rpc.values``: Python values ↔ ``wit-value`` / ``wit-type`` node lists
(semantics §2), round-trip property tests over every drawable named type of the
installed world and the worked examples of §2.6."""

from __future__ import annotations

from typing import Any, Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import golem_fakes
from golem_fakes import strategies as gs
from golem_fakes.bindings import install as install_mod
from golem_fakes.bindings.errors import BindingsAlreadyInstalled
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.rpc.values import (
    ValueMismatch,
    from_wit_value,
    node_case,
    to_wit_type,
    to_wit_value,
)
from golem_fakes.state.durability import Abort, type_from_wit
from golem_fakes.wit.model import (
    Case,
    Field,
    ListType,
    OptionType,
    Primitive,
    Record,
    ResultType,
    TupleType,
    TypeDef,
    Variant,
)

FAST = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module")
def ws() -> Iterator[gs.WitStrategies]:
    try:
        golem_fakes.install()
    except BindingsAlreadyInstalled:
        install_mod._uninstall()
        golem_fakes.install()
    yield gs.current()


def _same(a: Any, b: Any) -> bool:
    return a == b or repr(a) == repr(b)  # NaN


def _preorder(nodes: list[Any]) -> None:
    """Every child index is greater than its parent's and each node is referenced once."""
    seen = {0}
    for i, n in enumerate(nodes):
        case, v = node_case(n)
        kids: list[int] = []
        if case in ("record-value", "tuple-value", "list-value"):
            kids = list(v)
        elif case == "variant-value" and v[1] is not None:
            kids = [v[1]]
        elif case == "option-value" and v is not None:
            kids = [v]
        elif case == "result-value" and v.value is not None:
            kids = [v.value]
        prev = i
        for k in kids:
            assert k > prev, (i, case, kids)
            assert k not in seen
            seen.add(k)
            prev = k
    assert seen == set(range(len(nodes)))


def _drawable(ws: gs.WitStrategies) -> list[TypeDef]:
    out = []
    for td in ws.named_types():
        try:
            ws.for_type(td)
        except gs.UnsupportedType:
            continue
        out.append(td)
    return out


def test_every_drawable_named_type_round_trips(ws: gs.WitStrategies) -> None:
    """Each named type on its own (a sample over all of them missed the upper-case
    case names of wasi:http's ``scheme`` and ``error-code`` for many seeds)."""
    types = _drawable(ws)
    assert len(types) > 100  # the all-imports world has many named types
    failures: list[str] = []

    def round_trips(td: TypeDef) -> Any:
        @settings(max_examples=8, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(value=ws.for_type(td))
        def check(value: Any) -> None:
            wv = to_wit_value(value, td)
            assert wv["nodes"]
            _preorder(wv["nodes"])
            back = from_wit_value(wv, td)
            assert _same(back, value), (td.name, value, back)

        return check

    for td in types:
        try:
            round_trips(td)()
        except Exception as exc:  # collect them all: one message names every type
            failures.append(f"{td.name}: {type(exc).__name__}: {str(exc)[:200]}")
    assert not failures, "\n".join(failures)


def test_upper_case_case_names_round_trip(ws: gs.WitStrategies) -> None:
    """WIT case names with upper-case words (``HTTP``, ``destination-IP-unroutable``)
    match the generated classes and enum members, which spell them in another case."""
    from wit_world.imports import wasi_http_types as http

    for td in _drawable(ws):
        if td.name == "scheme":
            scheme = td
        if td.name == "error-code" and "destination-IP-unroutable" in [
                c.name for c in getattr(td.kind, "cases", ())]:
            error_code = td
    wv = to_wit_value(http.Scheme_Http(), scheme)
    case, (index, payload) = node_case(wv["nodes"][0])
    assert (case, index, payload) == ("variant-value", 0, None)
    assert isinstance(from_wit_value(wv, scheme), http.Scheme_Http)
    back = from_wit_value(to_wit_value(http.ErrorCode_DestinationIpUnroutable(), error_code),
                          error_code)
    assert isinstance(back, http.ErrorCode_DestinationIpUnroutable)


@FAST
@given(st.data())
def test_anonymous_types_round_trip(ws: gs.WitStrategies, data: st.DataObject) -> None:
    u32, s = Primitive("u32"), Primitive("string")
    typ = data.draw(st.sampled_from([
        ListType(Primitive("u8")), ListType(s), OptionType(OptionType(u32)),
        ResultType(u32, s), ResultType(None, s), ResultType(u32, None),
        TupleType((u32, s, Primitive("bool"), Primitive("char"), Primitive("f64"))),
        ListType(OptionType(ResultType(ListType(Primitive("s8")), None)))]))
    value = data.draw(ws.for_type(typ))
    wv = to_wit_value(value, typ)
    _preorder(wv["nodes"])
    assert _same(from_wit_value(wv, typ), value)


def _order_types() -> tuple[TypeDef, TypeDef, TypeDef]:
    s = Primitive("string")
    order = TypeDef("order", Record([Field("id", Primitive("u32")), Field("tags", ListType(s)),
                                     Field("note", OptionType(s))]))
    point = TypeDef("point", Record([Field("x", Primitive("s32")), Field("y", Primitive("s32"))]))
    shape = TypeDef("shape", Variant([Case("circle", Primitive("f64")), Case("square", point),
                                      Case("empty", None)]))
    return order, point, shape


class _Rec:
    def __init__(self, **kw: Any) -> None:
        self.__dict__.update(kw)


def test_worked_example_record_with_list_and_option() -> None:
    order, _, _ = _order_types()
    wv = to_wit_value({"id": 7, "tags": ["a", "b"], "note": "hi"}, order)
    assert wv["nodes"] == [("record-value", [1, 2, 5]), ("prim-u32", 7), ("list-value", [3, 4]),
                           ("prim-string", "a"), ("prim-string", "b"),
                           ("option-value", 6), ("prim-string", "hi")]
    wv = to_wit_value(_Rec(id=7, tags=["a", "b"], note=None), order)
    assert wv["nodes"][5:] == [("option-value", None)]
    wt = to_wit_type(order)
    assert wt["nodes"] == [
        {"name": "order", "owner": None,
         "type": ("record-type", [("id", 1), ("tags", 2), ("note", 4)])},
        {"name": None, "owner": None, "type": "prim-u32-type"},
        {"name": None, "owner": None, "type": ("list-type", 3)},
        {"name": None, "owner": None, "type": "prim-string-type"},
        {"name": None, "owner": None, "type": ("option-type", 5)},
        {"name": None, "owner": None, "type": "prim-string-type"}]  # no de-duplication


def test_worked_example_variant_and_nested_result() -> None:
    _, _, shape = _order_types()
    assert to_wit_value(("square", {"x": 1, "y": -2}), shape)["nodes"] == [
        ("variant-value", (1, 1)), ("record-value", [2, 3]), ("prim-s32", 1), ("prim-s32", -2)]
    assert to_wit_value(("circle", 2.5), shape)["nodes"] == [
        ("variant-value", (0, 1)), ("prim-float64", 2.5)]
    assert to_wit_value("empty", shape)["nodes"] == [("variant-value", (2, None))]
    nested = ResultType(ResultType(Primitive("u32"), Primitive("string")), Primitive("string"))
    assert to_wit_value(Ok(Err("boom")), nested)["nodes"] == [
        ("result-value", Ok(1)), ("result-value", Err(2)), ("prim-string", "boom")]
    assert to_wit_value(Err("x"), nested)["nodes"] == [("result-value", Err(1)),
                                                      ("prim-string", "x")]
    assert to_wit_value(Ok(None), ResultType(None, Primitive("string")))["nodes"] == [
        ("result-value", Ok(None))]


def test_named_types_carry_name_and_owner(ws: gs.WitStrategies) -> None:
    td = ws.typedef("golem:api/host@1.1.7", "retry-policy")
    wt = to_wit_type(td)
    assert wt["nodes"][0]["name"] == "retry-policy"
    assert wt["nodes"][0]["owner"] == "golem:api/host@1.1.7"
    _, t = wt["nodes"][0]["type"]
    assert [f for f, _ in t] == ["max-attempts", "min-delay", "max-delay", "multiplier",
                                 "max-jitter-factor"]


def test_wit_type_decodes_with_golems_converter(ws: gs.WitStrategies,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """The ``wit-type`` built here is read back by the fake's ``From<WitType> for
    AnalysedType`` (used by golem:durability) into the same structure."""
    wdt = ws.typedef("golem:api/host@1.1.7", "worker-metadata")

    class _Obj:
        def __init__(self, d: dict[str, Any]) -> None:
            self.name, self.owner = d["name"], d["owner"]
            case, v = node_case(d["type"])
            self.type = _Node(case, v)

    class _Node:
        def __init__(self, case: str, v: Any) -> None:
            self.case, self.value = case, v

    class _Wt:
        def __init__(self, nodes: list[Any]) -> None:
            self.nodes = [_Obj(n) for n in nodes]

    import golem_fakes.state.durability as dur

    monkeypatch.setattr(dur, "_case", lambda n: n.case)  # plain nodes, not case classes
    tree = type_from_wit(_Wt(to_wit_type(wdt)["nodes"]))
    assert tree.kind == "record" and tree.name == "worker-metadata"
    fields = dict(tree.items)
    assert fields["worker-id"].kind == "record"
    assert fields["args"].kind == "list" and fields["args"].items[0].kind == "string"
    assert fields["status"].kind == "enum" and "idle" in fields["status"].items


def test_decoding_checks_exact_node_kinds() -> None:
    u32 = Primitive("u32")
    with pytest.raises(ValueMismatch, match=r"in \$ expected u32, got s32"):
        from_wit_value({"nodes": [("prim-s32", 1)]}, u32)
    _, _, shape = _order_types()
    with pytest.raises(ValueMismatch, match="could not get case for discriminant 5"):
        from_wit_value({"nodes": [("variant-value", (5, None))]}, shape)
    with pytest.raises(ValueMismatch, match=r"in \$\.1 expected string, got u32"):
        from_wit_value({"nodes": [("tuple-value", [1, 2]), ("prim-u32", 1), ("prim-u32", 2)]},
                       TupleType((u32, Primitive("string"))))


def test_decoding_accepts_any_acyclic_layout_and_extra_items() -> None:
    t = TupleType((Primitive("u32"), Primitive("u32")))
    # children before the parent, one node shared by both items, an extra third item
    wv = {"nodes": [("tuple-value", [2, 2, 1]), ("prim-string", "extra"), ("prim-u32", 9)]}
    assert from_wit_value(wv, t) == (9, 9)


def test_malformed_node_lists_are_fatal() -> None:
    u32 = Primitive("u32")
    with pytest.raises(Abort, match="is_empty"):
        from_wit_value({"nodes": []}, u32)
    with pytest.raises(Abort, match="index out of bounds"):
        from_wit_value({"nodes": [("option-value", 4)]}, OptionType(u32))
    with pytest.raises(Abort, match="cycle"):
        from_wit_value({"nodes": [("option-value", 0)]}, OptionType(OptionType(u32)))


def test_encoding_rejects_values_that_do_not_fit() -> None:
    with pytest.raises(ValueMismatch, match="out of range"):
        to_wit_value(256, Primitive("u8"))
    with pytest.raises(ValueMismatch, match="expected u32"):
        to_wit_value(True, Primitive("u32"))
    with pytest.raises(ValueMismatch, match="Some"):
        to_wit_value(3, OptionType(OptionType(Primitive("u32"))))
    assert to_wit_value(Some(3), OptionType(OptionType(Primitive("u32"))))["nodes"] == [
        ("option-value", 1), ("option-value", 2), ("prim-u32", 3)]
