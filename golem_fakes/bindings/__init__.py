"""Generated componentize-py bindings served from a cache (see ``golem_fakes.install``).

* :mod:`.naming` — componentize-py's naming rules and layout families;
* :mod:`.codegen` — model → source of every generated module;
* :mod:`.importer` — the ``sys.meta_path`` finder and the on-disk cache;
* :mod:`.install` — ``install()``, the public entry point (``golem_fakes.install``);
* :mod:`.result` — the one set of ``Some``/``Ok``/``Err``/``Result`` classes;
* :mod:`.lowering` / :mod:`.runtime` — the seam the generated bodies call.

Attributes are imported lazily so that ``import golem_fakes`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

# ``install`` is deliberately not here: it is also the name of the submodule
# ``golem_fakes.bindings.install``; use ``golem_fakes.install``.
_LAZY = {
    "InstalledBindings": "golem_fakes.bindings.install",
    "BindingsConflict": "golem_fakes.bindings.errors",
    "BindingsAlreadyInstalled": "golem_fakes.bindings.errors",
}

__all__ = list(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'golem_fakes.bindings' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
