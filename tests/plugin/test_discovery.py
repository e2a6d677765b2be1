"""golem_fakes.discovery: which WIT a project's bindings come from."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from plugin_helpers import CART_WIT, make_app
from golem_fakes import discovery
from golem_fakes.discovery import DiscoveryError, discover, parse_componentize_command


@pytest.fixture(autouse=True)
def private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "cache"
    monkeypatch.setenv("GOLEM_FAKES_CACHE", str(cache))
    return cache


# --- the YAML reader -------------------------------------------------------------------


def test_mini_yaml_reads_golem_cli_manifests() -> None:
    from plugin_helpers import COMMON_MANIFEST, ROOT_MANIFEST

    root = discovery._MiniYaml(ROOT_MANIFEST, "golem.yaml").parse()
    assert root == {"includes": ["common-*/golem.yaml", "components-*/*/golem.yaml"],
                    "witDeps": ["wit/deps"]}
    common = discovery._MiniYaml(COMMON_MANIFEST, "golem.yaml").parse()
    py = common["templates"]["python"]
    assert py["sourceWit"] == "wit" and py["generatedWit"] == "wit-generated"
    assert [sorted(step) for step in py["build"]] == [
        ["command", "rmdirs", "sources", "targets"], ["command", "mkdirs", "sources", "targets"]]
    assert py["build"][0]["command"].startswith("uv run --package {{ component_name")
    assert '"wasi:http/types@0.2.3"="types"' in py["build"][0]["command"]
    assert py["build"][1]["sources"] == ["src", "../../common-python"]


def test_mini_yaml_scalars_quotes_flow_and_block() -> None:
    text = """\
a: 'it''s # not a comment'   # a comment
"b:c": "x\\ty"
n: 12
t: true
z: ~
flow: [one, "two, three", 4]
empty: {}
fm: {k: v, q: "w"}
lit: |
  line 1
    line 2
fold: >-
  folded
  text
plain: first
  continued
seq:
  -
    nested: 1
  - - inner
  - key: v
    other: w
"""
    assert discovery._MiniYaml(text, "t").parse() == {
        "a": "it's # not a comment", "b:c": "x\ty", "n": 12, "t": True, "z": None,
        "flow": ["one", "two, three", 4], "empty": {}, "fm": {"k": "v", "q": "w"},
        "lit": "line 1\n  line 2\n", "fold": "folded text", "plain": "first continued",
        "seq": [{"nested": 1}, ["inner"], {"key": "v", "other": "w"}]}


@pytest.mark.parametrize("text, fragment", [
    ("a: 1\na: 2\n", "duplicate key 'a'"),
    ("a:\n  b: 1\n c: 2\n", "indentation"),
    ("a: \"open\n", "unterminated"),
    ("a:\n\tb: 1\n", "tabs"),
])
def test_mini_yaml_errors_name_the_line_and_the_way_out(text: str, fragment: str) -> None:
    with pytest.raises(DiscoveryError) as e:
        discovery._MiniYaml(text, "app/golem.yaml").parse()
    assert fragment in str(e.value) and "app/golem.yaml:" in str(e.value)
    assert "pip install pyyaml" in str(e.value)


# --- componentize-py command lines --------------------------------------------------


def test_componentize_command_flags() -> None:
    o = parse_componentize_command(
        'uv run --package shop-cart componentize-py --import-interface-name '
        '"wasi:http/types@0.2.3"="types" -d wit-generated -w shop-cart --world-module mybind '
        '--export-interface-name shop:cart/cart-api=cart --features a,b --features c '
        '--full-names componentize -p src -w notaworld component -o x.wasm && echo done -w x')
    assert o is not None
    assert o.subcommand == "componentize" and o.wit_path == "wit-generated"
    assert o.worlds == ("shop-cart",)  # -w after the subcommand is not the world flag
    assert o.world_module == "mybind" and o.full_names
    assert o.import_names == (("wasi:http/types@0.2.3", "types"),)
    assert o.export_names == (("shop:cart/cart-api", "cart"),)
    assert o.features == ("a", "b", "c")
    assert "--world-module mybind" in o.describe()
    assert o.app == "component" and o.python_path == ("src",)


def test_componentize_app_module_and_python_path() -> None:
    o = parse_componentize_command(
        "componentize-py -d wit componentize --python-path=lib -p src -o out.wasm app.main -s")
    assert o is not None and o.app == "app.main" and o.python_path == ("lib", "src")
    assert parse_componentize_command("componentize-py -d wit bindings src").app is None


def test_discovery_finds_the_component_code(tmp_path: Path) -> None:
    """The code of a component: the ``componentize -p PATH MODULE`` build step, the
    first ``-p`` directory that holds the module (relative to the component)."""
    app = make_app(tmp_path)
    comp = app / "components-python" / "shop-cart"
    (comp / "src").mkdir(exist_ok=True)
    (comp / "src" / "component.py").write_text("x = 1\n")
    found = discover(comp)
    assert found.code == ("component", (comp / "src").resolve())
    assert "code: component in components-python/shop-cart/src" in found.reason


@pytest.mark.parametrize("command", [
    "cargo component build", "echo componentize", "python -m pip install componentize-py",
])
def test_other_commands_are_not_componentize_py(command: str) -> None:
    assert parse_componentize_command(command) is None


def test_python_dash_m_and_template_placeholders() -> None:
    o = parse_componentize_command(
        "python -m componentize_py --wit-path=gen/{{ component_name | to_snake_case }} bindings .",
        "shop:my-cart")
    assert o is not None and o.wit_path == "gen/shop_my_cart" and o.subcommand == "bindings"


def test_bad_interface_name_override_is_reported() -> None:
    with pytest.raises(DiscoveryError, match="is not KEY=NAME"):
        parse_componentize_command("componentize-py --import-interface-name types bindings x")


def test_componentize_py_pin(tmp_path: Path) -> None:
    p = tmp_path / "pyproject.toml"
    p.write_text('[dependency-groups]\ndev = ["urllib3", "componentize-py==0.17.0"]\n')
    assert discovery.componentize_py_pin(p) == "0.17.0"
    p.write_text('[project]\ndependencies = ["componentize-py>=0.16"]\n')
    assert discovery.componentize_py_pin(p) is None
    p.write_text('[tool.uv]\ndev-dependencies = ["componentize_py == 0.19.3"]\n')
    assert discovery.componentize_py_pin(p) == "0.19.3"
    assert discovery.componentize_py_pin(tmp_path / "missing.toml") is None


# --- Golem applications ---------------------------------------------------------------


def test_app_component_with_source_wit_and_witdeps(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    comp = app / "components-python" / "shop-cart"
    d = discover(comp)
    assert d.kind == "golem-app" and d.component == "shop:cart"
    assert d.install_kwargs["version"] == "0.17.0"
    assert d.install_kwargs["interface_names"] == {
        "wasi:http/types@0.2.3": "types", "wasi:http/outgoing-handler@0.2.3": "outgoing_handler"}
    wit = Path(d.install_kwargs["wit"])
    # the merged tree: the component's package + the application's witDeps as deps/
    assert (wit / "shop-cart.wit").read_text() == CART_WIT
    assert (wit / "deps" / "golem-1.x" / "golem-host.wit").is_file()
    assert "from golem.yaml" in d.reason and "wit-generated not built yet" in d.reason
    assert "componentize-py==0.17.0" in d.reason
    # the same content gives the same (shared, atomically written) directory
    assert discover(comp).install_kwargs["wit"] == wit
    # and it loads
    from golem_fakes.wit import load

    assert load(wit).world("shop-cart").name == "shop-cart"


def test_app_prefers_an_up_to_date_wit_generated(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    comp = app / "components-python" / "shop-cart"
    gen = comp / "wit-generated"
    gen.mkdir()
    (gen / "shop-cart.wit").write_text(CART_WIT)
    d = discover(comp)
    assert d.install_kwargs["wit"] == gen and "the build's generated WIT" in d.reason
    # a source edited after the build makes wit-generated stale
    src = comp / "wit" / "shop-cart.wit"
    later = time.time() + 10
    os.utime(src, (later, later))
    d = discover(comp)
    assert d.install_kwargs["wit"] != gen and "older than its sources" in d.reason


def test_app_root_with_one_component_and_golem_component(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    assert discover(app).component == "shop:cart"
    assert discover(app / "components-python", component="shop:cart").component == "shop:cart"
    with pytest.raises(DiscoveryError, match=r"golem_component = 'shop:nope'.*shop:cart"):
        discover(app, component="shop:nope")


def test_app_with_several_components(tmp_path: Path) -> None:
    other = CART_WIT.replace("shop:cart", "shop:stock").replace("shop-cart", "shop-stock")
    app = make_app(tmp_path / "app", {"shop:cart": CART_WIT, "shop:stock": other})
    with pytest.raises(DiscoveryError) as e:
        discover(app)
    assert "2 components (shop:cart, shop:stock)" in str(e.value)
    assert "golem_component" in str(e.value)
    assert discover(app, component="shop:stock").component == "shop:stock"
    inside = app / "components-python" / "shop-stock" / "tests"
    inside.mkdir()
    assert discover(inside).component == "shop:stock"


def test_component_own_build_and_profiles_override_template(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    comp = app / "components-python" / "shop-cart"
    (comp / "golem.yaml").write_text("""\
