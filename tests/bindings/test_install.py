"""``golem_fakes.install()``: cache, import hook, idempotence, conflicts."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
import importlib

from golem_fakes.bindings import importer
from golem_fakes.bindings.errors import BindingsAlreadyInstalled, BindingsConflict

install_mod = importlib.import_module("golem_fakes.bindings.install")

sys.path.insert(0, str(Path(__file__).parent))
from test_codegen import KITCHEN_WIT, kitchen_world  # noqa: E402


class _FakeResolve:
    def world(self, name: str | None = None) -> Any:
        w = kitchen_world()
        assert name in (None, w.name)
        return w


@pytest.fixture
def kitchen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A WIT dir for the kitchen world, a private cache, the hand-built model as the
    loader's result (so these tests do not depend on the WIT parser)."""
    wit = tmp_path / "wit"
    wit.mkdir()
    (wit / "kitchen.wit").write_text(KITCHEN_WIT)
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(tmp_path / "cache"))
    loads: list[Path] = []

    def fake_load(path: Path, features: Any, all_features: bool = False) -> _FakeResolve:
        loads.append(path)
        return _FakeResolve()

    monkeypatch.setattr(install_mod, "_load", fake_load)
    install_mod._uninstall()
    yield wit
    install_mod._uninstall()


def test_install_serves_modules_and_is_idempotent(kitchen: Path) -> None:
    inst = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")
    assert inst.generated and inst.package == "wit_world" and inst.layout == "0.19"
    assert "wit_world.imports.kitchen" in inst.modules
    assert golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3") is inst

    from wit_world.imports import kitchen as k  # type: ignore[import-not-found]
    import componentize_py_types  # type: ignore[import-not-found]

    from golem_fakes.bindings.result import Err

    assert k.Err is Err and componentize_py_types.Err is Err
    assert Err.__module__ == "componentize_py_types"
    assert Path(k.__file__).is_relative_to(inst.cache_path)
    src = inspect.getsource(k.res_t_e)
    assert src.startswith("def res_t_e(ok: bool) -> str:")
    assert k.Color.GREEN_ISH.value == 1


def test_second_install_with_other_arguments_is_refused(kitchen: Path) -> None:
    golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")
    with pytest.raises(BindingsAlreadyInstalled) as e:
        golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3",
                            package="mybind")
    msg = str(e.value)
    assert "already installed" in msg and "'kitchen-world'" in msg and "package=" in msg


def test_warm_start_skips_parsing_and_codegen(kitchen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cold = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")
    install_mod._uninstall()

    def boom(*a: Any, **k: Any) -> None:
        raise AssertionError("warm start must not parse or generate")

    monkeypatch.setattr(install_mod, "_load", boom)
    monkeypatch.setattr(install_mod, "_generate", boom)
    warm = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")
    assert not warm.generated and warm.cache_path == cold.cache_path
    from wit_world.imports import kitchen as k  # type: ignore[import-not-found]

    assert k.Counter.__name__ == "Counter"


def test_cache_key_changes_with_wit_and_options(kitchen: Path) -> None:
    a = importer.cache_key(kitchen, {"world": "w"}, "1")
    assert importer.cache_key(kitchen, {"world": "w"}, "1") == a
    assert importer.cache_key(kitchen, {"world": "v"}, "1") != a
    assert importer.cache_key(kitchen, {"world": "w"}, "2") != a
    (kitchen / "kitchen.wit").write_text(KITCHEN_WIT + "\n// changed\n")
    assert importer.cache_key(kitchen, {"world": "w"}, "1") != a


def test_layout_016_and_package_override(kitchen: Path) -> None:
    inst = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.16.0")
    assert inst.package == "kitchen_world" and inst.top_level == ("kitchen_world",)
    import kitchen_world  # type: ignore[import-not-found]
    from kitchen_world import types  # type: ignore[import-not-found]

    from golem_fakes.bindings.result import Ok

    assert types.Ok is Ok and kitchen_world.KitchenWorld.__name__ == "KitchenWorld"
    install_mod._uninstall()
    inst = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3",
                               package="mybind")
    import mybind  # type: ignore[import-not-found]

    assert inst.package == "mybind" and hasattr(mybind, "Mybind")


