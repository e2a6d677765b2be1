"""Bad WIT → WitError with file:line:column and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from golem_fakes.wit import WitError, load


def _load(tmp_path: Path, text: str, deps: dict[str, str] | None = None,
          **kw: object):
    (tmp_path / "main.wit").write_text(text)
    for name, body in (deps or {}).items():
        (tmp_path / "deps").mkdir(exist_ok=True)
        (tmp_path / "deps" / name).write_text(body)
    return load(tmp_path, **kw)  # type: ignore[arg-type]


# (source, line, column, message regex)
SYNTAX = [
    ("package a:b;\ninterface i {\n  record r { x: u8, y: list<u8 }\n}\n", 3, 32,
     r"expected '>', found '}'"),
    ("package a:b;\ninterface i {\n  f: func(x: u32) -> ;\n}\n", 3, 22,
     r"expected a type, found ';'"),
    ("package a:b;\ninterface i {\n  f: func(x u32);\n}\n", 3, 13,
     r"expected ':', found 'u32'"),
    ("package a:b;\ninterface i {\n  record type { }\n}\n", 3, 10,
     r"expected a type name, found keyword 'type' \(write %type"),
    ("package a:b;\ninterface i {\n  f: func();\n", 4, 1,
     r"expected '}', 'use', a type definition or a function, found end of file"),
    ("package a:b;\ninterface i {\n  fooBar: func();\n}\n", 3, 3,
     r"identifier 'fooBar' is not valid kebab-case"),
    ("package a:b;\ninterface i {\n  f: func() -> u8 $\n}\n", 3, 19,
     r"unexpected character '\$'"),
    ("package a:b@1.x;\n", 1, 13, r"expected a semver version like 1.2.3, found '1'"),
    ("package a:b;\n/* never closed\ninterface i {}\n", 2, 1,
     r"unterminated block comment"),
    ("package a:b;\ninterface i {\n  @sincee(version = 1.0.0)\n  f: func();\n}\n", 3, 4,
     r"unknown attribute @sincee"),
    ("package a:b;\nworld w {\n  import;\n}\n", 3, 9,
     r"expected an interface name or `namespace:package/interface`, found ';'"),
    ("package a:b;\ninterface i {\n  variant v { }\n}\n", 3, 11, r"empty variant 'v'"),
    ("package a:b;\ninterface i { f: func() -> future<u8>; }\n", 2, 28,
     r"`future` types are not supported"),
]


@pytest.mark.parametrize("text,line,col,msg", SYNTAX)
def test_syntax_errors(tmp_path: Path, text: str, line: int, col: int, msg: str) -> None:
    with pytest.raises(WitError, match=msg) as e:
        _load(tmp_path, text)
    assert (e.value.line, e.value.column) == (line, col)
    assert e.value.path is not None and e.value.path.endswith("main.wit")
    assert str(e.value).startswith(f"{e.value.path}:{line}:{col}: expected") or \
        str(e.value).startswith(f"{e.value.path}:{line}:{col}: ")


RESOLVE = [
    ("package a:b;\ninterface i {\n  record r { x: u33 }\n}\n", 3, 17,
     r"no type named `u33`"),
    ("package a:b;\ninterface i {\n  use j.{t};\n}\n", 3, 7,
     r"interface `j` not found in package `a:b` \(interfaces: i\)"),
    ("package a:b;\ninterface i { type t = u8; }\ninterface j {\n  use i.{t, nope};\n}\n",
     4, 13, r"type `nope` not found in interface `a:b/i`"),
    ("package a:b;\ninterface i { f: func(); }\ninterface j {\n  use i.{f};\n}\n",
     4, 10, r"cannot use function `f`"),
    ("package a:b;\ninterface i {\n  type t = u8;\n  record t { }\n}\n", 4, 10,
     r"name `t` is defined more than once"),
    ("package a:b;\ninterface i { }\ninterface i { }\n", 3, 11,
     r"name `i` is defined more than once in package `a:b`"),
    ("package a:b;\ninterface i {\n  f: func(x: u8, x: u8);\n}\n", 3, 18,
     r"parameter `x` of `f` is defined more than once"),
    ("package a:b;\ninterface i {\n  use j.{t};\n  type u = u8;\n}\n"
     "interface j {\n  use i.{u as t};\n}\n", 7, 7,
     r"interface `i` depends on itself"),
    ("package a:b;\ninterface i {\n  record a { b: b }\n  record b { a: list<a> }\n}\n",
     3, 17, r"type `b` depends on itself"),
    ("package a:b;\nworld w {\n  import x:y/z@1.0.0;\n}\n", 3, 10,
     r"package `x:y@1.0.0` not found \(known packages: a:b\)"),
    ("package a:b;\ninterface i {\n  f: func(x: borrow<u8x>);\n}\n", 3, 21,
     r"no type named `u8x`"),
    ("package a:b;\ninterface i {\n  type t = u8;\n  f: func(x: borrow<t>);\n}\n", 4, 21,
     r"`t` is not a resource type"),
    ("package a:b;\nworld v { include w; }\nworld w { include v; }\n", 3, 19,
     r"world `v` includes itself"),
    ("package a:b;\nworld w { include v with { nope as x } }\nworld v { }\n", 2, 28,
     r"no import or export named `nope`"),
    ("package a:b;\nworld w {\n  import a:b/i;\n  import a:b/i;\n}\ninterface i {}\n", 4, 10,
     r"cannot be imported more than once"),
    ("package a:b;\nworld w {\n  import f: func();\n  import f: func();\n}\n", 4, 10,
     r"import `f` conflicts"),
    ("package a:b;\ninterface i {\n  @since(version = 1.0.0)\n  f: func();\n}\n", 4, 3,
     r"needs a version"),
    ("package a:b@1.0.0;\ninterface i {\n  @since(version = 2.0.0)\n  f: func();\n}\n",
     4, 3, r"unreleased version"),
    ("package a:b@1.0.0;\ninterface i {\n  @deprecated(version = 1.0.0)\n  f: func();\n}\n",
     4, 3, r"@deprecated must be paired"),
    ("package a:b;\n@unstable(feature = f)\ninterface i { }\nworld w { import i; }\n",
     4, 18, r"interface `i` is gated by unstable feature `f`"),
]


@pytest.mark.parametrize("text,line,col,msg", RESOLVE)
def test_resolve_errors(tmp_path: Path, text: str, line: int, col: int, msg: str) -> None:
    with pytest.raises(WitError, match=msg) as e:
        _load(tmp_path, text)
    assert (e.value.line, e.value.column) == (line, col), str(e.value)
    assert str(e.value).startswith(f"{e.value.path}:{line}:{col}: ")


def test_package_cycle(tmp_path: Path) -> None:
    with pytest.raises(WitError, match=r"cycle between packages") as e:
        _load(tmp_path, "package t:m;\nworld w { import x:a/i; }\n", {
            "a.wit": "package x:a;\ninterface i { use x:b/j.{t}; }\n",
            "b.wit": "package x:b;\ninterface j { use x:a/k.{t}; }\n"
                     "interface q { type t = u8; }\n",
        })
    assert e.value.line == 2 and e.value.path.endswith(("a.wit", "b.wit"))


def test_duplicate_package(tmp_path: Path) -> None:
    with pytest.raises(WitError, match=r"package `x:a` is defined twice"):
        _load(tmp_path, "package t:m;\n", {"a.wit": "package x:a;\n",
                                          "b.wit": "package x:a;\n"})


def test_gated_type_in_use(tmp_path: Path) -> None:
    text = ("package a:b@1.0.0;\ninterface i {\n  @unstable(feature = f)\n  type t = u8;\n}\n"
            "interface j {\n  use i.{t};\n}\n")
    with pytest.raises(WitError, match=r"type `t` of `a:b/i@1.0.0` is gated by unstable "
                                       r"feature `f`") as e:
        _load(tmp_path, text)
    assert (e.value.line, e.value.column) == (7, 10)
    assert _load(tmp_path, text, features=["f"]).interface("a:b/j@1.0.0").types["t"]


def test_conflicting_package_headers(tmp_path: Path) -> None:
    (tmp_path / "a.wit").write_text("package x:a;\n")
    with pytest.raises(WitError, match=r"package `t:m` conflicts with `x:a`"):
        _load(tmp_path, "package t:m;\n")


def test_missing_header_and_world_selection(tmp_path: Path) -> None:
    with pytest.raises(WitError, match=r"no `package namespace:name;` header"):
        _load(tmp_path, "interface i { }\n")
    r = _load(tmp_path, "package a:b;\nworld w { }\n")
    with pytest.raises(WitError, match=r"world `nope` not found in package `a:b` "
                                       r"\(worlds: w\)"):
        r.world("nope")
    with pytest.raises(WitError, match=r"unknown package `q:r`"):
        r.world("q:r/w")


def test_missing_path() -> None:
    with pytest.raises(WitError, match="no such file or directory"):
        load("/nonexistent/wit")
