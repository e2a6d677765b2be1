"""The in-memory network of a Golem environment: what ``wasi:sockets@0.2.3`` reaches.

One :class:`Network` per :class:`~golem_fakes.Golem` (``golem.network``), shared by all
its workers and by the test (the test-side peers of :meth:`Network.listen`,
:meth:`Network.connect`, :meth:`Network.udp`). The behaviour modules
(:mod:`golem_fakes.interfaces.wasi_sockets`) map the WIT calls onto the socket models
here; this module knows nothing about bindings.

**What Golem does.** Golem v1.3.0-dev.25 passes every socket call through to wasmtime
33's WASI host (``golem-worker-executor/src/durable_host/sockets/*.rs``: each method
only calls ``observe_function_call`` and wasmtime's), and configures no socket address
check, whose wasmtime default denies every address (``crates/wasi/src/net.rs``
``SocketAddrCheck::default``; ``docs/golem-io-semantics.md`` §5.9). So on a real Golem
TCP ``start-bind`` / ``start-connect`` and UDP ``start-bind`` fail with
``access-denied``. That is the default here too (:attr:`Network.socket_addr_check` is
``None``). A test that wants the sockets to work — code that will run on a Golem
configured otherwise, or a library that must handle both — opts in with
:meth:`Network.allow` (every address, or a predicate like wasmtime's
``socket_addr_check``); from then on the sockets behave as wasmtime 33 on Linux does
on one host whose local addresses are the loopback ones plus :attr:`Network.interfaces`.

**Durability** (``docs/golem-io-semantics.md`` §5.1, §5.9): ``ip-name-lookup``
``resolve-addresses`` is recorded (the whole address list, or the error) and replayed;
no TCP/UDP call is recorded. Sockets live in the worker's instance: when the instance
is dropped (a crash, a restart, an interrupt, an update) every socket it had is closed
— its ports are released, peers read end-of-stream — and replay runs the socket calls
*again*, live, against the network as it is then: a replayed ``start-connect`` makes a
new connection, a replayed write sends its bytes again, data the peer sent before the
crash is not there any more. Worker code that needs exactly-once effects must not rely
on sockets (Golem's own answer: use ``wasi:http``, whose requests are recorded, §5.8).

**Determinism.** Nothing runs concurrently in a test, so what is asynchronous in
wasmtime happens when the guest *waits* (``subscribe`` + ``ready``/``block``/``poll``):
a ``finish-connect`` before any wait answers ``would-block`` (wasmtime polls the connect
future once with a no-op waker, and its tokio reactor has not seen the socket become
writable yet), the connection is made by the wait. Ephemeral ports are handed out in
ascending order from Linux's ``ip_local_port_range`` (32768–60999); the real kernel
picks them pseudo-randomly.
"""

from __future__ import annotations

import ipaddress
import itertools
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Iterable

__all__ = ["Network", "SockAddr", "SocketError", "TcpSocket", "UdpSocket", "Pipe",
           "PeerListener", "PeerConnection", "PeerUdp", "IP", "parse_ip",
           "MAX_UDP_DATAGRAM_SIZE", "SOCKET_READY_SIZE", "UDP_SEND_PERMIT", "DEFAULT_BACKLOG"]

IP = ipaddress.IPv4Address | ipaddress.IPv6Address

#: wasmtime ``crates/wasi/src/p2/host/udp.rs``: the largest datagram ``send`` accepts.
MAX_UDP_DATAGRAM_SIZE = 65535
#: wasmtime ``crates/wasi/src/p2/tcp.rs``: ``check-write`` on a writable TCP stream (1 GiB).
SOCKET_READY_SIZE = 1024 * 1024 * 1024
#: wasmtime ``crates/wasi/src/p2/host/udp.rs`` ``check_send``: datagrams permitted at once.
UDP_SEND_PERMIT = 16
#: wasmtime ``crates/wasi/src/net.rs`` ``DEFAULT_TCP_BACKLOG`` (Rust std's value).
DEFAULT_BACKLOG = 128
#: Linux ``net.ipv4.ip_local_port_range`` default.
EPHEMERAL_PORTS = (32768, 60999)
#: Linux ``SOCK_MIN_RCVBUF`` / ``SOCK_MIN_SNDBUF`` on x86-64 (the stored minimum; the
#: getter halves it, as wasmtime's ``normalize_get_buffer_size`` does on Linux).
SOCK_MIN_RCVBUF = 2304
SOCK_MIN_SNDBUF = 4608

#: The ``SocketAddrUse`` cases of wasmtime's ``socket_addr_check``.
USES = ("tcp-bind", "tcp-connect", "udp-bind", "udp-connect", "udp-outgoing-datagram")


class SocketError(Exception):
    """A ``wasi:sockets`` ``error-code`` (``code``, the WIT case name) for the guest."""

    def __init__(self, code: str, why: str = "") -> None:
        super().__init__(f"{code}: {why}" if why else code)
        self.code = code
        self.why = why


def parse_ip(text: Any) -> IP:
    """An IP address from a string (``"10.0.0.5"``, ``"::1"``) or an address object."""
    if isinstance(text, (ipaddress.IPv4Address, ipaddress.IPv6Address)):
        return text
    try:
        return ipaddress.ip_address(str(text).strip("[]"))
    except ValueError:
        raise ValueError(f"{text!r} is not an IPv4 or IPv6 address; give e.g. '10.0.0.5' or "
                         f"'::1' (names go into golem.network.hosts)") from None