components:
  shop:cart:
    template: python
    defaultProfile: release
    profiles:
      debug:
        build:
        - command: componentize-py -w debug-world bindings src
      release:
        build:
        - command: componentize-py -d wit -w shop-cart --world-module cart_bindings componentize app -o x.wasm
""")
    d = discover(comp)
    assert d.install_kwargs["world"] == "shop-cart"
    assert d.install_kwargs["package"] == "cart_bindings"
    assert "interface_names" not in d.install_kwargs


def test_unknown_template_and_missing_wit(tmp_path: Path) -> None:
    app = make_app(tmp_path / "app")
    comp = app / "components-python" / "shop-cart"
    (comp / "golem.yaml").write_text("components:\n  shop:cart:\n    template: rust\n")
    with pytest.raises(DiscoveryError, match="template 'rust'.*templates found: python"):
        discover(comp)
    (comp / "golem.yaml").write_text("components:\n  shop:cart:\n    template: python\n")
    for f in (comp / "wit").iterdir():
        f.unlink()
    with pytest.raises(DiscoveryError, match="has no WIT.*golem-cli app build"):
        discover(comp)


def test_plain_wit_dir_and_vendored(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    d = discover(tmp_path)
    assert d.kind == "vendored" and d.install_kwargs == {} and "vendored" in d.reason
    (tmp_path / "wit").mkdir()
    (tmp_path / "wit" / "w.wit").write_text("package a:b;\nworld w {}\n")
    d = discover(tmp_path)
    assert d.kind == "wit-dir" and d.install_kwargs == {"wit": tmp_path / "wit"}
    assert "plain wit/" in d.reason


def test_discovery_stops_at_the_repository_root(tmp_path: Path) -> None:
    make_app(tmp_path / "outer")
    (tmp_path / "outer" / ".git").rmdir()
    inner = tmp_path / "outer" / "vendor" / "lib"
    (inner / ".git").mkdir(parents=True)
    assert discover(inner).kind == "vendored"
    assert discover(tmp_path / "outer" / "vendor").kind == "golem-app"
