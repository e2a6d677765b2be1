"""Behaviour of ``wasi:sockets/udp-create-socket@0.2.3``.

wasmtime 33 ``crates/wasi/src/p2/udp.rs`` ``UdpSocket::new``: a non-blocking socket of
the family, IPv6 ones ``IPV6_V6ONLY``. Golem passes it through, not recorded.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_sockets import (UDP_CREATE, family_name, network_of,
                                                 owner_instance, socket_errors)
from golem_fakes.state.network import UdpSocket

__all__ = ["create_udp_socket"]


@implements(UDP_CREATE, "create-udp-socket")
@socket_errors
def create_udp_socket(env: Any, family: Any) -> UdpSocket:
    """A new UDP socket in state ``default`` (unbound)."""
    sock = UdpSocket(network_of(env, UDP_CREATE, "create-udp-socket"), family_name(family))
    sock.owner = owner_instance(env)
    return sock