@dataclass(frozen=True)
class SockAddr:
    """A socket address: IP, port, and for IPv6 flow info and scope id."""

    ip: IP
    port: int
    flow_info: int = 0
    scope_id: int = 0

    @property
    def v6(self) -> bool:
        return self.ip.version == 6

    def canonical_ip(self) -> IP:
        """Rust's ``IpAddr::to_canonical``: an IPv4-mapped IPv6 address as IPv4."""
        if isinstance(self.ip, ipaddress.IPv6Address) and self.ip.ipv4_mapped is not None:
            return self.ip.ipv4_mapped
        return self.ip

    def key(self) -> tuple[int, IP, int]:
        return (self.ip.version, self.ip, self.port)

    def __str__(self) -> str:
        return f"[{self.ip}]:{self.port}" if self.v6 else f"{self.ip}:{self.port}"

    @classmethod
    def of(cls, address: Any, port: int | None = None) -> "SockAddr":
        """From ``("10.0.0.5", 80)``, ``"10.0.0.5:80"``, ``"[::1]:80"`` or a SockAddr."""
        if isinstance(address, SockAddr):
            return address
        if port is None:
            if isinstance(address, tuple):
                address, port = address[0], address[1]
            else:
                text = str(address)
                host, _, p = text.rpartition(":")
                address, port = host, int(p)
        if not (0 <= int(port) <= 65535):
            raise ValueError(f"port {port} is outside 0..65535")
        return cls(parse_ip(address), int(port))


# ------------------------------------------------------------------ validation
# wasmtime 33 crates/wasi/src/p2/host/network.rs ``util``.

def validate_unicast(addr: SockAddr) -> None:
    ip = addr.canonical_ip()
    if isinstance(ip, ipaddress.IPv4Address):
        if ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255"):
            raise SocketError("invalid-argument",
                              "Both IPv4 broadcast and multicast addresses are not supported")
    elif ip.is_multicast:
        raise SocketError("invalid-argument", "IPv6 multicast addresses are not supported")


def validate_remote_address(addr: SockAddr) -> None:
    if addr.canonical_ip().is_unspecified:
        raise SocketError("invalid-argument", "Remote address may not be `0.0.0.0` or `::`")
    if addr.port == 0:
        raise SocketError("invalid-argument", "Remote port may not be 0")


def _ipv4_compatible(ip: ipaddress.IPv6Address) -> bool:
    return (int(ip) >> 32 == 0 and ip != ipaddress.IPv6Address("::")
            and ip != ipaddress.IPv6Address("::1"))


def validate_address_family(addr: SockAddr, family: str) -> None:
    """Sockets of family ``ipv6`` are IPv6-only (wasmtime sets ``IPV6_V6ONLY``): an
    IPv4-mapped or IPv4-compatible address is refused, as is any IPv4 address."""
    if family == "ipv4" and addr.ip.version == 4:
        return
    if family == "ipv6" and isinstance(addr.ip, ipaddress.IPv6Address):
        if _ipv4_compatible(addr.ip):
            raise SocketError("invalid-argument", "IPv4-compatible IPv6 addresses are not supported")
        if addr.ip.ipv4_mapped is not None:
            raise SocketError("invalid-argument",
                              "IPv4-mapped IPv6 address passed to an IPv6-only socket")
        return
    raise SocketError("invalid-argument", "Address family mismatch")


# ------------------------------------------------------------------ byte pipes

class Pipe:
    """One direction of a TCP connection: bytes written by one end, read by the other.
    ``eof`` once the writer shut down or closed its end (the reader sees end-of-stream
    after the buffered bytes)."""

    __slots__ = ("buf", "eof")

    def __init__(self) -> None:
        self.buf = bytearray()
        self.eof = False

    def read(self, n: int) -> bytes | None:
        """Up to ``n`` bytes, ``b""`` if none yet, ``None`` at end-of-stream."""
        if self.buf:
            chunk = bytes(self.buf[:n])
            del self.buf[:n]
            return chunk
        return None if self.eof else b""

    def __repr__(self) -> str:
        return f"Pipe({len(self.buf)} bytes{', eof' if self.eof else ''})"


class Connection:
    """An established (or establishing) TCP connection between a client end and a
    server end: ``c2s`` carries what the client writes, ``s2c`` the reverse."""

    def __init__(self, client: SockAddr, server: SockAddr) -> None:
        self.client = client
        self.server = server
        self.c2s = Pipe()
        self.s2c = Pipe()
        #: the handshake finished: the connection was queued on the listener
        self.established = False


# ------------------------------------------------------------------ options

