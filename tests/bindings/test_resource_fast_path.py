"""The resource handle path: one :class:`ResourceSite` per resource type shared by every
generated module (so the generated ``borrow`` fast path fires), the object's finalizer
is its row in the handle table, and the default no-op drop is counted, not called."""

from __future__ import annotations

import gc
from typing import Any

import pytest

import golem_fakes
from golem_fakes.bindings import runtime


def test_every_module_shares_the_resource_site() -> None:
    golem_fakes.install()
    from wit_world.imports import eventual, wasi_keyvalue_types

    assert eventual._golem_R_bucket_b27c9aac is wasi_keyvalue_types._golem_R_bucket_b27c9aac
    assert runtime.resource_site("wasi:keyvalue/types@0.1.0", "bucket", "x") \
        is eventual._golem_R_bucket_b27c9aac


def test_a_borrowed_argument_takes_the_inline_path(monkeypatch: pytest.MonkeyPatch) -> None:
    golem_fakes.install()
    from wit_world.imports import eventual, wasi_keyvalue_types as types

    with golem_fakes.Golem(seed=1) as g:
        g.keyvalue["b"]["k"] = b"v"
        bucket = types.Bucket.open_bucket("b")

        def no_slow_path(*args: Any) -> Any:
            raise AssertionError("runtime.borrow called for a valid handle")

        monkeypatch.setattr(runtime, "borrow", no_slow_path)
        value = eventual.get(bucket, "k")
        assert value is not None and value.incoming_value_consume_sync() == b"v"


def test_the_finalizer_is_the_table_row() -> None:
    golem_fakes.install()
    from wit_world.imports import wasi_keyvalue_types as types

    with golem_fakes.Golem(seed=1) as g:
        bucket: Any = types.Bucket.open_bucket("b")
        row = g.handles[bucket.handle]
        assert row is bucket.finalizer and row.finalizer is row
        assert row.rep.name == "b" and row.handle == bucket.handle and row.env is g


def test_default_drops_are_counted() -> None:
    golem_fakes.install()
    from wit_world.imports import wasi_keyvalue_types as types

    with golem_fakes.Golem(seed=1) as g:
        drop = ("wasi:keyvalue/types@0.1.0", "[resource-drop]bucket")
        b1: Any = types.Bucket.open_bucket("b")
        h1 = b1.handle
        del b1
        gc.collect()
        with types.Bucket.open_bucket("b"):
            pass
        assert h1 not in g.handles and not g.live_handles()
        assert g.call_count(*drop) == 2
