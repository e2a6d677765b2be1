"""Behaviour of ``wasi:sockets/tcp-create-socket@0.2.3``.

wasmtime 33 ``crates/wasi/src/p2/host/tcp_create_socket.rs`` / ``tcp.rs``
``TcpSocket::new``: a tokio socket of the family, IPv6 ones ``IPV6_V6ONLY``; never
fails on Linux short of descriptor limits. Golem passes it through, not recorded.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.interfaces.wasi_sockets import (TCP_CREATE, family_name, network_of,
                                                 owner_instance, socket_errors)
from golem_fakes.state.network import TcpSocket

__all__ = ["create_tcp_socket"]


@implements(TCP_CREATE, "create-tcp-socket")
@socket_errors
def create_tcp_socket(env: Any, family: Any) -> TcpSocket:
    """A new TCP socket in state ``default`` (unbound)."""
    sock = TcpSocket(network_of(env, TCP_CREATE, "create-tcp-socket"), family_name(family))
    sock.owner = owner_instance(env)
    return sock
