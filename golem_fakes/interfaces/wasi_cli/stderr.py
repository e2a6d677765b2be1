"""Behaviour of ``wasi:cli/stderr@0.2.3``: ``get-stderr``.

What Golem does (``docs/golem-io-semantics.md`` §5.6, §6 rule 16; Golem v1.3.0-dev.25):
as for stdout — each write becomes a ``StdErr`` worker event and an oplog ``log`` hint
entry with level ``stderr`` and an empty context; never the executor's console. The
stderr output since the start of an invocation is the ``stderr`` text Golem attaches to
that invocation's failure (``get_last_invocation_errors``, §3).

Here the bytes go to ``golem.console().stderr``, the oplog and (echoed) ``sys.stderr``.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_cli import STDERR
from golem_fakes.interfaces.wasi_cli.stdout import console_stream
from golem_fakes.state.streams import OutputStreamRep

__all__ = ["get_stderr"]


@implements(STDERR, "get-stderr")
def get_stderr(env: Any) -> OutputStreamRep:
    """The calling worker's stderr: writes are captured (see the module docstring)."""
    return console_stream(env, "stderr", STDERR, "get-stderr")
