"""Behaviour of ``wasi:sockets@0.2.3``: ``network``, ``instance-network``, ``tcp``,
``tcp-create-socket``, ``udp``, ``udp-create-socket``, ``ip-name-lookup``.

Golem v1.3.0-dev.25 links wasmtime 33's socket host unchanged
(``golem-worker-executor/src/durable_host/sockets/*.rs`` only add
``observe_function_call``), except ``resolve-addresses``, which it resolves eagerly and
records (``ip_name_lookup.rs``). The reference semantics are wasmtime v33.0.0's
``crates/wasi/src/p2/{tcp,udp,network,ip_name_lookup}.rs`` and
``crates/wasi/src/p2/host/{tcp,udp,network,instance_network}.rs`` on Linux; the models
are in :mod:`golem_fakes.state.network` (``golem.network``), where the consequences of
Golem's deny-all address check (``access-denied``, ``docs/golem-io-semantics.md``
§5.9) and of sockets not being durable are described.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from golem_fakes.bindings.result import Err, Ok
from golem_fakes.bindings.runtime import NotFaked, Trap, dropped_by_collector
from golem_fakes.state.network import Network, SockAddr, SocketError

__all__ = ["NETWORK", "INSTANCE_NETWORK", "TCP", "TCP_CREATE", "UDP", "UDP_CREATE",
           "IP_NAME_LOOKUP", "NetworkRep", "network_of", "sock_addr", "wit_addr", "wit_ip",
           "socket_errors", "family_name", "owner_instance", "check_drop"]

NETWORK = "wasi:sockets/network@0.2.3"
INSTANCE_NETWORK = "wasi:sockets/instance-network@0.2.3"
TCP = "wasi:sockets/tcp@0.2.3"
TCP_CREATE = "wasi:sockets/tcp-create-socket@0.2.3"
UDP = "wasi:sockets/udp@0.2.3"
UDP_CREATE = "wasi:sockets/udp-create-socket@0.2.3"
IP_NAME_LOOKUP = "wasi:sockets/ip-name-lookup@0.2.3"

F = TypeVar("F", bound=Callable[..., Any])


class NetworkRep:
    """Rep of a ``network`` resource (wasmtime's ``Network``: the address check and
    whether name lookup is allowed, read from the environment when used)."""

    __slots__ = ("network",)

    def __init__(self, network: Network) -> None:
        self.network = network

    def __repr__(self) -> str:
        return f"NetworkRep({self.network!r})"


def network_of(env: Any, interface: str, function: str) -> Network:
    """``golem.network`` of the current Golem, or :class:`NotFaked` outside one."""
    net = getattr(env, "network", None)
    if isinstance(net, Network):
        return net
    raise NotFaked(
        f"{interface}#{function} needs a golem_fakes.Golem environment (its in-memory "
        f"network is `golem.network`), but the current environment is {env!r}. Use "
        f"`with golem_fakes.Golem():`, or override the function with "
        f"env.implement({interface!r}, {function!r}, ...).",
        interface=interface, function=function)


def family_name(value: Any) -> str:
    """``ip-address-family`` as ``"ipv4"`` / ``"ipv6"``."""
    name = getattr(value, "name", value)
    return str(name).lower()


def _case(value: Any) -> str:
    name = type(value).__name__
    if name.endswith("Ipv4"):
        return "ipv4"
    if name.endswith("Ipv6"):
        return "ipv6"
    raise TypeError(f"not an ip-socket-address case: {value!r}")


def sock_addr(value: Any) -> SockAddr:
    """A lowered ``ip-socket-address`` (``IpSocketAddress_Ipv4(Ipv4SocketAddress(...))``)
    as a :class:`SockAddr`."""
    import ipaddress

    case = _case(value)
    rec = value.value
    if case == "ipv4":
        return SockAddr(ipaddress.IPv4Address(bytes(rec.address)), rec.port)
    words = rec.address
    n = 0
    for w in words:
        n = (n << 16) | w
    return SockAddr(ipaddress.IPv6Address(n), rec.port, rec.flow_info, rec.scope_id)


def wit_ip(ip: Any) -> tuple[str, tuple[int, ...]]:
    """An IP address as the ``ip-address`` variant (``("ipv4", (a, b, c, d))``)."""
    if ip.version == 4:
        return ("ipv4", tuple(ip.packed))
    n = int(ip)
    return ("ipv6", tuple((n >> (16 * (7 - i))) & 0xFFFF for i in range(8)))


def wit_addr(addr: SockAddr) -> tuple[str, dict[str, Any]]:
    """A :class:`SockAddr` as the ``ip-socket-address`` variant."""
    case, words = wit_ip(addr.ip)
    if case == "ipv4":
        return ("ipv4", {"port": addr.port, "address": words})
    return ("ipv6", {"port": addr.port, "flow_info": addr.flow_info, "address": words,
                     "scope_id": addr.scope_id})


def socket_errors(fn: F) -> F:
    """For a function returning ``result<T, error-code>``: the behaviour's value as
    ``Ok(value)`` (unless it is an ``Ok``/``Err`` already), a :class:`SocketError`
    raised by the model as the guest's ``Err(code)``."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> Any:
        try:
            value = fn(*args)
        except SocketError as e:
            return Err(e.code)
        return value if type(value) is Ok or type(value) is Err else Ok(value)

    return wrapper  # type: ignore[return-value]


def owner_instance(env: Any) -> Any:
    """The worker instance whose code is calling (its resources die with it)."""
    cur_value = getattr(env, "_current_env_value", None)
    cur = cur_value() if cur_value is not None else None
    inst = getattr(cur, "instance", None)
    if inst is None:
        default = getattr(env, "_default", None)
        if default is not None:
            inst = env.__dict__.get("_instances", {}).get(default[:2])
    return inst


def check_drop(rep: Any, interface: str, function: str) -> bool:
    """wasmtime ``ResourceTable::delete``: a socket with live children (its streams,
    the pollables of its ``subscribe``) cannot be dropped — the worker traps with
    ``resource has children``. A drop by the garbage collector, or while the worker's
    instance is being dropped (a crash or restart drops the whole table), passes.
    Returns whether the rep may be released now."""
    children = getattr(rep, "children", 0)
    if not children:
        return True
    owner = getattr(rep, "owner", None)
    if dropped_by_collector() or (owner is not None and getattr(owner, "dropped", False)):
        return True
    raise Trap(f"resource has children: {rep.name} is dropped while {children} of its "
               f"streams or pollables are alive; drop them first (wasmtime's resource table "
               f"keeps them as children of the socket)", interface=interface, function=function)
