"""Behaviour of ``wasi:sockets/tcp@0.2.3``: every ``tcp-socket`` method.

wasmtime 33 (``crates/wasi/src/p2/tcp.rs``, ``host/tcp.rs`` at v33.0.0), which Golem
v1.3.0-dev.25 passes every call to (``durable_host/sockets/tcp.rs``); the state machine
is :class:`~golem_fakes.state.network.TcpSocket`. In order of the checks wasmtime makes:

* ``start-bind``: the address check first (Golem: ``access-denied`` for every address,
  whatever the socket's state), then ``concurrency-conflict`` (bind in progress) /
  ``invalid-state`` (already bound), ``invalid-argument`` (multicast/broadcast, wrong
  family, IPv4-mapped on an IPv6 socket), then the bind itself (``address-in-use``,
  ``address-not-bindable``); SO_REUSEADDR is set when a port is given.
* ``start-connect``: the address check, ``concurrency-conflict`` / ``invalid-state``,
  ``invalid-argument`` (non-unicast, ``0.0.0.0``/``::``, port 0, family); the outcome
  (``connection-refused``: nothing listens; ``timeout``: no host has the address) is
  reported by ``finish-connect`` after a wait, which before the wait is ``would-block``.
* ``start-listen`` / ``finish-listen``: ``invalid-state`` unless bound,
  ``concurrency-conflict``, ``not-in-progress``; a listen that fails closes the socket.
* ``accept``: ``invalid-state`` unless listening, ``would-block`` with nothing queued;
  the accepted socket has the listener's options and family.
* options: only in states ``default``, ``bound``, ``listening``, ``connected``
  (``invalid-state`` otherwise); a zero idle time, interval, count, hop limit or buffer
  size is ``invalid-argument``; idle time and interval are clamped to 1..32767 s and
  rounded up to whole seconds, the count to 1..127; buffer sizes are Linux's.
* ``shutdown``: ``invalid-state`` unless connected; ``receive`` closes the input
  stream, ``send`` the output stream (the peer reads end-of-stream).
* the streams of a connected socket are children of the socket: dropping it first
  traps ``resource has children``. ``check-write`` permits 1 GiB
  (``SOCKET_READY_SIZE``); ``write`` takes any size.

Not recorded in the oplog: see :mod:`golem_fakes.state.network` for replay.
"""

from __future__ import annotations

from typing import Any

from golem_fakes.bindings.registry import implements
from golem_fakes.bindings.result import Ok
from golem_fakes.interfaces.wasi_sockets import (TCP, check_drop, sock_addr, socket_errors,
                                                 wit_addr)
from golem_fakes.state.network import SOCKET_READY_SIZE, SocketError, TcpSocket
from golem_fakes.state.streams import InputStreamRep, OutputStreamRep, PollableRep

__all__ = ["TcpInputStreamRep", "TcpOutputStreamRep"]

_SECOND = 10**9
_MAX_KEEP_SECS = 2**15 - 1  # i16::MAX: Linux's limit, wasmtime's clamp


class TcpInputStreamRep(InputStreamRep):
    """The input stream of a connected socket (wasmtime ``TcpReadStream``): reads what
    the peer wrote, ``closed`` after the peer's end-of-stream or ``shutdown(receive)``.
    A child of its socket."""

    def __init__(self, sock: TcpSocket) -> None:
        super().__init__(sock.read, name=f"{sock.name} input-stream", ready=sock.readable)
        self.sock = sock
        sock.children += 1
        self._released = False

    def on_drop(self) -> None:
        if not self._released:
            self._released = True
            self.sock.children -= 1


class TcpOutputStreamRep(OutputStreamRep):
    """The output stream of a connected socket (wasmtime ``TcpWriteStream``):
    ``check-write`` 1 GiB, ``write`` of any size (``TcpWriter::write`` never compares
    it with the permit), ``closed`` after ``shutdown(send)``. Golem's
    ``blocking-write-and-flush`` is its own write + flush: no 4096-byte cap. A child of
    its socket."""

    write_checks_permit = False

    def __init__(self, sock: TcpSocket) -> None:
        super().__init__(sock.write, budget=SOCKET_READY_SIZE, name=f"{sock.name} output-stream",
                         blocking_limit=(1 << 64) - 1)
        self.sock = sock
        sock.children += 1
        self._released = False

    def on_drop(self) -> None:
        if not self._released:
            self._released = True
            self.sock.children -= 1


