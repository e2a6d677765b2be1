"""Huge lengths on the streams whose host allocates the requested length (issue 12 §2).

Golem's keyvalue/blobstore value streams (``IncomingValueEntryStream::read``:
``vec![0u8; size]``), wasmtime 33's file input streams (``BytesMut::zeroed(size)``) and
wasmtime 33's default ``write-zeroes`` (``Bytes::from_iter(repeat(0).take(n))``) allocate
``len`` bytes in the host: above ``isize::MAX`` that is Rust's ``capacity overflow`` panic
(an executor abort), a padded read longer than 2^32-1 bytes cannot be lowered into the
32-bit guest, and golem-fakes bounds what it materialises at ``MATERIALIZE_LIMIT``.
Every case must end in a :class:`golem_fakes.Trap` (never ``OverflowError`` /
``MemoryError`` / a hang), leave the stored value intact, and keep memory bounded."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.state.streams import (
    GUEST_LIST_MAX,
    HOST_ADDRESS_SPACE,
    MATERIALIZE_LIMIT,
    RUST_ALLOC_MAX,
)

U64_MAX = 2**64 - 1


@pytest.fixture(scope="module")
def m() -> SimpleNamespace:
    golem_fakes.install()
    from wit_world.imports import (
        blobstore,
        eventual,
        preopens,
        stdout,
        wasi_filesystem_types,
        wasi_keyvalue_types,
    )

    return SimpleNamespace(kvt=wasi_keyvalue_types, eventual=eventual, blobstore=blobstore,
                           preopens=preopens, fs=wasi_filesystem_types, stdout=stdout)


@pytest.fixture
def g() -> Iterator[golem_fakes.Golem]:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem


def _kv_stream(m: SimpleNamespace, g: golem_fakes.Golem) -> Any:
    g.keyvalue["b"]["k"] = b"abc"
    value = m.eventual.get(m.kvt.Bucket.open_bucket("b"), "k")
    return value, value.incoming_value_consume_async()


def _blob_stream(m: SimpleNamespace, g: golem_fakes.Golem) -> Any:
    g.blobstore.put("c", "o", b"abc")
    c = m.blobstore.get_container("c")
    value = c.get_data("o", 0, 3)
    return value, value.incoming_value_consume_async()


def _kv_body(m: SimpleNamespace) -> Any:
    out = m.kvt.OutgoingValue.new_outgoing_value()
    return out, out.outgoing_value_write_body_async()


STREAMS = {"keyvalue": _kv_stream, "blobstore": _blob_stream}
READS = ["read", "blocking_read", "skip", "blocking_skip"]


@pytest.mark.parametrize("kind", sorted(STREAMS))
@pytest.mark.parametrize("op", READS)
@pytest.mark.parametrize("n, abort", [(U64_MAX, "capacity overflow"),
                                      (RUST_ALLOC_MAX + 1, "capacity overflow"),
                                      (RUST_ALLOC_MAX, "memory allocation of"),
                                      (HOST_ADDRESS_SPACE, "memory allocation of")])
def test_padded_read_no_host_can_allocate_is_the_executor_abort(m, g, kind, op, n, abort):
    value, stream = STREAMS[kind](m, g)
    with pytest.raises(golem_fakes.Trap, match=abort) as info:
        getattr(stream, op)(n)
    assert info.value.interface == "wasi:io/streams@0.2.3"
    assert info.value.function == f"[method]input-stream.{op.replace('_', '-')}"
    assert "vec![0u8; size]" in str(info.value)
    # nothing was drained: the value is still whole
    assert stream.read(3) == b"abc"


@pytest.mark.parametrize("kind", sorted(STREAMS))
@pytest.mark.parametrize("op", ["read", "blocking_read"])
def test_padded_read_longer_than_a_guest_list_traps_in_the_lowering(m, g, kind, op):
    value, stream = STREAMS[kind](m, g)
    with pytest.raises(golem_fakes.Trap, match="out of range integral type conversion"):
        getattr(stream, op)(GUEST_LIST_MAX + 1)
    assert stream.read(3) == b"abc"


@pytest.mark.parametrize("kind", sorted(STREAMS))
@pytest.mark.parametrize("op", READS)
def test_padded_read_above_the_fake_bound_traps_without_allocating(m, g, kind, op):
    value, stream = STREAMS[kind](m, g)
    tracemalloc.start()
    try:
        with pytest.raises(golem_fakes.Trap, match="golem-fakes limit"):
            getattr(stream, op)(MATERIALIZE_LIMIT + 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert stream.read(5) == b"abc\x00\x00"


def test_padded_read_up_to_the_bound_is_exact_length(m, g):
    value, stream = _kv_stream(m, g)
    assert stream.skip(MATERIALIZE_LIMIT) == MATERIALIZE_LIMIT
    assert stream.read(2) == b"\x00\x00"


@pytest.mark.parametrize("n", [U64_MAX, RUST_ALLOC_MAX + 1])
@pytest.mark.parametrize("blocking", [False, True])
def test_splice_between_value_streams_with_a_huge_len_traps(m, g, n, blocking):
    value, src = _kv_stream(m, g)
    out, dest = _kv_body(m)
    splice = dest.blocking_splice if blocking else dest.splice
    with pytest.raises(golem_fakes.Trap, match="capacity overflow"):
        splice(src, n)
    assert src.read(3) == b"abc"
    m.eventual.set(m.kvt.Bucket.open_bucket("z"), "k", out)
    assert g.keyvalue["z"]["k"] == b""          # nothing was written by the failed splice


def test_write_zeroes_of_u64_max_on_a_value_body_is_the_capacity_overflow(m, g):
    out, body = _kv_body(m)
    assert body.check_write() == U64_MAX
    tracemalloc.start()
    try:
        with pytest.raises(golem_fakes.Trap, match="capacity overflow") as info:
            body.write_zeroes(U64_MAX)
        with pytest.raises(golem_fakes.Trap, match="memory allocation of"):
            body.write_zeroes(RUST_ALLOC_MAX)
        with pytest.raises(golem_fakes.Trap, match="golem-fakes limit"):
            body.write_zeroes(HOST_ADDRESS_SPACE - 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 1 << 20
    assert info.value.function == "[method]output-stream.write-zeroes"
    body.write_zeroes(3)
    bucket = m.kvt.Bucket.open_bucket("z")
    m.eventual.set(bucket, "k", out)
    assert g.keyvalue["z"]["k"] == b"\x00\x00\x00"


def test_blocking_write_zeroes_is_capped_at_4096_on_every_stream(m, g):
    # wasmtime 33 impls.rs: `if len > 4096 { trap }` before the stream sees the call
    out, body = _kv_body(m)
    with pytest.raises(golem_fakes.Trap, match="expected at most 4096"):
        body.blocking_write_zeroes_and_flush(RUST_ALLOC_MAX)
    body.blocking_write_zeroes_and_flush(4096)
    bucket = m.kvt.Bucket.open_bucket("z")
    m.eventual.set(bucket, "k", out)
    assert g.keyvalue["z"]["k"] == bytes(4096)


def test_write_zeroes_above_isize_max_traps_before_the_permit_check(m, g):
    with pytest.raises(golem_fakes.Trap, match="capacity overflow"):
        m.stdout.get_stdout().write_zeroes(U64_MAX)


@pytest.mark.parametrize("op", READS)
def test_file_stream_read_above_isize_max_is_the_capacity_overflow_abort(m, g, op):
    g.filesystem()["/f.txt"] = b"hello"
    root = m.preopens.get_directories()[0][0]
    fd = root.open_at(m.fs.PathFlags(0), "f.txt", m.fs.OpenFlags(0), m.fs.DescriptorFlags.READ)
    stream = fd.read_via_stream(0)
    with pytest.raises(golem_fakes.Trap, match="capacity overflow") as info:
        getattr(stream, op)(U64_MAX)
    assert "BytesMut::zeroed" in str(info.value)
    assert stream.blocking_read(5) == b"hello"


def test_descriptor_read_above_isize_max_is_the_capacity_overflow_abort(m, g):
    g.filesystem()["/f.txt"] = b"hello"
    root = m.preopens.get_directories()[0][0]
    fd = root.open_at(m.fs.PathFlags(0), "f.txt", m.fs.OpenFlags(0), m.fs.DescriptorFlags.READ)
    with pytest.raises(golem_fakes.Trap, match="capacity overflow") as info:
        fd.read(U64_MAX, 0)
    assert info.value.function == "[method]descriptor.read"
    with pytest.raises(golem_fakes.Trap, match="memory allocation of"):
        fd.read(HOST_ADDRESS_SPACE, 0)
    # an allocation a host may manage: min(len, available)
    assert fd.read(HOST_ADDRESS_SPACE - 1, 0) == (b"hello", False)


@pytest.mark.parametrize("grow", ["write", "set-size"])
def test_a_gap_past_the_end_of_a_file_is_held_once_in_memory(m, g, grow):
    # found by tests/test_fuzz_registry.py: pwrite at offset ~100 MB peaked at 2x the gap
    fs = g.filesystem()
    fs["/f.txt"] = b""
    root = m.preopens.get_directories()[0][0]
    fd = root.open_at(m.fs.PathFlags(0), "f.txt", m.fs.OpenFlags(0),
                      m.fs.DescriptorFlags.READ | m.fs.DescriptorFlags.WRITE)
    gap = 32 * 1024 * 1024
    tracemalloc.start()
    try:
        if grow == "write":
            assert fd.write(b"x", gap) == 1
        else:
            fd.set_size(gap + 1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert fd.stat().size == gap + 1
    assert peak < 1.4 * gap
