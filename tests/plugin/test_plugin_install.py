"""Bindings installed at start-up, end to end in fresh pytest processes (one set of
bindings per process): discovery from a Golem application tree, a plain wit/, ini
options, and the error when componentize-py's own stubs got there first."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin_helpers import make_app

pytest.importorskip("golem_fakes.state.golem")

# hypothesis' plugin is not needed in the inner processes and costs ~1 s to import
NO_HYPOTHESIS = ("-p", "no:hypothesispytest", "-p", "no:cacheprovider")


def run(pytester: pytest.Pytester, *args: str, cwd: Path | None = None) -> pytest.RunResult:
    if cwd is not None:
        import os

        old = os.getcwd()
        os.chdir(cwd)
        try:
            return pytester.runpytest_subprocess(*NO_HYPOTHESIS, *args)
        finally:
            os.chdir(old)
    return pytester.runpytest_subprocess(*NO_HYPOTHESIS, *args)


def test_golem_application_layout(pytester: pytest.Pytester, warm_cache: Path) -> None:
    """A golem-cli Python application: the component's wit/ + the app's witDeps,
    --import-interface-name from the template's build command, the layout of the pinned
    componentize-py 0.17.0, and the component's name for the fixture's worker."""
    app = make_app(pytester.path / "app")
    comp = app / "components-python" / "shop-cart"
    (comp / "tests").mkdir()
    (comp / "tests" / "test_cart.py").write_text("""
import wit_world
from wit_world.imports import host, outgoing_handler, types
from component import CartApi


def test_cart_runs_as_its_component(golem):
    golem.implement("golem:api/host@1.1.7", "get-oplog-index", lambda env: 3)
    CartApi().add("apple", 2)
    assert CartApi().total() == 2
    assert host.get_oplog_index() == 3
    w = golem.current_worker
    assert (w.component.name, w.name) == ("shop:cart", "worker-1")
    # layout 0.17: Ok/Err live in wit_world.types (0.19 moved them to componentize_py_types)
    from wit_world.types import Err, Ok
    assert types.__name__ == "wit_world.imports.types"
""")
    result = run(pytester, cwd=comp)
    result.stdout.fnmatch_lines([
        "golem-fakes *: world 'shop-cart' as 'wit_world' (componentize-py 0.17.0 layout 0.17) from *",
        "golem-fakes: from golem.yaml: component 'shop:cart' of the Golem application at "
        f"{app}: components-python/shop-cart/wit + witDeps wit/deps "
        "(components-python/shop-cart/wit-generated not built yet); flags: --wit-path "
        "wit-generated --import-interface-name wasi:http/types@0.2.3=types "
        "--import-interface-name wasi:http/outgoing-handler@0.2.3=outgoing_handler; "
        "componentize-py==0.17.0 from pyproject.toml; code: component in "
        "components-python/shop-cart/src",
        "golem-fakes: global seed 0 (default); golem fixture runs as shop:cart/worker-1*",
    ])
    result.assert_outcomes(passed=1)


def test_plain_wit_folder_with_ini_override(pytester: pytest.Pytester, warm_cache: Path) -> None:
    (pytester.path / ".git").mkdir()
    (pytester.path / "wit").mkdir()
    (pytester.path / "wit" / "app.wit").write_text("""
package my:app;
interface greeter { hello: func(name: string) -> string; }
world app { import greeter; }
""")
    pytester.makeini("""
