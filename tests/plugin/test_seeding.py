"""golem_fakes.seeding: per-test seeds from the global seed and the node id."""

from __future__ import annotations

import subprocess
import sys

import pytest

from golem_fakes import seeding


def test_seed_depends_on_global_seed_and_node_id_only() -> None:
    a = seeding.test_seed(0, "tests/test_x.py::test_a")
    assert a == seeding.test_seed(0, "tests/test_x.py::test_a")
    assert a != seeding.test_seed(0, "tests/test_x.py::test_b")
    assert a != seeding.test_seed(1, "tests/test_x.py::test_a")
    assert 0 <= a < 2 ** seeding.SEED_BITS


def test_seed_is_the_same_in_another_process_with_another_hash_seed() -> None:
    """BLAKE2b, not hash(): PYTHONHASHSEED must not matter."""
    code = ("from golem_fakes import seeding; "
            "print(seeding.test_seed(7, 'tests/t.py::test_\u00e9[1-2]'))")
    outs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                           check=True, env={"PYTHONHASHSEED": h, "PATH": ""}).stdout.strip()
            for h in ("1", "2", "random")}
    assert outs == {str(seeding.test_seed(7, "tests/t.py::test_\u00e9[1-2]"))}


def test_seeds_of_many_tests_are_distinct() -> None:
    seeds = {seeding.test_seed(0, f"tests/test_m.py::test_{i}") for i in range(2000)}
    assert len(seeds) >= 1999  # 32-bit: a collision among 2000 is ~0.05 % likely


@pytest.mark.parametrize("raw, expected", [("0", 0), (" 42 ", 42), ("0x10", 16), (5, 5),
                                           ("random", None), ("RANDOM", None)])
def test_parse_seed(raw: str | int, expected: int | None) -> None:
    assert seeding.parse_seed(raw, source="--golem-seed") == expected


@pytest.mark.parametrize("raw, fragment", [("abc", "is not a seed"), ("-3", "negative")])
def test_parse_seed_errors(raw: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment) as e:
        seeding.parse_seed(raw, source="golem_seed")
    assert "golem_seed" in str(e.value)


def test_describe_quotes_the_node_id_for_the_shell() -> None:
    line = seeding.describe("tests/t.py::test_a[x y]", 123, 9)
    assert line == ("golem-fakes: seed 123 (global seed 9); reproduce with: "
                    "pytest 'tests/t.py::test_a[x y]' --golem-seed 9")
    assert "set by @pytest.mark.golem" in seeding.describe("t.py::t", 5, 0, marker_seed=True)
