"""The fixture's per-test plan (marker options, seed, component) is worked out at
collection; a ``golem`` requested only at run time (``request.getfixturevalue``) gets
the same plan worked out then."""

from __future__ import annotations

import pytest

pytest.importorskip("golem_fakes.state.golem")


def test_plan_made_at_collection_and_at_run_time_agree(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from golem_fakes import seeding

        def test_argument(golem, request):
            assert golem.seed == seeding.test_seed(9, request.node.nodeid)

        def test_late(request):
            golem = request.getfixturevalue("golem")
            assert golem.seed == seeding.test_seed(9, request.node.nodeid)
            assert golem.current_worker.name == "worker-1"

        @pytest.mark.golem(seed=3, worker="w")
        def test_marker(golem):
            assert (golem.seed, golem.current_worker.name) == (3, "w")

        @pytest.mark.golem(seed=4, worker="v")
        def test_marker_late(request):
            golem = request.getfixturevalue("golem")
            assert (golem.seed, golem.current_worker.name) == (4, "v")
    """)
    result = pytester.runpytest("--golem-seed", "9")
    result.assert_outcomes(passed=4)


def test_bad_marker_errors_at_setup_not_at_collection(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.golem(sede=5)
        def test_typo():
            pass

        def test_fine(golem):
            pass
    """)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(["*ERROR at setup of test_typo*"])


def test_the_fixture_asks_pytest_for_no_other_fixture(pytester: pytest.Pytester) -> None:
    """The ``golem`` fixture takes no ``request`` (pytest builds a ``request`` fixture
    definition, with an ``inspect.signature`` call, for every test whose closure
    has it): the test being set up comes from the plugin's setup hook."""
    pytester.makeconftest("""
        def pytest_runtest_setup(item):
            print("CLOSURE", item.name, sorted(item.fixturenames))
    """)
    pytester.makepyfile("""
        import pytest

        def test_named(golem):
            assert golem.current_worker.name == "worker-1"

        @pytest.mark.golem(worker="w")
        def test_marked():
            pass
    """)
    result = pytester.runpytest("-s")
    result.assert_outcomes(passed=2)
    result.stdout.re_match_lines([r".*CLOSURE test_named \['golem'\]$",
                                  r".*CLOSURE test_marked \['golem'\]$"])
