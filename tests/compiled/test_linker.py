"""A componentize-py component run as a worker through golem_fakes.compiled.

Every import of the built ``.wasm`` is served by the fakes' behaviours through the
bindings' seam, so the stores, clock, oplog, console, file system, crash plans and
overrides of the same ``Golem`` apply to it as to a Python worker.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

import golem_fakes
from golem_fakes import Golem
from golem_fakes.bindings.result import Err
from golem_fakes.bindings.runtime import NotFaked, Trap

API = "golem-fakes:linker-test/api"
KV_TYPES = "wasi:keyvalue/types@0.1.0"


@pytest.fixture
def g(linker_wasm: Path) -> Golem:
    golem_fakes.install()
    golem = Golem(seed=7)
    golem.add_component("lt", wasm=linker_wasm,
                        files={"/data/hello.txt": b"hi there"})
    return golem


def test_keyvalue_writes_land_in_the_golem_store(g: Golem) -> None:
    g.invoke("lt", "w1", "kv-set", "cart", "alice", b"3 apples")
    assert g.keyvalue["cart"]["alice"] == b"3 apples"
    g.keyvalue["cart"]["bob"] = b"pears"  # written by the test, read by the wasm worker
    assert g.invoke("lt", "w2", f"{API}.{{kv-get}}", "cart", "bob") == b"pears"
    assert g.invoke("lt", "w2", "kv_get", "cart", "nobody") is None
    assert g.invoke("lt", "w1", "kv-exists-twice", "cart", "alice") == (True, True)


def test_host_calls_are_counted_and_recorded_in_the_oplog(g: Golem) -> None:
    g.invoke("lt", "w1", "kv-set", "b", "k", b"v")
    assert g.call_count("wasi:keyvalue/eventual@0.1.0", "set") == 1
    kinds = [e.kind for e in g.oplog("lt", "w1")]
    assert kinds[1] == "exported-function-invoked"
    assert "imported-function-invoked" in kinds
    assert kinds[-1] == "exported-function-completed"


def test_resources_own_borrow_and_drop(g: Golem) -> None:
    g.invoke("lt", "w1", "kv-set", "b", "k", b"value")
    # bucket (returned own by a static, borrowed by set/get, dropped by the guest)
    assert g.call_count(KV_TYPES, "[static]bucket.open-bucket") == 1
    assert g.call_count(KV_TYPES, "[resource-drop]bucket") == 1
    assert g.call_count(KV_TYPES, "[resource-drop]outgoing-value") == 1
    assert g.invoke("lt", "w1", "kv-get", "b", "k") == b"value"
    assert g.call_count(KV_TYPES, "[method]incoming-value.incoming-value-consume-sync") == 1
    assert g.call_count(KV_TYPES, "[resource-drop]incoming-value") == 1
    assert g.instance("lt", "w1").wasm.live_resources() == {}


def test_clock_and_random_are_the_golem_ones(g: Golem) -> None:
    g.clock.advance(dt.timedelta(seconds=90))
    seconds, nanos = g.invoke("lt", "w1", "now")
    assert seconds * 1000 + nanos // 1_000_000 == g.clock.wall_ms()
    a = g.invoke("lt", "w1", "random-u64")
    b = Golem(seed=7)
    b.add_component("lt", wasm=g._wasm_of("lt").path)
    assert b.invoke("lt", "w1", "random-u64") == a  # the seed decides, as for Python code


def test_golem_api_host_calls(g: Golem) -> None:
    assert g.invoke("lt", "worker-x", "self-name") == "worker-x"
    first = g.invoke("lt", "worker-x", "oplog-index")
    second = g.invoke("lt", "worker-x", "oplog-index")
    assert 1 < first < second <= len(g.oplog("lt", "worker-x"))


def test_err_of_an_export_is_raised_and_ok_returned(g: Golem) -> None:
    assert g.invoke("lt", "w1", "fail", "") == "fine"
    with pytest.raises(Err) as e:
        g.invoke("lt", "w2", "fail", "out of stock")
    assert e.value.value == "out of stock"


def test_a_trap_of_a_behaviour_becomes_a_wasm_trap(g: Golem) -> None:
    def boom(env: object) -> int:
        raise Trap("injected by the test")

    g.implement("wasi:random/random@0.2.3", "get-random-u64", boom)
    with pytest.raises(Trap, match="injected by the test"):
        g.invoke("lt", "w1", "random-u64")
    # Golem's atomic increment is unimplemented!() (a crash of the executor): a trap here
    with pytest.raises(Trap, match="increment"):
        g.invoke("lt", "w2", "increments", "b", "n", 2)


def test_unimplemented_import_traps_naming_it(g: Golem, linker_wasm: Path) -> None:
    with pytest.raises(NotFaked) as e:
        g.invoke("lt", "w1", "call-missing")
    assert e.value.interface == "golem-fakes:linker-test/missing"
    assert e.value.function == "nothing"
    assert "golem-fakes:linker-test/missing#nothing" in str(e.value)
    assert "not an interface of the installed world" in str(e.value)
    report = g._wasm_of("lt").report
    assert list(report.trapping) == ["golem-fakes:linker-test/missing#nothing"]


def test_stdout_and_stderr_are_captured(g: Golem) -> None:
    g.invoke("lt", "w1", "say", "hello from wasm")
    g.invoke("lt", "w1", "complain", "oops")
    console = g.console("lt", "w1")
    assert console.stdout == b"hello from wasm\n"
    assert console.stderr == b"oops\n"


def test_filesystem_preopens_and_initial_files(g: Golem) -> None:
    assert g.invoke("lt", "w1", "read-file", "/data/hello.txt") == "hi there"
    with pytest.raises(Err, match="FileNotFoundError"):
        g.invoke("lt", "w1", "read-file", "/data/missing.txt")
    g.invoke("lt", "w1", "write-file", "/data/new.txt", "written")
    assert g.invoke("lt", "w1", "read-file", "/data/new.txt") == "written"
    assert g.filesystem("lt", "w1")["/data/new.txt"] == b"written"
    with pytest.raises(Err):  # another worker has its own file system
        g.invoke("lt", "w2", "read-file", "/data/new.txt")


def test_each_worker_has_its_own_instance(g: Golem) -> None:
    assert [g.invoke("lt", "w1", "counter-next") for _ in range(3)] == [1, 2, 3]
    assert g.invoke("lt", "w2", "counter-next") == 1


def test_crash_and_recovery_replay_without_repeating_effects(g: Golem) -> None:
    g.invoke("lt", "w1", "counter-next")
    g.invoke("lt", "w1", "kv-set", "b", "k", b"once")
    g.keyvalue["b"]["k"] = b"changed by the test"  # a repeated set would overwrite it
    first = g.instance("lt", "w1").wasm
    g.crash("lt", "w1")  # the instance is lost; a new one replays the oplog
    assert g.runtime("lt", "w1").crashes == 1
    assert g.invoke("lt", "w1", "counter-next") == 2  # module state rebuilt by replay
    assert g.instance("lt", "w1").wasm is not first
    assert first.dropped
    assert g.keyvalue["b"]["k"] == b"changed by the test"


def test_crash_inside_an_invocation_recovers_and_finishes_it(g: Golem) -> None:
    assert g.invoke("lt", "w1", "counter-next") == 1
    g.crash("lt", "w1", after=1)  # inside the next invocation, after its first recorded call
    g.invoke("lt", "w1", "kv-set", "b", "k", b"v")
    assert g.runtime("lt", "w1").crashes == 1
    assert g.keyvalue["b"]["k"] == b"v"
    assert g.invoke("lt", "w1", "counter-next") == 2


def test_explore_crashes_of_a_wasm_invocation(g: Golem) -> None:
    g.invoke("lt", "w1", "counter-next")

    def check(copy: Golem, result: object) -> None:
        assert result is None
        assert copy.keyvalue["b"]["k"] == b"explored"

    report = g.explore_crashes("lt", "w1", "kv-set", "b", "k", b"explored", check=check)
    assert report.host_calls >= 1
    assert len(report.points) == report.host_calls + 1
    assert not report.failures
    assert "b" not in g.keyvalue  # the Golem itself is not changed


def test_values_cross_both_ways(g: Golem) -> None:
    out = g.invoke("lt", "w1", "echo", {"key": "ab", "value": b"xy"}, "busy",
                   ("text", "t"), None, "\u00e9", 0.1)
    pair, mood, answer, nested, char, f = out
    assert (pair.key, pair.value) == ("AB", b"yx")
    assert (mood, answer, nested, char) == ("busy", ("text", "t"), None, "\u00e9")
    assert f == pytest.approx(0.1, rel=1e-6) and f != 0.1  # an f32
    from golem_fakes.bindings.result import Some

    assert g.invoke("lt", "w1", "echo", {"key": "", "value": b""}, "calm", ("number", 5),
                    Some(None), "x", 1.0)[2:4] == (("number", 5), Some(None))


def test_arguments_are_checked_before_the_worker_runs(g: Golem) -> None:
    with pytest.raises(TypeError, match=r"api.{say}: argument .text. .* given 5"):
        g.invoke("lt", "w1", "say", 5)
    with pytest.raises(TypeError, match="takes 1 argument"):
        g.invoke("lt", "w1", "say")
    with pytest.raises(LookupError, match="no export named 'nope'"):
        g.invoke("lt", "w1", "nope")
    assert g.registry.find("lt", "w1") is None  # nothing was created


def test_add_component_refuses_code_and_wasm_together(linker_wasm: Path) -> None:
    golem_fakes.install()
    with pytest.raises(ValueError, match="not both"):
        Golem().add_component("x", code="m", path=".", wasm=linker_wasm)
    with pytest.raises(FileNotFoundError, match="cannot read the component"):
        Golem().add_component("x", wasm=linker_wasm.with_name("missing.wasm"))


def test_compiled_form_is_cached_by_content(linker_wasm: Path) -> None:
    from golem_fakes.compiled import CompiledComponent, cache_root

    golem_fakes.install()
    comp = CompiledComponent.get(linker_wasm)
    assert CompiledComponent.get(str(linker_wasm)) is comp
    cached = list(cache_root().glob(f"{comp.sha256}-wasmtime-*-concurrency-support=off.cwasm"))
    assert len(cached) == 1 and cached[0].stat().st_size > 0


def test_a_replay_that_takes_another_branch_is_a_divergence(g: Golem) -> None:
    """Golem does not record file reads: a file changed behind the worker's back makes
    the replayed wasm code reach another host call than the oplog holds."""
    from golem_fakes import Divergence

    g.add_worker("lt", "w1")
    fs = g.filesystem("lt", "w1")
    fs["/data/mode.txt"] = b"random"
    g.invoke("lt", "w1", "by-file", "/data/mode.txt")  # get-random-u64, recorded
    fs["/data/mode.txt"] = b"index"
    with pytest.raises(Divergence) as e:
        g.crash("lt", "w1")
    text = str(e.value)
    assert "recorded: imported-function-invoked 'golem random::get_random_u64'" in text
    assert g.worker("lt", "w1").status.name == "FAILED"


def test_traps_are_retried_per_the_retry_policy(linker_wasm: Path) -> None:
    """A trap at every host call of an invocation: Golem retries it (replay, then live)
    and it completes; with no retries the worker fails. As for Python workers
    (tests/worker/test_explore_snapshots.py::test_traps_retried_and_not_retried)."""
    from golem_fakes.state.invocation import RetryPolicy

    def make(retries: bool) -> Golem:
        golem_fakes.install()
        golem = Golem(seed=7)
        golem.add_component("lt", wasm=linker_wasm)
        if not retries:
            golem.retry_policy = RetryPolicy(max_attempts=0)
        golem.invoke("lt", "w1", "counter-next")
        return golem

    def check(copy: Golem, result: object) -> None:
        assert result is None, result
        assert copy.keyvalue["t"]["n"] == b"v"
        assert copy.instance("lt", "w1").wasm is not None

    report = make(True).explore_crashes("lt", "w1", "kv-set", "t", "n", b"v", traps=True,
                                        check=check)
    assert report.ok and report.points and all(p.plan.mode == "trap" for p in report.points)
    report = make(False).explore_crashes("lt", "w1", "kv-set", "t", "n", b"v", traps=True,
                                         check=check, raise_on_failure=False)
    assert report.failures and len(report.failures) == len(report.points)
    assert all("golem.crash(mode='trap')" in str(p.result) for p in report.failures)
    assert report.failures[0].golem.worker("lt", "w1").status.name == "FAILED"
