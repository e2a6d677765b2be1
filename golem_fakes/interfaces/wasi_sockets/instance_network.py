"""Behaviour of ``wasi:sockets/instance-network@0.2.3``.

wasmtime 33 ``crates/wasi/src/p2/host/instance_network.rs``: every call pushes a new
``Network`` (the context's address check and name-lookup permission); Golem passes it
through (``durable_host/sockets/instance_network.rs``), not recorded.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_sockets import INSTANCE_NETWORK, NetworkRep, network_of

__all__ = ["instance_network"]


@implements(INSTANCE_NETWORK, "instance-network")
def instance_network(env: Any) -> NetworkRep:
    """A new handle to the environment's network (``golem.network``)."""
    return NetworkRep(network_of(env, INSTANCE_NETWORK, "instance-network"))
