"""Imports outside the installed world are linked to the fakes too.

A componentize-py component imports more than its world: the runtime imports
``wasi:cli/*``, ``wasi:filesystem/*``, ``wasi:random/*`` and ``wasi:sockets/*``
(``@0.2.0`` in componentize-py 0.17) whatever the world says, and Golem's executor links
every interface it implements. Here the installed bindings (the pytest plugin's
``golem_wit``) are of a *narrow* world that imports only ``golem:api/host`` and the
test's ``missing`` interface, while the component is the linker's test component (its
world also imports keyvalue, clocks and random). Every import the fakes implement must
link (through golem-fakes' vendored world, :class:`golem_fakes.compiled.linker.Model`)
to the same behaviours, overrides and state.

The run is a pytester subprocess: bindings are installed once per process.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
VENDORED_DEPS = HERE.parent.parent / "golem_fakes" / "data" / "wit" / "deps"

pytest_plugins = ["pytester"]


def _narrow_wit(root: Path) -> Path:
    """The linker test package with one more world, ``linker-narrow``, and its deps."""
    import build  # tests/compiled/build.py (the linker_wasm fixture put it on sys.path)

    wit = root / "wit"
    (wit / "deps").mkdir(parents=True)
    text = (HERE / "wit" / "linker-test.wit").read_text()
    text += """
world linker-narrow {
  import golem:api/host@1.1.7;
  import missing;
  export api;
}
"""
    (wit / "linker-test.wit").write_text(text)
    for dep in build.LINKER_TEST_DEPS:
        shutil.copytree(VENDORED_DEPS / dep, wit / "deps" / dep)
    return wit


INNER = '''
import datetime as dt
import pytest
from golem_fakes import Golem
from golem_fakes.bindings.runtime import NotFaked

WASM = @WASM@


@pytest.fixture
def g(golem: Golem) -> Golem:
    golem.add_component("lt", wasm=WASM, files={"/data/hello.txt": b"hi there"})
    return golem


def test_the_installed_world_is_the_narrow_one():
    from golem_fakes.bindings.install import installed
    assert installed().world == "linker-narrow"
    import wit_world.imports
    assert not hasattr(wit_world.imports, "eventual")


def test_interfaces_outside_the_world_are_served(g):
    g.invoke("lt", "w1", "kv-set", "cart", "alice", b"3 apples")          # keyvalue
    assert g.keyvalue["cart"]["alice"] == b"3 apples"
    g.clock.advance(dt.timedelta(seconds=30))
    seconds, nanos = g.invoke("lt", "w1", "now")                           # wall-clock
    assert seconds * 1000 + nanos // 1_000_000 == g.clock.wall_ms()
    other = Golem(seed=g.seed)
    other.add_component("lt", wasm=WASM)
    assert g.invoke("lt", "w1", "random-u64") == other.invoke("lt", "w1", "random-u64")
    assert g.invoke("lt", "w1", "read-file", "/data/hello.txt") == "hi there"  # runtime fs
    g.invoke("lt", "w1", "write-file", "/data/out.txt", "written")
    assert g.filesystem("lt", "w1")["/data/out.txt"] == b"written"
    g.invoke("lt", "w1", "say", "hello")                                   # runtime stdout
    assert g.console("lt", "w1").stdout == b"hello\\n"
    assert g.invoke("lt", "w1", "self-name") == "w1"                      # in the world


def test_the_report_names_what_came_from_the_vendored_world(g):
    g.invoke("lt", "w1", "self-name")
    report = g._wasm_of("lt").report
    assert report.trapping == {}  # `missing` is in the world: linked, without a behaviour
    assert "golem:api/host@1.1.7#get-self-metadata" in report.linked
    assert "wasi:keyvalue/eventual@0.1.0#set" in report.linked
    assert any(x.startswith("wasi:filesystem/types@0.2.0#") and
               x.endswith("(as wasi:filesystem/types@0.2.3)") for x in report.linked)
    with pytest.raises(NotFaked) as e:
        g.invoke("lt", "w1", "call-missing")
    assert e.value.interface == "golem-fakes:linker-test/missing"
    g.implement("golem-fakes:linker-test/missing", "nothing", lambda env: 5)
    assert g.invoke("lt", "w2", "call-missing") == 5


def test_the_same_behaviours_and_overrides_apply(g):
    g.implement("wasi:random/random@0.2.3", "get-random-u64", lambda env: 42)
    assert g.invoke("lt", "w1", "random-u64") == 42
    assert g.call_count("wasi:random/random@0.2.3", "get-random-u64") == 1
'''


def test_a_component_on_a_narrower_installed_world(pytester: pytest.Pytester,
                                                    linker_wasm: Path) -> None:
    wit = _narrow_wit(pytester.path)
    pytester.makeini(f"[pytest]\ngolem_wit = {wit}\ngolem_world = linker-narrow\n")
    pytester.makepyfile(test_inner=INNER.replace("@WASM@", repr(str(linker_wasm))))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=4)


def test_semver_compatible_imports_link_older_and_newer(linker_wasm: Path) -> None:
    """wasmtime 33's ``NameMap``: the newest definition on the import's track, whether the
    import is older or newer than it; another track does not match."""
    import golem_fakes
    from golem_fakes.compiled.linker import Model

    golem_fakes.install()
    model = Model.installed()
    stdin = model.interface("wasi:cli/stdin@0.2.3")
    assert stdin is not None and stdin.qualified_name == "wasi:cli/stdin@0.2.3"
    assert model.interface("wasi:cli/stdin@0.2.0") is stdin
    assert model.interface("wasi:cli/stdin@0.2.12") is stdin  # jco >= 1.33 imports 0.2.12
    assert model.interface("wasi:cli/stdin@0.3.0") is None
    assert model.interface("wasi:cli/stdin@0.2.0-rc-2023-11-10") is None  # exact only
    host = model.interface("golem:api/host@1.1.7")
    assert host is not None and model.interface("golem:api/host@1.9.0") is host
    assert model.interface("golem:api/host@2.0.0") is None
    assert model.in_installed_world(host)
