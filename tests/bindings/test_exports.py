"""Export glue (golem_fakes.bindings.exports): invoking a component's exports by name
with componentize-py's checks, for the world of ``tests/data/exports``.

The bindings are installed in this process for that world (``install()`` allows one
world per process: the fixture uninstalls whatever was installed and puts it back at
the end, as tests/bindings/test_install.py and tests/test_strategies.py do)."""

from __future__ import annotations

import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Callable, Iterator

import importlib

import pytest

import golem_fakes
from golem_fakes.bindings import exports
from golem_fakes.bindings.exports import (
    ExportedResource,
    InstanceResources,
    InvalidArgument,
    UnknownExport,
    UnsupportedExport,
)
from golem_fakes.bindings.result import Err, Ok, Some
from golem_fakes.bindings.runtime import Trap

install_mod = importlib.import_module("golem_fakes.bindings.install")

DATA = Path(__file__).resolve().parent.parent / "data" / "exports"
API = "golem-fakes:exports/api@1.0.0"
SESSION = f"{API}#session"


def _kwargs(options: tuple[tuple[str, Any], ...]) -> dict[str, Any]:
    o = dict(options)
    return {
        "wit": o["wit"], "world": o["world"], "package": o["package"], "layout": o["layout"],
        "version": o["version"], "interface_names": dict(o["interface_names"]),
        "export_interface_names": dict(o["export_interface_names"]),
        "features": o["features"], "all_features": o["all_features"],
        "full_names": o["full_names"],
    }


def _forget_strategies(keep: set[type]) -> None:
    """Unregister the hypothesis strategies golem-fakes' plugin registered for this
    world's generated classes (its exported records would otherwise stay registered
    after the world is uninstalled, and other tests inspect the registry)."""
    from golem_fakes import _hypothesis_plugin

    try:
        from hypothesis.strategies._internal import types as hypothesis_types
        lookup = hypothesis_types._global_type_lookup
    except (ImportError, AttributeError):  # pragma: no cover - other hypothesis layout
        lookup = {}
    for cls in set(_hypothesis_plugin._REGISTERED) - keep:
        del _hypothesis_plugin._REGISTERED[cls]
        lookup.pop(cls, None)


@pytest.fixture(scope="module")
def use(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[str], exports.ExportTable]]:
    """``use(version)`` installs the exports world as componentize-py ``version``'s
    bindings (a private cache) and returns its export table."""
    from golem_fakes import _hypothesis_plugin

    previous = install_mod.installed()
    registered = set(_hypothesis_plugin._REGISTERED)
    old_cache = os.environ.get("GOLEM_FAKES_CACHE")
    os.environ["GOLEM_FAKES_CACHE"] = str(tmp_path_factory.mktemp("cache"))
    install_mod._uninstall()

    def use(version: str) -> exports.ExportTable:
        current = install_mod.installed()
        if current is None or current.version != version:
            install_mod._uninstall()
            golem_fakes.install(wit=DATA, world="exports-world", version=version)
        return exports.export_table()

    try:
        yield use
    finally:
        install_mod._uninstall()
        _forget_strategies(registered)
        if old_cache is None:
            os.environ.pop("GOLEM_FAKES_CACHE", None)
        else:
            os.environ["GOLEM_FAKES_CACHE"] = old_cache
        if previous is not None:
            golem_fakes.install(**_kwargs(previous.options))


@pytest.fixture
def table(use: Callable[[str], exports.ExportTable]) -> exports.ExportTable:
    return use("0.19.3")


# --- a component, as the app module would define it ------------------------------

_ECHO = ["u8", "s32", "u64", "bool", "f32", "f64", "char", "string", "bytes", "list",
         "tuple", "point", "reply", "shape", "color", "perms", "opt", "opt_opt", "res"]


