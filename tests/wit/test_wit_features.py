"""Language features on small fixture packages (tests/wit/data)."""

from __future__ import annotations

from pathlib import Path

import pytest

from golem_fakes.wit import (
    Alias, Enum, Flags, Function, HandleType, Interface, ListType, OptionType,
    PackageName, Primitive, Record, Resource, ResultType, TupleType, TypeDef, Variant,
    WitError, load,
)
from golem_fakes.wit.lexer import Source, docs_text, tokenize
from golem_fakes.wit.parser import parse
from golem_fakes.wit.resolve import match_package, semver_key

from conftest import DATA


@pytest.fixture(scope="module")
def nested():
    return load(DATA / "nested.wit")


def test_nested_package_blocks(nested) -> None:
    assert [str(n) for n in nested.packages] == ["test:shapes@1.0.0", "test:consumer@0.1.0"]
    assert nested.main.name == PackageName("test", "consumer", "0.1.0")
    shapes = nested.packages[PackageName("test", "shapes", "1.0.0")]
    assert list(shapes.interfaces) == ["results", "interface"]
    assert list(nested.main.interfaces) == ["uses-alias", "local"]
    assert list(nested.main.worlds) == ["base", "extended"]
    with pytest.raises(WitError, match="2 worlds"):
        nested.world()


def test_result_shapes(nested) -> None:
    res = nested.interface("test:shapes/results@1.0.0")
    shapes = [(t.kind.target.ok, t.kind.target.err) for t in res.types.values()]
    assert shapes[0] == (None, None)
    assert shapes[1] == (Primitive("u32"), None)
    assert shapes[2] == (None, Primitive("string"))
    assert shapes[3] == (Primitive("u32"), Primitive("string"))
    f = res.functions["f"]
    assert [p.type for p in f.params] == list(res.types.values())
    assert isinstance(f.result, ResultType) and isinstance(f.result.ok, ListType)
    assert isinstance(f.result.err, TupleType)
    assert f.result.err.types == (Primitive("u8"), Primitive("s64"))


def test_keyword_names(nested) -> None:
    kw = nested.interface("test:shapes/interface@1.0.0")
    # block comments keep their layout (wit-parser does not strip " * ")
    assert kw.name == "interface" and kw.docs == "\n * Keyword names."
    rec = kw.types["record"]
    assert [f.name for f in rec.kind.fields] == ["type", "flags", "list"]
    use = kw.functions["use"]
    assert use.params[0].name == "result" and use.params[0].type is rec
    assert isinstance(use.result, OptionType) and use.result.inner is rec


def test_docs(nested) -> None:
    res = nested.interface("test:shapes/results@1.0.0")
    assert res.docs == "Shapes of `result`."
    assert res.types["r0"].docs == "No payload at all."
    assert res.types["r1"].docs is None
    local = nested.interface("test:consumer/local@0.1.0")
    assert local.types["counter"].docs == "Resource with everything."
    assert local.functions["[constructor]counter"].docs == "Make one."
    assert local.functions["[method]counter.add"].docs == "Add."
    # the comment before the package header documents the package
    assert nested.main.docs == "A package header, then a nested package block, then " \
        "the header package's items."
    assert docs_text(("/// a", "///  b", "///", "/// c  ")) == "a\n b\n\nc"
    assert docs_text(("/** x\n y */",)) == "x\n y"
    assert docs_text(()) is None


def test_every_comment_is_docs_like_wit_parser() -> None:
    """wit-parser (so componentize-py) takes every comment before an item as docs;
    expected values are the docstrings componentize-py 0.19.3 generates for
    tests/parity/worlds/docs/docs.wit."""
    text = (
        "// before package\npackage golem-fakes:docs;\n\n// plain comment on iface\n\n"
        "// after blank line\ninterface i {\n  //   indented plain\n  //no-space\n"
        "  f1: func();\n\n  /* block\n     comment */\n  f2: func();\n\n  /// triple\n"
        "  // double\n  f3: func();\n\n  //// four slashes\n  f4: func();\n\n"
        "  /** doc block */\n  f5: func();\n\n  // trailing comment on f6 line follows\n"
        "  f6: func(); // after f6\n\n  f7: func();\n}\n")
    toks = tokenize(Source("t", "// plain\n/* block /* nested */ */ /// doc\nx"))
    assert toks[0].docs == ("// plain", "/* block /* nested */ */", "/// doc")
    from golem_fakes.wit.resolve import _resolve_groups

    r = _resolve_groups([[parse(text, "docs.wit")]], ["docs.wit"], (), False)
    assert r.main.docs == "before package"
    i = r.main.interfaces["i"]
    assert i.docs == "plain comment on iface\nafter blank line"
    assert {n: f.docs for n, f in i.functions.items()} == {
        "f1": "   indented plain\nno-space",
        "f2": "* block\n     comment */",
        "f3": "triple\ndouble",
        "f4": "four slashes",
        "f5": "doc block",
        "f6": "trailing comment on f6 line follows",
        "f7": "after f6",
    }


