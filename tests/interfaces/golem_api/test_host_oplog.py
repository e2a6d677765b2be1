"""golem:api/host oplog, durability settings and idempotency keys (§4-§7; §16 rules 2,
3, 12-18)."""

from __future__ import annotations

import uuid
from types import ModuleType

import pytest

from golem_fakes import Golem, Trap
from golem_fakes.interfaces.golem_api.host import derived_idempotency_key, parse_uuid_strict
from golem_fakes.worker.replay import NotReplayable


def test_oplog_is_one_based_with_create_and_invocation_boundaries(host: ModuleType) -> None:
    g = Golem()
    with g:
        assert host.get_oplog_index() == 3
        assert host.get_oplog_index() == 4
    with g:
        assert host.get_oplog_index() == 7  # 5 completed, 6 invoked
    assert g.oplog().kinds() == ["create", "exported-function-invoked", "no-op", "no-op",
                                 "exported-function-completed", "exported-function-invoked",
                                 "no-op", "exported-function-completed"]
    assert g.oplog()[6]["idempotency_key"] == g.invocations()[1].idempotency_key


def test_set_oplog_index_validates_with_golems_messages(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(Trap, match=r"^Attempted to jump forward in oplog to index 10 from 4$"):
        with g:
            host.get_oplog_index()  # 3
            host.set_oplog_index(9)


def test_set_oplog_index_in_a_test_block_records_the_jump(host: ModuleType) -> None:
    g = Golem()
    with pytest.raises(NotReplayable, match="replays its oplog up to index 3"):
        with g:
            idx = host.get_oplog_index()
            host.generate_idempotency_key()  # 4
            host.set_oplog_index(idx)
    jump = g.oplog()[5]
    assert (jump.kind, jump["start"], jump["end"]) == ("jump", 4, 5)
    assert g.oplog().committed_index == 5
    assert g.oplog().is_deleted(4) and not g.oplog().is_deleted(3)
    with pytest.raises(Trap, match=r"^Attempted to jump to a deleted region in oplog to index 4 from 7$"):
        with g:
            host.set_oplog_index(3)  # target 4 lies in the deleted region


def test_commit_and_atomic_regions(host: ModuleType) -> None:
    g = Golem()
    with g:
        host.oplog_commit(1)
        host.oplog_commit(0)
        assert len(g.oplog()) == 2  # oplog-commit writes nothing
        b = host.mark_begin_operation()
        assert b == 3 and g.runtime().atomic_regions == [3]
        host.mark_end_operation(b)
        host.mark_end_operation(b)  # not validated: appended again
        host.mark_end_operation(42)
        assert g.runtime().atomic_regions == []
    kinds = [(e.kind, e.get("begin_index")) for e in g.oplog()][2:6]
    assert kinds == [("begin-atomic-region", None), ("end-atomic-region", 3),
                     ("end-atomic-region", 3), ("end-atomic-region", 42)]


def test_persistence_level_default_smart_and_recorded_only_on_change(host: ModuleType) -> None:
    g = Golem()
    with g:
        assert host.get_oplog_persistence_level() == host.PersistenceLevel_Smart()
        host.set_oplog_persistence_level(host.PersistenceLevel_Smart())
        assert len(g.oplog()) == 2
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistRemoteSideEffects())
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistRemoteSideEffects())
        host.set_oplog_persistence_level(host.PersistenceLevel_PersistNothing())
        assert host.get_oplog_persistence_level() == host.PersistenceLevel_PersistNothing()
    changes = [e["level"] for e in g.oplog() if e.kind == "change-persistence-level"]
    assert changes == ["persist-remote-side-effects", "persist-nothing"]


