"""The README's TypeScript example ("Testing a built component" / "A TypeScript
worker") runs: its test function, against the built ts-cart component."""

from __future__ import annotations

import re
from pathlib import Path

from golem_fakes import Golem

README = Path(__file__).parents[3] / "README.md"
TITLE = "### A TypeScript worker"


def test_the_readme_typescript_example_passes(golem: Golem, ts_cart_wasm: Path) -> None:
    section = README.read_text(encoding="utf-8").split(TITLE, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    assert len(blocks) == 1, "the section's example is one test file"
    namespace: dict[str, object] = {"__name__": "readme_ts_example"}
    exec(compile(blocks[0], f"README.md[{TITLE}]", "exec"), namespace)
    tests = [v for k, v in namespace.items() if k.startswith("test_") and callable(v)]
    assert len(tests) == 1
    tests[0](golem, wasm=ts_cart_wasm)   # the golem fixture, the built component
    assert golem.registry.find("ts-cart", "alice") is not None