def test_use_as_and_top_level_use(nested) -> None:
    ua = nested.interface("test:consumer/uses-alias@0.1.0")
    res = nested.interface("test:shapes/results@1.0.0")
    assert list(ua.types) == ["renamed", "r3"]
    assert ua.types["renamed"].kind.target is res.types["r1"]
    assert ua.types["renamed"].kind.from_use
    g = ua.functions["g"]
    assert g.params[0].type is ua.types["renamed"] and g.result is ua.types["r3"]
    local = nested.interface("test:consumer/local@0.1.0")
    assert local.types["renamed"].dealias() is res.types["r1"].dealias()


def test_resources(nested) -> None:
    local = nested.interface("test:consumer/local@0.1.0")
    counter = local.types["counter"]
    assert isinstance(counter.kind, Resource)
    assert [f.name for f in counter.resource_functions()] == [
        "[constructor]counter", "[method]counter.add", "[method]counter.value",
        "[static]counter.merge"]
    merge = local.functions["[static]counter.merge"]
    assert [(p.name, p.type.kind) for p in merge.params] == [("a", "borrow"), ("b", "own")]
    assert all(p.type.resource is counter for p in merge.params)
    assert merge.result.resource is counter and merge.result.kind == "own"
    add = local.functions["[method]counter.add"]
    assert [p.name for p in add.params] == ["self", "n"]
    ctor = local.functions["[constructor]counter"]
    assert ctor.params[0].name == "start" and ctor.result.kind == "own"
    alias = local.types["counter-alias"]
    assert isinstance(alias.kind, Alias) and alias.kind.target is counter
    make = local.functions["make"]
    assert isinstance(make.result, HandleType) and make.result.resource is counter
    v = local.types["v"].kind
    assert isinstance(v, Variant) and [c.name for c in v.cases] == ["none", "some", "more"]
    assert v.cases[0].type is None and v.cases[2].type.resource is counter
    assert isinstance(local.types["perms"].kind, Flags)
    assert [c.name for c in local.types["color"].kind.cases] == ["red", "green"]
    assert list(local.functions)[:5] == ["[constructor]counter", "[method]counter.add",
                                         "[method]counter.value", "[static]counter.merge",
                                         "make"]


def test_include_with_rename(nested) -> None:
    base = nested.world("base")
    assert [i.key for i in base.imports] == [
        "test:shapes/results@1.0.0", "test:consumer/uses-alias@0.1.0",
        "test:consumer/local@0.1.0", "host", "f1"]
    ext = nested.world("test:consumer/extended@0.1.0")
    keys = [i.key for i in ext.imports]
    assert keys == ["test:shapes/results@1.0.0", "test:consumer/uses-alias@0.1.0",
                    "test:consumer/local@0.1.0", "renamed-host", "color", "extra", "thing",
                    "top-level-fn", "renamed-f1", "[constructor]thing"]
    assert [e.key for e in ext.exports] == ["f2"]
    f1 = ext.imports[8].item
    assert isinstance(f1, Function) and f1.name == "renamed-f1" and f1.owner is ext
    assert ext.imports[3].item is base.imports[3].item  # the inline interface is shared
    color = ext.types["color"]
    assert color.kind.from_use and color.owner is ext
    extra = ext.types["extra"]
    assert isinstance(extra.kind.target, ListType) and extra.kind.target.element is color
    assert ext.functions["[constructor]thing"].result.resource is ext.types["thing"]


def test_unstable_gating(tmp_path: Path) -> None:
    off = load(DATA / "features")
    things = off.interface("test:features/stable-things@0.3.0")
    assert list(things.functions) == ["always", "old"]
    assert "shiny-rec" not in things.types
    assert things.functions["old"].stability.deprecated == "0.3.0"
    assert things.functions["always"].stability.since == "0.2.0"
    assert "shiny-iface" not in off.main.interfaces
    keys = [i.key for i in off.world().imports]
    assert keys == ["test:a/types@0.1.0", "test:a/types@0.2.3", "test:b/more@1.3.0-dev.25",
                    "test:b/types@1.3.0-dev.25", "test:features/stable-things@0.3.0"]
    on = load(DATA / "features", features=["shiny"])
    things = on.interface("test:features/stable-things@0.3.0")
    assert list(things.functions) == ["always", "shiny", "old"]
    assert things.functions["shiny"].stability.unstable_feature == "shiny"
    assert "test:features/shiny-iface@0.3.0" in [i.key for i in on.world().imports]
    everything = load(DATA / "features", all_features=True)
    assert "shiny-rec" in everything.interface("test:features/stable-things@0.3.0").types