class Options:
    """Socket options as Linux reports them through wasmtime 33 (defaults of a fresh
    socket; ``docs`` in :class:`TcpSocket`). Buffer sizes are what wasmtime's getters
    return: Linux doubles a set value (at least ``SOCK_MIN_*``, at most
    ``net.core.[rw]mem_max`` before doubling) and wasmtime halves what it reads."""

    def __init__(self, tcp: bool) -> None:
        self.keep_alive = False
        self.keep_idle = 7200 * 10**9      # net.ipv4.tcp_keepalive_time
        self.keep_interval = 75 * 10**9    # net.ipv4.tcp_keepalive_intvl
        self.keep_count = 9                # net.ipv4.tcp_keepalive_probes
        self.hop_limit = 64                # net.ipv4.ip_default_ttl / IPv6 hop limit
        self.recv_buffer = (131072 if tcp else 212992) // 2  # tcp_rmem[1] / rmem_default
        self.send_buffer = (16384 if tcp else 212992) // 2   # tcp_wmem[1] / wmem_default

    def copy(self) -> "Options":
        o = Options.__new__(Options)
        o.__dict__.update(self.__dict__)
        return o


def _buffer(value: int, maximum: int, minimum: int) -> int:
    """wasmtime ``set_socket_*_buffer_size`` on Linux: 0 → invalid-argument; clamp to
    1..i32::MAX; the kernel stores ``max(min(v, max) * 2, SOCK_MIN)``; the getter halves."""
    if value == 0:
        raise SocketError("invalid-argument", "buffer size 0")
    value = max(1, min(value, 2**31 - 1))
    return max(min(value, maximum) * 2, minimum) // 2


# ------------------------------------------------------------------ the network