def test_idempotence_mode_default_true_never_recorded_brackets_remote_writes(host: ModuleType) -> None:
    g = Golem(idempotency_key="6ba7b810-9dad-11d1-80b4-00c04fd430c8")
    with g:
        assert host.get_idempotence_mode() is True
        host.set_idempotence_mode(False)
        assert host.get_idempotence_mode() is False
        assert len(g.oplog()) == 2
        k = host.generate_idempotency_key()
    kinds = g.oplog().kinds()[2:5]
    assert kinds == ["begin-remote-write", "imported-function-invoked", "end-remote-write"]
    assert g.oplog()[5]["begin_index"] == 3
    # N is the index of the call's own begin-remote-write (§7.4)
    assert uuid.UUID(int=(k.high_bits << 64) | k.low_bits) == uuid.UUID("0f219553-c3cb-5e08-859a-2876c266d19c")


def test_retry_policy_defaults_and_set(host: ModuleType) -> None:
    g = Golem()
    with g:
        assert host.get_retry_policy() == host.RetryPolicy(3, 100_000_000, 1_000_000_000, 3.0, 0.15)
        new = host.RetryPolicy(7, 5, 6, 2.5, 0.9)
        host.set_retry_policy(new)
        host.set_retry_policy(new)
        assert host.get_retry_policy() == host.RetryPolicy(7, 5, 6, 2.5, None)
    assert g.oplog().kinds().count("change-retry-policy") == 2
    with g.run_as("component", "other"):
        assert host.get_retry_policy().max_attempts == 3  # per worker


@pytest.mark.parametrize("key, n, expected", [
    ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", 2, "0d829a52-b4d5-53ef-a230-9b575851b4ce"),
    ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", 3, "0f219553-c3cb-5e08-859a-2876c266d19c"),
    ("6ba7b810-9dad-11d1-80b4-00c04fd430c8", 5, "155f574d-7c3e-5ccc-814f-2199e6fd1fe7"),
    ("my-key", 3, "d818f06c-4cc5-5621-8901-8a7740df4d77"),
])
def test_generate_idempotency_key_vectors(host: ModuleType, key: str, n: int, expected: str) -> None:
    assert derived_idempotency_key(key, n) == uuid.UUID(expected)
    g = Golem(idempotency_key=key)
    with g:
        for _ in range(n - 2):
            host.get_oplog_index()
        k = host.generate_idempotency_key()
        assert g.oplog().committed_index == n + 1  # write-remote commits
    assert uuid.UUID(int=(k.high_bits << 64) | k.low_bits) == uuid.UUID(expected)
    entry = g.oplog()[n + 1]
    assert entry["function_name"] == "golem api::generate_idempotency_key"
    assert entry["durable_function_type"] == "write-remote"
    assert g.idempotency_keys == {("component", "worker-1"): [uuid.UUID(expected)]}


def test_strict_uuid_parsing_matches_rust() -> None:
    u = "6ba7b810-9dad-11d1-80b4-00c04fd430c8"
    for ok in (u, u.upper(), u.replace("-", ""), "{" + u + "}", "urn:uuid:" + u):
        assert parse_uuid_strict(ok) == uuid.UUID(u)
    for bad in ("uuid:" + u, "{" + u.replace("-", "") + "}", u[:8] + u[9:12] + "-" + u[12:], " " + u):
        assert parse_uuid_strict(bad) is None


def test_invocation_keys_derive_from_the_seed(host: ModuleType) -> None:
    def keys(seed: int) -> list[str]:
        g = Golem(seed=seed)
        for _ in range(2):
            with g:
                host.get_oplog_index()
        return [i.idempotency_key for i in g.invocations()]

    assert keys(1) == keys(1) != keys(2)
    assert all(uuid.UUID(k).version == 4 for k in keys(1))
    assert len(set(keys(1))) == 2


def test_an_unobserved_block_on_an_untouched_golem_leaves_no_trace(host: ModuleType) -> None:
    """``with g:`` begins its invocation on first use (PendingInvocation): a block that
    neither calls the host nor touches the Golem costs nothing and records nothing;
    one that does gets the full invoke/complete pair."""
    g = Golem(seed=3)
    with g:
        pass
    assert g._registry is None
    with g:
        assert host.get_oplog_index() == 3  # 1 create, 2 exported-function-invoked, 3 no-op
    assert g.oplog(g.default_worker).kinds() == [
        "create", "exported-function-invoked", "no-op", "exported-function-completed"]
