"""``wasi:cli/terminal-output@0.2.3``: the ``terminal-output`` resource.

The WIT interface defines only the resource type, with no constructor and no methods.
A Golem worker never obtains one: ``get-terminal-stdout`` and ``get-terminal-stderr``
return ``none`` (``docs/golem-io-semantics.md`` §5.6), so there is no behaviour to
register here; the generated ``TerminalOutput`` class exists in the bindings as a type
only.
"""

from __future__ import annotations

from golem_fakes.interfaces.wasi_cli import TERMINAL_OUTPUT

__all__ = ["TERMINAL_OUTPUT"]
