"""``GolemApp.built_wasm``: the ``linkedWasm`` / ``componentWasm`` of a golem.yaml after
a build, as golem-cli lays them out (examples/shop's template)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from golem_fakes.discovery import DiscoveryError, find_app

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop"


def _app(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(SHOP, root, ignore=shutil.ignore_patterns("__pycache__"))
    (root / ".git").mkdir()  # the repository root: discovery stops here
    return root


def test_no_build_no_wasm(tmp_path: Path) -> None:
    app = find_app(_app(tmp_path))
    assert app is not None
    assert app.built_wasm("shop:cart") is None
    # examples/shop has two components (shop:cart, shop:inventory): the name is needed
    with pytest.raises(DiscoveryError, match="has 2 components"):
        app.built_wasm()


def test_component_wasm_then_linked_wasm(tmp_path: Path) -> None:
    root = _app(tmp_path)
    app = find_app(root / "components-python" / "shop-cart")
    assert app is not None
    component = root / "golem-temp" / "python" / "components" / "shop_cart.wasm"
    component.parent.mkdir(parents=True)
    component.write_bytes(b"\0asm")
    assert app.built_wasm("shop:cart") == component.resolve()
    linked = root / "golem-temp" / "components" / "shop_cart.wasm"
    linked.parent.mkdir(parents=True)
    linked.write_bytes(b"\0asm")
    assert app.built_wasm("shop:cart") == linked.resolve()  # the uploaded one wins


def test_unknown_component_is_named(tmp_path: Path) -> None:
    app = find_app(_app(tmp_path))
    assert app is not None
    with pytest.raises(DiscoveryError, match="no component 'shop:nope'"):
        app.built_wasm("shop:nope")
