"""The differential check of golem_fakes.compiled's linker: every probe of this suite,
run as the built ``.wasm`` on golem-fakes (``golem.add_component(wasm=...)``, every
import linked to the fakes' behaviours), must give what the same probe gives run as
Python on golem-fakes (``fake_results``, :mod:`probe_fake`): the same outcome, lines,
stdout, stderr and logs (:func:`test_differential.normalise`). Both runs use the one
setup of :mod:`probe_setup` (files, args, env, config, seed; the ``http`` probes the
same loopback server, ``sockets_net`` probes an open network).

What this proves is the linker's own fidelity: values, handles, drops, errors and
traps cross the real component boundary as the generated Python bindings hand them to
the same behaviours.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from test_differential import PROBE_NAMES, normalise, render_diff

#: Probes whose two golem-fakes runs differ, and why (none may be a linker bug).
LINKER_GAPS: dict[str, str] = {
    "streams.gc_drop_stream_before_pollable": (
        "the Python run's known gap (test_differential.KNOWN_GAPS): a stream the garbage "
        "collector drops while its pollable lives passes silently in Python; in the .wasm "
        "componentize-py's runtime drops the handle explicitly, so the linker runs the "
        "[resource-drop] behaviour in the guest's call and it traps 'resource has "
        "children', as wasmtime does: the .wasm run matches wasmtime here"),
}

#: Probes not run as .wasm, and why.
_HUGE = ("moves 64 MiB as one list<u8> result (Golem's random has no limit; wasmtime's "
         "traps above it): wasmtime-py 50 converts a list<u8> host result element by "
         "element through ctypes (ListType.convert_to_c), minutes and gigabytes for "
         "64 MiB (golem_fakes.compiled.convert.WASMTIME_PY_LIMITS)")
LINKER_SKIPS: dict[str, str] = {
    "rand.random_bytes_at_limit": _HUGE,
    "rand.random_bytes_over_limit": _HUGE,
    "rand.insecure_bytes_over_limit": _HUGE,
}


@pytest.fixture(scope="session")
def probe_wasm(probe_build: Path) -> Path:
    import probe_component

    return probe_component.cache_dir() / f"{probe_build.name}.wasm"


def run_wasm(wasm: Path, name: str) -> dict[str, Any]:
    """Probe ``name`` in the component on a fresh fake Golem, shaped like
    :func:`probe_fake.run_one`'s result."""
    import golem_fakes
    import probe_fake
    import probe_setup as setup
    from golem_fakes import Golem
    from golem_fakes.bindings.runtime import NotFaked
    from golem_fakes.state.invocation import RetryPolicy

    golem_fakes.install()
    extra_env = probe_fake._http_env() if name.split(".", 1)[0] == "http" else []
    g = Golem(seed=setup.SEED)
    # the Python run is one ``run_as`` block, which Golem's retry policy never re-runs;
    # an invocation that traps would be retried (the trap's stderr written again)
    g.retry_policy = RetryPolicy(max_attempts=0)
    g.add_component(setup.COMPONENT, files=setup.initial_files(), wasm=wasm)
    g.add_worker(setup.COMPONENT, setup.WORKER, args=setup.ARGS,
                 env=setup.WORKER_ENV + list(extra_env), config=setup.CONFIG)
    worker = g.worker(setup.COMPONENT, setup.WORKER)
    if name.split(".", 1)[0] == "sockets_net":
        g.network.allow()
    for _var, authority in extra_env:
        g.http.pass_through(authority)
    if extra_env:
        from golem_fakes.state.http import DnsError

        g.http.route(authority=probe_fake.DNS_FAILURE_AUTHORITY, optional=True).mock(DnsError())
    result: dict[str, Any] = {"outcome": "ok", "lines": [], "detail": ""}
    try:
        text = g.invoke(setup.COMPONENT, setup.WORKER, "run", name)
        result["lines"] = text.split("\n") if text else []
    except NotFaked as e:
        result.update(outcome="notfaked", detail=str(e))
    except BaseException as e:  # noqa: BLE001 - traps and exit end the invocation
        if isinstance(e, KeyboardInterrupt):
            raise
        if probe_fake._is_exit(e):
            result.update(outcome="exit", detail=f"{type(e).__name__}: {e}")
        else:
            result.update(outcome="trap", detail=f"{type(e).__name__}: {e}")
    result["stdout"], result["stderr"], result["logs"] = probe_fake._console(g, worker)
    inst = g.__dict__.get("_instances", {}).get((setup.COMPONENT, setup.WORKER))
    if inst is not None:  # free the wasm store now, not when the collector finds it
        inst.drop()
    return result


@pytest.fixture(scope="session")
def http_env_for_linker(fake_results: dict[str, Any]) -> None:
    """The ``http`` probes reach the session's loopback server (as ``fake_results``)."""
    import http_server

    for var, value in http_server.environment():
        os.environ.setdefault(var, value)


@pytest.mark.parametrize("name", PROBE_NAMES)
def test_probe_as_wasm_on_the_fakes(name: str, probe_wasm: Path, fake_results: dict[str, Any],
                                    http_env_for_linker: None) -> None:
    if name in LINKER_SKIPS:
        pytest.skip(LINKER_SKIPS[name])
    python_run = fake_results["results"].get(name)
    assert python_run is not None, f"probe {name} missing from the Python run on the fakes"
    if python_run["outcome"] in ("setup-error", "error", "notfaked"):
        pytest.skip(f"the Python run of {name} on the fakes did not complete: "
                    f"{python_run['detail'][:200]}")
    wasm_run = run_wasm(probe_wasm, name)
    expected, actual = normalise(python_run), normalise(wasm_run)
    gap = LINKER_GAPS.get(name)
    if gap is not None:
        if actual == expected:
            pytest.fail(f"probe {name} now matches: remove it from LINKER_GAPS", pytrace=False)
        pytest.xfail(f"known gap: {gap}\n" + render_diff(expected, actual, "python", "wasm"))
    if actual != expected:
        pytest.fail(f"probe {name}: the .wasm on golem-fakes differs from the Python run on "
                    f"golem-fakes\n" + render_diff(expected, actual, "python-on-fakes",
                                                   "wasm-on-fakes")
                    + f"\npython detail: {python_run.get('detail')}\n"
                      f"wasm detail: {wasm_run.get('detail')}", pytrace=False)
