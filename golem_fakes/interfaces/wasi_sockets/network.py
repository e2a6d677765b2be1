"""Behaviour of ``wasi:sockets/network@0.2.3``: the ``network`` resource.

wasmtime 33 ``crates/wasi/src/p2/host/network.rs``: dropping a network deletes it from
the table, nothing else (sockets bound through it keep working). ``network-error-code``
is ``@unstable(feature = network-error-code)`` and not in Golem's world.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_sockets import NETWORK

__all__ = ["network_drop"]


@implements(NETWORK, "[resource-drop]network")
def network_drop(env: Any, rep: Any) -> None:
    """Drop a network handle: nothing else happens (wasmtime ``HostNetwork::drop``)."""
    return None
