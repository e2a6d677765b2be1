"""Run the probes natively on golem-fakes (a subprocess of the test session).

Usage: ``python probe_fake.py [-o out.json] <build dir> [probe ...]`` → JSON (on stdout
without ``-o``; the fake may print there too), one result per probe in the shape of :func:`probe_wasmtime.run`, plus ``"notfaked"`` (the message)
when a behaviour is missing.

The test session already installed golem-fakes' ``all-imports`` world as
``wit_world``; the probe world is a different world, so it is installed here, in a
process of its own: ``golem_fakes.install(wit=<build dir>/wit, world="probe")``.
The probes and ``probe_app.py`` are imported from the same copy the component was built
from (``<build dir>/src``). Each probe runs in a fresh ``Golem`` (same seed) as one
invocation of worker ``probe/w`` created with :mod:`probe_setup`'s args, env,
config and read-write initial files; ``sockets_net`` probes with
``golem.network.allow()`` (wasmtime's side: ``inherit_network``); ``http`` probes with
the loopback server's addresses in the environment and ``golem.http.pass_through`` for
both (wasmtime's side: real requests to the same server).
"""

from __future__ import annotations

import json
import sys
import traceback
from pathlib import Path
from typing import Any


def _console(g: Any, worker: Any) -> tuple[str, str, list[list[str]]]:
    try:
        c = g.console(worker)
    except ImportError:
        return "", "", []

    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, (bytes, bytearray)):
            return bytes(v).decode("utf-8", "replace")
        return str(v)

    stdout = text(getattr(c, "stdout", ""))
    stderr = text(getattr(c, "stderr", ""))
    logs: list[list[str]] = []
    for entry in getattr(c, "logs", None) or []:
        if isinstance(entry, (tuple, list)):
            level, context, message = entry[0], entry[1], entry[2]
        else:
            level, context, message = entry.level, entry.context, entry.message
        level = getattr(level, "name", level)
        logs.append([str(level).lower().replace("_", "-"), str(context), str(message)])
    return stdout, stderr, logs


def _is_exit(exc: BaseException) -> bool:
    name = type(exc).__name__.lower()
    return "exit" in name or "process exited" in str(exc).lower()


def run_one(name: str) -> dict[str, Any]:
    import probe_setup as setup
    from golem_fakes.bindings.runtime import NotFaked

    from probe_app import run_probe

    result: dict[str, Any] = {"outcome": "ok", "lines": [], "detail": ""}
    extra_env = _http_env() if name.split(".", 1)[0] == "http" else []
    try:
        g = setup.make_golem(extra_env)
    except BaseException as e:  # noqa: BLE001 - reported per probe
        result.update(outcome="setup-error", detail=f"{type(e).__name__}: {e}")
        result.update(stdout="", stderr="", logs=[])
        return result
    worker = g.worker(setup.COMPONENT, setup.WORKER)
    if name.split(".", 1)[0] == "sockets_net":  # probe_wasmtime.network_allowed
        g.network.allow()
    for var, authority in extra_env:  # the http probes' loopback server (and closed port)
        g.http.pass_through(authority)
    if extra_env:
        # probe http.dns_error: wasmtime resolves the name for real and fails; the fake
        # makes no lookup: a stub answers what wasmtime 33 maps a failed lookup to
        # (crates/wasi-http/src/types.rs default_send_request_handler: dns_error(
        # "address not available", 0))
        from golem_fakes.state.http import DnsError

        g.http.route(authority=DNS_FAILURE_AUTHORITY, optional=True).mock(DnsError())
    try:
        with g.run_as(setup.COMPONENT, setup.WORKER):
            text = run_probe(name)
        result["lines"] = text.split("\n") if text else []
    except NotFaked as e:
        result.update(outcome="notfaked", detail=str(e), notfaked=str(e))
    except BaseException as e:  # noqa: BLE001 - traps and exit end the invocation
        if isinstance(e, KeyboardInterrupt):
            raise
        if _is_exit(e):
            result.update(outcome="exit", detail=f"{type(e).__name__}: {e}")
        elif isinstance(e, Exception) and not _is_trap(e):
            result.update(outcome="error", detail="".join(
                traceback.format_exception(type(e), e, e.__traceback__)))
        else:
            result.update(outcome="trap", detail=f"{type(e).__name__}: {e}")
    try:
        result["stdout"], result["stderr"], result["logs"] = _console(g, worker)
    except BaseException as e:  # noqa: BLE001
        result.update(stdout="", stderr="", logs=[], console_error=f"{type(e).__name__}: {e}")
    return result


#: the authority of probe ``http.dns_error`` (RFC 2606: ``.invalid`` never resolves)
DNS_FAILURE_AUTHORITY = "no-such-host.invalid:80"


def _http_env() -> list[tuple[str, str]]:
    """The ``http`` probes' server addresses: those of the test session's server
    (``PROBE_HTTP_AUTHORITY`` / ``PROBE_HTTP_CLOSED`` in this process's environment,
    set by ``conftest.fake_results``), else a server of this process
    (:func:`http_server.environment`), so both hosts talk to the same server in a test
    run and a manual run still works."""
    import os

    names = ("PROBE_HTTP_AUTHORITY", "PROBE_HTTP_CLOSED")
    if all(os.environ.get(n) for n in names):
        return [(n, os.environ[n]) for n in names]
    import http_server

    return http_server.environment()


def _is_trap(e: BaseException) -> bool:
    from golem_fakes.bindings.runtime import Trap

    return isinstance(e, Trap) or "trap" in type(e).__name__.lower()


def main(argv: list[str]) -> int:
    out_path = None
    if len(argv) >= 2 and argv[0] == "-o":
        out_path, argv = Path(argv[1]), argv[2:]
    build_dir = Path(argv[0])
    sys.path.insert(0, str(build_dir / "src"))
    sys.path.insert(1, str(Path(__file__).resolve().parent))
    import golem_fakes

    golem_fakes.install(wit=build_dir / "wit", world="probe")
    from probes import PROBES

    names = argv[1:] or sorted(PROBES)
    out = {"names": sorted(PROBES), "results": {n: run_one(n) for n in names}}
    if out_path is None:
        json.dump(out, sys.stdout, indent=1)
    else:
        tmp = out_path.with_name(out_path.name + ".tmp")
        tmp.write_text(json.dumps(out, indent=1))
        tmp.replace(out_path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