class Network:
    """The network of one Golem environment (``golem.network``).

    Configuration (all optional):

    * :attr:`hosts` — the ``ip-name-lookup`` table: name → list of address strings, in
      the order ``resolve-next-address`` returns them (``localhost`` is there by
      default, as ``/etc/hosts`` has it). Unknown names give ``name-unresolvable``.
    * :meth:`allow` — let the sockets through wasmtime's address check (Golem denies
      every address: ``access-denied``). :attr:`allow_ip_name_lookup` (Golem: true).
    * :attr:`interfaces` — local addresses of the worker's host besides loopback
      (binding a specific address needs it to be local: else ``address-not-bindable``).
    * :attr:`rmem_max` / :attr:`wmem_max` — Linux ``net.core.[rw]mem_max``.

    Test-side peers (other hosts, not bound by the address check):
    :meth:`listen`, :meth:`connect`, :meth:`udp`.
    """

    def __init__(self) -> None:
        self.hosts: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}
        #: wasmtime's ``socket_addr_check(addr, use) -> bool``; ``None``: deny all (Golem)
        self.socket_addr_check: Callable[[SockAddr, str], bool] | None = None
        self.allow_ip_name_lookup = True
        #: the executor host's own (non-loopback) addresses: an arbitrary default
        self.interfaces: list[str] = ["10.0.0.1"]
        self.rmem_max = 212992
        self.wmem_max = 212992
        # bound TCP endpoints: (version, port) -> list of sockets/peers holding it
        self._tcp: dict[tuple[int, int], list[Any]] = {}
        self._udp: dict[tuple[int, int], list[Any]] = {}
        self._next_port = {("tcp", 4): EPHEMERAL_PORTS[0], ("tcp", 6): EPHEMERAL_PORTS[0],
                           ("udp", 4): EPHEMERAL_PORTS[0], ("udp", 6): EPHEMERAL_PORTS[0]}
        self._ids = itertools.count(1)

    def __repr__(self) -> str:
        policy = "deny-all (Golem)" if self.socket_addr_check is None else "allowed"
        return f"Network({policy}, {len(self.hosts)} host names)"

    # --- configuration --------------------------------------------------------

    def allow(self, check: Callable[[SockAddr, str], bool] | None = None) -> "Network":
        """Let socket addresses through wasmtime's address check: all of them, or those
        ``check(addr, use)`` accepts (``use`` one of ``tcp-bind``, ``tcp-connect``,
        ``udp-bind``, ``udp-connect``, ``udp-outgoing-datagram``). Golem v1.3.0-dev.25
        configures none, so every bind and connect fails with ``access-denied``
        (``docs/golem-io-semantics.md`` §5.9); use this for code meant for a host that
        allows sockets. Returns the network."""
        self.socket_addr_check = check if check is not None else (lambda addr, use: True)
        return self

    def deny(self) -> "Network":
        """Back to Golem's configuration: every address denied."""
        self.socket_addr_check = None
        return self

    def check(self, addr: SockAddr, use: str) -> None:
        """wasmtime ``SocketAddrCheck::check``: ``access-denied`` unless permitted."""
        check = self.socket_addr_check
        if check is None or not check(addr, use):
            why = ("Golem configures no socket address check, and wasmtime's default denies "
                   "every address (docs/golem-io-semantics.md §5.9); call golem.network.allow() "
                   "to let sockets through" if check is None else
                   f"golem.network.socket_addr_check refused {addr} for {use}")
            raise SocketError("access-denied", why)

    def is_local(self, ip: IP) -> bool:
        """Whether ``ip`` is an address of the worker's host (loopback or an interface)."""
        if ip.is_loopback and not (isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped):
            return True
        return any(parse_ip(a) == ip for a in self.interfaces)

    def source_ip(self, dest: IP) -> IP:
        """The local address the host picks to reach ``dest`` (the routing choice)."""
        if dest.is_loopback:
            return dest if dest.version == 4 else ipaddress.IPv6Address("::1")
        for a in self.interfaces:
            ip = parse_ip(a)
            if ip.version == dest.version:
                return ip
        return ipaddress.IPv4Address("127.0.0.1") if dest.version == 4 else ipaddress.IPv6Address("::1")

    # --- name lookup ------------------------------------------------------------

    def resolve(self, host: str) -> list[IP]:
        """The addresses of ``host`` (already validated and lower-cased) from
        :attr:`hosts`; ``name-unresolvable`` if absent. IPv4-mapped addresses come back
        as IPv4 (wasmtime ``blocking_resolve`` canonicalises)."""
        for name, addrs in self.hosts.items():
            if name.lower().rstrip(".") == host.rstrip("."):
                out = []
                for a in addrs:
                    ip = parse_ip(a)
                    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
                        ip = ip.ipv4_mapped
                    out.append(ip)
                return out
        raise SocketError("name-unresolvable",
                          f"{host!r} is not in golem.network.hosts (known: "
                          f"{sorted(self.hosts)}); add golem.network.hosts[{host!r}] = ['10.0.0.5']")

    # --- ports ------------------------------------------------------------------

    def _table(self, proto: str) -> dict[tuple[int, int], list[Any]]:
        return self._tcp if proto == "tcp" else self._udp

    def _conflicts(self, proto: str, addr: SockAddr, reuse: bool) -> list[Any]:
        out = []
        for other in self._table(proto).get((addr.ip.version, addr.port), []):
            oip = other.local.ip
            if not (oip == addr.ip or oip.is_unspecified or addr.ip.is_unspecified):
                continue
            # Linux SO_REUSEADDR: two TCP sockets may share addr:port when both set it
            # and neither listens (wasmtime sets it for an explicit port)
            if proto == "tcp" and reuse and getattr(other, "reuse", False) \
                    and not getattr(other, "listening", False):
                continue
            out.append(other)
        return out

    def bind(self, proto: str, holder: Any, addr: SockAddr, *, worker: bool = True,
             reuse: bool = False) -> SockAddr:
        """Reserve ``addr`` (port 0: an ephemeral one) for ``holder``; returns the
        bound address. ``address-not-bindable`` for a worker binding an address that is
        not local, ``address-in-use`` when taken."""
        if worker and not addr.ip.is_unspecified and not self.is_local(addr.ip) \
                and not (proto == "udp" and _udp_group_bindable(addr)):
            raise SocketError("address-not-bindable",
                              f"{addr.ip} is not an address of the worker's host (loopback, or "
                              f"golem.network.interfaces = {self.interfaces!r})")
        if addr.port == 0:
            key = (proto, addr.ip.version)
            lo, hi = EPHEMERAL_PORTS
            start = self._next_port[key]
            port = start
            while True:
                cand = SockAddr(addr.ip, port, addr.flow_info, addr.scope_id)
                if not self._conflicts(proto, cand, False):
                    break
                port = lo if port >= hi else port + 1
                if port == start:
                    raise SocketError("address-in-use", "no free ephemeral port")
            self._next_port[key] = lo if port >= hi else port + 1
            addr = cand
        elif self._conflicts(proto, addr, reuse):
            raise SocketError("address-in-use", f"{addr} is already bound")
        self._table(proto).setdefault((addr.ip.version, addr.port), []).append(holder)
        return addr

    def unbind(self, proto: str, holder: Any, addr: SockAddr | None) -> None:
        if addr is None:
            return
        lst = self._table(proto).get((addr.ip.version, addr.port))
        if lst and holder in lst:
            lst.remove(holder)
            if not lst:
                del self._table(proto)[(addr.ip.version, addr.port)]

    def listener_at(self, addr: SockAddr) -> Any:
        """The listening socket or peer that a connection to ``addr`` reaches."""
        best = None
        for other in self._tcp.get((addr.ip.version, addr.port), []):
            if not getattr(other, "listening", False):
                continue
            if other.local.ip == addr.ip:
                return other
            if other.local.ip.is_unspecified and (self.is_local(addr.ip)
                                                   or isinstance(other, PeerListener)):
                best = other
        return best

    def udp_at(self, addr: SockAddr) -> Any:
        best = None
        for other in self._udp.get((addr.ip.version, addr.port), []):
            if other.local.ip == addr.ip:
                return other
            if other.local.ip.is_unspecified:
                best = other
        return best

    def _host_known(self, ip: IP) -> bool:
        if self.is_local(ip):
            return True
        return any(o.local.ip == ip for lst in list(self._tcp.values()) + list(self._udp.values())
                   for o in lst if isinstance(o, (PeerListener, PeerUdp, PeerConnection)))

    def open_connection(self, client: SockAddr, server: SockAddr) -> tuple[Connection, Any]:
        """A connection attempt from ``client`` to ``server``: queued on the listener
        there (its backlog permitting), or a :class:`SocketError`:
        ``connection-refused`` when a host answers at that address but nothing listens
        on the port, ``timeout`` when no host has that address (the SYNs go
        unanswered; Linux gives up with ETIMEDOUT after its retries)."""
        listener = self.listener_at(server)
        if listener is None:
            if self._host_known(server.ip):
                raise SocketError("connection-refused", f"nothing listens on {server}")
            raise SocketError("timeout", f"no host answers at {server.ip} (add a peer with "
                                         f"golem.network.listen({str(server.ip)!r}, {server.port}))")
        conn = Connection(client, server)
        listener.offer(conn)
        return conn, listener

    # --- test-side peers ----------------------------------------------------------

    def listen(self, address: Any = "0.0.0.0", port: int = 0, *,
               backlog: int = DEFAULT_BACKLOG) -> "PeerListener":
        """A test-side TCP listener (another host, or a server process beside the
        worker) on ``address:port`` (port 0: ephemeral); worker code connects to it."""
        p = PeerListener(self, SockAddr.of(address, port), backlog)
        return p

    def connect(self, address: Any, port: int | None = None) -> "PeerConnection":
        """Connect from the test to a worker's listener at ``address:port``; the
        connection waits in its backlog until the worker accepts. Raises
        ``ConnectionRefusedError`` when nothing listens there."""
        server = SockAddr.of(address, port)
        holder = _Placeholder()
        src = holder.local = self.bind("tcp", holder, SockAddr(self.source_ip(server.ip), 0),
                                       worker=False)
        try:
            conn, _ = self.open_connection(src, server)
        except SocketError as e:
            self.unbind("tcp", holder, src)
            raise ConnectionRefusedError(f"golem.network.connect({str(server)!r}): {e.code}: "
                                         f"{e.why}") from None
        peer = PeerConnection(self, conn, client=True)
        lst = self._tcp[(src.ip.version, src.port)]
        lst[lst.index(holder)] = peer
        return peer

    def udp(self, address: Any = "0.0.0.0", port: int = 0) -> "PeerUdp":
        """A test-side UDP socket bound to ``address:port``."""
        return PeerUdp(self, SockAddr.of(address, port))

    def deliver(self, sender: SockAddr, dest: SockAddr, data: bytes) -> bool:
        """Hand a datagram to whoever is bound at ``dest`` (dropped, as UDP drops it,
        when nobody is). Returns whether it was delivered."""
        target = self.udp_at(dest)
        if target is None:
            return False
        target.enqueue(data, sender)
        return True