class Api:
    """The exported interface's class: every ``echo_*`` records its argument and
    returns it, or ``ret[name]`` when set (or raises ``raise_[name]``)."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.ret: dict[str, Any] = {}
        self.raise_: dict[str, BaseException] = {}

    def _answer(self, name: str, value: Any) -> Any:
        self.calls.append((name, value))
        if name in self.raise_:
            raise self.raise_[name]
        return self.ret.get(name, value)

    def add_item(self, name: str, quantity: int) -> int:
        self.calls.append(("add_item", (name, quantity)))
        return quantity * 2

    def fallible(self, x: int) -> Any:
        return self._answer("fallible", x)

    def res_unit_e(self, ok: bool) -> Any:
        return self._answer("res_unit_e", ok)

    def res_bare(self, ok: bool) -> Any:
        return self._answer("res_bare", ok)

    def no_result(self, x: int) -> Any:
        return self._answer("no_result", x)

    def session_name(self, s: Any) -> str:
        return s.name()

    def use_ticket(self, t: Any) -> int:  # pragma: no cover - never called
        return 1


for _n in _ECHO:
    setattr(Api, f"echo_{_n}", (lambda n: lambda self, v: self._answer(f"echo_{n}", v))(_n))


class Session:
    """The exported resource (componentize-py: ``class Session`` in a top-level module
    ``api``)."""

    exits: list[str] = []

    def __init__(self, name: str) -> None:
        self._name = name
        self.twin_result: Any = None

    def name(self) -> str:
        return self._name

    def rename(self, name: str) -> None:
        self._name = name

    @classmethod
    def merge(cls, a: "Session", b: "Session") -> "Session":
        return cls(a._name + "+" + b._name)

    def twin(self) -> Any:
        return self if self.twin_result is None else self.twin_result

    def __exit__(self, *args: Any) -> None:
        Session.exits.append(self._name)


def call(table: exports.ExportTable, name: str, *args: Any, api: Api | None = None,
         resources: InstanceResources | None = None) -> Any:
    f = table.lookup(name)
    target: Any
    if f.kind in ("constructor", "static"):
        target = Session
    elif f.kind in ("method", "drop"):
        target = None
    else:
        target = getattr(api if api is not None else Api(), f.method_name)
    return f.call(target, args, resources if resources is not None else InstanceResources())


# --- the table -----------------------------------------------------------------


def test_table_entries_and_classes(table: exports.ExportTable) -> None:
    f = table.lookup(f"{API}.{{add-item}}")
    assert (f.name, f.interface, f.function, f.kind, f.resource) == \
        (f"{API}.{{add-item}}", API, "add-item", "freestanding", None)
    assert f.params == (("name", "name", "string"), ("quantity", "quantity", "u32"))
    assert f.result == "u32"
    assert (f.class_module, f.class_name, f.method_name) == (None, "Api", "add_item")
    m = table.lookup(f"{API}.{{session.rename}}")
    assert (m.function, m.kind, m.resource, m.class_module, m.class_name, m.method_name) == \
        ("[method]session.rename", "method", "session", "api", "Session", "rename")
    assert m.params == (("self", "self", "borrow<session>"), ("name", "name", "string"))
    c = table.lookup(f"{API}.{{session.new}}")
    assert (c.function, c.kind, c.method_name, c.result) == \
        ("[constructor]session", "constructor", "__init__", "session")
    w = table.lookup("count")
    assert (w.interface, w.class_module, w.class_name, w.method_name, w.result) == \
        (None, None, "WitWorld", "count", "u64")
    assert [(c.module, c.name) for c in table.classes()] == \
        [(None, "WitWorld"), (None, "Api"), ("api", "Session"), (None, "Admin")]


@pytest.mark.parametrize("name, expected", [
    (f"{API}.{{add-item}}", f"{API}.{{add-item}}"),
    ("add-item", f"{API}.{{add-item}}"),
    ("add_item", f"{API}.{{add-item}}"),
    # wasmtime's semver-compatible export lookup (NameMap): @1.0.5 finds @1.0.0
    ("golem-fakes:exports/api@1.0.5.{add-item}", f"{API}.{{add-item}}"),
    ("run", "run"),  # Golem's global site: the world-level export
    (f"{API}.{{run}}", f"{API}.{{run}}"),
    ("count", "count"),
    (f"{API}.{{session.new}}", f"{API}.{{session.new}}"),
    (f"{API}.{{[constructor]session}}", f"{API}.{{session.new}}"),
    (f"{API}.{{session.name}}", f"{API}.{{session.name}}"),
    (f"{API}.{{[method]session.name}}", f"{API}.{{session.name}}"),
    (f"{API}.{{[static]session.merge}}", f"{API}.{{[static]session.merge}}"),
    (f"{API}.{{session.merge}}", f"{API}.{{[static]session.merge}}"),  # method_as_static
    (f"{API}.{{[method]session.merge}}", f"{API}.{{[static]session.merge}}"),
    (f"{API}.{{session.drop}}", f"{API}.{{session.drop}}"),
    (f"{API}.{{[drop]session}}", f"{API}.{{session.drop}}"),
    ("golem-fakes:exports/admin@1.0.0.{status}", "golem-fakes:exports/admin@1.0.0.{status}"),
])
def test_name_forms(table: exports.ExportTable, name: str, expected: str) -> None:
    assert table.lookup(name).name == expected


@pytest.mark.parametrize("name", [
    "nope",
    "golem-fakes:exports/api.{add-item}",        # a versioned export needs its version
    "golem-fakes:exports/api@2.0.0.{add-item}",  # not semver-compatible
    f"{API}.{{missing}}",
    f"{API}.{{session.missing}}",
    f"{API}.{{[static]session.name}}",           # a method is not a static
    f'{API}.{{session("x").name}}',              # indexed resources: not supported
])
def test_unknown_names_list_every_export(table: exports.ExportTable, name: str) -> None:
    with pytest.raises(UnknownExport) as info:
        table.lookup(name)
    msg = str(info.value)
    assert isinstance(info.value, LookupError)
    assert set(info.value.candidates) == set(table.names())
    assert f"{API}.{{add-item}}" in msg and "accepted forms" in msg and "{res.new}" in msg
    if "(" in name:
        assert "indexed-resource" in msg


def test_ambiguous_plain_name_lists_the_matches(table: exports.ExportTable) -> None:
    with pytest.raises(UnknownExport, match="ambiguous") as info:
        table.lookup("status")
    assert set(info.value.candidates) == {f"{API}.{{status}}",
                                          "golem-fakes:exports/admin@1.0.0.{status}"}


# --- arguments -------------------------------------------------------------------


def test_good_arguments_are_lifted_to_the_generated_classes(table: exports.ExportTable) -> None:
    from wit_world.exports import api as api_mod  # type: ignore[import-not-found]
    from wit_world.imports import types  # type: ignore[import-not-found]

    api = Api()
    assert call(table, "echo-point", {"x": 1, "y": 2, "label": "p"}, api=api) == types.Point(1, 2, "p")
    assert type(api.calls[-1][1]) is types.Point
    assert call(table, "echo-reply", {"text": "t", "n": 3}, api=api) == api_mod.Reply("t", 3)
    assert type(api.calls[-1][1]) is api_mod.Reply
    assert call(table, "echo-shape", ("circle", 2), api=api) == types.Shape_Circle(2.0)
    assert api.calls[-1][1] == types.Shape_Circle(2.0)
    assert call(table, "echo-shape", "empty", api=api) == types.Shape_Empty()
    assert call(table, "echo-color", "green-ish", api=api) is types.Color.GREEN_ISH
    assert call(table, "echo-perms", ["read", "exec-all"], api=api) == \
        types.Perms.READ | types.Perms.EXEC_ALL
    assert call(table, "echo-bytes", bytearray(b"ab"), api=api) == b"ab"
    assert type(api.calls[-1][1]) is bytes
    assert call(table, "echo-list", (1, 2), api=api) == [1, 2]
    assert type(api.calls[-1][1]) is list
    assert call(table, "echo-f32", 0.1, api=api) == 0.10000000149011612
    assert call(table, "echo-opt-opt", Some(None), api=api) == Some(None)
    assert call(table, "echo-opt-opt", None, api=api) is None
    assert call(table, "echo-tuple", (1, "a"), api=api) == (1, "a")
    # an echoed result param is the return: outermost result -> the ok value expected
    api.ret["echo_res"] = 5
    assert call(table, "echo-res", Err("bad"), api=api) == Ok(5)
    assert api.calls[-1][1] == Err("bad")
    assert call(table, "add_item", "apple", 2, api=api) == 4


BAD_ARGS = [
    ("echo-u8", 300, "u8"),
    ("echo-s32", 2**31, "s32"),
    ("echo-u64", -1, "u64"),
    ("echo-bool", 1, "bool"),
    ("echo-f32", "1.0", "f32"),
    ("echo-f64", None, "f64"),
    ("echo-char", "ab", "char"),
    ("echo-string", b"x", "string"),
    ("echo-bytes", "abc", "list<u8>"),
    ("echo-list", [1, -2], "list<u32>"),
    ("echo-tuple", (1,), "tuple<u8, string>"),
    ("echo-point", {"x": 1, "y": 2}, "point"),
    ("echo-shape", ("triangle", 1), "shape"),
    ("echo-color", "purple", "color"),
    ("echo-perms", ["read", "nope"], "perms"),
    ("echo-opt", Some(3), "option<u32>"),
    ("echo-opt-opt", 3, "option<option<u32>>"),
    ("echo-res", 3, "result<u32, string>"),
    ("session-name", ExportedResource(SESSION, 99), "borrow<session>"),
]


@pytest.mark.parametrize("fn, value, wit", BAD_ARGS, ids=[b[0] for b in BAD_ARGS])
def test_bad_argument_is_invalid_and_nothing_runs(table: exports.ExportTable, fn: str,
                                                  value: Any, wit: str) -> None:
    api = Api()
    with pytest.raises(InvalidArgument) as info:
        call(table, fn, value, api=api)
    e = info.value
    assert api.calls == []
    assert e.function == f"{API}.{{{fn}}}" and e.wit_type == wit
    assert e.parameter in ("v", "s")
    msg = str(e)
    assert f"parameter {e.parameter!r} of WIT type {wit}" in msg and "Parameter type mismatch" in msg
    assert fn in msg


def test_nested_bad_argument_names_the_path(table: exports.ExportTable) -> None:
    with pytest.raises(InvalidArgument, match=r"in \$\[1\] expected u32, got -2"):
        call(table, "echo-list", [1, -2])
    with pytest.raises(InvalidArgument, match=r"in \$\.label expected string, got 5"):
        call(table, "echo-point", {"x": 1, "y": 2, "label": 5})


def test_wrong_number_of_arguments(table: exports.ExportTable) -> None:
    api = Api()
    with pytest.raises(InvalidArgument, match="expected 2, got 1 parameters") as info:
        call(table, "add-item", "apple", api=api)
    assert info.value.parameter is None and api.calls == []


# --- return values ----------------------------------------------------------------


def test_good_returns_are_lowered(table: exports.ExportTable) -> None:
    from wit_world.imports import types  # type: ignore[import-not-found]

    api = Api()

    class Duck:  # any object with the fields (componentize-py lowers by attribute)
        x, y, label = 1, 2, "d"

    api.ret["echo_point"] = Duck()
    assert call(table, "echo-point", types.Point(0, 0, ""), api=api) == types.Point(1, 2, "d")
    api.ret["echo_bool"] = "x"  # bool lowering takes the truthiness (0.14+)
    assert call(table, "echo-bool", False, api=api) is True
    api.ret["echo_u32"] = True
    api.ret["no_result"] = "ignored"  # ReturnStyle::None: not looked at
    assert call(table, "no-result", 1, api=api) is None


BAD_RETURNS = [
    ("echo-u8", 1, 300, "OverflowError"),
    ("echo-s32", 1, 2**31, "OverflowError"),
    ("echo-u64", 1, -1, "can't convert negative int to unsigned"),
    ("echo-f32", 1.0, "1.0", "TypeError"),
    ("echo-f64", 1.0, None, "TypeError"),
    ("echo-char", "a", "ab", "chars().count() == 1"),
    ("echo-string", "a", b"x", "PyString"),
    ("echo-bytes", b"a", bytearray(b"a"), "PyBytes"),
    ("echo-list", [1], (1,), "PyList"),
    ("echo-tuple", (1, "a"), [1, "a"], "PyTuple"),
    ("echo-point", {"x": 1, "y": 2, "label": "p"}, object(), "AttributeError"),
    ("echo-shape", "empty", None, "KeyError"),
    ("echo-color", "red", "red", "AttributeError"),
    ("echo-perms", ["read"], 0, "AttributeError"),
    ("echo-opt", 1, Some(3), "TypeError"),
    ("echo-opt-opt", None, 3, "AttributeError"),
    ("echo-res", Ok(1), "x", "TypeError"),
]


@pytest.mark.parametrize("fn, arg, ret, error", BAD_RETURNS, ids=[b[0] for b in BAD_RETURNS])
def test_bad_return_traps(table: exports.ExportTable, fn: str, arg: Any, ret: Any,
                          error: str) -> None:
    api = Api()
    api.ret[fn.replace("-", "_")] = ret
    with pytest.raises(Trap) as info:
        call(table, fn, arg, api=api)
    msg = str(info.value)
    assert len(api.calls) == 1
    assert f"{API}.{{{fn}}}" in msg and "does not fit WIT type" in msg and error in msg
    assert info.value.function == fn and info.value.interface == API


def test_bad_return_prints_the_runtime_panic(table: exports.ExportTable,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    api = Api()
    api.ret["echo_u64"] = -1
    with pytest.raises(Trap):
        call(table, "echo-u64", 1, api=api)
    err = capsys.readouterr().err
    # componentize-py 0.19.3's u64 lowering unwrap (see golem_fakes/bindings/panic.py)
    assert "thread '<unnamed>' (1) panicked at runtime/src/lib.rs:1466:67:" in err
    assert "OverflowError(\"can't convert negative int to unsigned\")" in err


def test_result_returns(table: exports.ExportTable) -> None:
    from wit_world.exports import api as api_mod  # type: ignore[import-not-found]
    from wit_world.imports import types  # type: ignore[import-not-found]

    api = Api()
    api.ret["fallible"] = SimpleNamespace(text="ok", n=1)
    assert call(table, "fallible", 1, api=api) == Ok(api_mod.Reply("ok", 1))
    api.ret["fallible"] = {"text": "ok", "n": 1}  # a dict is no record for the runtime
    with pytest.raises(Trap, match=r"the export returned \{'text'.*'dict' object has no attribute 'text'"):
        call(table, "fallible", 1, api=api)
    api.raise_["fallible"] = Err(types.Color.BLUE)
    r = call(table, "fallible", 1, api=api)
    assert type(r) is Err and r.value is types.Color.BLUE
    api.raise_["fallible"] = Err("blue")  # the payload is lowered like any value
    with pytest.raises(Trap, match=r"raised Err\(value='blue'\).*AttributeError"):
        call(table, "fallible", 1, api=api)
    api.ret["res_unit_e"] = 123  # result<_, E>: whatever it returns is ignored
    assert call(table, "res-unit-e", True, api=api) == Ok(None)
    api.raise_["res_bare"] = Err("anything")  # no error type: the payload is not read
    assert call(table, "res-bare", False, api=api) == Err(None)


class MyErr(Err):  # type: ignore[misc]
    pass


@pytest.mark.parametrize("fn, exc, result", [
    ("fallible", MyErr(1), True),
    ("fallible", ValueError("boom"), True),
    ("echo-u8", ValueError("boom"), False),
])
def test_unexpected_exception_traps_with_traceback(table: exports.ExportTable,
                                                   capsys: pytest.CaptureFixture[str],
                                                   fn: str, exc: Exception, result: bool) -> None:
    api = Api()
    api.raise_[fn.replace("-", "_")] = exc
    with pytest.raises(Trap, match="Python function threw an unexpected exception") as info:
        call(table, fn, 1, api=api)
    assert info.value.error is exc
    err = capsys.readouterr().err
    assert err.startswith("Traceback (most recent call last):")
    assert "in _answer" in err and "_golem_call_" not in err
    line = "1303:29" if result else "1290:25"
    assert f"thread '<unnamed>' (1) panicked at runtime/src/lib.rs:{line}:\n" \
           "Python function threw an unexpected exception\n" in err


def test_trap_inside_the_export_propagates(table: exports.ExportTable) -> None:
    api = Api()
    trap = Trap("host trapped")
    api.raise_["echo_u8"] = trap
    with pytest.raises(Trap) as info:
        call(table, "echo-u8", 1, api=api)
    assert info.value is trap


# --- resources -------------------------------------------------------------------


def test_resource_constructor_methods_static_and_drop(table: exports.ExportTable) -> None:
    res = InstanceResources()
    a = call(table, f"{API}.{{session.new}}", "alice", resources=res)
    assert a == ExportedResource(SESSION, 1)
    assert call(table, f"{API}.{{session.name}}", a, resources=res) == "alice"
    assert call(table, f"{API}.{{[method]session.rename}}", a, "ann", resources=res) is None
    assert call(table, "session-name", a, resources=res) == "ann"  # borrow param
    b = call(table, f"{API}.{{[constructor]session}}", "bob", resources=res)
    m = call(table, f"{API}.{{session.merge}}", a, b, resources=res)
    assert m == ExportedResource(SESSION, 3)
    assert call(table, f"{API}.{{session.name}}", m, resources=res) == "ann+bob"
    # b was passed as an owned argument: its handle is gone
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        call(table, f"{API}.{{session.name}}", b, resources=res)
    obj = res.object(a)
    assert getattr(obj, "__componentize_py_handle") == 1
    Session.exits.clear()
    assert call(table, f"{API}.{{session.drop}}", a, resources=res) is None
    assert Session.exits == []  # componentize-py's resource_dtor calls nothing
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        call(table, f"{API}.{{session.name}}", a, resources=res)
    with pytest.raises(InvalidArgument):
        call(table, f"{API}.{{[drop]session}}", a, resources=res)
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        call(table, f"{API}.{{session.name}}", "not a handle", resources=res)
    # handles belong to their instance's table
    with pytest.raises(InvalidArgument):
        call(table, f"{API}.{{session.name}}", m, resources=InstanceResources())


def test_returned_resource_handles(table: exports.ExportTable) -> None:
    res = InstanceResources()
    a = call(table, f"{API}.{{session.new}}", "a", resources=res)
    obj = res.object(a)
    obj.twin_result = Session("t")
    t = call(table, f"{API}.{{session.twin}}", a, resources=res)
    assert t == ExportedResource(SESSION, 2) and res.object(t).name() == "t"
    # returning an object already given to the host reuses its stale handle: a trap
    obj.twin_result = obj
    with pytest.raises(Trap, match="unknown handle index 1"):
        call(table, f"{API}.{{session.twin}}", a, resources=res)
    obj.twin_result = 5  # the runtime's setattr fails
    with pytest.raises(Trap, match="AttributeError"):
        call(table, f"{API}.{{session.twin}}", a, resources=res)


def test_imported_resource_in_an_export_is_reported_unsupported(table: exports.ExportTable) -> None:
    with pytest.raises(UnsupportedExport, match="imported resource"):
        call(table, "use-ticket", object())


# --- other layouts ------------------------------------------------------------------


@pytest.mark.parametrize("version, package, world_class, thread", [
    ("0.16.0", "exports_world", "ExportsWorld", "'<unnamed>'"),
    ("0.17.2", "wit_world", "WitWorld", "'<unnamed>'"),
])
def test_older_layouts(use: Callable[[str], exports.ExportTable], version: str, package: str,
                       world_class: str, thread: str, capsys: pytest.CaptureFixture[str]) -> None:
    table = use(version)
    types = importlib.import_module(f"{package}.imports.types")
    api_mod = importlib.import_module(f"{package}.exports.api")
    assert table.lookup("count").class_name == world_class
    assert call(table, "echo-point", {"x": 1, "y": 2, "label": "p"}) == types.Point(1, 2, "p")
    assert call(table, "fallible", 1, api=_ret("fallible", SimpleNamespace(text="t", n=2))) == \
        Ok(api_mod.Reply("t", 2))
    api = Api()
    api.raise_["echo_u8"] = ValueError("boom")
    with pytest.raises(Trap):
        call(table, "echo-u8", 1, api=api)
    err = capsys.readouterr().err
    line = {"0.16.0": "483:21", "0.17.2": "499:21"}[version]
    assert f"thread {thread} panicked at runtime/src/lib.rs:{line}:" in err


def _ret(name: str, value: Any) -> Api:
    api = Api()
    api.ret[name] = value
    return api


def test_glue_is_in_the_cache_and_not_importable(table: exports.ExportTable) -> None:
    inst = install_mod.installed()
    assert inst is not None
    assert (inst.cache_path / exports.GLUE_FILE).is_file()
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("_golem_export_glue")
    assert exports.export_table() is table


def test_018_unexpected_exception_prints_nothing(use: Callable[[str], exports.ExportTable],
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    """componentize-py 0.18.0 traps with ``uninitialized element`` and prints nothing
    (componentize-py.md §4)."""
    table = use("0.18.0")
    api = Api()
    api.raise_["echo_u8"] = ValueError("boom")
    with pytest.raises(Trap, match="uninitialized element"):
        call(table, "echo-u8", 1, api=api)
    assert capsys.readouterr().err == ""
