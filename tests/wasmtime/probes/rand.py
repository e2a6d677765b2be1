"""wasi:random probes: lengths, ranges, shapes and the host's limits (never the bytes).

wasmtime's limit: a request for more than 64 MiB (67108864 bytes) traps with
``requested len N exceeds limit 67108864`` (componentize-py.md §6); ``-1`` does not
reach the host (the component's lowering traps, OverflowError)."""

from __future__ import annotations

from wit_world.imports import insecure, insecure_seed, random

LIMIT = 64 * 1024 * 1024


def probe_random_bytes_lengths(out: list[str]) -> None:
    for n in (0, 1, 7, 16, 1000, 65536, 1 << 20):
        b = random.get_random_bytes(n)
        out.append(f"{n}: {type(b).__name__} len {len(b)}")


def probe_random_bytes_differ(out: list[str]) -> None:
    a = random.get_random_bytes(32)
    b = random.get_random_bytes(32)
    out.append(f"two 32-byte draws differ: {a != b}")
    c = random.get_random_bytes(4096)
    out.append(f"4096 bytes not constant: {len(set(c)) > 1}")


def probe_random_u64(out: list[str]) -> None:
    values = [random.get_random_u64() for _ in range(64)]
    out.append(f"type: {sorted({type(v).__name__ for v in values})}")
    out.append(f"in range: {all(0 <= v < 2**64 for v in values)}")
    out.append(f"not all equal: {len(set(values)) > 1}")
    out.append(f"some above 2**63 or all below (bool): {isinstance(any(v >= 2**63 for v in values), bool)}")


def probe_insecure_bytes_lengths(out: list[str]) -> None:
    for n in (0, 1, 33, 4096, 1 << 20):
        b = insecure.get_insecure_random_bytes(n)
        out.append(f"{n}: {type(b).__name__} len {len(b)}")


def probe_insecure_u64(out: list[str]) -> None:
    values = [insecure.get_insecure_random_u64() for _ in range(64)]
    out.append(f"type: {sorted({type(v).__name__ for v in values})}")
    out.append(f"in range: {all(0 <= v < 2**64 for v in values)}")
    out.append(f"not all equal: {len(set(values)) > 1}")


def probe_insecure_seed(out: list[str]) -> None:
    s = insecure_seed.insecure_seed()
    out.append(f"type: {type(s).__name__} of {len(s)}")
    out.append(f"element types: {[type(x).__name__ for x in s]}")
    out.append(f"in u64: {all(0 <= x < 2**64 for x in s)}")
    out.append(f"stable within an instance: {insecure_seed.insecure_seed() == s}")


def probe_random_bytes_at_limit(out: list[str]) -> None:
    b = random.get_random_bytes(LIMIT)
    out.append(f"len: {len(b)}")


def probe_random_bytes_over_limit(out: list[str]) -> None:
    out.append("before")
    random.get_random_bytes(LIMIT + 1)
    out.append("not reached")


def probe_insecure_bytes_over_limit(out: list[str]) -> None:
    out.append("before")
    insecure.get_insecure_random_bytes(LIMIT + 1)
    out.append("not reached")


def probe_random_bytes_negative(out: list[str]) -> None:
    out.append("before")
    random.get_random_bytes(-1)
    out.append("not reached")