def test_conflict_with_componentize_py_output_on_sys_path(
        kitchen: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stubs = tmp_path / "project"
    (stubs / "wit_world").mkdir(parents=True)
    (stubs / "wit_world" / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(stubs))
    with pytest.raises(BindingsConflict) as e:
        golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")
    msg = str(e.value)
    assert str(stubs / "wit_world") in msg
    assert "componentize-py bindings" in msg and "delete or move" in msg and "package=" in msg
    assert isinstance(e.value, RuntimeError)
    # another package name avoids the clash
    inst = golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3",
                               package="fakes_world")
    assert inst.package == "fakes_world"


def test_conflict_with_already_imported_module(kitchen: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import types

    fake = types.ModuleType("componentize_py_types")
    fake.__file__ = "/somewhere/componentize_py_types.py"
    monkeypatch.setitem(sys.modules, "componentize_py_types", fake)
    with pytest.raises(BindingsConflict, match="/somewhere/componentize_py_types.py"):
        golem_fakes.install(wit=kitchen, world="kitchen-world", version="0.19.3")


def test_write_tree_is_race_safe(tmp_path: Path) -> None:
    target = tmp_path / "c" / "key"
    errors: list[BaseException] = []

    def write(i: int) -> None:
        try:
            importer.write_tree(target, {"pkg/__init__.py": "X = 1\n"}, {"modules": ["pkg"]})
        except BaseException as e:  # pragma: no cover
            errors.append(e)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert (target / "pkg" / "__init__.py").read_text() == "X = 1\n"
    assert importer.read_manifest(target) == {"modules": ["pkg"]}
    assert [p.name for p in target.parent.iterdir()] == ["key"]


def test_import_golem_fakes_is_light() -> None:
    code = ("import sys, golem_fakes; golem_fakes.install; "
            "print(sorted(m for m in sys.modules if m.startswith('golem_fakes')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    mods = json.loads(out.stdout.replace("'", '"'))
    assert "golem_fakes.wit.parser" not in mods and "golem_fakes.bindings.codegen" not in mods


@pytest.mark.skipif(not (Path(install_mod.__file__).parent.parent / "wit" / "__init__.py").exists(),
                    reason="WIT parser not available yet")
def test_default_install_cold_and_warm(tmp_path: Path) -> None:
    """The vendored all-imports world, in fresh processes: cold generates, warm only
    reads the cache (and is much faster)."""
    env = dict(os.environ, GOLEM_FAKES_CACHE=str(tmp_path / "cache"))
    code = ("import time, sys; t=time.perf_counter(); import golem_fakes; "
            "i = golem_fakes.install(); from wit_world.imports import host; "
            "print(i.generated, time.perf_counter()-t, "
            "'golem_fakes.wit.parser' in sys.modules)")
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                             env=env, check=True)
        generated, seconds, parsed = out.stdout.split()
        runs.append((generated == "True", float(seconds), parsed == "True"))
    (cold_gen, cold_s, cold_parsed), (warm_gen, warm_s, warm_parsed) = runs
    print(f"\ninstall all-imports: cold {cold_s*1000:.0f} ms, warm {warm_s*1000:.0f} ms")
    assert cold_gen and cold_parsed and not warm_gen and not warm_parsed
    assert warm_s < cold_s


FEATURES_WIT = Path(__file__).parents[1] / "wit" / "data" / "features"


@pytest.mark.parametrize("kwargs, shiny", [
    ({}, False),
    ({"features": ["shiny"]}, True),
    ({"all_features": True}, True),
])
def test_unstable_features_are_left_out_unless_enabled(tmp_path: Path, kwargs: dict[str, Any],
                                                       shiny: bool) -> None:
    """``features=`` / ``all_features=`` are componentize-py's ``--features`` /
    ``--all-features``: ``@unstable`` items exist only when their feature is enabled."""
    code = (
        "import golem_fakes, json\n"
        f"golem_fakes.install(wit={str(FEATURES_WIT)!r}, world='app', **{kwargs!r})\n"
        "from wit_world.imports import stable_things\n"
        "import importlib.util as u\n"
        "print(json.dumps([hasattr(stable_things, 'shiny'), hasattr(stable_things, 'ShinyRec'),\n"
        "                  u.find_spec('wit_world.imports.shiny_iface') is not None]))\n")
    env = dict(os.environ, GOLEM_FAKES_CACHE=str(tmp_path / "cache"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                         cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == [shiny, shiny, shiny]