def _udp_group_bindable(addr: SockAddr) -> bool:
    """Linux lets a UDP socket bind a multicast or broadcast address (``inet_bind``:
    ``RTN_MULTICAST`` / ``RTN_BROADCAST`` are valid bind addresses; ``inet6_bind``
    skips the local-address check for multicast), and wasmtime 33's UDP ``start-bind``
    has no unicast check (``crates/wasi/src/p2/host/udp.rs``, unlike TCP's
    ``validate_unicast``). An IPv6 multicast group of interface- or link-local scope
    needs a scope id (Linux: ``EINVAL`` → ``invalid-argument``)."""
    ip = addr.ip
    if isinstance(ip, ipaddress.IPv4Address):
        return ip.is_multicast or ip == ipaddress.IPv4Address("255.255.255.255")
    if not ip.is_multicast:
        return False
    scope = (int(ip) >> 112) & 0xF
    if scope in (1, 2) and addr.scope_id == 0:
        raise SocketError("invalid-argument",
                          f"binding the {'interface' if scope == 1 else 'link'}-local multicast "
                          f"group {ip} needs a scope id (the interface index)")
    return True


class _Placeholder:
    """Holds an ephemeral port while the test's connection is being set up."""

    local: SockAddr
    reuse = False
    listening = False


# ------------------------------------------------------------------ TCP (worker side)

