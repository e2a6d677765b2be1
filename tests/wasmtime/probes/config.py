"""wasi:config/store probes. The wasmtime side is Golem's semantics implemented
host-side (golem-io-semantics.md §4: exact-key ``get``, ``get-all`` sorted by key,
never an error), so these check the values crossing the component boundary."""

from __future__ import annotations

from wit_world.imports import store

from ._util import render, try_


def probe_get(out: list[str]) -> None:
    for key in ("alpha", "zeta", "Beta", "beta", "empty", "missing", "", "k=v", "ALPHA"):
        try_(out, f"get {key!r}", lambda key=key: store.get(key))


def probe_get_all(out: list[str]) -> None:
    pairs = try_(out, "get-all", lambda: store.get_all())
    if pairs is not None:
        out.append(f"types: {sorted({type(p).__name__ for p in pairs})}")
        out.append(f"sorted: {[k for k, _ in pairs] == sorted(k for k, _ in pairs)}")


def probe_get_all_matches_get(out: list[str]) -> None:
    pairs = store.get_all()
    ok = all(store.get(k) == v for k, v in pairs)
    out.append(f"consistent: {ok}")
    out.append(f"count: {len(pairs)}")
    out.append(f"get type: {type(store.get(pairs[0][0])).__name__}" if pairs else "empty")
    out.append(f"missing: {render(store.get('no-such-key'))}")
