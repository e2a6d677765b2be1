"""Retries after a failed attempt (issue 14 §3; ``golem-host-semantics.md`` §6.2-§6.3,
Golem v1.3.0-dev.25 ``get_recovery_decision_on_trap`` / ``get_delay``): a failed
invocation writes an error entry and, while fewer than ``max-attempts`` error entries
end the oplog, waits the policy's delay on the virtual clock, reloads the worker (a new
instance replaying its oplog, no effect repeated) and goes on live; then the worker is
failed and rejects invocations."""

from __future__ import annotations

from typing import Any

import pytest

import golem_fakes
from golem_fakes import InvocationRejected, RetryPolicy, Trap
from golem_fakes.bindings.result import Err

golem_fakes.install()
from wit_world.imports import eventual, host, random  # noqa: E402
from wit_world.imports import wasi_keyvalue_types as kv  # noqa: E402

C = "shop:cart"
NO_JITTER = RetryPolicy(max_jitter_factor=None)


def elapsed_ms(g: golem_fakes.Golem, start: int) -> float:
    return (g.clock.monotonic_ns() - start) / 1e6


def attempt_marks(g: golem_fakes.Golem) -> list[float]:
    """Invoke worker code that always fails; the virtual time (ms from the start) at
    which each attempt began."""
    marks: list[float] = []
    start = g.clock.monotonic_ns()

    def worker_code() -> None:
        marks.append(elapsed_ms(g, start))
        raise RuntimeError("always")

    with pytest.raises(RuntimeError):
        g.invoke(C, "w", worker_code)
    return marks


def flaky(fail_times: int, seen: list[Any]) -> Any:
    """Worker code that writes a key-value entry and draws a random number, then fails
    its first ``fail_times`` attempts (test-side state: ``seen`` survives retries)."""

    def worker_code() -> int:
        bucket = kv.Bucket.open_bucket("b")
        old = eventual.get(bucket, "n")
        n = int(old.incoming_value_consume_sync()) + 1 if old is not None else 1
        out = kv.OutgoingValue.new_outgoing_value()
        out.outgoing_value_write_body_sync(str(n).encode())
        eventual.set(bucket, "n", out)
        roll = random.get_random_u64()
        seen.append(roll)
        if len(seen) <= fail_times:
            raise RuntimeError(f"attempt {len(seen)} fails")
        return n

    return worker_code


def test_a_transient_failure_is_retried_and_its_effects_happen_once() -> None:
    g = golem_fakes.Golem(seed=1)
    g.retry_policy = NO_JITTER
    seen: list[int] = []
    start = g.clock.monotonic_ns()
    assert g.invoke(C, "w", flaky(2, seen)) == 1       # the third attempt completes
    assert len(seen) == 3 and len(set(seen)) == 1      # replayed: the recorded random value
    assert g.keyvalue.get("default", "b", "n") == b"1"  # the write was not repeated
    rt = g.runtime(C, "w")
    assert rt.retries == 2 and rt.recoveries == 2
    assert elapsed_ms(g, start) == 100 + 100           # min-delay, then min-delay * 3**0
    kinds = g.oplog(C, "w").kinds()
    assert kinds.count("error") == 2 and kinds.count("exported-function-invoked") == 1
    assert g.invocations(C, "w")[-1].outcome == "completed"
    assert g.worker(C, "w").status.name == "IDLE"


def test_exhausted_retries_fail_the_worker_and_later_invocations_are_rejected() -> None:
    g = golem_fakes.Golem()
    g.retry_policy = NO_JITTER
    seen: list[int] = []
    start = g.clock.monotonic_ns()
    with pytest.raises(RuntimeError, match="attempt 4 fails"):
        g.invoke(C, "w", flaky(99, seen))  # a test-side callable's own exception
    # the first attempt and max-attempts (3) retries, after 100, 100 and 300 ms
    assert len(seen) == 4 and g.runtime(C, "w").retries == 3
    assert elapsed_ms(g, start) == 100 + 100 + 300
    assert g.oplog(C, "w").kinds().count("error") == 4
    assert g.worker(C, "w").status.name == "FAILED"
    assert g.invocations(C, "w")[-1].outcome == "failed"
    with pytest.raises(InvocationRejected):
        g.invoke(C, "w", flaky(0, []))
    assert g.keyvalue.get("default", "b", "n") == b"1"