class TcpSocket:
    """A worker's TCP socket: wasmtime 33's ``TcpState`` machine
    (``crates/wasi/src/p2/tcp.rs``, ``host/tcp.rs`` at v33.0.0; Golem passes every call
    through, ``durable_host/sockets/tcp.rs``). States: ``default``, ``bind-started``,
    ``bound``, ``listen-started``, ``listening``, ``connecting``, ``connect-ready``,
    ``connected``, ``closed``. Raises :class:`SocketError` with wasmtime's code."""

    def __init__(self, net: Network, family: str, *, options: Options | None = None) -> None:
        self.net = net
        self.family = family
        self.state = "default"
        self.backlog = DEFAULT_BACKLOG
        self.options = options or Options(tcp=True)
        self.local: SockAddr | None = None
        self.remote: SockAddr | None = None
        self.reuse = False
        self.conn: Connection | None = None
        self.is_client = True
        self._queue: deque[Connection] = deque()   # established, waiting for accept
        self._syn: deque[Connection] = deque()     # over the backlog: handshake pending
        self._connect_error: SocketError | None = None
        self.reader_closed = False
        self.writer_closed = False
        self.read_stream: Any = None
        self.write_stream: Any = None
        #: live children in the resource table (streams of a connected socket, pollables)
        self.children = 0
        self.owner: Any = None
        self.name = f"tcp-socket#{next(net._ids)}"

    def __repr__(self) -> str:
        return f"TcpSocket({self.name}, {self.family}, {self.state}, local={self.local})"

    @property
    def listening(self) -> bool:
        return self.state == "listening"

    # --- bind -------------------------------------------------------------------

    def start_bind(self, addr: SockAddr) -> None:
        self.net.check(addr, "tcp-bind")
        if self.state == "bind-started":
            raise SocketError("concurrency-conflict", "a bind is in progress")
        if self.state != "default":
            raise SocketError("invalid-state", f"the socket is {self.state}, not unbound")
        validate_unicast(addr)
        validate_address_family(addr, self.family)
        reuse = addr.port > 0
        self.local = self.net.bind("tcp", self, addr, reuse=reuse)
        self.reuse = reuse
        self.state = "bind-started"

    def finish_bind(self) -> None:
        if self.state != "bind-started":
            raise SocketError("not-in-progress", "no bind was started")
        self.state = "bound"

    # --- listen -----------------------------------------------------------------

    def start_listen(self) -> None:
        if self.state == "listen-started":
            raise SocketError("concurrency-conflict", "a listen is in progress")
        if self.state != "bound":
            raise SocketError("invalid-state", f"the socket is {self.state}, not bound")
        self.state = "listen-started"

    def finish_listen(self) -> None:
        if self.state != "listen-started":
            raise SocketError("not-in-progress", "no listen was started")
        assert self.local is not None
        others = [o for o in self.net._conflicts("tcp", self.local, False)
                  if o is not self and getattr(o, "listening", False)]
        if others:  # two SO_REUSEADDR sockets on one port: the second listen fails
            self.close()
            raise SocketError("address-in-use", f"another socket listens on {self.local}")
        self.state = "listening"

    def set_backlog(self, value: int) -> None:
        if value == 0:
            raise SocketError("invalid-argument", "backlog 0")
        value = min(max(value, 1), 2**31 - 1)
        if self.state not in ("default", "bound", "listening"):
            raise SocketError("invalid-state", f"the socket is {self.state}")
        self.backlog = value
        self._promote()

    def offer(self, conn: Connection) -> None:
        """A client's SYN: queued (handshake done) while the accept queue holds at most
        ``backlog + 1`` connections (Linux), else held until accept makes room."""
        if len(self._queue) <= self.backlog:
            conn.established = True
            self._queue.append(conn)
        else:
            self._syn.append(conn)

    def _promote(self) -> None:
        while self._syn and len(self._queue) <= self.backlog:
            c = self._syn.popleft()
            c.established = True
            self._queue.append(c)

    def accept(self) -> "TcpSocket":
        if self.state != "listening":
            raise SocketError("invalid-state", f"the socket is {self.state}, not listening")
        while self._queue:
            conn = self._queue.popleft()
            self._promote()
            if getattr(conn, "aborted", False):
                continue
            sock = TcpSocket(self.net, self.family, options=self.options.copy())
            sock.state = "connected"
            sock.is_client = False
            sock.conn = conn
            sock.local = SockAddr(conn.server.ip if not self.local or self.local.ip.is_unspecified
                                  else self.local.ip, self.local.port if self.local else 0)
            sock.remote = conn.client
            sock.reuse = self.reuse
            self.net._tcp.setdefault((sock.local.ip.version, sock.local.port), []).append(sock)
            return sock
        raise SocketError("would-block", "no connection is waiting")

    # --- connect ----------------------------------------------------------------

    def start_connect(self, addr: SockAddr) -> None:
        self.net.check(addr, "tcp-connect")
        if self.state in ("connecting", "connect-ready"):
            raise SocketError("concurrency-conflict", "a connect is in progress")
        if self.state not in ("default", "bound"):
            raise SocketError("invalid-state", f"the socket is {self.state}")
        validate_unicast(addr)
        validate_remote_address(addr)
        validate_address_family(addr, self.family)
        if self.local is None:  # implicit bind to an ephemeral port
            self.local = self.net.bind("tcp", self, SockAddr(self.net.source_ip(addr.canonical_ip()
                                       if self.family == "ipv4" else addr.ip), 0))
        elif self.local.ip.is_unspecified:
            self.local = SockAddr(self.net.source_ip(addr.ip), self.local.port)
        self.remote = addr
        self.state = "connecting"
        try:
            self.conn, _ = self.net.open_connection(self.local, addr)
        except SocketError as e:
            self.conn = None
            self._connect_error = e

    def poll_ready(self) -> bool:
        """The socket's pollable (wasmtime ``Pollable for TcpSocket``): a connect in
        flight completes (``connect-ready``) once the listener took the handshake;
        a listener is ready when a connection waits; every other state is ready."""
        if self.state == "connecting":
            if self.conn is not None and not self.conn.established:
                return False
            self.state = "connect-ready"
            return True
        if self.state == "listening":
            return bool(self._queue)
        return True

    def finish_connect(self) -> None:
        if self.state == "connecting":
            raise SocketError("would-block", "the connect is in flight: wait on subscribe() first")
        if self.state != "connect-ready":
            raise SocketError("not-in-progress", "no connect was started")
        if self.conn is None:
            err = self._connect_error or SocketError("connection-refused")
            self.close()
            raise err
        self.state = "connected"

    # --- data -------------------------------------------------------------------

    def _in_pipe(self) -> Pipe:
        assert self.conn is not None
        return self.conn.s2c if self.is_client else self.conn.c2s

    def _out_pipe(self) -> Pipe:
        assert self.conn is not None
        return self.conn.c2s if self.is_client else self.conn.s2c

    def read(self, n: int) -> bytes | None:
        if self.reader_closed:
            return None
        return self._in_pipe().read(n)

    def readable(self) -> bool:
        p = self._in_pipe()
        return self.reader_closed or bool(p.buf) or p.eof

    def write(self, data: memoryview) -> None:
        self._out_pipe().buf += data

    def shutdown(self, how: str) -> None:
        if self.state != "connected":
            raise SocketError("invalid-state", f"the socket is {self.state}, not connected")
        if how in ("receive", "both"):
            self.reader_closed = True
            if self.read_stream is not None:
                self.read_stream.closed = True
        if how in ("send", "both"):
            self.writer_closed = True
            self._out_pipe().eof = True
            if self.write_stream is not None:
                self.write_stream.closed = True

    # --- addresses and options ----------------------------------------------------

    def local_address(self) -> SockAddr:
        if self.state == "default":
            raise SocketError("invalid-state", "the socket is not bound")
        if self.state == "bind-started":
            raise SocketError("concurrency-conflict", "a bind is in progress")
        self.option_view()
        assert self.local is not None
        return self.local

    def remote_address(self) -> SockAddr:
        if self.state in ("connecting", "connect-ready"):
            raise SocketError("concurrency-conflict", "a connect is in progress")
        if self.state != "connected":
            raise SocketError("invalid-state", f"the socket is {self.state}, not connected")
        assert self.remote is not None
        return self.remote

    def option_view(self) -> Options:
        """wasmtime ``as_std_view``: options are readable/settable only in the
        ``default``, ``bound``, ``listening`` and ``connected`` states."""
        if self.state not in ("default", "bound", "listening", "connected"):
            raise SocketError("invalid-state", f"the socket is {self.state}")
        return self.options

    def set_buffer(self, which: str, value: int) -> None:
        o = self.option_view()
        if which == "recv":
            o.recv_buffer = _buffer(value, self.net.rmem_max, SOCK_MIN_RCVBUF)
        else:
            o.send_buffer = _buffer(value, self.net.wmem_max, SOCK_MIN_SNDBUF)

    # --- closing ------------------------------------------------------------------

    def close(self) -> None:
        """The socket is dropped (or a failed listen/connect closes it): its port is
        released, queued connections are aborted, a connection's peer reads
        end-of-stream."""
        if self.conn is not None and self.state == "connected":
            self._out_pipe().eof = True
        for c in list(self._queue) + list(self._syn):
            c.aborted = True  # type: ignore[attr-defined]
            c.s2c.eof = True
        self._queue.clear()
        self._syn.clear()
        self.net.unbind("tcp", self, self.local)
        self.state = "closed"


