"""The wasmtime differential suite: the same probe programs under wasmtime's real WASI
p2 host and natively on golem-fakes must print the same thing.

How it works (details in the modules named):

* ``probes/`` (:mod:`probes`) — probe functions, one per behaviour, printing
  deterministic lines; ``probe_app.py`` runs one by name.
* ``probe_component.py`` — compiles ``probe_app`` + ``probes`` with componentize-py
  0.19.3 into one component for the world ``wit/probe.wit``, cached per content hash
  under ``$GOLEM_FAKES_CACHE/probes`` (default ``~/.cache/golem-fakes/probes``).
* ``probe_wasmtime.py`` — runs a probe in a fresh wasmtime-py instance
  (``Linker.add_wasip2()``), with the files, args and env of ``probe_setup.py``;
  ``wasi:logging`` and ``wasi:config`` are defined host-side with Golem's semantics.
* ``probe_fake.py`` — runs every probe on golem-fakes in one subprocess (the probe
  world's bindings installed with ``golem_fakes.install(wit=..., world="probe")``).

Reproduce: ``.venv/bin/python -m pytest -q -m wasmtime tests/wasmtime``. One probe on
one side: ``.venv/bin/python tests/wasmtime/probe_wasmtime.py cli.arguments`` /
``.venv/bin/python tests/wasmtime/probe_fake.py "$(.venv/bin/python -c 'import sys;
sys.path.insert(0, "tests/wasmtime"); import probe_component as b; print(b.prepare()[1])')"
cli.arguments``.

The reference is wasmtime-py 50.0.1's WASI host; Golem v1.3.0-dev.25 links wasmtime
33.0.0 (a golemcloud fork). Where the two wasmtime versions differ (e.g. ``check-write``
on a file stream: 1 MiB in 33, 64 KiB in 50) the fake follows 33 and the probe prints a
relation (``> 0``) rather than the number, or carries an override.

Where Golem deliberately differs from wasmtime, :data:`EXPECTED_OVERRIDES` gives the
probe's Golem result (and what wasmtime does, asserted too, so the override keeps
proving the difference), citing Golem's docs.
"""

from __future__ import annotations

import difflib
import json
from pathlib import Path
from typing import Any

import pytest

from conftest import probe_names_from_source

pytestmark = pytest.mark.wasmtime

HERE = Path(__file__).resolve().parent

#: Per probe: ``"golem"`` — fields of the normalised result the fake must show instead
#: of wasmtime's; ``"wasmtime"`` — fields wasmtime's result must show (the documented
#: difference); ``"why"`` — the citation.
EXPECTED_OVERRIDES: dict[str, dict[str, Any]] = {
    "cli.stdin_read": {
        # golem-io-semantics.md §5.6: Golem's stdin is ManagedStdIn, any read or
        # blocking-read traps with "standard input is disabled"; wasmtime's stdin with
        # nothing configured is closed (the read reports stream-error closed).
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "cli.stdout_blocking_write_4097": {
        # Golem v1.3.0-dev.25 golem-worker-executor/src/durable_host/io/streams.rs:213-222:
        # blocking-write-and-flush is Golem's own `write` (for stdout: the bytes become a
        # worker event, no size check) followed by `blocking-flush`; wasmtime's 4096-byte
        # cap (crates/wasi-io/src/impls.rs) is never reached. golem-io-semantics.md §5.6.
        "golem": {"outcome": "ok", "lines": ["before", "not reached"],
                  "stdout": "y" * 4096 + "\n", "stderr": ""},
        "wasmtime": {"outcome": "trap"},
        "why": "Golem's blocking-write-and-flush is write + blocking-flush (durable_host/io/"
               "streams.rs, v1.3.0-dev.25); stdout writes have no 4096-byte cap",
    },
    "cli.stdin_skip": {
        # ManagedStdIn (golem-worker-executor/src/durable_host/io/mod.rs, v1.3.0-dev.25)
        # implements only `read`, which traps; wasmtime's default skip calls it.
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok", "lines": ["skip 3: err closed"]},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "cli.stdin_read_zero": {
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: any stdin read traps (ManagedStdIn::read)",
    },
    "cli.stdin_blocking_read": {
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "streams.file_write_then_blocking_write_and_flush": {
        # Golem v1.3.0-dev.25 golem-worker-executor/src/durable_host/io/streams.rs:213-222:
        # blocking-write-and-flush is Golem's own `write` (for a file stream wasmtime's
        # FileOutputStream::write, which traps "write not permitted: check_write not
        # called first" while the previous write is in flight) + `blocking-flush`.
        # wasmtime's own blocking-write-and-flush (crates/wasi/src/p2/filesystem.rs
        # FileOutputStream::blocking_write_and_flush) first waits for that write.
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok", "lines": ["before", "blocking-write-and-flush: ok None",
                                                "content: b'abcd'"]},
        "why": "Golem's blocking-write-and-flush is write + blocking-flush (durable_host/io/"
               "streams.rs, v1.3.0-dev.25): on a busy file stream its write traps",
    },
}


#: Probes where golem-fakes is known not to match yet (not a Golem difference: a gap
#: in the fake). The test xfails with the reason while the outputs differ and fails
#: once they agree, so the entry gets removed.
KNOWN_GAPS: dict[str, str] = {
    "streams.gc_drop_stream_before_pollable": (
        "a stream dropped by the garbage collector (`del stream`) while a pollable of its "
        "subscribe is alive traps in wasmtime ('resource has children'); in golem-fakes "
        "that drop runs in a weakref finalizer (golem_fakes/bindings/runtime.py "
        "_drop_handle), where an exception cannot reach the worker's code, so the drop "
        "passes silently (explicit drops trap: streams.drop_stream_with_live_pollable)"),
}


