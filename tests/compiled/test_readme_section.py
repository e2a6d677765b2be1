"""The README section "Testing a built component" runs, against the linker's test
component (``wasm_path``)."""

from __future__ import annotations

import re
from pathlib import Path

import golem_fakes

README = Path(__file__).parents[2] / "README.md"
TITLE = "## Testing a built component"


def test_readme_section_runs(linker_wasm: Path) -> None:
    text = README.read_text(encoding="utf-8")
    assert TITLE in text
    blocks = re.findall(r"```python\n(.*?)```", text.split(TITLE, 1)[1].split("\n## ", 1)[0],
                        flags=re.S)
    assert blocks, "the section lost its example"
    golem_fakes.install()
    golem = golem_fakes.Golem(seed=0)
    namespace = {"golem": golem, "wasm_path": linker_wasm, "__name__": "readme_example"}
    for i, code in enumerate(blocks):
        exec(compile(code, f"README.md[{TITLE}] block {i + 1}", "exec"), namespace)
    assert golem.keyvalue["cart"]["alice"] == b"2 apples"
