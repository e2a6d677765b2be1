"""Behaviour of ``wasi:logging/logging``: ``log``.

What Golem does (``docs/golem-io-semantics.md`` §3, §6 rule 16; Golem v1.3.0-dev.25,
``golem-worker-executor/src/durable_host/logging/logging.rs`` and
``DurableWorkerCtx::emit_log_event``): the six levels map one to one and none is
filtered; ``context`` and ``message`` are kept verbatim (any string, empty allowed). The
call becomes a worker event ``Log { level, context, message }`` (what ``golem`` CLI shows
when streaming a worker) and an oplog ``log`` hint entry — not the executor's console,
and not an ``imported-function-invoked`` entry. It never fails and returns nothing.

Here the record goes to the calling worker's
:class:`~golem_fakes.state.console.Console` (``golem.console().logs``), the oplog, and
Python's ``logging`` (logger ``golem.worker.<component>.<worker>``; trace → 5 ``TRACE``,
debug → ``DEBUG``, info → ``INFO``, warn → ``WARNING``, error → ``ERROR``, critical →
``CRITICAL``), so pytest's ``caplog`` and "Captured log call" see it.

Under a bare :class:`~golem_fakes.Environment` (no worker to attribute the record to) the
record is only forwarded to the logger ``golem.worker`` — ``log`` never fails.
"""

from __future__ import annotations

import logging as _logging
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_logging import LOGGING
from golem_fakes.state.console import LOGGER_NAME, PYTHON_LEVELS, forward

__all__ = ["log"]

_fallback = _logging.getLogger(LOGGER_NAME)


@implements(LOGGING, "log")
def log(env: Any, level: Any, context: str, message: str) -> None:
    """Capture one log record for the calling worker (see the module docstring)."""
    name = level.name.lower()  # the generated ``Level`` member, validated by the seam
    console = getattr(env, "console", None)
    if console is None or not callable(console):
        pylevel = PYTHON_LEVELS[name]
        if _fallback.isEnabledFor(pylevel):
            forward(_fallback, pylevel, name, context, message, None)
        return None
    console().log(name, context, message)
    return None
