"""``wasi:cli/terminal-input@0.2.3``: the ``terminal-input`` resource.

The WIT interface defines only the resource type, with no constructor and no methods.
A Golem worker never obtains one: ``get-terminal-stdin`` returns ``none``
(``docs/golem-io-semantics.md`` §5.6), so there is no behaviour to register here; the
generated ``TerminalInput`` class exists in the bindings as a type only.
"""

from __future__ import annotations

from golem_fakes.interfaces.wasi_cli import TERMINAL_INPUT

__all__ = ["TERMINAL_INPUT"]
