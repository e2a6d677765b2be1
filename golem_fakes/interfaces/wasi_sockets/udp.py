"""Behaviour of ``wasi:sockets/udp@0.2.3``: ``udp-socket``, ``incoming-datagram-stream``,
``outgoing-datagram-stream``.

wasmtime 33 (``crates/wasi/src/p2/udp.rs``, ``host/udp.rs`` at v33.0.0), passed through
by Golem v1.3.0-dev.25 (``durable_host/sockets/udp.rs``); the model is
:class:`~golem_fakes.state.network.UdpSocket`. In wasmtime's order:

* ``start-bind``: ``concurrency-conflict`` / ``invalid-state`` first, then the family
  (``invalid-argument``), then the address check (Golem: ``access-denied``), then the
  bind (``address-in-use``, ``address-not-bindable``). No unicast check (unlike TCP).
* ``stream(remote)``: traps ``UDP streams not dropped yet`` while a previous pair is
  alive; ``invalid-state`` unless bound; disconnects, then (with a remote) checks it
  (``invalid-argument`` for ``0.0.0.0``/``::``, port 0 or family; the address check)
  and connects. A failed reconnect leaves the socket bound and unconnected.
* ``receive(max)``: up to ``max`` queued datagrams, ``[]`` for 0 or none; a connected
  stream drops datagrams from other senders.
* ``check-send``: 16 permitted, 0 while a send is waiting; ``send`` traps
  (``unpermitted: must call check-send first``) without a permit and
  (``unpermitted: argument exceeds permitted size``) above it; each call uses the
  permit up. Per datagram: ``datagram-too-large`` above 65535 bytes; on an unconnected
  stream a remote address is needed (else ``invalid-argument``) and checked
  (``udp-outgoing-datagram``); on a connected one it must be absent or the connected
  address; ``invalid-argument`` for ``0.0.0.0``/port 0/family. An error after at least
  one datagram was sent ends the call with the count sent. A datagram to an address
  where nothing is bound is dropped silently.
* options are available in every state; hop limit 0 and buffer size 0 are
  ``invalid-argument``.

Not recorded in the oplog: see :mod:`golem_fakes.state.network` for replay.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.bindings.runtime import Trap
from golem_fakes.interfaces.wasi_sockets import (UDP, check_drop, sock_addr, socket_errors,
                                                 wit_addr)
from golem_fakes.state.network import (UDP_SEND_PERMIT, SockAddr, SocketError, UdpSocket,
                                       validate_address_family, validate_remote_address)
from golem_fakes.state.streams import PollableRep

__all__ = ["IncomingDatagramStreamRep", "OutgoingDatagramStreamRep"]


class _DatagramStream:
    """Common part of the two datagram streams: children of their socket."""

    def __init__(self, sock: UdpSocket, kind: str) -> None:
        self.sock = sock
        self.remote = sock.remote
        self.children = 0
        self.name = f"{sock.name} {kind}"
        sock.children += 1
        sock.streams += 1
        self.released = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.sock.children -= 1
            self.sock.streams -= 1

    @property
    def owner(self) -> Any:
        return self.sock.owner


class IncomingDatagramStreamRep(_DatagramStream):
    def __init__(self, sock: UdpSocket) -> None:
        super().__init__(sock, "incoming-datagram-stream")


class OutgoingDatagramStreamRep(_DatagramStream):
    def __init__(self, sock: UdpSocket) -> None:
        super().__init__(sock, "outgoing-datagram-stream")
        self.permit: int | None = None  # SendState::Idle


@implements(UDP, "[method]udp-socket.start-bind")
@socket_errors
def start_bind(env: Any, sock: UdpSocket, network: Any, local: Any) -> None:
    sock.start_bind(sock_addr(local))


@implements(UDP, "[method]udp-socket.finish-bind")
@socket_errors
def finish_bind(env: Any, sock: UdpSocket) -> None:
    sock.finish_bind()


@implements(UDP, "[method]udp-socket.stream")
@socket_errors
def stream(env: Any, sock: UdpSocket, remote: Any) -> Any:
    """(Re)connect to ``remote`` (or disconnect, with none) and return a new pair of
    datagram streams."""
    if sock.streams:
        raise Trap(f"UDP streams not dropped yet: {sock.name} still has its incoming/"
                   f"outgoing datagram streams from the previous stream() call; drop both "
                   f"first", interface=UDP, function="[method]udp-socket.stream")
    sock.connect(None if remote is None else sock_addr(remote))
    return (IncomingDatagramStreamRep(sock), OutgoingDatagramStreamRep(sock))


@implements(UDP, "[method]udp-socket.local-address")
@socket_errors
def local_address(env: Any, sock: UdpSocket) -> Any:
    return Ok(wit_addr(sock.local_address()))


@implements(UDP, "[method]udp-socket.remote-address")
@socket_errors
def remote_address(env: Any, sock: UdpSocket) -> Any:
    return Ok(wit_addr(sock.remote_address()))


@implements(UDP, "[method]udp-socket.address-family")
def address_family(env: Any, sock: UdpSocket) -> str:
    return sock.family


@implements(UDP, "[method]udp-socket.unicast-hop-limit")
def unicast_hop_limit(env: Any, sock: UdpSocket) -> Any:
    return Ok(sock.options.hop_limit)


@implements(UDP, "[method]udp-socket.set-unicast-hop-limit")
@socket_errors
def set_unicast_hop_limit(env: Any, sock: UdpSocket, value: int) -> None:
    if value == 0:
        raise SocketError("invalid-argument", "hop limit 0")
    sock.options.hop_limit = value


@implements(UDP, "[method]udp-socket.receive-buffer-size")
def receive_buffer_size(env: Any, sock: UdpSocket) -> Any:
    return Ok(sock.options.recv_buffer)


@implements(UDP, "[method]udp-socket.set-receive-buffer-size")
@socket_errors
def set_receive_buffer_size(env: Any, sock: UdpSocket, value: int) -> None:
    sock.set_buffer("recv", value)


@implements(UDP, "[method]udp-socket.send-buffer-size")
def send_buffer_size(env: Any, sock: UdpSocket) -> Any:
    return Ok(sock.options.send_buffer)


@implements(UDP, "[method]udp-socket.set-send-buffer-size")
@socket_errors
def set_send_buffer_size(env: Any, sock: UdpSocket, value: int) -> None:
    sock.set_buffer("send", value)


@implements(UDP, "[method]udp-socket.subscribe")
def subscribe(env: Any, sock: UdpSocket) -> PollableRep:
    """Always ready: no socket-level UDP operation blocks (wasmtime)."""
    return PollableRep(lambda: True, name=f"{sock.name} pollable", parent=sock)


@implements(UDP, "[resource-drop]udp-socket")
def udp_socket_drop(env: Any, sock: UdpSocket) -> None:
    """Close the socket (its port is free again); traps while its streams or
    pollables are alive."""
    if check_drop(sock, UDP, "[resource-drop]udp-socket"):
        sock.close()


# ------------------------------------------------------------------ incoming

@implements(UDP, "[method]incoming-datagram-stream.receive")
@socket_errors
def receive(env: Any, s: IncomingDatagramStreamRep, max_results: int) -> Any:
    if max_results == 0:
        return Ok([])
    got = s.sock.receive(s.remote, max_results)
    return Ok([{"data": data, "remote_address": wit_addr(addr)} for data, addr in got])


@implements(UDP, "[method]incoming-datagram-stream.subscribe")
def incoming_subscribe(env: Any, s: IncomingDatagramStreamRep) -> PollableRep:
    """Ready when a datagram is queued."""
    return PollableRep(lambda: bool(s.sock.inbox), name=f"{s.name} pollable", parent=s)


@implements(UDP, "[resource-drop]incoming-datagram-stream")
def incoming_drop(env: Any, s: IncomingDatagramStreamRep) -> None:
    if check_drop(s, UDP, "[resource-drop]incoming-datagram-stream"):
        s.release()


# ------------------------------------------------------------------ outgoing

@implements(UDP, "[method]outgoing-datagram-stream.check-send")
def check_send(env: Any, s: OutgoingDatagramStreamRep) -> Any:
    if s.permit is None:
        s.permit = UDP_SEND_PERMIT
    return Ok(s.permit)


def _destination(s: OutgoingDatagramStreamRep, given: Any) -> SockAddr:
    provided = None if given is None else sock_addr(given)
    if s.remote is None and provided is not None:
        s.sock.net.check(provided, "udp-outgoing-datagram")
        addr = provided
    elif s.remote is not None and (provided is None or provided == s.remote):
        addr = s.remote
    else:
        raise SocketError("invalid-argument",
                          "an unconnected stream needs a remote address; a connected one "
                          "takes none or the connected address")
    validate_remote_address(addr)
    validate_address_family(addr, s.sock.family)
    return addr


@implements(UDP, "[method]outgoing-datagram-stream.send")
@socket_errors
def send(env: Any, s: OutgoingDatagramStreamRep, datagrams: list[Any]) -> Any:
    function = "[method]outgoing-datagram-stream.send"
    if s.permit is None:
        raise Trap("unpermitted: must call check-send first", interface=UDP, function=function)
    if s.permit < len(datagrams):
        raise Trap(f"unpermitted: argument exceeds permitted size ({len(datagrams)} datagrams, "
                   f"check-send permitted {s.permit})", interface=UDP, function=function)
    s.permit = None
    count = 0
    for d in datagrams:
        try:
            s.sock.send(bytes(d.data), _destination(s, d.remote_address))
        except SocketError:
            if count:
                return Ok(count)
            raise
        count += 1
    return Ok(count)


@implements(UDP, "[method]outgoing-datagram-stream.subscribe")
def outgoing_subscribe(env: Any, s: OutgoingDatagramStreamRep) -> PollableRep:
    """Always ready: the in-memory network never makes a send wait."""
    return PollableRep(lambda: True, name=f"{s.name} pollable", parent=s)


@implements(UDP, "[resource-drop]outgoing-datagram-stream")
def outgoing_drop(env: Any, s: OutgoingDatagramStreamRep) -> None:
    if check_drop(s, UDP, "[resource-drop]outgoing-datagram-stream"):
        s.release()