def test_two_versions_stay_distinct() -> None:
    r = load(DATA / "features")
    old = r.interface("test:a/types@0.1.0")
    new = r.interface("test:a/types@0.2.3")
    assert old is not new and old.package is not new.package
    assert list(old.types) == ["old-thing"] and list(new.types) == ["new-thing"]
    things = r.interface("test:features/stable-things@0.3.0")
    assert things.types["old-thing"].kind.target.owner is old
    assert things.types["new-thing"].kind.target.owner is new
    # a multi-file folder with a pre-release version; `use more.{...}` across files
    b = r.interface("test:b/types@1.3.0-dev.25")
    assert b.types["b-thing"].kind.fields[0].type.dealias() == Primitive("s32")


def test_version_matching(tmp_path: Path) -> None:
    names = [PackageName("w", "r", "0.2.0"), PackageName("w", "r", "0.2.3"),
             PackageName("w", "s", "1.0.0")]
    assert match_package(PackageName("w", "r", "0.2.0"), names) == names[0]
    assert match_package(PackageName("w", "r", "0.2.1"), names) == names[1]
    assert match_package(PackageName("w", "r", "0.3.0"), names) is None
    assert match_package(PackageName("w", "s"), names) == names[2]
    assert match_package(PackageName("w", "s", "1.0.0-rc.1"), names) is None
    with pytest.raises(WitError, match="several versions"):
        match_package(PackageName("w", "r"), names)
    assert semver_key("1.3.0-dev.25") < semver_key("1.3.0") < semver_key("1.10.0")
    assert semver_key("1.0.0-alpha.2") < semver_key("1.0.0-alpha.10")

    (tmp_path / "deps").mkdir()
    (tmp_path / "deps" / "r1.wit").write_text(
        "package w:r@0.2.0;\ninterface i { f: func(); }\n")
    (tmp_path / "deps" / "r2.wit").write_text(
        "package w:r@0.2.3;\ninterface i { g: func(); }\n")
    (tmp_path / "deps" / "s.wit").write_text("package w:s@1.0.0;\ninterface j { }\n")
    (tmp_path / "main.wit").write_text(
        "package t:m;\nworld w {\n import w:r/i@0.2.0;\n import w:r/i@0.2.3;\n"
        " import w:s/j;\n}\n")
    w = load(tmp_path).world()
    assert [i.key for i in w.imports] == ["w:r/i@0.2.0", "w:r/i@0.2.3", "w:s/j@1.0.0"]
    assert list(w.imports[0].item.functions) == ["f"]
    assert list(w.imports[1].item.functions) == ["g"]
    # world lookup without a version when only one is loaded
    assert load(tmp_path).world("t:m/w") is not None


def test_package_lookup_ignores_folder_names(tmp_path: Path) -> None:
    (tmp_path / "deps" / "whatever").mkdir(parents=True)
    (tmp_path / "deps" / "whatever" / "x.wit").write_text(
        "package a:b@1.0.0;\ninterface i { type t = u8; }\n")
    (tmp_path / "deps" / "zzz.wit").write_text(
        "package c:d@1.0.0;\ninterface k { use a:b/i@1.0.0.{t}; }\n")
    (tmp_path / "main.wit").write_text(
        "package t:m;\nworld w { import c:d/k@1.0.0; }\n")
    r = load(tmp_path)
    assert [str(n) for n in r.packages] == ["a:b@1.0.0", "c:d@1.0.0", "t:m"]
    assert [i.key for i in r.world().imports] == ["a:b/i@1.0.0", "c:d/k@1.0.0"]


def test_single_file_and_parse_api() -> None:
    ast = parse("package a:b@0.2.0-draft;\ninterface i { f: func(); }\n", "x.wit")
    assert ast.top.name == PackageName("a", "b", "0.2.0-draft")
    assert ast.top.interfaces[0].name == "i"


def test_public_api_exports() -> None:
    import golem_fakes.wit as wit

    for name in ["load", "WitError", "Resolve", "World", "WorldItem", "Interface",
                 "TypeDef", "Function", "Param", "Record", "Variant", "Enum", "Flags",
                 "Resource", "Alias", "HandleType", "ListType", "OptionType", "ResultType",
                 "TupleType", "Primitive", "PackageName", "Stability", "Package"]:
        assert hasattr(wit, name), name
    assert isinstance(Record([]), Record) and Enum([]).cases == []
    assert TypeDef("x", Resource()).resource_functions() == []
    assert isinstance(Interface("i", None).qualified_name, str)
