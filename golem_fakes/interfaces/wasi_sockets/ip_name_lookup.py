"""Behaviour of ``wasi:sockets/ip-name-lookup@0.2.3``.

Golem v1.3.0-dev.25 (``golem-worker-executor/src/durable_host/sockets/ip_name_lookup.rs``)
wraps wasmtime 33's lookup (``crates/wasi/src/p2/ip_name_lookup.rs``) in its durability
machinery: ``resolve-addresses`` resolves the *whole* list at once (it waits for
wasmtime's stream and drains it), records it as ``sockets::ip_name_lookup::resolve_addresses``
(``read-remote``, request: the name; response: the addresses, or the error — a failure is
recorded at once, no retry, ``docs/golem-io-semantics.md`` §5.9) and hands the guest a
stream that is already done. So under Golem, unlike plain wasmtime:

* every error — ``invalid-argument`` (not a valid host name / IP), ``permanent-resolver-
  failure`` (lookup not allowed; Golem allows it), ``name-unresolvable`` (unknown name:
  here, not in ``golem.network.hosts``) — is returned by ``resolve-addresses`` itself
  (wasmtime returns ``name-unresolvable`` from ``resolve-next-address``);
* ``resolve-next-address`` never answers ``would-block`` and its ``subscribe`` is ready
  at once; after the last address it returns ``none`` (every time);
* in replay the recorded list is returned without looking the name up again.

Name validation is wasmtime's ``url::Host::parse``: ``[v6]`` brackets, WHATWG IPv4
forms (``127.1``, ``0x7f.0.0.1``), bare IPv6 (``::1``), percent-decoding, forbidden code
points (space ``#%/:<>?@[\\]^|`` and controls), empty → ``invalid-argument``; names are
lower-cased and non-ASCII ones punycoded (Python's IDNA 2003 codec standing in for
url's UTS 46: they differ only for rare code points).
"""

from __future__ import annotations

import ipaddress
import urllib.parse
from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Err, Ok
from golem_fakes.interfaces import READ_REMOTE, durable_call
from golem_fakes.interfaces.wasi_sockets import (IP_NAME_LOOKUP, check_drop, network_of,
                                                 owner_instance, wit_ip)
from golem_fakes.state.network import IP, SocketError
from golem_fakes.state.streams import PollableRep

__all__ = ["FUNCTION_NAME", "parse_host", "ResolveAddressStreamRep"]

FUNCTION_NAME = "sockets::ip_name_lookup::resolve_addresses"

_FORBIDDEN = set("\0\t\n\r #/:<>?@[\\]^|%\x7f") | {chr(c) for c in range(0x20)}


class ResolveAddressStreamRep:
    """Rep of ``resolve-address-stream``: Golem's ``ResolveAddressStream::Done`` with
    the resolved addresses."""

    def __init__(self, addresses: tuple[IP, ...]) -> None:
        self.addresses = list(addresses)
        self.pos = 0
        self.children = 0  # pollables of its subscribe (children in wasmtime's table)
        self.owner: Any = None
        self.name = "resolve-address-stream"

    def __repr__(self) -> str:
        return f"ResolveAddressStreamRep({self.pos}/{len(self.addresses)})"


def _ipv4_number(part: str) -> int | None:
    if part == "":
        return None
    base = 10
    if part[:2] in ("0x", "0X"):
        part, base = part[2:], 16
        if part == "":
            return 0
    elif len(part) > 1 and part[0] == "0":
        part, base = part[1:], 8
    try:
        return int(part, base) if part.isalnum() else None
    except ValueError:
        return None


def _ends_in_number(host: str) -> bool:
    parts = host.split(".")
    if parts[-1] == "":
        if len(parts) == 1:
            return False
        parts.pop()
    last = parts[-1]
    if last and last.isascii() and last.isdigit():
        return True
    return _ipv4_number(last) is not None


