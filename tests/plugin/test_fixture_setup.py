"""How the ``golem`` fixture is set up and torn down (pytest_golem/plugin.py).

Two paths give the same Golem in the same order: most tests get it from the plugin's
own ``Function.setup`` (``_setup_fast``: the test's fixtures filled in pytest's order,
``golem`` made without pytest's fixture machinery), and the rest — ``--setup-show`` /
``--setup-only`` / ``--setup-plan``, a plugin or conftest watching fixture set-up, a
``golem`` overridden or parametrized — through pytest's fixture machinery, with the
same teardown finalizer. Each test below runs on both paths."""

from __future__ import annotations

import pytest

pytest.importorskip("golem_fakes.state.golem")

#: A conftest that makes the session take pytest's fixture path for ``golem`` (a
#: ``pytest_fixture_setup`` hook other than pytest's own); it records what it sees.
WATCHER = """
import pytest

SEEN = []

@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef, request):
    SEEN.append(fixturedef.argname)
    yield
"""

PATHS = pytest.mark.parametrize("path", ["fast", "fixture"])


def _run(pytester: pytest.Pytester, path: str, *args: str) -> pytest.RunResult:
    if path == "fixture":
        pytester.makeconftest(WATCHER)
    return pytester.runpytest("-p", "no:randomly", *args)


@PATHS
def test_each_path_is_the_one_expected(pytester: pytest.Pytester, path: str) -> None:
    pytester.makepyfile(f"""
        import functools

        def test_setup(golem, request):
            fast = isinstance(request.node.setup, functools.partial)
            assert fast is {path == "fast"}
            if not fast:
                import conftest
                assert "golem" in conftest.SEEN
    """)
    _run(pytester, path).assert_outcomes(passed=1)


@PATHS
def test_teardown_order_is_a_yield_fixtures(pytester: pytest.Pytester, path: str) -> None:
    """Fixtures set up before ``golem`` are torn down after its exit; fixtures set up
    after it (those depending on it, or named later) while it is still current."""
    pytester.makepyfile("""
        import pytest
        from golem_fakes.bindings.runtime import current_environment

        log = []

        @pytest.fixture
        def before():
            log.append(("before up", current_environment.get(None)))
            yield
            log.append(("before down", current_environment.get(None)))

        @pytest.fixture
        def after():
            log.append(("after up", current_environment.get(None)))
            yield
            log.append(("after down", current_environment.get(None)))

        @pytest.fixture
        def uses(golem):
            yield golem
            log.append(("uses down", current_environment.get(None)))

        def test_order(before, golem, after, uses):
            assert uses is golem
            log.append(("test", golem))

        def test_check():
            g = log[2][1]
            assert [what for what, _ in log] == [
                "before up", "after up", "test", "uses down", "after down", "before down"]
            assert [env for _, env in log] == [None, g, g, g, g, None]
            assert g.current_invocation is None
            assert current_environment.get(None) is None
    """)
    _run(pytester, path).assert_outcomes(passed=2)


@PATHS
def test_one_golem_per_test_whoever_asks(pytester: pytest.Pytester, path: str) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.fixture
        def first(golem):
            return golem

        @pytest.fixture
        def second(golem):
            return golem

        def test_same(first, golem, second, request):
            assert first is golem is second is request.getfixturevalue("golem")

        def test_late_and_dependent(request, second):
            assert request.getfixturevalue("golem") is second

        def test_fresh_each_test(golem, request):
            assert golem.current_worker.name == "worker-1"
            assert [w.name for w in golem.workers] == ["worker-1"]
    """)
    _run(pytester, path).assert_outcomes(passed=3)


@PATHS
def test_failing_setup_after_golem_still_tears_it_down(pytester: pytest.Pytester,
                                                       path: str) -> None:
    pytester.makepyfile("""
        import pytest
        from golem_fakes.bindings.runtime import current_environment

        @pytest.fixture
        def broken(golem):
            raise RuntimeError("broken fixture")

        def test_broken(golem, broken):
            pass

        def test_after():
            assert current_environment.get(None) is None
    """)
    result = _run(pytester, path)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: broken fixture*"])


@PATHS
def test_strict_http_failure_is_a_teardown_error(pytester: pytest.Pytester, path: str) -> None:
    pytester.makepyfile("""
        def test_route_never_called(golem):
            golem.http.get("https://api.example.com/x").respond(200)
    """)
    result = _run(pytester, path)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at teardown of test_route_never_called*",
                                 "*golem.http:*"])


def test_setup_show_lists_golem(pytester: pytest.Pytester) -> None:
    """``--setup-show`` prints every fixture's set-up: the session takes pytest's
    fixture path for ``golem``."""
    pytester.makepyfile("""
        def test_x(golem):
            assert golem.current_worker.name == "worker-1"
    """)
    result = pytester.runpytest("--setup-show")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*SETUP    F golem*", "*TEARDOWN F golem*"])


def test_overridden_golem_takes_the_fixture_path(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("""
        import pytest

        @pytest.fixture
        def golem(golem):
            golem.overridden = True
            return golem
    """)
    pytester.makepyfile("""
        import functools

        def test_x(golem, request):
            assert golem.overridden
            assert not isinstance(request.node.setup, functools.partial)
    """)
    pytester.runpytest().assert_outcomes(passed=1)


def test_parametrized_golem_is_the_parameter(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.parametrize("golem", [1, 2])
        def test_x(golem):
            assert golem in (1, 2)
    """)
    pytester.runpytest().assert_outcomes(passed=2)
