"""wasi:random: seeded per worker, the same in every process, recorded, limited like
wasmtime, and controlled by hypothesis inside ``@given``."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest
from hypothesis import given, settings, strategies as st

import golem_fakes
from golem_fakes.bindings.result import Ok
from golem_fakes.state.randomness import MAX_RANDOM_LEN

LIMIT = 67108864

DRAW = """
import json, sys, golem_fakes
golem_fakes.install()
from wit_world.imports import random, insecure, insecure_seed
out = []
for seed in (1, 2):
    with golem_fakes.Golem(seed=seed):
        out.append([random.get_random_bytes(16).hex(), random.get_random_u64(),
                    insecure.get_insecure_random_bytes(16).hex(),
                    insecure.get_insecure_random_u64(), list(insecure_seed.insecure_seed())])
print(json.dumps(out))
"""


def draw_in_subprocess(hashseed: str) -> list[object]:
    env = {"PYTHONHASHSEED": hashseed, "PATH": "/usr/bin:/bin"}
    r = subprocess.run([sys.executable, "-c", DRAW], capture_output=True, text=True, check=True,
                       timeout=120, env=env)
    return json.loads(r.stdout)  # type: ignore[no-any-return]


def test_same_seed_same_bytes_in_every_process() -> None:
    a, b = draw_in_subprocess("1"), draw_in_subprocess("2")  # different str-hash salts
    assert a == b
    assert a[0] != a[1]  # different Golem seeds: different values


def test_values_and_types(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    data = wasi.random.get_random_bytes(32)
    assert type(data) is bytes and len(data) == 32
    assert wasi.random.get_random_bytes(0) == b""
    assert 0 <= wasi.random.get_random_u64() < 2**64
    assert 0 <= wasi.insecure.get_insecure_random_u64() < 2**64
    lo, hi = wasi.insecure_seed.insecure_seed()
    assert 0 <= lo < 2**64 and 0 <= hi < 2**64
    assert len({wasi.random.get_random_u64() for _ in range(50)}) == 50


def test_secure_and_insecure_are_distinct_streams(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert wasi.random.get_random_bytes(16) != wasi.insecure.get_insecure_random_bytes(16)


def test_insecure_seed_is_fixed_per_worker(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    first = wasi.insecure_seed.insecure_seed()
    wasi.insecure.get_insecure_random_bytes(100)
    assert wasi.insecure_seed.insecure_seed() == first
    with g.run_as("component", "other"):
        assert wasi.insecure_seed.insecure_seed() != first


def test_streams_are_per_worker(wasi: SimpleNamespace) -> None:
    with golem_fakes.Golem(seed=9) as g1:
        with g1.run_as("comp", "a"):
            a_alone = wasi.random.get_random_bytes(8)
    with golem_fakes.Golem(seed=9) as g2:
        with g2.run_as("comp", "b"):
            b = wasi.random.get_random_bytes(8)
        with g2.run_as("comp", "a"):
            a_after_b = wasi.random.get_random_bytes(8)
    assert a_alone == a_after_b != b  # b's draws do not shift a's stream


def test_every_call_is_recorded(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    b = wasi.random.get_random_bytes(5)
    u = wasi.random.get_random_u64()
    ib = wasi.insecure.get_insecure_random_bytes(3)
    iu = wasi.insecure.get_insecure_random_u64()
    s = wasi.insecure_seed.insecure_seed()
    got = [(e["function_name"], e["request"], e["response"], e["durable_function_type"])
           for e in g.oplog() if e.kind == "imported-function-invoked"]
    assert got == [
        ("golem random::get_random_bytes", 5, Ok(b), "read-local"),
        ("golem random::get_random_u64", None, Ok(u), "read-local"),
        ("golem random::insecure::get_insecure_random_bytes", 3, Ok(ib), "read-local"),
        ("golem random::insecure::get_insecure_random_u64", None, Ok(iu), "read-local"),
        ("golem random::insecure_seed::insecure_seed", None, Ok(s), "read-local"),
    ]


def test_above_wasmtime_43s_limit_is_served_as_by_wasmtime_33(wasi: SimpleNamespace,
                                                               g: golem_fakes.Golem) -> None:
    # wasmtime 33.0.0 (Golem v1.3.0-dev.25) has no max-random-size: 64 MiB + 1 is served
    # and recorded (wasmtime 43+ traps `requested len N exceeds limit 67108864`)
    b = wasi.random.get_random_bytes(LIMIT + 1)
    ib = wasi.insecure.get_insecure_random_bytes(LIMIT + 1)
    assert len(b) == len(ib) == LIMIT + 1 and b != ib
    got = [(e["function_name"], e["request"], e["response"]) for e in g.oplog()
           if e.kind == "imported-function-invoked"]
    assert got == [("golem random::get_random_bytes", LIMIT + 1, Ok(b)),
                   ("golem random::insecure::get_insecure_random_bytes", LIMIT + 1, Ok(ib))]


@pytest.mark.parametrize("n, message", [
    (MAX_RANDOM_LEN + 1, r"^golem-fakes limit: get-random-bytes of \d+ bytes is more than "
                         r"golem-fakes' bound of 1073741824 bytes per call"),
    (2**40, r"^golem-fakes limit: get-random-bytes of 1099511627776 bytes"),
    (2**48, r"^memory allocation of 281474976710656 bytes failed"),
    (2**64 - 1, r"^capacity overflow"),
])
def test_above_the_fakes_bound_traps_and_records_nothing(wasi: SimpleNamespace,
                                                         g: golem_fakes.Golem, n: int,
                                                         message: str) -> None:
    assert MAX_RANDOM_LEN == 1 << 30
    with pytest.raises(golem_fakes.Trap, match=message):
        wasi.random.get_random_bytes(n)
    with pytest.raises(golem_fakes.Trap, match=message.replace("get-random-bytes",
                                                               "get-insecure-random-bytes")):
        wasi.insecure.get_insecure_random_bytes(n)
    assert not [e for e in g.oplog() if e.kind == "imported-function-invoked"]


def test_trap_is_not_catchable_as_exception(wasi: SimpleNamespace, g: golem_fakes.Golem) -> None:
    with pytest.raises(golem_fakes.Trap):
        try:
            wasi.random.get_random_bytes(2**64 - 1)
        except Exception:  # noqa: BLE001
            pytest.fail("a trap must not be an Exception")


def test_a_bare_environment_is_not_faked(wasi: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="golem.random"):
            wasi.random.get_random_u64()


def test_test_code_can_draw_the_same_values(wasi: SimpleNamespace) -> None:
    with golem_fakes.Golem(seed=4) as g1:
        guest = wasi.random.get_random_bytes(8)
    g2 = golem_fakes.Golem(seed=4)
    assert g2.random.random_bytes(8, g2.default_worker) == guest
    assert g2.random.insecure_seed(g2.default_worker) == g1.random.insecure_seed(g1.default_worker)


# --- hypothesis ---------------------------------------------------------------------

LONG_LIVED = golem_fakes.Golem(seed=11)


def test_hypothesis_seeds_a_long_lived_golem_per_example(wasi: SimpleNamespace) -> None:
    """Inside ``@given`` every example starts from the state hypothesis gives (so it is
    reproducible and the same for every example unless ``st.random_module()`` varies it),
    and the Golem's own stream continues unchanged after the test."""
    with LONG_LIVED:
        before = wasi.random.get_random_bytes(8)
    seen: list[tuple[bytes, bytes, bytes]] = []

    @settings(max_examples=10, database=None)
    @given(st.integers())
    def body(_: int) -> None:
        with LONG_LIVED:
            seen.append((wasi.random.get_random_bytes(8), wasi.insecure.get_insecure_random_bytes(8),
                         wasi.random.get_random_bytes(8)))

    body()
    assert len(set(seen)) == 1
    sec, ins, sec2 = seen[0]
    assert len({sec, ins, sec2}) == 3  # per-kind streams stay distinct under hypothesis

    with LONG_LIVED:
        after = wasi.random.get_random_bytes(8)
    fresh = golem_fakes.Golem(seed=11)
    with fresh:
        assert (wasi.random.get_random_bytes(8), wasi.random.get_random_bytes(8)) == (before, after)


