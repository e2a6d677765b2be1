"""Helpers for tests/plugin: a fake Golem Python application tree (imported by name,
so it must not be called ``conftest``: other test folders have one too)."""

from __future__ import annotations

import shutil
from pathlib import Path

from golem_fakes.bindings import importer
from golem_fakes.bindings.install import vendored_wit

#: The binding cache of the user running the suite, captured before pytester points
#: HOME at a temporary folder: subprocess runs then start warm (the cache is shared
#: safely: entries are written once and renamed into place).
REAL_CACHE = importer.cache_root()

CART_WIT = """\
package shop:cart;

interface cart-api {
  add: func(item: string, qty: u32);
  total: func() -> u32;
}

world shop-cart {
  import wasi:http/outgoing-handler@0.2.3;
  import wasi:cli/environment@0.2.3;
  import golem:api/host@1.1.7;
  export cart-api;
}
"""

# The shape of golem-cli's python templates (golem-templates/templates/python/...).
ROOT_MANIFEST = """\
# golem-app-manifest-header

includes:
- common-*/golem.yaml
- components-*/*/golem.yaml
witDeps:
- wit/deps
"""

COMMON_MANIFEST = """\
# golem-app-manifest-header

templates:
  python:
    build:
    - command: uv run --package {{ component_name | to_kebab_case }} componentize-py --import-interface-name "wasi:http/types@0.2.3"="types" --import-interface-name "wasi:http/outgoing-handler@0.2.3"="outgoing_handler" --wit-path wit-generated bindings src
      rmdirs:
      - src/wit_world
      sources:
      - wit-generated
      targets:
      - src/wit_world
    - command: uv run --package {{ component_name | to_kebab_case }} componentize-py --import-interface-name "wasi:http/types@0.2.3"="types" --import-interface-name "wasi:http/outgoing-handler@0.2.3"="outgoing_handler" --wit-path wit-generated componentize -p src component -o ../../golem-temp/python/components/{{ component_name | to_snake_case }}.wasm
      mkdirs:
      - ../../golem-temp/python/components
      sources:
      - src
      - ../../common-python
      targets:
      - ../../golem-temp/python/components/{{ component_name | to_snake_case }}.wasm
    sourceWit: wit
    generatedWit: wit-generated
    componentWasm: ../../golem-temp/python/components/{{ component_name | to_snake_case }}.wasm
    linkedWasm: ../../golem-temp/components/{{ component_name | to_snake_case }}.wasm
"""

COMPONENT_MANIFEST = """\
# golem-app-manifest-header

components:
  {name}:
    template: python

# golem-app-manifest-component-hints
"""

COMPONENT_PYPROJECT = """\
[project]
name = "{kebab}"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[dependency-groups]
dev = [
    "componentize-py==0.17.0",
    "urllib3",
]

[tool.pytest.ini_options]
pythonpath = ["src"]
"""

CART_COMPONENT = """\
from wit_world import exports
from wit_world.imports import host, outgoing_handler, types

total_qty = 0


class CartApi(exports.CartApi):
    def add(self, item: str, qty: int) -> None:
        global total_qty
        total_qty += qty

    def total(self) -> int:
        return total_qty
"""


def make_app(root: Path, components: dict[str, str] | None = None) -> Path:
    """Write a Golem Python application like ``golem-cli app new`` + ``component new``
    would: root golem.yaml with witDeps, common-python template, one directory per
    component (``components-python/<kebab>``) with golem.yaml, pyproject.toml, wit/ and
    src/. ``components`` maps component name → WIT text. Returns ``root``."""
    components = components or {"shop:cart": CART_WIT}
    root.mkdir(parents=True, exist_ok=True)
    (root / ".git").mkdir(exist_ok=True)  # the repository boundary discovery stops at
    (root / "golem.yaml").write_text(ROOT_MANIFEST)
    shutil.copytree(vendored_wit() / "deps", root / "wit" / "deps", dirs_exist_ok=True)
    (root / "wit" / "common.wit").write_text("package common:root;\n")
    (root / "common-python").mkdir(exist_ok=True)
    (root / "common-python" / "golem.yaml").write_text(COMMON_MANIFEST)
    for name, wit in components.items():
        kebab = name.replace(":", "-")
        d = root / "components-python" / kebab
        (d / "wit").mkdir(parents=True, exist_ok=True)
        (d / "src").mkdir(exist_ok=True)
        (d / "golem.yaml").write_text(COMPONENT_MANIFEST.format(name=name))
        (d / "pyproject.toml").write_text(COMPONENT_PYPROJECT.format(kebab=kebab))
        (d / "wit" / f"{kebab}.wit").write_text(wit)
        if wit is CART_WIT:
            (d / "src" / "component.py").write_text(CART_COMPONENT)
    return root
