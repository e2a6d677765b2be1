"""Exported resources of a compiled component, invoked by Golem's names.

The component (``wit_res/resource-test.wit``, Python source ``app_res/``) exports the
resource ``counter`` (constructor, methods, a static function) and functions taking and
returning ``own`` and ``borrow`` handles. The inner test file runs every test twice: on
the Python source and on the .wasm built from it, which must agree — handles are the
same :class:`~golem_fakes.bindings.exports.ExportedResource` values, unknown handles
the same ``InvalidArgument``, and a crash is recovered by replay with the handles the
test holds still valid.

A pytester subprocess: the component's own WIT must be the installed bindings (the
pytest plugin's ``golem_wit``), for its Python source and for the generated classes.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
VENDORED_DEPS = HERE.parent.parent / "golem_fakes" / "data" / "wit" / "deps"

pytest_plugins = ["pytester"]


@pytest.fixture(scope="module")
def resource_wasm(linker_wasm: Path) -> tuple[Path, Path]:  # linker_wasm: skips, sys.path
    """The component, and a second version of it (counter names end in " (v2)")."""
    import build

    return build.resource_test_component(), build.resource_test_component(" (v2)")


INNER = '''
import pytest
from golem_fakes import Golem
from golem_fakes.bindings.exports import ExportedResource, InvalidArgument

C = "golem-fakes:resource-test"
API = "golem-fakes:resource-test/counters"
KEY = API + "#counter"


@pytest.fixture(params=["source", "wasm"])
def g(request, golem: Golem) -> Golem:
    if request.param == "wasm":
        golem.add_component(C, wasm=@WASM@)
        assert golem._wasm_of(C) is not None
    else:
        golem.add_component(C, code="resource_app", path=@SRC@)
        assert golem._wasm_of(C) is None
    return golem


def test_constructor_methods_and_drop(g):
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "apples")
    assert c == ExportedResource(KEY, 1)
    assert g.invoke(C, "w", f"{API}.{{counter.name}}", c) == "apples"
    assert g.invoke(C, "w", f"{API}.{{[method]counter.add}}", c, 3) == 3
    assert g.invoke(C, "w", "counter.add", c, 4) == 7            # a plain name
    d = g.invoke(C, "w", f"{API}.{{[constructor]counter}}", "pears")
    assert d == ExportedResource(KEY, 2)
    g.invoke(C, "w", f"{API}.{{counter.drop}}", c)
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        g.invoke(C, "w", f"{API}.{{counter.name}}", c)
    assert g.invoke(C, "w", f"{API}.{{counter.name}}", d) == "pears"


def test_own_and_borrow_parameters_and_results(g):
    a, b = g.invoke(C, "w", f"{API}.{{make-pair}}", "a", "b")
    assert (a.id, b.id) == (1, 2)
    g.invoke(C, "w", "counter.add", a, 1)
    g.invoke(C, "w", "counter.add", b, 10)
    assert g.invoke(C, "w", f"{API}.{{total}}", [a, b, a]) == 12   # list<borrow<counter>>
    m = g.invoke(C, "w", f"{API}.{{[static]counter.merge}}", a, b)  # own a, borrow b
    assert g.invoke(C, "w", f"{API}.{{counter.name}}", m) == "a+b"
    assert g.invoke(C, "w", "counter.add", m, 0) == 11
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        g.invoke(C, "w", "counter.add", a, 0)                      # a was given away
    assert g.invoke(C, "w", "consume", b) == "b"
    with pytest.raises(InvalidArgument):
        g.invoke(C, "w", "consume", b)
    assert g.invoke(C, "w", "maybe", None) is None
    n = g.invoke(C, "w", "maybe", "n")
    assert isinstance(n, ExportedResource) and n.resource == KEY


def test_handles_are_per_worker_and_checked_before_the_worker_runs(g):
    c = g.invoke(C, "alice", f"{API}.{{counter.new}}", "x")
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        g.invoke(C, "bob", f"{API}.{{counter.name}}", c)
    with pytest.raises(InvalidArgument):
        g.invoke(C, "alice", f"{API}.{{counter.name}}", "not a handle")
    with pytest.raises(InvalidArgument):
        g.invoke(C, "alice", f"{API}.{{counter.name}}", ExportedResource(KEY, 99))
    before = len(g.oplog(C, "alice"))
    with pytest.raises(InvalidArgument):
        g.invoke(C, "alice", "consume", ExportedResource(KEY, 99))
    assert len(g.oplog(C, "alice")) == before                      # nothing recorded


def test_a_crash_replays_and_the_handles_stay_valid(g):
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "c")
    tag = g.invoke(C, "w", "counter.tag", c)
    g.invoke(C, "w", "counter.add", c, 5)
    g.crash(C, "w")
    assert g.invoke(C, "w", "counter.add", c, 1) == 6              # replayed: 5 + 1
    assert g.invoke(C, "w", "counter.tag", c) == tag               # the random draw replayed
    d = g.invoke(C, "w", f"{API}.{{counter.new}}", "d")
    assert d.id == 2


def test_a_crash_inside_the_constructor(g):
    first = g.invoke(C, "w", f"{API}.{{counter.new}}", "first")
    g.crash(C, "w", after=1)        # right after the invocation's first host call
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "c")
    assert c.id == 2
    assert g.invoke(C, "w", "counter.name", first) == "first"
    draws = [e for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"
             and e["function_name"] == "golem random::get_random_u64"]
    assert len(draws) == 2          # each constructor's draw recorded once
    assert g.invoke(C, "w", "counter.tag", c) == draws[1]["response"].value


def _wid(g, name):
    from wit_world.imports import types as t  # golem:rpc/types (the only `types` here)

    u = g.registry.component(C).component_id.int
    return t.WorkerId(t.ComponentId(t.Uuid(u >> 64, u & (2**64 - 1))), name)


def _update(g, name, version):
    from wit_world.imports import host

    with g:
        host.update_worker(_wid(g, name), version, host.UpdateMode.AUTOMATIC)


def test_add_component_version_wasm_and_an_automatic_update(g, request):
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "c")
    tag = g.invoke(C, "w", "counter.tag", c)
    g.invoke(C, "w", "counter.add", c, 2)
    assert g.add_component_version(C, wasm=@WASM2@) == 1
    g.invoke(C, "other", f"{API}.{{counter.new}}", "o")
    assert g.worker(C, "other").component_version == 1               # new workers: the latest
    assert g.invoke(C, "other", "counter.name", ExportedResource(KEY, 1)) == "o (v2)"
    assert g.invoke(C, "w", "counter.name", c) == "c"                # w stays on version 0
    _update(g, "w", 1)
    if request.node.callspec.params["g"] == "source":
        # version 0 ran as Python source, whose host calls are not the .wasm's (CPython's
        # own start-up inside the component draws random bytes): replaying its oplog on
        # the .wasm diverges, so the automatic update fails and w stays on version 0
        assert g.updates[-1].outcome.startswith("failed: Automatic update failed: replay")
        assert "get_random_bytes" in g.updates[-1].outcome
        assert g.worker(C, "w").component_version == 0
        assert g.invoke(C, "w", "counter.name", c) == "c"
        return
    assert g.updates[-1].outcome == "successful"
    assert g.worker(C, "w").component_version == 1
    assert g.invoke(C, "w", "counter.name", c) == "c (v2)"           # the v2 .wasm, replayed
    assert g.invoke(C, "w", "counter.add", c, 1) == 3
    assert g.invoke(C, "w", "counter.tag", c) == tag
    assert g._wasm_of(C, 1) is not None


def test_a_snapshot_update_between_wasm_versions(g):
    from wit_world.imports import host

    g.invoke(C, "w", f"{API}.{{counter.new}}", "a")
    g.invoke(C, "w", f"{API}.{{counter.new}}", "b")
    g.add_component_version(C, wasm=@WASM2@)
    with g:
        host.update_worker(_wid(g, "w"), 1, host.UpdateMode.SNAPSHOT_BASED)
    assert g.updates[-1].outcome == "successful"
    assert g.worker(C, "w").component_version == 1
    assert g.invoke(C, "w", "created") == ["a", "b"]          # loaded from the snapshot
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "c")
    assert g.invoke(C, "w", "counter.name", c) == "c (v2)"    # the new version's .wasm
    assert g.invoke(C, "w", "created") == ["a", "b", "c"]


def test_a_new_version_may_be_python_code_again(g):
    g.add_component_version(C, wasm=@WASM2@)
    g.add_component_version(C, code="resource_app", path=@SRC@)
    c = g.invoke(C, "w", f"{API}.{{counter.new}}", "c")
    assert g.worker(C, "w").component_version == 2
    assert g._wasm_of(C, 2) is None and g._wasm_of(C, 1) is not None
    assert g.invoke(C, "w", "counter.name", c) == "c"
    with pytest.raises(ValueError, match="not both"):
        g.add_component_version(C, code="resource_app", path=@SRC@, wasm=@WASM2@)
'''


def test_exported_resources_on_source_and_wasm(pytester: pytest.Pytester,
                                               resource_wasm: tuple[Path, Path]) -> None:
    import build

    wit = pytester.path / "wit"
    (wit / "deps").mkdir(parents=True)
    shutil.copyfile(HERE / "wit_res" / "resource-test.wit", wit / "resource-test.wit")
    for dep in build.RESOURCE_TEST_DEPS:
        shutil.copytree(VENDORED_DEPS / dep, wit / "deps" / dep)
    pytester.makeini(f"[pytest]\ngolem_wit = {wit}\ngolem_world = resource-test\n")
    v1, v2 = resource_wasm
    pytester.makepyfile(test_inner=INNER.replace("@WASM@", repr(str(v1)))
                        .replace("@WASM2@", repr(str(v2)))
                        .replace("@SRC@", repr(str(HERE / "app_res"))))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=16)
