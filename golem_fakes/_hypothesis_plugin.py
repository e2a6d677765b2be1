"""golem-fakes' ``hypothesis`` entry point: ``st.from_type`` for the generated classes.

Declared in ``pyproject.toml``::

    [project.entry-points.hypothesis]
    golem_fakes = "golem_fakes._hypothesis_plugin:_hypothesis_setup_hook"

Hypothesis calls :func:`_hypothesis_setup_hook` when it is imported — possibly before
:func:`golem_fakes.install` ran, and importing every generated module of a world
costs about half a second for ``all-imports``. So nothing is registered eagerly: the
hook asks the bindings importer (:func:`golem_fakes.bindings.importer.add_module_hook`)
to report every generated module when it is executed (and the ones already imported),
and :func:`register_module` then registers each record, variant-case, enum, flags and
resource class of that module with a *resolver function* — the strategy itself is
built from the WIT model (:mod:`golem_fakes.strategies`) only when a test first asks
for it. A class a test holds has had its module imported, so it is registered.

Resource classes are registered too, with a resolver that explains why no strategy
exists (see :mod:`golem_fakes.strategies`, "Resources"); a test may register its own
strategy for one, which replaces ours.
"""

from __future__ import annotations

import dataclasses
import enum
import warnings
from types import ModuleType
from typing import Any, Protocol

__all__ = ["_hypothesis_setup_hook", "register_module", "registered_classes"]

_REGISTERED: dict[type, None] = {}


def _hypothesis_setup_hook() -> None:
    """Called by hypothesis at import: register lazily through the importer."""
    from golem_fakes.bindings import importer

    importer.add_module_hook(register_module)


def _generated_classes(module: ModuleType) -> list[type]:
    from golem_fakes.bindings.result import Err, Ok, Some

    out: list[type] = []
    for obj in list(vars(module).values()):
        if not isinstance(obj, type) or obj.__module__ != module.__name__:
            continue
        if obj in (Some, Ok, Err) or issubclass(obj, BaseException):
            continue
        if Protocol in obj.__mro__ or getattr(obj, "_is_protocol", False):
            continue  # exported interfaces and resources: implemented by the user
        is_resource = hasattr(obj, "__enter__") and hasattr(obj, "__exit__")
        if dataclasses.is_dataclass(obj) or issubclass(obj, enum.Enum) or is_resource:
            out.append(obj)
    return out


def _resolve(cls: type) -> Any:
    """The resolver registered for every class: :func:`golem_fakes.strategies._resolver`,
    imported when hypothesis first asks. Not imported at registration: when
    ``golem_fakes.strategies`` is the module that imports hypothesis first (an RPC call
    reads the world through it before any test imported hypothesis), hypothesis runs
    this plugin while ``golem_fakes.strategies`` is still initialising."""
    from golem_fakes.strategies import _resolver

    return _resolver(cls)


def register_module(module: ModuleType) -> None:
    """Register the generated classes of ``module`` with hypothesis (idempotent)."""
    try:
        from hypothesis import strategies as st

        for cls in _generated_classes(module):
            if cls not in _REGISTERED:
                st.register_type_strategy(cls, _resolve)
                _REGISTERED[cls] = None
    except Exception as e:  # noqa: BLE001 - an import must never fail because of this
        warnings.warn(f"golem-fakes could not register hypothesis strategies for "
                      f"{module.__name__}: {type(e).__name__}: {e}", RuntimeWarning,
                      stacklevel=2)


def registered_classes() -> list[Any]:
    """The classes registered so far (for diagnostics and tests)."""
    return list(_REGISTERED)
