"""The README section "Key-value and blob stores" runs: its ``python`` blocks are executed
in order, in one namespace, with ``golem`` bound to a fresh :class:`golem_fakes.Golem`
(what the pytest fixture gives a test). An example that stops matching the code fails
here. The backend tables of the section must also list every flavour the stores accept."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import golem_fakes
from golem_fakes.state import blobstore as blob_state
from golem_fakes.state import keyvalue as kv_state

README = Path(__file__).parents[2] / "README.md"
TITLE = "## Key-value and blob stores"


def section() -> str:
    text = README.read_text(encoding="utf-8")
    assert TITLE in text, f"README.md has no section {TITLE!r}"
    body = text.split(TITLE, 1)[1]
    return body.split("\n## ", 1)[0]


def blocks() -> list[str]:
    found = re.findall(r"```python\n(.*?)```", section(), flags=re.S)
    assert len(found) >= 5, "the section lost its examples"
    return found


def test_readme_store_examples_run() -> None:
    golem_fakes.install()
    with golem_fakes.Golem(seed=0) as golem:
        namespace = {"golem": golem, "__name__": "readme_example"}
        for i, code in enumerate(blocks()):
            try:
                exec(compile(code, f"README.md[{TITLE}] block {i + 1}", "exec"), namespace)
            except BaseException as e:   # noqa: BLE001 - say which block, then re-raise
                raise AssertionError(f"README block {i + 1} failed:\n{code}") from e
        assert golem.keyvalue.backend == "redis" and golem.blobstore.backend == "s3"


@pytest.mark.parametrize("flavour", kv_state.BACKENDS + blob_state.BACKENDS)
def test_readme_tables_cover_every_flavour(flavour: str) -> None:
    assert f"`\"{flavour}\"`" in section()