def normalise(result: dict[str, Any]) -> dict[str, Any]:
    """The comparable part of a probe result: outcome, lines, stdout, stderr, logs.
    Trap and exit messages differ between hosts by nature and are not compared (only
    shown); after a trap the component's stderr holds the runtime's panic text, which
    is not compared either."""
    outcome = result.get("outcome")
    norm = {"outcome": outcome, "lines": list(result.get("lines") or []),
            "stdout": result.get("stdout", ""), "stderr": result.get("stderr", ""),
            "logs": [list(x) for x in result.get("logs") or []]}
    if outcome in ("trap", "exit"):
        norm["stderr"] = None
    return norm


def render_diff(expected: dict[str, Any], actual: dict[str, Any], expected_name: str,
                actual_name: str) -> str:
    a = json.dumps(expected, indent=1, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=1, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, expected_name, actual_name, lineterm=""))


PROBE_NAMES = probe_names_from_source()


def test_probe_names_agree(probe_build: Path, fake_results: dict[str, Any],
                           wasmtime_runner: Any) -> None:
    """The component, the native import and the source scan find the same probes
    (a probe module the build did not import would be missing inside the component)."""
    in_component = wasmtime_runner.names()
    assert in_component == PROBE_NAMES
    assert fake_results["names"] == PROBE_NAMES


@pytest.mark.parametrize("name", PROBE_NAMES)
def test_probe(name: str, fake_results: dict[str, Any], wasmtime_runner: Any) -> None:
    fake = fake_results["results"].get(name)
    assert fake is not None, f"probe {name} missing from the fake run"
    if fake["outcome"] == "notfaked":
        pytest.fail(f"probe {name}: golem-fakes has no behaviour yet — {fake['notfaked']}",
                    pytrace=False)
    if fake["outcome"] in ("setup-error", "error"):
        pytest.fail(f"probe {name}: the fake run failed: {fake['detail']}", pytrace=False)
    real = wasmtime_runner.run(name)
    expected = normalise(real)
    override = EXPECTED_OVERRIDES.get(name)
    if override is not None:
        for key, value in override.get("wasmtime", {}).items():
            assert expected[key] == value, (
                f"probe {name}: the documented wasmtime behaviour changed ({key}: expected "
                f"{value!r}, got {expected[key]!r}); {override['why']}")
        expected.update(override["golem"])
        if expected["outcome"] in ("trap", "exit"):
            expected["stderr"] = None
    actual = normalise(fake)
    gap = KNOWN_GAPS.get(name)
    if gap is not None:
        if actual == expected:
            pytest.fail(f"probe {name} now matches: remove it from KNOWN_GAPS", pytrace=False)
        pytest.xfail(f"known gap: {gap}\n" + render_diff(expected, actual, "wasmtime", "golem-fakes"))
    if actual != expected:
        detail = ""
        if real.get("detail") or fake.get("detail"):
            detail = (f"\nwasmtime detail: {real.get('detail')}\n"
                      f"fake detail: {fake.get('detail')}")
        label = "expected (Golem override)" if override else "wasmtime"
        pytest.fail(f"probe {name}: golem-fakes differs from {label}\n"
                    + render_diff(expected, actual, label, "golem-fakes") + detail,
                    pytrace=False)


def test_overrides_name_existing_probes() -> None:
    assert set(EXPECTED_OVERRIDES) <= set(PROBE_NAMES)
    assert set(KNOWN_GAPS) <= set(PROBE_NAMES)
    assert not set(KNOWN_GAPS) & set(EXPECTED_OVERRIDES)
    for name, o in EXPECTED_OVERRIDES.items():
        assert o.get("why"), name


def test_cache_key_changes_with_probe_source(tmp_path: Path) -> None:
    import probe_component as build

    files = build.source_files()
    key = build.content_key(files, tool_version="0.19.3")
    assert key == build.content_key(list(files), tool_version="0.19.3")
    # change one probe file (a copy): the key changes
    changed = []
    for rel, path in files:
        if rel.startswith("src/probes/") and not rel.endswith("__init__.py"):
            copy = tmp_path / path.name
            copy.write_bytes(path.read_bytes() + b"\n# changed\n")
            changed.append((rel, copy))
            break
        changed.append((rel, path))
    changed.extend(files[len(changed):])
    assert len(changed) == len(files)
    assert build.content_key(changed, tool_version="0.19.3") != key
    # so does adding a probe module, the WIT, or another componentize-py version
    extra = tmp_path / "extra.py"
    extra.write_text("def probe_x(out):\n    pass\n")
    assert build.content_key(files + [("src/probes/extra.py", extra)], "0.19.3") != key
    assert build.content_key(files, tool_version="0.19.4") != key


def test_build_is_cached(probe_build: Path) -> None:
    import probe_component as build

    key = probe_build.name
    if build.content_key() != key:
        pytest.skip("the probe sources changed during this session")
    wasm = build.cache_dir() / f"{key}.wasm"
    assert wasm.exists() and wasm.stat().st_size > 0
    mtime = wasm.stat().st_mtime_ns
    assert build.build() == wasm
    assert wasm.stat().st_mtime_ns == mtime  # not rebuilt
