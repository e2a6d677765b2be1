"""``wasi:http/types`` ``fields``: wasmtime 33's rules (``crates/wasi-http/src/types_impl.rs``
``HostFields``): lower-cased names, case-insensitive lookup, order and duplicates kept
as ``HeaderMap`` keeps them, ``header-error`` cases, immutable views."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err
from golem_fakes.state.http_fields import FORBIDDEN_HEADERS, FieldMap


def header_error(exc: pytest.ExceptionInfo[Err]) -> str:
    return type(exc.value.value).__name__


def test_names_are_lower_cased_and_lookup_is_case_insensitive(http: SimpleNamespace,
                                                             g: golem_fakes.Golem) -> None:
    f = http.t.Fields.from_list([("Content-Type", b"text/plain"), ("X-A", b"1")])
    assert f.entries() == [("content-type", b"text/plain"), ("x-a", b"1")]
    assert f.get("CONTENT-TYPE") == [b"text/plain"]
    assert f.has("x-A") and not f.has("x-b")
    assert f.get("missing") == []


def test_duplicates_are_kept_and_grouped_under_the_first_occurrence(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    f = http.t.Fields()
    f.append("a", b"1")
    f.append("b", b"2")
    f.append("A", b"3")
    assert f.entries() == [("a", b"1"), ("a", b"3"), ("b", b"2")]
    assert f.get("a") == [b"1", b"3"]


def test_set_and_delete_swap_the_last_name_into_the_gap(http: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    f = http.t.Fields.from_list([("a", b"1"), ("b", b"2"), ("c", b"3")])
    f.set("a", [b"x", b"y"])          # HeaderMap: remove (swap_remove) then append
    assert f.entries() == [("c", b"3"), ("b", b"2"), ("a", b"x"), ("a", b"y")]
    f.delete("c")
    assert f.entries() == [("a", b"x"), ("a", b"y"), ("b", b"2")]
    f.delete("nothing-there")
    assert [n for n, _ in f.entries()] == ["a", "a", "b"]


@pytest.mark.parametrize("name", ["", "bad name", "x:y", "caf\u00e9", "a\nb", "(x)", "a" * 65536])
def test_invalid_names_are_invalid_syntax(http: SimpleNamespace, g: golem_fakes.Golem,
                                          name: str) -> None:
    f = http.t.Fields()
    for op in (lambda: f.append(name, b"v"), lambda: f.set(name, [b"v"]),
               lambda: f.delete(name), lambda: http.t.Fields.from_list([(name, b"v")])):
        with pytest.raises(Err) as e:
            op()
        assert header_error(e) == "HeaderError_InvalidSyntax"
    assert f.get(name) == [] and f.has(name) is False


@pytest.mark.parametrize("value", [b"a\x00b", b"line\nbreak", b"\x7f", b"\r"])
def test_invalid_values_are_invalid_syntax(http: SimpleNamespace, g: golem_fakes.Golem,
                                           value: bytes) -> None:
    f = http.t.Fields()
    with pytest.raises(Err) as e:
        f.append("x", value)
    assert header_error(e) == "HeaderError_InvalidSyntax"
    with pytest.raises(Err):
        f.set("x", [b"ok", value])
    assert f.entries() == []  # a rejected set changes nothing


def test_tabs_and_high_bytes_are_valid_values(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    f = http.t.Fields.from_list([("x", b"a\tb"), ("y", b"\xff\x80"), ("z", b"")])
    assert f.get("y") == [b"\xff\x80"] and f.get("z") == [b""]


@pytest.mark.parametrize("name", sorted(FORBIDDEN_HEADERS))
def test_forbidden_headers(http: SimpleNamespace, g: golem_fakes.Golem, name: str) -> None:
    f = http.t.Fields()
    for op in (lambda: f.append(name.upper(), b"v"), lambda: f.set(name, [b"v"]),
               lambda: f.delete(name), lambda: http.t.Fields.from_list([(name, b"v")])):
        with pytest.raises(Err) as e:
            op()
        assert header_error(e) == "HeaderError_Forbidden"


def test_a_forbidden_name_is_reported_before_an_invalid_value(http: SimpleNamespace,
                                                             g: golem_fakes.Golem) -> None:
    with pytest.raises(Err) as e:
        http.t.Fields().set("host", [b"bad\x00"])
    assert header_error(e) == "HeaderError_Forbidden"


def test_clone_is_an_independent_mutable_copy(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    f = http.t.Fields.from_list([("a", b"1")])
    c = f.clone()
    c.append("a", b"2")
    assert f.get("a") == [b"1"] and c.get("a") == [b"1", b"2"]


def test_request_headers_are_an_immutable_view_and_clone_is_mutable(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    req = http.t.OutgoingRequest(http.t.Fields.from_list([("a", b"1")]))
    view = req.headers()
    assert view.entries() == [("a", b"1")]
    for op in (lambda: view.append("b", b"2"), lambda: view.set("a", []), lambda: view.delete("a")):
        with pytest.raises(Err) as e:
            op()
        assert header_error(e) == "HeaderError_Immutable"
    copy = view.clone()
    copy.append("b", b"2")
    assert copy.entries() == [("a", b"1"), ("b", b"2")]


def test_the_constructor_moves_the_fields_in(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    f = http.t.Fields.from_list([("a", b"1")])
    http.t.OutgoingRequest(f)
    with pytest.raises(golem_fakes.Trap):
        f.entries()  # the owned handle was given away


def test_dropping_a_request_while_a_view_of_its_headers_lives_traps(
        http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    req = http.t.OutgoingRequest(http.t.Fields())
    view = req.headers()
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        req.__exit__(None, None, None)


def test_a_request_can_be_dropped_once_its_views_are(http: SimpleNamespace,
                                                     g: golem_fakes.Golem) -> None:
    req = http.t.OutgoingRequest(http.t.Fields())
    view = req.headers()
    view.__exit__(None, None, None)
    req.__exit__(None, None, None)  # no trap


def test_field_map_matches_header_map_order() -> None:
    m = FieldMap.of([("a", b"1"), ("b", b"2"), ("c", b"3"), ("d", b"4")])
    m.remove("b")
    assert m.names() == ["a", "d", "c"]
    m.remove("c")
    assert m.names() == ["a", "d"]