# ------------------------------------------------------------------ UDP (worker side)

class UdpSocket:
    """A worker's UDP socket: wasmtime 33's ``UdpState`` (``crates/wasi/src/p2/udp.rs``,
    ``host/udp.rs``): ``default``, ``bind-started``, ``bound``, ``connected``."""

    def __init__(self, net: Network, family: str) -> None:
        self.net = net
        self.family = family
        self.state = "default"
        self.options = Options(tcp=False)
        self.local: SockAddr | None = None
        self.remote: SockAddr | None = None
        self.checked = False  # start-bind stored the network's address check
        self.inbox: deque[tuple[bytes, SockAddr]] = deque()
        self.streams = 0      # live incoming/outgoing datagram streams (children)
        self.children = 0
        self.owner: Any = None
        self.name = f"udp-socket#{next(net._ids)}"

    def __repr__(self) -> str:
        return f"UdpSocket({self.name}, {self.family}, {self.state}, local={self.local})"

    def start_bind(self, addr: SockAddr) -> None:
        if self.state == "bind-started":
            raise SocketError("concurrency-conflict", "a bind is in progress")
        if self.state != "default":
            raise SocketError("invalid-state", f"the socket is {self.state}")
        self.checked = True
        validate_address_family(addr, self.family)
        self.net.check(addr, "udp-bind")
        self.local = self.net.bind("udp", self, addr)
        self.state = "bind-started"

    def finish_bind(self) -> None:
        if self.state != "bind-started":
            raise SocketError("not-in-progress", "no bind was started")
        self.state = "bound"

    def connect(self, remote: SockAddr | None) -> None:
        """The socket part of ``stream(remote)`` (the caller checked the streams)."""
        if self.state not in ("bound", "connected"):
            raise SocketError("invalid-state", f"the socket is {self.state}, not bound")
        if self.state == "connected":
            self.state, self.remote = "bound", None
        if remote is not None:
            if not self.checked:
                raise SocketError("invalid-state", "no address check")
            validate_remote_address(remote)
            validate_address_family(remote, self.family)
            self.net.check(remote, "udp-connect")
            self.remote = remote
            self.state = "connected"
            assert self.local is not None
            if self.local.ip.is_unspecified:
                self.local = SockAddr(self.net.source_ip(remote.ip), self.local.port)

    def enqueue(self, data: bytes, sender: SockAddr) -> None:
        self.inbox.append((bytes(data), sender))

    def receive(self, remote: SockAddr | None, n: int) -> list[tuple[bytes, SockAddr]]:
        out = []
        while self.inbox and len(out) < n:
            data, sender = self.inbox.popleft()
            if remote is not None and sender != remote:
                continue  # wasmtime drops datagrams from other senders
            out.append((data, sender))
        return out

    def send(self, data: bytes, addr: SockAddr) -> None:
        if len(data) > MAX_UDP_DATAGRAM_SIZE:
            raise SocketError("datagram-too-large", f"{len(data)} bytes")
        assert self.local is not None
        src = self.local
        if src.ip.is_unspecified:
            src = SockAddr(self.net.source_ip(addr.ip), src.port)
        self.net.deliver(src, addr, data)

    def local_address(self) -> SockAddr:
        if self.state == "default":
            raise SocketError("invalid-state", "the socket is not bound")
        if self.state == "bind-started":
            raise SocketError("concurrency-conflict", "a bind is in progress")
        assert self.local is not None
        return self.local

    def remote_address(self) -> SockAddr:
        if self.state != "connected" or self.remote is None:
            raise SocketError("invalid-state", "the socket is not connected")
        return self.remote

    def set_buffer(self, which: str, value: int) -> None:
        if which == "recv":
            self.options.recv_buffer = _buffer(value, self.net.rmem_max, SOCK_MIN_RCVBUF)
        else:
            self.options.send_buffer = _buffer(value, self.net.wmem_max, SOCK_MIN_SNDBUF)

    def close(self) -> None:
        self.net.unbind("udp", self, self.local)
        self.inbox.clear()
        self.state = "closed"


