"""Worker instances: what each Golem worker runs.

In Golem every worker is its own instance of the component (its own linear memory, so
its own Python interpreter state, module globals included). This package gives the
fake the same shape:

* :mod:`golem_fakes.worker.code`: :class:`~golem_fakes.worker.code.ComponentCode`, the
  Python code ``componentize-py componentize -p PATH MODULE`` would build (compiled once
  per process), and :class:`~golem_fakes.worker.code.LoadedCode`, one worker's copy of
  the component's own modules (those under ``PATH``), with its export objects, and
  ``activate``/``deactivate`` to make ``import component`` inside the code see that
  worker's modules while it runs. The standard library, installed packages and
  golem-fakes' generated bindings stay shared by every instance.
"""

from golem_fakes.worker.code import CODE_CACHE, ComponentBuildError, ComponentCode, LoadedCode

__all__ = ["ComponentCode", "LoadedCode", "ComponentBuildError", "CODE_CACHE"]
