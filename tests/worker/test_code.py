"""Per-worker instances of a component's Python code (golem_fakes/worker/code.py).

Every test builds its component in ``tmp_path`` with a module name unique to the test
(``_uniq``), so nothing leaks between tests through ``sys.modules``."""

from __future__ import annotations

import importlib
import inspect
import json
import os
import sys
import threading
import traceback
import types
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes import Golem
from golem_fakes.bindings.runtime import current_environment
from golem_fakes.worker import code as code_mod
from golem_fakes.worker.code import CODE_CACHE, ComponentBuildError, ComponentCode, LoadedCode

_COUNTER = [0]


def _uniq(stem: str) -> str:
    _COUNTER[0] += 1
    return f"{stem}_{os.getpid()}_{_COUNTER[0]}"


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return root


@pytest.fixture()
def bindings() -> Any:
    return golem_fakes.install()


@pytest.fixture()
def clean_sys_modules() -> Iterator[None]:
    """Drop whatever a test imported into sys.modules through sys.path."""
    before = set(sys.modules)
    path = list(sys.path)
    yield
    for name in set(sys.modules) - before:
        mod = sys.modules[name]
        if "/pytest-" in str(getattr(mod, "__file__", "") or ""):
            del sys.modules[name]
    sys.path[:] = path


def _component(tmp_path: Path, app: str, extra: dict[str, str] | None = None,
               name: str | None = None) -> tuple[str, ComponentCode]:
    name = name or _uniq("app")
    _write(tmp_path, {f"{name}.py": app, **(extra or {})})
    return name, ComponentCode.get(name, tmp_path)


# --- ComponentCode.get -----------------------------------------------------------------


def test_get_is_one_object_per_module_and_resolved_path(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "x = 1\n")
    assert ComponentCode.get(name, str(tmp_path)) is code
    assert ComponentCode.get(name, tmp_path / "." ) is code
    assert code.module == name and code.path == Path(os.path.realpath(tmp_path))
    other = tmp_path / "other"
    _write(other, {f"{name}.py": "x = 2\n"})
    assert ComponentCode.get(name, other) is not code