# ------------------------------------------------------------------ test-side peers

class PeerListener:
    """A test-side TCP listener (:meth:`Network.listen`). ``accept()`` returns the next
    :class:`PeerConnection` a worker opened (``LookupError`` if none), ``pending`` how
    many wait, ``close()`` stops listening."""

    listening = True
    reuse = False

    def __init__(self, net: Network, addr: SockAddr, backlog: int) -> None:
        self.net = net
        self.backlog = backlog
        self.local = net.bind("tcp", self, addr, worker=False)
        self._queue: deque[Connection] = deque()

    @property
    def address(self) -> tuple[str, int]:
        return (str(self.local.ip), self.local.port)

    @property
    def port(self) -> int:
        return self.local.port

    def offer(self, conn: Connection) -> None:
        conn.established = True
        self._queue.append(conn)

    @property
    def pending(self) -> int:
        return len(self._queue)

    def accept(self) -> "PeerConnection":
        if not self._queue:
            raise LookupError(f"no worker has connected to the test's listener on {self.local}; "
                              f"the worker must call start-connect to it first")
        conn = self._queue.popleft()
        return PeerConnection(self.net, conn, client=False)

    def close(self) -> None:
        self.listening = False
        self.net.unbind("tcp", self, self.local)

    def __repr__(self) -> str:
        return f"PeerListener({self.local}, {len(self._queue)} pending)"


class PeerConnection:
    """The test's end of a TCP connection: ``send(data)``, ``receive()`` (everything the
    worker wrote so far), ``eof`` (the worker shut down or dropped its end),
    ``shutdown()`` (the worker reads end-of-stream after the data), ``close()``."""

    reuse = False
    listening = False

    def __init__(self, net: Network, conn: Connection, *, client: bool) -> None:
        self.net = net
        self.conn = conn
        self.client = client
        self.local = conn.client if client else conn.server

    def send(self, data: bytes) -> None:
        pipe = self.conn.c2s if self.client else self.conn.s2c
        if pipe.eof:
            raise BrokenPipeError("this end was shut down")
        pipe.buf += data

    def receive(self) -> bytes:
        pipe = self.conn.s2c if self.client else self.conn.c2s
        data = bytes(pipe.buf)
        pipe.buf.clear()
        return data

    @property
    def eof(self) -> bool:
        pipe = self.conn.s2c if self.client else self.conn.c2s
        return pipe.eof and not pipe.buf

    def shutdown(self) -> None:
        (self.conn.c2s if self.client else self.conn.s2c).eof = True

    def close(self) -> None:
        self.shutdown()
        if self.client:
            self.net.unbind("tcp", self, self.local)

    def __repr__(self) -> str:
        return f"PeerConnection({self.conn.client} -> {self.conn.server})"


class PeerUdp:
    """A test-side UDP socket (:meth:`Network.udp`): ``send(data, to)``,
    ``receive()`` → list of ``(data, (ip, port))``."""

    def __init__(self, net: Network, addr: SockAddr) -> None:
        self.net = net
        self.local = net.bind("udp", self, addr, worker=False)
        self.inbox: deque[tuple[bytes, SockAddr]] = deque()

    @property
    def address(self) -> tuple[str, int]:
        return (str(self.local.ip), self.local.port)

    def enqueue(self, data: bytes, sender: SockAddr) -> None:
        self.inbox.append((bytes(data), sender))

    def send(self, data: bytes, to: Any) -> bool:
        dest = SockAddr.of(to)
        src = self.local
        if src.ip.is_unspecified:
            src = SockAddr(self.net.source_ip(dest.ip), src.port)
        return self.net.deliver(src, dest, bytes(data))

    def receive(self) -> list[tuple[bytes, tuple[str, int]]]:
        out = [(d, (str(a.ip), a.port)) for d, a in self.inbox]
        self.inbox.clear()
        return out

    def close(self) -> None:
        self.net.unbind("udp", self, self.local)

    def __repr__(self) -> str:
        return f"PeerUdp({self.local}, {len(self.inbox)} waiting)"


def ips(values: Iterable[Any]) -> list[IP]:
    return [parse_ip(v) for v in values]
