"""Behaviour of ``wasi:config/store@0.2.0-draft``: ``get`` and ``get-all``.

What Golem does (``docs/golem-io-semantics.md`` §4, §6 rule 17; Golem v1.3.0-dev.25,
``golem-worker-executor/src/durable_host/config/mod.rs``, ``effective_wasi_config_vars``
in ``durable_host/mod.rs``): the values are the worker's ``wasi-config-vars``, the
string map given when it was created (``Golem(config=...)``,
``golem.add_worker(..., config=...)``; empty for a worker created implicitly through the
REST API). Component-level config vars are not used (Golem passes an empty map, with a
TODO). ``get(key)`` is ``Ok(some(value))`` or ``Ok(none)`` by exact key; ``get-all`` is
``Ok`` of every pair sorted by key (a ``BTreeMap``: bytewise order, which for UTF-8 is
code-point order, i.e. Python's ``str`` order). Neither ever returns an error, and neither
is recorded in the oplog: the values are fixed for the worker's life.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_cli import require_golem
from golem_fakes.interfaces.wasi_config import STORE

__all__ = ["get", "get_all"]


@implements(STORE, "get")
def get(env: Any, key: str) -> Any:
    """``Ok(value)`` for an exact key of the worker's config, else ``Ok(None)``."""
    g = require_golem(env, STORE, "get", "reads the wasi-config-vars")
    return Ok(g.current_worker.config.get(key))


@implements(STORE, "get-all")
def get_all(env: Any) -> Any:
    """``Ok`` of the worker's config pairs, sorted by key."""
    g = require_golem(env, STORE, "get-all", "reads the wasi-config-vars")
    return Ok(sorted(g.current_worker.config.items()))
