"""The pytest plugin, run in inner pytest sessions (pytester, in-process unless noted):
the golem fixture, the golem marker, seeds, the failure report, the header."""

from __future__ import annotations

import re

import pytest

from golem_fakes import seeding

pytest.importorskip("golem_fakes.state.golem")

# Inner test files print "SEED <nodeid> <seed>" lines; this collects them.
SEED_PRINTER = """
import pytest

@pytest.fixture(autouse=True)
def _print_seed(request):
    yield
    g = request.node.funcargs.get("golem")
    if g is not None:
        print(f"SEED {request.node.nodeid} {g.seed}")
"""


def seeds_of(result: pytest.RunResult) -> dict[str, int]:
    out: dict[str, int] = {}
    for line in result.outlines:
        m = re.search(r"SEED (\S+) (\d+)", line)
        if m:
            out[m.group(1)] = int(m.group(2))
    return out


# --- the fixture -----------------------------------------------------------------------


def test_fixture_is_a_fresh_current_golem_running_as_a_fresh_worker(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        from golem_fakes.bindings.runtime import current_environment
        from golem_fakes.state.golem import Golem
        from golem_fakes.state.registry import WorkerStatus

        def test_first(golem):
            assert isinstance(golem, Golem)
            assert current_environment.get() is golem
            w = golem.current_worker
            assert (w.component.name, w.name) == ("all-imports", "worker-1")
            assert w.status == WorkerStatus.RUNNING  # inside an invocation
            golem.add_worker("other", "left-over")

        def test_second_sees_nothing_of_the_first(golem):
            assert [w.name for w in golem.workers] == ["worker-1"]

        def test_no_environment_without_the_fixture():
            assert current_environment.get(None) is None

        def test_worker_code_calls_the_host(golem):
            from wit_world.imports import host
            golem.implement("golem:api/host@1.1.7", "get-oplog-index", lambda env: 41)
            assert host.get_oplog_index() == 41
            assert golem.call_count("golem:api/host@1.1.7", "get-oplog-index") == 1
    """)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=4)


def test_fixture_is_torn_down_after_the_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from golem_fakes.bindings.runtime import current_environment

        seen = []

        @pytest.fixture
        def outer(golem):
            yield golem
            # golem's teardown runs after this: still current here
            assert current_environment.get() is golem
            seen.append(golem)

        def test_uses(outer):
            pass

        def test_after():
            g = seen[0]
            assert current_environment.get(None) is None
            assert g.current_invocation is None  # the block's invocation ended
    """)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)


# --- the marker ------------------------------------------------------------------------


def test_marker_configures_and_injects_the_fixture(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from golem_fakes.bindings.runtime import current_environment

        @pytest.mark.golem(seed=7, component="shop:cart", worker="cart-1", args=["a", "b"],
                           env={"K": "V"}, config={"c": "1"},
                           workers=[{"component": "shop:stock", "name": "s-1",
                                     "args": ["x"], "status": "suspended"}])
        def test_marked_without_naming_the_fixture(request):
            assert "golem" in request.fixturenames
            g = current_environment.get()
            assert g.seed == 7
            w = g.current_worker
            assert (w.component.name, w.name, w.args) == ("shop:cart", "cart-1", ["a", "b"])
            assert ("K", "V") in w.env and w.config == {"c": "1"}
            s = g.worker("shop:stock", "s-1")
            assert s.args == ["x"] and s.status.name == "SUSPENDED"
    """)
    pytester.runpytest("--strict-markers").assert_outcomes(passed=1)


def test_module_class_and_function_markers_closest_wins(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        pytestmark = pytest.mark.golem(worker="from-module", seed=1)

        def test_module(golem):
            assert golem.current_worker.name == "from-module" and golem.seed == 1

        def test_module_marker_alone_injects():
            from golem_fakes.bindings.runtime import current_environment
            assert current_environment.get().current_worker.name == "from-module"

        @pytest.mark.golem(worker="from-class", seed=2)
        class TestClass:
            def test_class(self, golem):
                assert golem.current_worker.name == "from-class" and golem.seed == 2

            @pytest.mark.golem(worker="from-function")
            def test_function(self, golem):
                # closest marker wins as a whole: no seed there, so the derived one
                assert golem.current_worker.name == "from-function" and golem.seed != 2
    """)
    pytester.runpytest("--strict-markers").assert_outcomes(passed=4)


