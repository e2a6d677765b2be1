"""World elaboration, checked against what componentize-py generates."""

from __future__ import annotations

import pytest

from golem_fakes.wit import Function, Interface, TypeDef, WitError

from wit_expected import SMALL_WORLDS


@pytest.mark.parametrize("body", list(SMALL_WORLDS))
def test_small_worlds(make_world, body: str) -> None:
    imports, exports = SMALL_WORLDS[body]
    w = make_world(body)
    assert [i.key for i in w.imports] == imports
    assert [e.key for e in w.exports] == exports


def test_dependencies_before_users(real) -> None:
    w = real.world("all-imports")
    seen: set[int] = set()
    from golem_fakes.wit.resolve import interface_deps

    for item in w.imports:
        if isinstance(item.item, Interface):
            for dep in interface_deps(item.item):
                assert id(dep) in seen, (item.key, dep)
            seen.add(id(item.item))



def test_inline_interfaces_functions_and_types(make_world) -> None:
    w = make_world(
        "import foo: interface { use wasi:clocks/wall-clock@0.2.3.{datetime};"
        " now: func() -> datetime; }\n"
        "export bar: interface { use wasi:io/poll@0.2.3.{pollable};"
        " x: func() -> pollable; }\n"
        "import top-level-fn: func(x: u32) -> u32;\n"
        "type my-int = u32;\n"
        "export run: func(x: my-int);")
    keys = [i.key for i in w.imports]
    # componentize-py generates wall_clock and poll modules for this world
    assert keys == ["wasi:clocks/wall-clock@0.2.3", "foo", "wasi:io/poll@0.2.3", "my-int",
                    "top-level-fn"]
    foo = w.imports[1].item
    assert isinstance(foo, Interface) and foo.name is None
    assert foo.qualified_name == "<anonymous>"
    assert list(foo.functions) == ["now"] and foo.functions["now"].owner is foo
    # wit-parser puts exported functions first, then exported interfaces
    assert [e.key for e in w.exports] == ["run", "bar"]
    assert isinstance(w.exports[0].item, Function) and w.exports[0].item.owner is w
    assert isinstance(w.imports[3].item, TypeDef) and w.types["my-int"].owner is w
    assert list(w.functions) == ["top-level-fn"]


def test_export_needing_exported_and_imported_dependency_fails(tmp_path) -> None:
    (tmp_path / "a.wit").write_text(
        "package t:x;\n"
        "interface a { type t = u8; }\n"
        "interface b { use a.{t}; }\n"
        "interface c { use a.{t}; use b.{t as t2}; }\n"
        "world w { import b; export a; export c; }\n")
    from golem_fakes.wit import load

    with pytest.raises(WitError, match="both imported and exported"):
        load(tmp_path).world("w")
