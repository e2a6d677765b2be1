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