def test_marker_errors_say_what_is_accepted(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.golem(5)
        def test_positional():
            pass

        @pytest.mark.golem(sede=5)
        def test_typo():
            pass

        @pytest.mark.golem(workers=[{"name": "w"}])
        def test_worker_without_component():
            pass
    """)
    result = pytester.runpytest()
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines([
        "*@pytest.mark.golem takes keyword arguments only*write @pytest.mark.golem(seed=5)*",
        "*unknown option(s) sede; it accepts seed, component, worker*",
        "*workers=[[]...[]]) entry 0 is {'name': 'w'}; each entry is a dict with 'component'*",
    ])


def test_marker_is_registered(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(["@pytest.mark.golem(seed=None, component=None, *"])


# --- seeds -----------------------------------------------------------------------------


SEED_TESTS = """
import pytest

def test_a(golem):
    pass

def test_b(golem):
    pass

@pytest.mark.parametrize("n", [1, 2])
def test_p(golem, n):
    pass

@pytest.mark.golem(seed=99)
def test_fixed():
    pass
"""


def test_seed_per_test_is_stable_and_derived_from_node_id(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEED_PRINTER)
    pytester.makepyfile(test_seeds=SEED_TESTS)
    first = seeds_of(pytester.runpytest("-s"))
    assert set(first) == {"test_seeds.py::test_a", "test_seeds.py::test_b",
                          "test_seeds.py::test_p[1]", "test_seeds.py::test_p[2]",
                          "test_seeds.py::test_fixed"}
    for nodeid, seed in first.items():
        expected = 99 if nodeid.endswith("test_fixed") else seeding.test_seed(0, nodeid)
        assert seed == expected, nodeid
    assert len(set(first.values())) == len(first)  # different node ids, different seeds
    # the same again, and not dependent on which tests run or in which order
    assert seeds_of(pytester.runpytest("-s")) == first
    only_b = seeds_of(pytester.runpytest("-s", "-k", "test_b or test_p"))
    assert only_b == {k: v for k, v in first.items() if "test_b" in k or "test_p" in k}


def test_global_seed_from_option_and_ini(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEED_PRINTER)
    pytester.makepyfile(test_seeds=SEED_TESTS)
    by_option = seeds_of(pytester.runpytest("-s", "--golem-seed", "5"))
    assert by_option["test_seeds.py::test_a"] == seeding.test_seed(5, "test_seeds.py::test_a")
    assert by_option["test_seeds.py::test_fixed"] == 99
    pytester.makeini("[pytest]\ngolem_seed = 5\n")
    assert seeds_of(pytester.runpytest("-s")) == by_option
    # the option wins over the ini
    by_both = seeds_of(pytester.runpytest("-s", "--golem-seed", "6"))
    assert by_both["test_seeds.py::test_a"] == seeding.test_seed(6, "test_seeds.py::test_a")


def test_random_global_seed_is_printed(pytester: pytest.Pytester) -> None:
    pytester.makeconftest(SEED_PRINTER)
    pytester.makepyfile(test_seeds=SEED_TESTS)
    result = pytester.runpytest("-s", "--golem-seed", "random")
    m = re.search(r"golem-fakes: global seed (\d+) \(--golem-seed random\)", result.stdout.str())
    assert m, result.stdout.str()
    g = int(m.group(1))
    assert seeds_of(result)["test_seeds.py::test_a"] == seeding.test_seed(g, "test_seeds.py::test_a")


def test_bad_seed_is_a_usage_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--golem-seed", "soon")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--golem-seed: 'soon' is not a seed. Give a non-negative*"])


# --- the failure report ----------------------------------------------------------------


def test_failing_test_reports_its_seed_and_how_to_reproduce(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fail="""
        import pytest

        def test_fails(golem):
            assert golem.seed == -1

        def test_passes(golem):
            pass

        def test_fails_without_golem():
            assert False

        @pytest.mark.golem(seed=3)
        def test_fails_with_marker_seed():
            assert False
    """)
    result = pytester.runpytest("--golem-seed", "12")
    result.assert_outcomes(failed=3, passed=1)
    seed = seeding.test_seed(12, "test_fail.py::test_fails")
    result.stdout.fnmatch_lines([
        "*_ test_fails _*",
        "*- golem-fakes -*",
        f"golem-fakes: seed {seed} (global seed 12); reproduce with: "
        f"pytest test_fail.py::test_fails --golem-seed 12",
    ])
    result.stdout.fnmatch_lines([
        "golem-fakes: seed 3 (set by @pytest.mark.golem(seed=...)); reproduce with: "
        "pytest test_fail.py::test_fails_with_marker_seed",
    ])
    out = result.stdout.str()
    assert out.count("- golem-fakes -") == 2  # not for the test without the fixture
    # the reproduction command reproduces the seed
    again = pytester.runpytest("test_fail.py::test_fails", "--golem-seed", "12")
    again.stdout.fnmatch_lines([f"golem-fakes: seed {seed} (global seed 12)*"])


# --- the header ------------------------------------------------------------------------


def test_header_says_what_was_installed_and_why(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines([
        "golem-fakes *: world 'all-imports' as 'wit_world' (componentize-py * layout *) from *wit",
        "golem-fakes: vendored golem-wit 'all-imports' world (no golem.yaml or wit/ folder*",
        "golem-fakes: global seed 0 (default); golem fixture runs as all-imports/worker-1*",
    ])


def test_golem_install_false_installs_nothing(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ngolem_install = false\ngolem_component = shop:cart\n")
    pytester.makepyfile("""
        def test_x(golem):
            assert golem.current_worker.component.name == "shop:cart"
    """)
    result = pytester.runpytest()
    result.stdout.fnmatch_lines([
        "golem-fakes *: no bindings installed (golem_install = false*",
        "golem-fakes: global seed 0 (default); golem fixture runs as shop:cart/worker-1*",
    ])
    result.assert_outcomes(passed=1)


# --- pytest-xdist ----------------------------------------------------------------------


def test_xdist_workers_agree_on_seeds(pytester: pytest.Pytester, warm_cache: object) -> None:
    pytest.importorskip("xdist")
    pytester.makeconftest(SEED_PRINTER.replace(
        'print(f"SEED {request.node.nodeid} {g.seed}")',
        'import pathlib, os, re; pathlib.Path("seeds").mkdir(exist_ok=True); '
        '(pathlib.Path("seeds") / re.sub(r"\\W", "_", request.node.nodeid)).write_text('
        'f"SEED {request.node.nodeid} {g.seed} {os.environ.get(\'PYTEST_XDIST_WORKER\')}")'))
    pytester.makepyfile(test_seeds=SEED_TESTS + "".join(
        f"\ndef test_more_{i}(golem):\n    pass\n" for i in range(8)))
    result = pytester.runpytest("-n", "2", "--golem-seed", "random", "-p", "no:hypothesispytest")
    result.assert_outcomes(passed=13)
    m = re.search(r"golem-fakes: global seed (\d+) \(--golem-seed random\)", result.stdout.str())
    assert m, result.stdout.str()
    g = int(m.group(1))
    lines = [p.read_text().split() for p in (pytester.path / "seeds").iterdir()]
    assert len(lines) == 13 and {w for *_, w in lines} == {"gw0", "gw1"}
    for _, nodeid, seed, _ in lines:
        expected = 99 if nodeid.endswith("test_fixed") else seeding.test_seed(g, nodeid)
        assert int(seed) == expected, nodeid
