"""Behaviour of ``wasi:cli/environment@0.2.3``: ``get-environment``, ``get-arguments``,
``initial-cwd``.

What Golem does (``docs/golem-io-semantics.md`` §5.1, §5.4, §6 rule 18; Golem
v1.3.0-dev.25, ``golem-worker-executor/src/durable_host/cli/environment.rs``,
``WorkerConfig::new`` in ``golem-worker-executor/src/model/mod.rs``,
``merge_worker_env_with_component_env`` in ``golem-worker-executor/src/worker/mod.rs``):
the values are those of the worker the code runs as, passed to wasmtime unchanged, and
every call is a durable ``read-local`` call recorded as
``golem_environment::get_environment`` / ``::get_arguments`` / ``::initial_cwd`` (request
``()``, response the value), despite a code comment saying they need not be.

componentize-py fills ``os.environ`` and ``sys.argv`` from these calls at the first
export call (``docs/componentize-py.md`` §7); so does golem-fakes for a worker instance
running component code (``golem.invoke``:
:meth:`golem_fakes.worker.instance.WorkerInstance.enter_process`). A test's own block
keeps the test process's ``os.environ``; code there calls the bindings.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces import durable_call
from golem_fakes.interfaces.wasi_cli import ENVIRONMENT, READ_LOCAL, require_golem

__all__ = ["GOLEM_INJECTED", "worker_environment", "get_environment", "get_arguments",
           "initial_cwd"]

#: The variables Golem v1.3.0-dev.25 injects into every worker instance, in this order;
#: user values of these names are removed first (``WorkerConfig::new``).
GOLEM_INJECTED = ("GOLEM_WORKER_NAME", "GOLEM_COMPONENT_ID", "GOLEM_COMPONENT_VERSION")


def worker_environment(worker: Any) -> list[tuple[str, str]]:
    """The WASI environment of ``worker`` (a :class:`~golem_fakes.state.registry.Worker`),
    as Golem v1.3.0-dev.25 builds it for each worker instance (§5.4):

    1. the worker's own variables, in the order given at creation;
    2. each variable of its component's ``env`` whose name the worker did not set;
    3. with any ``GOLEM_WORKER_NAME`` / ``GOLEM_COMPONENT_ID`` / ``GOLEM_COMPONENT_VERSION``
       removed, those three appended: the worker name verbatim, the component id as a
       lower-case hyphenated UUID, and the component version the worker currently runs
       (decimal).

    No ``GOLEM_AGENT_ID`` / ``GOLEM_AGENT_TYPE``: they do not exist at v1.3.0-dev.25 (a
    user variable of either name passes through like any other; doc §5.4, rule 18), and
    no ``HOME``, ``PATH`` or ``PWD``. Note: the worker *metadata* of this codebase
    (:meth:`~golem_fakes.state.registry.Worker.metadata_env`, ``get-worker-metadata``)
    follows v1.3.1, which stores ``GOLEM_AGENT_ID`` in the metadata; the WASI environment
    here is dev.25's.
    """
    out: list[tuple[str, str]] = []
    seen: set[str] = set()
    for k, v in worker.env:
        seen.add(k)
        if k not in GOLEM_INJECTED:
            out.append((k, v))
    for k, v in worker.component.env.items():
        if k not in seen and k not in GOLEM_INJECTED:
            out.append((k, v))
    out.append(("GOLEM_WORKER_NAME", worker.name))
    out.append(("GOLEM_COMPONENT_ID", str(worker.component.component_id)))
    out.append(("GOLEM_COMPONENT_VERSION", str(worker.component_version)))
    return out


@implements(ENVIRONMENT, "get-environment")
def get_environment(env: Any) -> list[tuple[str, str]]:
    """The calling worker's environment variables (see :func:`worker_environment`),
    recorded as ``golem_environment::get_environment`` (read-local, §5.1)."""
    g = require_golem(env, ENVIRONMENT, "get-environment", "returns the environment")
    value = worker_environment(g.current_worker)
    return durable_call(env, "golem_environment::get_environment", READ_LOCAL, None,  # type: ignore[no-any-return]
                        lambda: (value, Ok(list(value))))


@implements(ENVIRONMENT, "get-arguments")
def get_arguments(env: Any) -> list[str]:
    """The calling worker's arguments exactly as given at creation (empty by default; no
    program name is prepended, §5.4), recorded as ``golem_environment::get_arguments``
    (read-local)."""
    g = require_golem(env, ENVIRONMENT, "get-arguments", "returns the arguments")
    value = list(g.current_worker.args)
    return durable_call(env, "golem_environment::get_arguments", READ_LOCAL, None,  # type: ignore[no-any-return]
                        lambda: (value, Ok(list(value))))


@implements(ENVIRONMENT, "initial-cwd")
def initial_cwd(env: Any) -> None:
    """Always ``none``: the wasmtime context Golem builds has no working directory (§5.4);
    recorded anyway as ``golem_environment::initial_cwd`` (read-local). Under a bare
    Environment (no worker, nothing to record) it is ``none`` too."""
    return durable_call(env, "golem_environment::initial_cwd", READ_LOCAL, None,  # type: ignore[no-any-return]
                        lambda: (None, Ok(None)))