[pytest]
golem_interface_names = my:app/greeter=hi
golem_component = my:app
""")
    pytester.makepyfile("""
        from wit_world.imports import hi

        def test_greets(golem):
            golem.implement("my:app/greeter", "hello", lambda env, name: "hello " + name)
            assert hi.hello("golem") == "hello golem"
            assert golem.current_worker.component.name == "my:app"
    """)
    result = run(pytester)
    result.stdout.fnmatch_lines([
        "golem-fakes *: world 'app' as 'wit_world' *",
        "golem-fakes: from the plain wit/ folder under the rootdir (*) (overridden by ini: "
        "golem_interface_names)",
    ])
    result.assert_outcomes(passed=1)


def test_ini_wit_wins_over_discovery(pytester: pytest.Pytester, warm_cache: Path) -> None:
    make_app(pytester.path)  # would be discovered, but golem_wit says otherwise
    (pytester.path / "other").mkdir()
    (pytester.path / "other" / "x.wit").write_text(
        "package my:x;\ninterface i { f: func() -> u8; }\nworld x { import i; }\n")
    pytester.makeini("[pytest]\ngolem_wit = other\ngolem_layout = 0.16\n")
    pytester.makepyfile("""
        from x.imports import i

        def test_x(golem):
            golem.implement("my:x/i", "f", lambda env: 7)
            assert i.f() == 7
            assert golem.current_worker.component.name == "x"  # after the world
    """)
    result = run(pytester)
    result.stdout.fnmatch_lines([
        "golem-fakes *: world 'x' as 'x' (componentize-py 0.16.0 layout 0.16) from */other",
        "golem-fakes: from the golem_* ini options",
    ])
    result.assert_outcomes(passed=1)


def test_componentize_py_stubs_on_sys_path_are_a_usage_error(
        pytester: pytest.Pytester, warm_cache: Path) -> None:
    """`componentize-py bindings .` wrote wit_world/ into the project (golem-cli's
    template writes src/wit_world): pytest stops before collecting, saying why."""
    (pytester.path / ".git").mkdir()
    stub = pytester.path / "wit_world"
    stub.mkdir()
    (stub / "__init__.py").write_text("# generated by componentize-py\n")
    pytester.makepyfile("def test_never_runs(): pass")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: golem-fakes cannot serve its bindings as 'wit_world': another module of that "
        f"name is on sys.path ({stub / '__init__.py'})*Fix: delete or move the generated stubs*",
    ])
    assert "test_never_runs" not in result.stdout.str()


def test_componentize_py_stubs_imported_first_are_a_usage_error(
        pytester: pytest.Pytester, warm_cache: Path) -> None:
    """Worker code imported componentize-py's stubs before the plugin could install
    (here a plugin given with -p imports it)."""
    (pytester.path / ".git").mkdir()
    stub = pytester.path / "gen" / "wit_world"
    stub.mkdir(parents=True)
    (stub / "__init__.py").write_text("# generated by componentize-py\n")
    pytester.makepyfile(early_worker_code="""
        import sys
        sys.path.insert(0, "gen")
        import wit_world
        sys.path.remove("gen")
    """)
    pytester.makepyfile("def test_never_runs(): pass")
    result = run(pytester, "-p", "early_worker_code")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: golem-fakes cannot serve its bindings as 'wit_world': another module of that "
        f"name is already imported ({stub / '__init__.py'})*",
    ])


def test_ambiguous_application_is_a_usage_error(pytester: pytest.Pytester,
                                                warm_cache: Path) -> None:
    from plugin_helpers import CART_WIT

    other = CART_WIT.replace("shop:cart", "shop:stock").replace("shop-cart", "shop-stock")
    make_app(pytester.path, {"shop:cart": CART_WIT, "shop:stock": other})
    pytester.makepyfile("def test_x(): pass")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["ERROR: golem-fakes: the Golem application at * has 2 "
                                 "components (shop:cart, shop:stock)*golem_component*"])
    # --help still works in a project the plugin cannot set up
    helped = run(pytester, "--help")
    assert helped.ret == pytest.ExitCode.OK
    helped.stdout.fnmatch_lines(["*--golem-seed=SEED*"])


def test_broken_wit_is_a_usage_error_naming_the_file(pytester: pytest.Pytester,
                                                     warm_cache: Path) -> None:
    (pytester.path / ".git").mkdir()
    (pytester.path / "wit").mkdir()
    (pytester.path / "wit" / "app.wit").write_text("package my:app;\nworld app { import nope; }\n")
    pytester.makepyfile("def test_x(): pass")
    result = run(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([
        "ERROR: golem-fakes could not install bindings (from the plain wit/ folder under "
        "the rootdir (*)): WitError: *app.wit:2:*"])


def test_each_test_and_each_worker_gets_its_own_instance(pytester: pytest.Pytester,
                                                         warm_cache: Path) -> None:
    """The componentize step's code (golem.yaml) is the component's: with no conftest
    reset, every test's default worker starts from the module's initial state, and each
    worker invoked by name runs its own instance (README "Workers are instances")."""
    app = make_app(pytester.path / "app")
    comp = app / "components-python" / "shop-cart"
    (comp / "tests").mkdir()
    (comp / "tests" / "test_cart.py").write_text("""
import component
from component import CartApi


def test_one(golem):
    CartApi().add("apple", 2)
    assert CartApi().total() == 2


def test_two(golem):
    CartApi().add("pear", 5)
    assert CartApi().total() == 5 and component.total_qty == 5


def test_workers_by_name(golem):
    golem.invoke("shop:cart", "alice", "add", "apple", 2)
    golem.invoke("shop:cart", "bob", "shop:cart/cart-api.{add}", "pear", 1)
    assert golem.invoke("shop:cart", "alice", "total") == 2
    assert golem.invoke("shop:cart", "bob", "total") == 1
    assert golem.instance("shop:cart", "alice").module("component").total_qty == 2
    assert CartApi().total() == 0 and component.total_qty == 0
""")
    result = run(pytester, cwd=comp)
    result.stdout.fnmatch_lines(["golem-fakes: from golem.yaml: *; code: component in "
                                 "components-python/shop-cart/src"])
    result.assert_outcomes(passed=3)


def test_ini_names_the_component_code(pytester: pytest.Pytester, warm_cache: Path) -> None:
    (pytester.path / ".git").mkdir()
    (pytester.path / "wit").mkdir()
    (pytester.path / "wit" / "app.wit").write_text("""
package my:app;
interface greeter { hello: func(name: string) -> string; }
world app { export greeter; }
""")
    (pytester.path / "code").mkdir()
    (pytester.path / "code" / "greeting.py").write_text("""
greeted = []

class Greeter:
    def hello(self, name):
        greeted.append(name)
        return "hello " + name
""")
    pytester.makeini("""
[pytest]
golem_component = my:app
golem_component_module = greeting
golem_component_path = code
""")
    pytester.makepyfile("""
        def test_greets(golem):
            assert golem.invoke("my:app", "w", "hello", "golem") == "hello golem"
            assert golem.instance("my:app", "w").module("greeting").greeted == ["golem"]
    """)
    result = run(pytester)
    result.assert_outcomes(passed=1)


def test_a_bad_code_option_fails_the_session(pytester: pytest.Pytester, warm_cache: Path) -> None:
    (pytester.path / ".git").mkdir()
    pytester.makeini("[pytest]\ngolem_component_path = src\n")
    pytester.makepyfile("def test_x(): pass\n")
    result = run(pytester)
    result.stderr.fnmatch_lines(["*golem_component_path is set but not golem_component_module*"])
    assert result.ret != 0