def test_hypothesis_random_module_varies_and_replays_the_bytes(wasi: SimpleNamespace) -> None:
    g = golem_fakes.Golem(seed=12)
    with g:
        wasi.random.get_random_u64()  # the Golem exists (and is registered) before @given
    by_seed: dict[int, set[bytes]] = {}

    @settings(max_examples=20, database=None)
    @given(st.random_module())
    def body(r: object) -> None:
        with g:
            by_seed.setdefault(r.seed, set()).add(wasi.random.get_random_bytes(8))  # type: ignore[attr-defined]

    body()
    assert len(by_seed) > 1
    assert all(len(v) == 1 for v in by_seed.values())  # same hypothesis seed, same bytes
    assert len({next(iter(v)) for v in by_seed.values()}) == len(by_seed)


def test_hypothesis_failure_reproduces(wasi: SimpleNamespace) -> None:
    """A property that fails for some random bytes fails again, with the same bytes, when
    hypothesis replays the example."""
    g = golem_fakes.Golem(seed=13)
    with g:
        wasi.random.get_random_u64()
    failures: list[int] = []

    @settings(max_examples=200, database=None)
    @given(st.random_module())
    def body(_: object) -> None:
        with g:
            v = wasi.random.get_random_u64()
        if v % 4 == 0:
            failures.append(v)
            raise AssertionError(v)

    with pytest.raises(AssertionError):
        body()
    assert len(failures) >= 2 and failures[-1] == failures[-2]  # the final replay
