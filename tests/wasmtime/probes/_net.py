"""Helpers for the wasi:sockets probes (``sockets.py``, ``sockets_net.py``)."""

from __future__ import annotations

from typing import Any

from componentize_py_types import Err
from wit_world.imports import (instance_network, ip_name_lookup, network, tcp_create_socket,
                               udp_create_socket)

from ._util import err_name

__all__ = ["v4", "v6", "tcp4", "tcp6", "udp4", "udp6", "net", "wait", "show_addr",
           "resolve_all", "port_of"]

N = network


def v4(a: tuple[int, int, int, int], port: int) -> Any:
    return N.IpSocketAddress_Ipv4(N.Ipv4SocketAddress(port=port, address=a))


def v6(a: tuple[int, ...], port: int) -> Any:
    return N.IpSocketAddress_Ipv6(N.Ipv6SocketAddress(port=port, flow_info=0, address=a,
                                                      scope_id=0))


def net() -> Any:
    return instance_network.instance_network()


def tcp4() -> Any:
    return tcp_create_socket.create_tcp_socket(N.IpAddressFamily.IPV4)


def tcp6() -> Any:
    return tcp_create_socket.create_tcp_socket(N.IpAddressFamily.IPV6)


def udp4() -> Any:
    return udp_create_socket.create_udp_socket(N.IpAddressFamily.IPV4)


def udp6() -> Any:
    return udp_create_socket.create_udp_socket(N.IpAddressFamily.IPV6)


def wait(resource: Any) -> None:
    """Block on the resource's pollable, then drop the pollable."""
    p = resource.subscribe()
    p.block()
    p.__exit__(None, None, None)


def show_addr(a: Any) -> str:
    """An ip-socket-address without its (ephemeral, host-chosen) port."""
    v = a.value
    return f"{type(a).__name__.rsplit('_', 1)[1].lower()} {v.address} port>0={v.port > 0}"


def port_of(a: Any) -> int:
    return a.value.port


def resolve_all(name: str) -> str:
    """Every address of ``name`` (``err <code>`` from resolve-addresses or from
    resolve-next-address, said which)."""
    try:
        stream = ip_name_lookup.resolve_addresses(net(), name)
    except Err as e:
        return f"resolve-addresses err {err_name(e)}"
    out = []
    while True:
        try:
            a = stream.resolve_next_address()
        except Err as e:
            if err_name(e) == "would-block":
                wait(stream)
                continue
            return f"addresses {out} then next err {err_name(e)}"
        if a is None:
            return f"addresses {out}"
        out.append(f"{type(a).__name__.rsplit('_', 1)[1].lower()}{a.value}")
