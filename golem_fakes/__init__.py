"""golem-fakes: the in-memory Golem host for pytest.

Worker code written for componentize-py imports generated bindings
(``from wit_world.imports import host``). :func:`install` generates those modules
under plain CPython — the same modules, names, classes and signatures componentize-py
produces — and every call goes through one seam that validates arguments like the
component runtime and dispatches to in-memory behaviour.

Public API (imported lazily, so ``import golem_fakes`` stays cheap):

* :func:`install` — generate and serve bindings for a WIT world.
* :class:`Golem` — one in-memory Golem installation (workers, oplogs, promises); the
  environment tests use: ``with Golem(seed=0):``.
* :class:`Deadlock` — worker code waits for something nothing in the test can provide.
* :class:`ProcessExited` — worker code called ``wasi:cli/exit`` (the invocation ends,
  the worker is exited; never ``SystemExit``).
* :class:`Console`, :class:`LogRecord` — a worker's captured stdout / stderr and
  ``wasi:logging`` records (``golem.console()``).
* :class:`Environment` — the state every host call acts on; the current one is found
  through a ``ContextVar``.
* :class:`Trap`, :class:`NotFaked`, :class:`NoEnvironment`, :class:`BindingsConflict`,
  :class:`FakeBug` — what can go wrong, each with a message saying how to fix it.
* :class:`WitError` — a WIT document could not be parsed or resolved.
* :class:`InvalidArgument`, :class:`UnknownExport`, :class:`ExportedResource`,
  :class:`ComponentBuildError`, :class:`InvocationRejected` — invoking a worker by export
  name (``golem.invoke(component, worker, "add-item", ...)``): arguments that do not fit,
  a name no export has, the handle of an exported resource, code componentize-py would
  not build, a worker that refuses invocations.
* :class:`Divergence`, :class:`NotReplayable`, :class:`RetryPolicy` — durable execution
  under test (``golem.crash``): a replay that made other host calls than recorded, a
  worker whose oplog holds test code that cannot run again, the retry policy.
* :class:`CrashPlan`, :class:`ExploreReport`, :class:`CrashExplorationFailed` —
  ``golem.explore_crashes``: one crash point, the report, the failure listing points.
* :class:`WorkerInterrupted`, :class:`WorkerNotFound`, :class:`LifecycleWarning` —
  ``golem.interrupt`` / ``resume`` / ``restart``: an invocation cut by an interrupt, a
  worker that does not exist, an interrupt Golem ignores.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_LAZY: dict[str, str] = {
    "install": "golem_fakes.bindings.install",
    "InstalledBindings": "golem_fakes.bindings.install",
    "BindingsConflict": "golem_fakes.bindings.errors",
    "Trap": "golem_fakes.bindings.runtime",
    "NotFaked": "golem_fakes.bindings.runtime",
    "NoEnvironment": "golem_fakes.bindings.runtime",
    "FakeBug": "golem_fakes.bindings.runtime",
    "implements": "golem_fakes.bindings.registry",
    "Environment": "golem_fakes.state.environment",
    "Golem": "golem_fakes.state.golem",
    "Deadlock": "golem_fakes.state.promises",
    "ProcessExited": "golem_fakes.state.process_exit",
    "Console": "golem_fakes.state.console",
    "LogRecord": "golem_fakes.state.console",
    "WitError": "golem_fakes.wit.model",
    "InvalidArgument": "golem_fakes.bindings.exports",
    "UnknownExport": "golem_fakes.bindings.exports",
    "ExportedResource": "golem_fakes.bindings.exports",
    "ComponentBuildError": "golem_fakes.worker.code",
    "InvocationRejected": "golem_fakes.state.invocation",
    "RetryPolicy": "golem_fakes.state.invocation",
    "Divergence": "golem_fakes.worker.replay",
    "NotReplayable": "golem_fakes.worker.replay",
    "CrashPlan": "golem_fakes.worker.explore",
    "ExploreReport": "golem_fakes.worker.explore",
    "CrashExplorationFailed": "golem_fakes.worker.explore",
    "WorkerInterrupted": "golem_fakes.worker.lifecycle",
    "WorkerNotFound": "golem_fakes.worker.lifecycle",
    "LifecycleWarning": "golem_fakes.worker.lifecycle",
}

__all__ = ["__version__", *_LAZY]

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.bindings.errors import BindingsConflict
    from golem_fakes.bindings.exports import ExportedResource, InvalidArgument, UnknownExport
    from golem_fakes.bindings.install import InstalledBindings, install
    from golem_fakes.bindings.registry import implements
    from golem_fakes.bindings.runtime import FakeBug, NoEnvironment, NotFaked, Trap
    from golem_fakes.state.console import Console, LogRecord
    from golem_fakes.state.environment import Environment
    from golem_fakes.state.golem import Golem
    from golem_fakes.state.process_exit import ProcessExited
    from golem_fakes.state.promises import Deadlock
    from golem_fakes.state.invocation import InvocationRejected, RetryPolicy
    from golem_fakes.wit.model import WitError
    from golem_fakes.worker.code import ComponentBuildError
    from golem_fakes.worker.explore import CrashExplorationFailed, CrashPlan, ExploreReport
    from golem_fakes.worker.replay import Divergence, NotReplayable
    from golem_fakes.worker.lifecycle import LifecycleWarning, WorkerInterrupted, WorkerNotFound


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'golem_fakes' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
