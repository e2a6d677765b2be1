"""The worker runtime: what each Golem worker runs, and how it is invoked.

In Golem every worker is its own instance of the component (its own linear memory, so
its own Python interpreter state, module globals included, and its own resource handle
table), invoked by the executor through the component's exports. This package gives the
fake the same shape:

* :mod:`golem_fakes.worker.code`: :class:`~golem_fakes.worker.code.ComponentCode`, the
  Python code ``componentize-py componentize -p PATH MODULE`` would build (compiled once
  per process), and :class:`~golem_fakes.worker.code.LoadedCode`, one worker's copy of
  the component's own modules (those under ``PATH``), with its export objects, and
  ``activate``/``deactivate`` to make ``import component`` inside the code see that
  worker's modules while it runs. The standard library, installed packages and
  golem-fakes' generated bindings stay shared by every instance.
* :mod:`golem_fakes.worker.instance`: :class:`~golem_fakes.worker.instance.WorkerInstance`,
  one worker's instance: its loaded code, its own handle table (the view of the Golem
  the bindings see while it runs), its exported resources; and the environment an
  invocation has after it trapped.
* :mod:`golem_fakes.worker.executor`: ``Golem.invoke`` / ``Golem.enqueue``: a worker's
  invocations one at a time in arrival order, idempotency keys answered from the first
  result, exports invoked by name with componentize-py's checks, traps final.
"""

from golem_fakes.worker.code import CODE_CACHE, ComponentBuildError, ComponentCode, LoadedCode

__all__ = ["ComponentCode", "LoadedCode", "ComponentBuildError", "CODE_CACHE"]