def _streams(sock: TcpSocket) -> tuple[TcpInputStreamRep, TcpOutputStreamRep]:
    r, w = TcpInputStreamRep(sock), TcpOutputStreamRep(sock)
    sock.read_stream, sock.write_stream = r, w
    return r, w


@implements(TCP, "[method]tcp-socket.start-bind")
@socket_errors
def start_bind(env: Any, sock: TcpSocket, network: Any, local: Any) -> None:
    """Reserve the local address (port 0: an ephemeral port); state ``bind-started``."""
    sock.start_bind(sock_addr(local))


@implements(TCP, "[method]tcp-socket.finish-bind")
@socket_errors
def finish_bind(env: Any, sock: TcpSocket) -> None:
    """``bind-started`` → ``bound``; ``not-in-progress`` otherwise (never would-block)."""
    sock.finish_bind()


@implements(TCP, "[method]tcp-socket.start-connect")
@socket_errors
def start_connect(env: Any, sock: TcpSocket, network: Any, remote: Any) -> None:
    """Start connecting (an unbound socket gets an ephemeral port); state
    ``connecting``."""
    sock.start_connect(sock_addr(remote))


@implements(TCP, "[method]tcp-socket.finish-connect")
@socket_errors
def finish_connect(env: Any, sock: TcpSocket) -> Any:
    """The connection's streams, its error (the socket is then closed), or
    ``would-block`` before the socket's pollable was waited on."""
    sock.finish_connect()
    return _streams(sock)


@implements(TCP, "[method]tcp-socket.start-listen")
@socket_errors
def start_listen(env: Any, sock: TcpSocket) -> None:
    """``bound`` → ``listen-started``."""
    sock.start_listen()


@implements(TCP, "[method]tcp-socket.finish-listen")
@socket_errors
def finish_listen(env: Any, sock: TcpSocket) -> None:
    """``listen-started`` → ``listening`` (``address-in-use`` when another socket
    sharing the port through SO_REUSEADDR listens already: the socket is closed)."""
    sock.finish_listen()


@implements(TCP, "[method]tcp-socket.accept")
@socket_errors
def accept(env: Any, sock: TcpSocket) -> Any:
    """The next queued connection as ``(socket, input, output)``, or ``would-block``."""
    client = sock.accept()
    client.owner = sock.owner
    r, w = _streams(client)
    return (client, r, w)


@implements(TCP, "[method]tcp-socket.local-address")
@socket_errors
def local_address(env: Any, sock: TcpSocket) -> Any:
    """The bound address (after an implicit bind by connect: the chosen source IP)."""
    return Ok(wit_addr(sock.local_address()))


@implements(TCP, "[method]tcp-socket.remote-address")
@socket_errors
def remote_address(env: Any, sock: TcpSocket) -> Any:
    """The peer's address of a connected socket."""
    return Ok(wit_addr(sock.remote_address()))


@implements(TCP, "[method]tcp-socket.is-listening")
def is_listening(env: Any, sock: TcpSocket) -> bool:
    return sock.state == "listening"


@implements(TCP, "[method]tcp-socket.address-family")
def address_family(env: Any, sock: TcpSocket) -> str:
    return sock.family


@implements(TCP, "[method]tcp-socket.set-listen-backlog-size")
@socket_errors
def set_listen_backlog_size(env: Any, sock: TcpSocket, value: int) -> None:
    """0 → ``invalid-argument`` (checked first); clamped to 1..i32::MAX; allowed
    before listening and while listening (Linux supports changing it)."""
    sock.set_backlog(min(value, 2**32 - 1))


@implements(TCP, "[method]tcp-socket.keep-alive-enabled")
@socket_errors
def keep_alive_enabled(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().keep_alive)


@implements(TCP, "[method]tcp-socket.set-keep-alive-enabled")
@socket_errors
def set_keep_alive_enabled(env: Any, sock: TcpSocket, value: bool) -> None:
    sock.option_view().keep_alive = bool(value)