def _parse_ipv4(host: str) -> ipaddress.IPv4Address:
    """The WHATWG IPv4 parser (``url`` crate ``parse_ipv4addr``)."""
    parts = host.split(".")
    if parts[-1] == "" and len(parts) > 1:
        parts.pop()
    if len(parts) > 4:
        raise SocketError("invalid-argument", f"{host!r}: too many IPv4 parts")
    nums = []
    for p in parts:
        n = _ipv4_number(p)
        if n is None:
            raise SocketError("invalid-argument", f"{host!r}: {p!r} is not an IPv4 number")
        nums.append(n)
    last = nums.pop()
    if any(n > 255 for n in nums) or last >= 256 ** (4 - len(nums)):
        raise SocketError("invalid-argument", f"{host!r}: IPv4 part out of range")
    value = last
    for i, n in enumerate(nums):
        value += n * 256 ** (3 - i)
    return ipaddress.IPv4Address(value)


def parse_host(name: str) -> IP | str:
    """wasmtime ``parse``: an IP address, or the ASCII domain name to look up;
    ``invalid-argument`` for anything else."""
    try:
        return _parse(name)
    except SocketError:
        try:  # url::Host::parse does not take bare IPv6 addresses: wasmtime's fallback
            return ipaddress.IPv6Address(name)
        except ValueError:
            raise SocketError("invalid-argument", f"{name!r} is not a host name or IP address") from None


def _parse(name: str) -> IP | str:
    if name.startswith("["):
        if not name.endswith("]"):
            raise SocketError("invalid-argument", "unclosed [")
        try:
            return ipaddress.IPv6Address(name[1:-1])
        except ValueError:
            raise SocketError("invalid-argument", "invalid IPv6 address") from None
    domain = urllib.parse.unquote_to_bytes(name).decode("utf-8", "replace")
    if domain == "":
        raise SocketError("invalid-argument", "empty host")
    if any(c in _FORBIDDEN for c in domain):
        raise SocketError("invalid-argument", f"{name!r} has a forbidden code point")
    if domain.isascii():
        ascii_name = domain.lower()
    else:
        try:
            ascii_name = ".".join(
                label.encode("idna").decode("ascii") if label and not label.isascii()
                else label.lower() for label in domain.split("."))
        except UnicodeError:
            raise SocketError("invalid-argument", f"{name!r} is not a valid IDNA name") from None
    if _ends_in_number(ascii_name):
        return _parse_ipv4(ascii_name)
    return ascii_name


@implements(IP_NAME_LOOKUP, "resolve-addresses")
def resolve_addresses(env: Any, network: Any, name: str) -> Any:
    """Resolve ``name`` at once (recorded); the stream hands out the addresses."""
    net = network_of(env, IP_NAME_LOOKUP, "resolve-addresses")

    def compute() -> tuple[Any, Any]:
        try:
            host = parse_host(name)
            if not net.allow_ip_name_lookup:
                raise SocketError("permanent-resolver-failure", "name lookup is not allowed")
            addrs = (host,) if not isinstance(host, str) else tuple(net.resolve(host))
        except SocketError as e:
            return ("err", e.code), Err(e.code)
        return ("ok", addrs), Ok([str(a) for a in addrs])

    kind, value = durable_call(env, FUNCTION_NAME, READ_REMOTE, name, compute)
    if kind == "err":
        return Err(value)
    stream = ResolveAddressStreamRep(value)
    stream.owner = owner_instance(env)
    return Ok(stream)


@implements(IP_NAME_LOOKUP, "[method]resolve-address-stream.resolve-next-address")
def resolve_next_address(env: Any, stream: ResolveAddressStreamRep) -> Any:
    """The next address, ``none`` after the last."""
    if stream.pos >= len(stream.addresses):
        return Ok(None)
    ip = stream.addresses[stream.pos]
    stream.pos += 1
    return Ok(wit_ip(ip))


@implements(IP_NAME_LOOKUP, "[method]resolve-address-stream.subscribe")
def subscribe(env: Any, stream: ResolveAddressStreamRep) -> PollableRep:
    """Ready at once: Golem resolved the name before returning the stream."""
    return PollableRep(lambda: True, name="resolve-address-stream pollable", parent=stream)


@implements(IP_NAME_LOOKUP, "[resource-drop]resolve-address-stream")
def resolve_address_stream_drop(env: Any, stream: ResolveAddressStreamRep) -> None:
    """Traps while a pollable of its ``subscribe`` is alive (``resource has children``)."""
    check_drop(stream, IP_NAME_LOOKUP, "[resource-drop]resolve-address-stream")