def test_delays_grow_by_the_truncated_multiplier_and_stop_at_max_delay() -> None:
    g = golem_fakes.Golem()
    g.retry_policy = RetryPolicy(max_attempts=4, min_delay=400_000_000,
                                 max_delay=1_000_000_000, multiplier=2.9,
                                 max_jitter_factor=None)
    marks = attempt_marks(g)
    # trunc(2.9) = 2: 400, 400 * 2**0, 400 * 2**1, 400 * 2**2 = 1600 -> max-delay 1000
    assert marks == [0, 400, 800, 1600, 2600]


def test_the_workers_own_retry_policy_decides() -> None:
    g = golem_fakes.Golem()
    attempts: list[int] = []

    def worker_code() -> None:
        host.set_retry_policy(host.RetryPolicy(max_attempts=1, min_delay=50_000_000,
                                               max_delay=1_000_000_000, multiplier=2.0,
                                               max_jitter_factor=None))
        attempts.append(1)
        raise RuntimeError("fails")

    start = g.clock.monotonic_ns()
    with pytest.raises(RuntimeError):
        g.invoke(C, "w", worker_code)
    assert len(attempts) == 2 and elapsed_ms(g, start) == 50
    assert g.runtime(C, "w").retries == 1


def test_zero_attempts_fail_at_once() -> None:
    g = golem_fakes.Golem()
    g.retry_policy = RetryPolicy(max_attempts=0)
    seen: list[int] = []
    with pytest.raises(RuntimeError):
        g.invoke(C, "w", flaky(1, seen))
    assert len(seen) == 1 and g.worker(C, "w").status.name == "FAILED"


def _delays(seed: int) -> list[float]:
    marks = attempt_marks(golem_fakes.Golem(seed=seed))
    return [b - a for a, b in zip(marks, marks[1:])]


def test_jitter_is_within_the_factor_and_deterministic_per_seed() -> None:
    first, again, other = _delays(5), _delays(5), _delays(6)
    assert first == again                                 # the same seed: the same delays
    assert first != other
    for delay, base in zip(first, (100, 100, 300)):      # + floor(base * U[0, 0.15))
        assert base <= delay < base * 1.15 and delay == int(delay)


def test_an_exit_is_not_retried() -> None:
    from wit_world.imports import exit as wasi_exit

    g = golem_fakes.Golem()
    runs: list[int] = []

    def worker_code() -> None:
        runs.append(1)
        wasi_exit.exit(Err(None))

    with pytest.raises(BaseException):
        g.invoke(C, "w", worker_code)
    assert runs == [1] and g.runtime(C, "w").retries == 0
    assert g.worker(C, "w").status.name == "EXITED"


def test_the_readme_durability_example_runs() -> None:
    import re
    from pathlib import Path

    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    text = readme.split("\n## Testing durability\n", 1)[1].split("\n### Crashing a worker", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(blocks) == 1
    ns: dict[str, Any] = {"golem": golem_fakes.Golem()}
    exec(compile(blocks[0], "README.md[Testing durability]", "exec"), ns)
    assert ns["rt"].crashes == 2 and ns["rt"].recoveries == 2


def test_retry_count_in_metadata_stays_zero() -> None:
    """§6.4: the WIT conversion hard-codes ``retry-count`` 0 (``v1x.rs``, both tags)."""
    g = golem_fakes.Golem()
    g.retry_policy = NO_JITTER
    counts: list[int] = []

    def worker_code() -> int:
        counts.append(host.get_self_metadata().retry_count)  # not recorded: live each time
        if len(counts) < 3:
            raise RuntimeError("transient")
        counts.append(host.get_self_metadata().retry_count)  # after two retries
        return len(counts)

    assert g.invoke(C, "w", worker_code) == 4
    assert counts == [0, 0, 0, 0] and g.runtime(C, "w").retries == 2
    # get-self-metadata is not durable in Golem (``v1x.rs``: observe_function_call only),
    # so every read above was live
    assert "imported-function-invoked" not in g.oplog(C, "w").kinds()