def test_get_without_path_finds_the_sys_path_directory(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    name = _uniq("onpath")
    _write(tmp_path / "src", {f"{name}.py": "x = 1\n"})
    monkeypatch.syspath_prepend(str(tmp_path / "src"))
    assert ComponentCode.get(name).path == Path(os.path.realpath(tmp_path / "src"))
    with pytest.raises(ComponentBuildError, match=r"sys\.path = \[") as info:
        ComponentCode.get(_uniq("nowhere"))
    assert "No module named" in str(info.value)


def test_get_refuses_a_missing_directory(tmp_path: Path) -> None:
    with pytest.raises(ComponentBuildError, match="is not a directory"):
        ComponentCode.get("component", tmp_path / "missing")


# --- fresh instances --------------------------------------------------------------------


APP = """\
import json
import {helper}
from {pkg} import sub
from {pkg}.sub import X

cart = {{}}

def add(sku, qty):
    cart[sku] = cart.get(sku, 0) + qty
    return sum(cart.values())

def who():
    import {name}
    return {name}

class Api:
    def add(self, sku, qty):
        return add(sku, qty)
"""


def _shop(tmp_path: Path) -> tuple[str, str, str, ComponentCode]:
    name, helper, pkg = _uniq("app"), _uniq("helper"), _uniq("pkg")
    _write(tmp_path, {
        f"{name}.py": APP.format(name=name, helper=helper, pkg=pkg),
        f"{helper}.py": "items = []\nVALUE = 40\n",
        f"{pkg}/__init__.py": "from . import sub\n",
        f"{pkg}/sub.py": f"import {helper}\nfrom .consts import K\nfrom . import consts\n"
                         f"X = {helper}.VALUE + K\n",
        f"{pkg}/consts.py": "K = 2\n",
        f"{_uniq('unused')}.py": "raise RuntimeError('never imported')\n",
    })
    return name, helper, pkg, ComponentCode.get(name, tmp_path)


def test_two_fresh_instances_have_separate_module_state(tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    a, b = code.load(), code.load()
    assert isinstance(a, LoadedCode) and not a.adopted
    assert a.module(name) is not b.module(name)
    assert a.module(name).add("apple", 2) == 2
    assert a.module(name).add("apple", 3) == 5
    assert b.module(name).cart == {}
    assert b.module(name).Api().add("pear", 1) == 1
    assert a.module(name).cart == {"apple": 5}
    a.module(helper).items.append("x")
    assert b.module(helper).items == []


def test_sibling_modules_and_packages_are_per_instance_with_relative_imports(tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    a, b = code.load(), code.load()
    assert set(a.modules) == {name, helper, pkg, f"{pkg}.sub", f"{pkg}.consts"}
    for inst in (a, b):
        app, sub = inst.module(name), inst.module(f"{pkg}.sub")
        assert getattr(app, helper) is inst.module(helper)
        assert sub.__dict__[helper] is inst.module(helper)
        assert app.sub is sub and inst.module(pkg).sub is sub
        assert sub.consts is inst.module(f"{pkg}.consts")
        assert app.X == 42
    assert a.module(f"{pkg}.sub") is not b.module(f"{pkg}.sub")


def test_modules_under_path_the_app_does_not_import_are_not_part_of_the_instance(
        tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    inst = code.load()
    with pytest.raises(KeyError) as info:
        inst.module("unused")
    assert name in str(info.value) and helper in str(info.value)


def test_stdlib_installed_and_binding_modules_are_shared(tmp_path: Path, bindings: Any) -> None:
    name, code = _component(tmp_path, "import json, pytest\nfrom wit_world.imports import host\n")
    # the bindings as imported now (another test of this process may have reinstalled
    # them, leaving sys.modules without the submodule until it is imported again)
    importlib.import_module("wit_world.imports.host")
    a, b = code.load(), code.load()
    for inst in (a, b):
        mod = inst.module(name)
        assert mod.json is json and mod.pytest is pytest
        assert mod.host is sys.modules["wit_world.imports.host"]
    assert set(a.modules) == {name}


def test_stdlib_and_binding_names_win_over_files_under_path(tmp_path: Path, bindings: Any) -> None:
    # componentize-py's PYTHONPATH is /python (stdlib) : /world (bindings) : the -p dirs
    name, code = _component(tmp_path, "import json\nimport wit_world\n", {
        "json.py": "raise RuntimeError('app-dir json shadowed the stdlib')\n",
        "wit_world/__init__.py": "raise RuntimeError('stale componentize-py bindings output')\n",
    })
    inst = code.load()
    assert set(inst.modules) == {name}
    assert inst.module(name).json is json
    assert inst.module(name).wit_world is sys.modules["wit_world"]


def test_namespace_package_under_path_is_per_instance(tmp_path: Path) -> None:
    ns = _uniq("nspkg")
    name, code = _component(tmp_path, f"from {ns} import leaf\n", {f"{ns}/leaf.py": "items = []\n"})
    a, b = code.load(), code.load()
    assert set(a.modules) == {name, ns, f"{ns}.leaf"}
    assert a.module(f"{ns}.leaf") is not b.module(f"{ns}.leaf")
    assert a.module(name).leaf is a.module(f"{ns}.leaf")
    assert list(a.module(ns).__path__) == [os.path.join(os.path.realpath(tmp_path), ns)]


def test_module_attributes_are_those_of_an_import(tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    inst = code.load()
    app, package, sub = inst.module(name), inst.module(pkg), inst.module(f"{pkg}.sub")
    root = os.path.realpath(tmp_path)
    assert app.__name__ == name and app.__package__ == ""
    assert app.__file__ == os.path.join(root, f"{name}.py")
    assert app.__spec__.name == name and app.__spec__.origin == app.__file__
    assert not hasattr(app, "__path__")
    assert package.__path__ == [os.path.join(root, pkg)]
    assert package.__file__ == os.path.join(root, pkg, "__init__.py")
    assert package.__package__ == pkg and sub.__package__ == pkg
    assert package.__spec__.submodule_search_locations == [os.path.join(root, pkg)]
    assert "cart[sku] = cart.get(sku, 0) + qty" in inspect.getsource(app.add)
    assert code.owns(app) and code.owns(sub) and not code.owns(json)


def test_sys_modules_is_unchanged_by_a_fresh_load_even_after_the_test_imported_the_app(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_sys_modules: None) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    test_side = __import__(name)
    test_side.add("kept", 7)
    before = dict(sys.modules)
    meta = list(sys.meta_path)
    inst = code.load()
    assert dict(sys.modules) == before
    assert all(sys.modules[k] is v for k, v in before.items())
    assert sys.meta_path == meta
    # the instance did not reuse the test's module objects
    assert inst.module(name) is not test_side and inst.module(name).cart == {}
    assert inst.module(helper) is not sys.modules[helper]
    assert test_side.cart == {"kept": 7}
    assert code.owns(test_side)


def test_a_fresh_load_that_fails_leaves_sys_modules_as_it_was(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "import sibling\nraise ValueError('boom at import')\n",
                            {"sibling.py": "x = 1\n"})
    before = dict(sys.modules)
    with pytest.raises(ComponentBuildError):
        code.load()
    assert dict(sys.modules) == before


# --- adopted instances ---------------------------------------------------------------


def test_adopted_load_reinitialises_the_imported_modules_in_place(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_sys_modules: None) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    test_side = __import__(name)
    OldApi = test_side.Api
    add = test_side.add
    add("old", 1)
    old_cart = test_side.cart
    from_import = test_side.__dict__["cart"]
    inst = code.load(adopt=True)
    assert inst.adopted
    assert inst.module(name) is test_side and sys.modules[name] is test_side
    assert test_side.cart == {} and test_side.cart is not old_cart
    # functions and classes imported before see the adopted instance's state
    assert add("apple", 2) == 2 and OldApi().add("apple", 1) == 3
    assert inst.module(name).cart == {"apple": 3}
    assert from_import == {"old": 1}  # a name imported before is the old object
    # but the class object is a new one
    assert test_side.Api is not OldApi
    assert not isinstance(test_side.Api(), OldApi)
    # modules not imported before are imported for good, and are the instance's
    for n in (helper, pkg, f"{pkg}.sub", f"{pkg}.consts"):
        assert sys.modules[n] is inst.module(n)
    assert test_side.__spec__.loader is inst.module(helper).__loader__


def test_a_second_adopted_load_supersedes_the_first(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_sys_modules: None) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    first = code.load(adopt=True)
    first.module(name).add("a", 1)
    second = code.load(adopt=True)
    assert first.superseded and not second.superseded
    assert second.module(name) is first.module(name) and second.module(name).cart == {}


def test_an_adopted_load_that_fails_puts_the_previous_state_back(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_sys_modules: None) -> None:
    flag = tmp_path / "fail-now"
    name, code = _component(tmp_path, (
        "import os, sibling\n"
        "state = {'n': 0}\n"
        "def bump():\n    state['n'] += 1\n    return state['n']\n"
        f"if os.path.exists({str(flag)!r}):\n    raise RuntimeError('second build fails')\n"
        "after = True\n"), {"sibling.py": "items = []\n", "late.py": "x = 1\n"})
    first = code.load(adopt=True)
    mod, sibling = first.module(name), first.module("sibling")
    mod.bump()
    sibling.items.append(1)
    flag.write_text("")
    before = dict(sys.modules)
    with pytest.raises(ComponentBuildError, match="second build fails"):
        code.load(adopt=True)
    assert dict(sys.modules) == before
    assert sys.modules[name] is mod and mod.state == {"n": 1} and mod.after is True
    assert mod.bump() == 2
    assert sibling.items == [1]
    assert not first.superseded


# --- activation -------------------------------------------------------------------------


def test_activation_makes_a_run_time_import_see_the_instance(tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    a, b = code.load(), code.load()
    assert name not in sys.modules
    token = a.activate()
    try:
        assert a.module(name).who() is a.module(name)
        assert b.module(name).who() is a.module(name)  # sys.modules is process-wide
        inner = b.activate()
        assert a.module(name).who() is b.module(name)
        assert sys.modules[helper] is b.module(helper)
        b.deactivate(inner)
        assert a.module(name).who() is a.module(name)
        assert sys.modules[f"{pkg}.sub"] is a.module(f"{pkg}.sub")
    finally:
        a.deactivate(token)
    assert name not in sys.modules and helper not in sys.modules
    with b.active() as entered:
        assert entered is b and b.module(name).who() is b.module(name)
    assert name not in sys.modules


def test_deactivation_restores_what_was_there(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                              clean_sys_modules: None) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    test_side = __import__(name)
    inst = code.load()
    token = inst.activate()
    assert sys.modules[name] is inst.module(name)
    with pytest.raises(ValueError, match="activation token"):
        code.load().deactivate(token)
    inst.deactivate(token)
    assert sys.modules[name] is test_side and sys.modules[helper] is test_side.__dict__[helper]


# --- export classes ---------------------------------------------------------------------


def test_missing_export_class_fails_like_the_build(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "class WitWorld:\n    pass\n")
    before = dict(sys.modules)
    with pytest.raises(ComponentBuildError) as info:
        code.load(required_classes=[(None, "WitWorld", "world exports"),
                                    (None, "Api", "exported interface golem-fakes:probe/api")])
    assert info.value.cause_text == f"AttributeError: module {name!r} has no attribute 'Api'"
    assert info.value.cause_text in str(info.value)
    assert "golem-fakes:probe/api" in str(info.value)
    assert dict(sys.modules) == before


def test_missing_resource_module_and_class_fail_like_the_build(tmp_path: Path) -> None:
    api = _uniq("api")
    name, code = _component(tmp_path, "class Api:\n    pass\n")
    required = [(None, "Api", "exported interface p:q/api"), (api, "Session", "exported resource api/session")]
    with pytest.raises(ComponentBuildError) as info:
        code.load(required_classes=required)
    assert info.value.cause_text == f"ModuleNotFoundError: No module named {api!r}"
    assert "Session" in str(info.value)
    _write(tmp_path, {f"{api}.py": "x = 1\n"})
    with pytest.raises(ComponentBuildError) as info:
        code.load(required_classes=required)
    assert info.value.cause_text == f"AttributeError: module {api!r} has no attribute 'Session'"
    _write(tmp_path, {f"{api}.py": "count = 0\nclass Session:\n    pass\n"})
    a, b = code.load(required_classes=required), code.load(required_classes=required)
    assert set(a.modules) == {name, api}
    assert a.export_class(api, "Session") is a.module(api).Session
    assert a.export_class(api, "Session") is not b.export_class(api, "Session")
    assert api not in sys.modules


def test_export_objects_are_made_once_per_instance(tmp_path: Path) -> None:
    name = _uniq("app")
    name, code = _component(tmp_path, name=name, app=(
        "made = []\n"
        "class Api:\n"
        "    def __init__(self):\n        made.append(self)\n"
        f"        import {name}\n        self.module = {name}\n"))
    a, b = code.load(), code.load()
    obj = a.export_object(None, "Api")
    assert a.export_object(None, "Api") is obj and a.module(name).made == [obj]
    assert isinstance(obj, a.module(name).Api) and obj.module is a.module(name)
    assert b.module(name).made == []
    per_fn = a.export_object(None, "Api", "add-item"), a.export_object(None, "Api", "checkout")
    assert per_fn[0] is not per_fn[1] and per_fn[0] is a.export_object(None, "Api", "add-item")
    assert len(a.module(name).made) == 3
    assert sys.modules.get(name) is None
    eager = code.load(export_objects=[(None, "Api", "add-item"), (None, "Api", "checkout")])
    assert len(eager.module(name).made) == 2
    assert eager.export_object(None, "Api", "checkout") is eager.module(name).made[1]
    with pytest.raises(ComponentBuildError, match="has no attribute 'Nope'"):
        a.export_object(None, "Nope")


def test_export_object_init_errors_are_build_errors(tmp_path: Path) -> None:
    name, code = _component(tmp_path, (
        "class Api:\n    def __init__(self, x):\n        pass\n"
        "class Boom:\n    def __init__(self):\n        raise RuntimeError('init failed')\n"
        "Five = 5\n"))
    with pytest.raises(ComponentBuildError) as info:
        code.load(export_objects=[(None, "Api", None)])
    assert info.value.cause_text == \
        "TypeError: Api.__init__() missing 1 required positional argument: 'x'"
    inst = code.load()
    with pytest.raises(ComponentBuildError) as info:
        inst.export_object(None, "Boom")
    assert info.value.cause_text == "RuntimeError: init failed"
    assert isinstance(info.value.__cause__, RuntimeError)
    with pytest.raises(ComponentBuildError) as info:
        inst.export_object(None, "Five")
    assert info.value.cause_text == "TypeError: 'int' object is not callable"


# --- build time: no host ----------------------------------------------------------------


def test_module_level_host_call_fails_the_load_naming_the_function(tmp_path: Path,
                                                                   bindings: Any) -> None:
    name, code = _component(tmp_path, (
        "from wit_world.imports import host\n"
        "INDEX = host.get_oplog_index()\n"))
    with Golem():
        outer = current_environment.get()
        with pytest.raises(ComponentBuildError) as info:
            code.load()
        assert current_environment.get() is outer
    assert info.value.cause_text == "called trapping stub: golem:api/host@1.1.7#get-oplog-index"
    assert "golem:api/host@1.1.7#get-oplog-index" in str(info.value)
    assert "build time" in str(info.value)
    assert info.value.site.function == "get-oplog-index"


def test_a_swallowed_build_time_host_call_still_fails_the_load(tmp_path: Path,
                                                               bindings: Any) -> None:
    name, code = _component(tmp_path, (
        "from wit_world.imports import host\n"
        "try:\n    host.get_oplog_index()\nexcept Exception:\n    pass\n"))
    with pytest.raises(ComponentBuildError, match="get-oplog-index"):
        code.load()


def test_build_time_wasi_call_says_the_real_build_would_bake_it_in(tmp_path: Path,
                                                                   bindings: Any) -> None:
    name, code = _component(tmp_path, (
        "from wit_world.imports import random\n"
        "class Api:\n    def __init__(self):\n        self.seed = random.get_random_u64()\n"))
    inst = code.load()
    with pytest.raises(ComponentBuildError) as info:
        inst.export_object(None, "Api")
    assert "wasi:random/random@0.2.3#get-random-u64" in str(info.value)
    assert "build machine" in str(info.value)
    with Golem():  # at run time the same call works
        assert isinstance(inst.module(name).random.get_random_u64(), int)


def test_exception_at_import_is_a_build_error_naming_module_and_line(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "import sibling\n", {
        "sibling.py": "x = 1\nraise ValueError('boom at import')\n"})
    with pytest.raises(ComponentBuildError) as info:
        code.load()
    err = info.value
    assert err.cause_text == "ValueError: boom at import" and err.module == "sibling"
    assert "sibling.py, line 2" in str(err)
    assert isinstance(err.__cause__, ValueError)
    frames = traceback.extract_tb(err.__cause__.__traceback__)
    assert frames[-1].filename.endswith("sibling.py") and frames[-1].line == \
        "raise ValueError('boom at import')"


def test_missing_sibling_is_module_not_found_as_in_the_build(tmp_path: Path) -> None:
    missing = _uniq("helper_missing")
    name, code = _component(tmp_path, f"import {missing}\n")
    with pytest.raises(ComponentBuildError) as info:
        code.load()
    assert info.value.cause_text == f"ModuleNotFoundError: No module named {missing!r}"


def test_an_app_named_like_a_stdlib_module_is_refused_and_the_stdlib_left_alone(
        tmp_path: Path) -> None:
    _write(tmp_path, {"json.py": "class Api:\n    pass\n"})
    code = ComponentCode.get("json", tmp_path)
    with pytest.raises(ComponentBuildError, match="resolves elsewhere first"):
        code.load()
    assert sys.modules["json"] is json


def test_app_module_missing_under_path(tmp_path: Path) -> None:
    code = ComponentCode.get(_uniq("absent"), tmp_path)
    with pytest.raises(ComponentBuildError, match="No module named"):
        code.load()


# --- compiled code ----------------------------------------------------------------------


def test_compiled_code_is_reused_not_reread(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "import sib\nVALUE = 'one'\n", {"sib.py": "import os\n"})
    start = CODE_CACHE.compiles
    first = code.load()
    assert CODE_CACHE.compiles - start == 2
    # Same size, same mtime, other content: a re-read would see 'two'.
    src = tmp_path / f"{name}.py"
    st = src.stat()
    src.write_text("import sib\nVALUE = 'two'\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns))
    second = code.load()
    assert CODE_CACHE.compiles - start == 2
    assert first.module(name).VALUE == second.module(name).VALUE == "one"
    assert second.module(name).__spec__.loader.get_code(name) is \
        first.module(name).__spec__.loader.get_code(name)
    # A changed mtime is a rebuild: the next instance runs the new code.
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    third = code.load()
    assert CODE_CACHE.compiles - start == 3 and third.module(name).VALUE == "two"
    assert first.module(name).VALUE == "one"


def test_compiled_code_is_shared_by_every_golem(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "x = 1\n")
    code.load()
    start = CODE_CACHE.compiles
    with Golem():
        ComponentCode.get(name, tmp_path).load()
    with Golem():
        ComponentCode.get(name, tmp_path).load()
    assert CODE_CACHE.compiles == start


# --- threads ----------------------------------------------------------------------------


def test_concurrent_loads_give_separate_instances(tmp_path: Path) -> None:
    name, helper, pkg, code = _shop(tmp_path)
    before = dict(sys.modules)
    results: list[LoadedCode] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(20):
                results.append(code.load())
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len({id(r.module(name)) for r in results}) == 80
    assert all(r.module(name).sub is r.module(f"{pkg}.sub") for r in results)
    assert dict(sys.modules) == before


def test_another_threads_import_during_a_load_is_not_served(tmp_path: Path) -> None:
    sib = _uniq("sib")
    name, code = _component(tmp_path, (
        "import threading\n"
        "seen = []\n"
        "def other():\n"
        "    try:\n"
        f"        import {sib}\n"
        "        seen.append('served')\n"
        "    except ModuleNotFoundError:\n"
        "        seen.append('not served')\n"
        "t = threading.Thread(target=other)\nt.start()\nt.join()\n"
        f"import {sib}\n"), {f"{sib}.py": "x = 1\n"})
    inst = code.load()
    assert inst.module(name).seen == ["not served"]
    assert sib in inst.modules and sib not in sys.modules