def _keep_time(value: int) -> int:
    """wasmtime ``set_tcp_keepidle`` / ``set_tcp_keepintvl``: 0 → ``invalid-argument``;
    clamped to 1..32767 s; rustix hands Linux whole seconds, rounded up."""
    if value <= 0:
        raise SocketError("invalid-argument", "keep-alive time 0")
    secs = -(-value // _SECOND)
    return min(max(secs, 1), _MAX_KEEP_SECS) * _SECOND


@implements(TCP, "[method]tcp-socket.keep-alive-idle-time")
@socket_errors
def keep_alive_idle_time(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().keep_idle)


@implements(TCP, "[method]tcp-socket.set-keep-alive-idle-time")
@socket_errors
def set_keep_alive_idle_time(env: Any, sock: TcpSocket, value: int) -> None:
    o = sock.option_view()
    o.keep_idle = _keep_time(value)


@implements(TCP, "[method]tcp-socket.keep-alive-interval")
@socket_errors
def keep_alive_interval(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().keep_interval)


@implements(TCP, "[method]tcp-socket.set-keep-alive-interval")
@socket_errors
def set_keep_alive_interval(env: Any, sock: TcpSocket, value: int) -> None:
    o = sock.option_view()
    o.keep_interval = _keep_time(value)


@implements(TCP, "[method]tcp-socket.keep-alive-count")
@socket_errors
def keep_alive_count(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().keep_count)


@implements(TCP, "[method]tcp-socket.set-keep-alive-count")
@socket_errors
def set_keep_alive_count(env: Any, sock: TcpSocket, value: int) -> None:
    """0 → ``invalid-argument``; clamped to 1..127 (i8::MAX, Linux's limit)."""
    o = sock.option_view()
    if value == 0:
        raise SocketError("invalid-argument", "keep-alive count 0")
    o.keep_count = min(max(value, 1), 127)


@implements(TCP, "[method]tcp-socket.hop-limit")
@socket_errors
def hop_limit(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().hop_limit)


@implements(TCP, "[method]tcp-socket.set-hop-limit")
@socket_errors
def set_hop_limit(env: Any, sock: TcpSocket, value: int) -> None:
    """IP_TTL / IPV6_UNICAST_HOPS; 0 → ``invalid-argument`` (wasmtime's own check)."""
    o = sock.option_view()
    if value == 0:
        raise SocketError("invalid-argument", "hop limit 0")
    o.hop_limit = value


@implements(TCP, "[method]tcp-socket.receive-buffer-size")
@socket_errors
def receive_buffer_size(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().recv_buffer)


@implements(TCP, "[method]tcp-socket.set-receive-buffer-size")
@socket_errors
def set_receive_buffer_size(env: Any, sock: TcpSocket, value: int) -> None:
    sock.set_buffer("recv", value)


@implements(TCP, "[method]tcp-socket.send-buffer-size")
@socket_errors
def send_buffer_size(env: Any, sock: TcpSocket) -> Any:
    return Ok(sock.option_view().send_buffer)


@implements(TCP, "[method]tcp-socket.set-send-buffer-size")
@socket_errors
def set_send_buffer_size(env: Any, sock: TcpSocket, value: int) -> None:
    sock.set_buffer("send", value)


@implements(TCP, "[method]tcp-socket.subscribe")
def subscribe(env: Any, sock: TcpSocket) -> PollableRep:
    """Ready when the connect in flight completed, when a connection waits to be
    accepted, or at once when nothing is in progress. A child of the socket."""
    return PollableRep(sock.poll_ready, name=f"{sock.name} pollable", parent=sock)


@implements(TCP, "[method]tcp-socket.shutdown")
@socket_errors
def shutdown(env: Any, sock: TcpSocket, how: Any) -> None:
    sock.shutdown(str(getattr(how, "name", how)).lower())


@implements(TCP, "[resource-drop]tcp-socket")
def tcp_socket_drop(env: Any, sock: TcpSocket) -> None:
    """Close the socket: its port is free again, the peer of a connection reads
    end-of-stream, connections waiting in a listener's queue end. Traps while its
    streams or pollables are alive."""
    if check_drop(sock, TCP, "[resource-drop]tcp-socket"):
        sock.close()
