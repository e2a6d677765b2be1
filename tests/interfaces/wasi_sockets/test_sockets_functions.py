"""wasi:sockets@0.2.3 per function and method: network, instance-network,
tcp-create-socket, tcp, udp-create-socket, udp, ip-name-lookup.

Each expectation is wasmtime 33.0.0's (Golem v1.3.0-dev.25 passes every socket call
through, ``durable_host/sockets/*.rs``): ``crates/wasi/src/p2/tcp.rs`` (the
``TcpState`` machine), ``p2/host/tcp.rs``, ``p2/udp.rs``, ``p2/host/udp.rs``,
``p2/host/network.rs`` (``util::validate_*``), ``net.rs`` (the address check), on
Linux. Golem's own rules — every address denied unless the test opens the network
(:meth:`golem_fakes.state.network.Network.allow`), eager, recorded name lookup —
are in ``golem_fakes/interfaces/wasi_sockets``. The wasmtime-py differential probes
(``tests/wasmtime/probes/sockets.py``) cover the deny-all paths against the real host.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, Iterator

import pytest

import golem_fakes

SEC = 10**9


@pytest.fixture(scope="module")
def m() -> SimpleNamespace:
    golem_fakes.install()
    from componentize_py_types import Err
    from wit_world.imports import (instance_network, ip_name_lookup, network, tcp,
                                   tcp_create_socket, udp, udp_create_socket)

    return SimpleNamespace(Err=Err, inet=instance_network, lookup=ip_name_lookup, N=network,
                           tcp=tcp, tcp_create=tcp_create_socket, udp=udp,
                           udp_create=udp_create_socket)


@pytest.fixture
def g() -> Iterator[golem_fakes.Golem]:
    """A Golem whose network lets every address through (Golem itself denies all)."""
    with golem_fakes.Golem() as golem:
        golem.network.allow()
        yield golem


@pytest.fixture
def denied() -> Iterator[golem_fakes.Golem]:
    """A Golem as configured by default: every socket address denied."""
    with golem_fakes.Golem() as golem:
        yield golem


# --- helpers ------------------------------------------------------------------------

def v4(m: Any, a: tuple[int, int, int, int], port: int) -> Any:
    return m.N.IpSocketAddress_Ipv4(m.N.Ipv4SocketAddress(port=port, address=a))


def v6(m: Any, a: tuple[int, ...], port: int) -> Any:
    return m.N.IpSocketAddress_Ipv6(m.N.Ipv6SocketAddress(port=port, flow_info=0, address=a,
                                                          scope_id=0))


LO = (127, 0, 0, 1)
LO6 = (0, 0, 0, 0, 0, 0, 0, 1)
ANY = (0, 0, 0, 0)


def code(m: Any, fn: Any) -> str:
    """The error case ``fn()`` fails with: an ``error-code`` (``address-in-use``) or a
    ``stream-error`` (``closed``)."""
    with pytest.raises(m.Err) as ei:
        fn()
    v = ei.value.value
    if hasattr(v, "name"):
        return v.name.lower().replace("_", "-")
    return type(v).__name__.split("_", 1)[1].lower()


def tcp4(m: Any) -> Any:
    return m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV4)


def udp4(m: Any) -> Any:
    return m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV4)


def wait(resource: Any) -> None:
    """Block on the resource's pollable and drop the pollable (a child of it)."""
    p = resource.subscribe()
    p.block()
    p.__exit__(None, None, None)


def bind(m: Any, sock: Any, address: Any) -> Any:
    sock.start_bind(m.inet.instance_network(), address)
    sock.finish_bind()
    return sock.local_address()


def listener(m: Any, port: int = 0) -> tuple[Any, int]:
    """A listening TCP socket on 127.0.0.1 and its port."""
    s = tcp4(m)
    port = bind(m, s, v4(m, LO, port)).value.port
    s.start_listen()
    s.finish_listen()
    return s, port


def connected(m: Any, port: int) -> tuple[Any, Any, Any]:
    """A client connected to 127.0.0.1:port: (socket, input, output)."""
    c = tcp4(m)
    c.start_connect(m.inet.instance_network(), v4(m, LO, port))
    wait(c)
    rx, tx = c.finish_connect()
    return c, rx, tx


def drop(*resources: Any) -> None:
    for r in resources:
        r.__exit__(None, None, None)


# --- network, instance-network, create-socket -------------------------------------------

def test_instance_network_and_create_socket_families(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    assert type(n).__name__ == "Network"
    for family in (m.N.IpAddressFamily.IPV4, m.N.IpAddressFamily.IPV6):
        t = m.tcp_create.create_tcp_socket(family)
        u = m.udp_create.create_udp_socket(family)
        assert t.address_family() == family and u.address_family() == family
        assert t.is_listening() is False
        # a fresh socket is in state default: no address yet
        for s in (t, u):
            assert code(m, s.local_address) == "invalid-state"
            assert code(m, s.remote_address) == "invalid-state"


def test_golem_denies_every_use_by_default(m: Any, denied: golem_fakes.Golem) -> None:
    """Golem configures no socket address check: wasmtime's default denies every
    address (golem-io-semantics.md §5.9): bind, connect, UDP bind, each access-denied."""
    n = m.inet.instance_network()
    t = tcp4(m)
    assert code(m, lambda: t.start_bind(n, v4(m, LO, 0))) == "access-denied"
    assert code(m, lambda: t.start_connect(n, v4(m, LO, 80))) == "access-denied"
    # the address check comes first in TCP: even a wrong family is access-denied
    assert code(m, lambda: t.start_bind(n, v6(m, LO6, 0))) == "access-denied"
    u = udp4(m)
    # UDP checks the family before the address (host/udp.rs start_bind)
    assert code(m, lambda: u.start_bind(n, v6(m, LO6, 0))) == "invalid-argument"
    assert code(m, lambda: u.start_bind(n, v4(m, LO, 0))) == "access-denied"
    # nothing changed state: the sockets stay unbound
    assert code(m, t.finish_bind) == "not-in-progress"
    assert code(m, u.finish_bind) == "not-in-progress"


def test_a_predicate_allows_per_use(m: Any, denied: golem_fakes.Golem) -> None:
    seen: list[tuple[str, str]] = []

    def check(addr: Any, use: str) -> bool:
        seen.append((str(addr), use))
        return use == "tcp-bind"

    denied.network.allow(check)
    n = m.inet.instance_network()
    s = tcp4(m)
    s.start_bind(n, v4(m, LO, 0))
    s.finish_bind()
    c = tcp4(m)
    assert code(m, lambda: c.start_connect(n, v4(m, LO, 80))) == "access-denied"
    u = udp4(m)
    assert code(m, lambda: u.start_bind(n, v4(m, LO, 0))) == "access-denied"
    assert seen == [("127.0.0.1:0", "tcp-bind"), ("127.0.0.1:80", "tcp-connect"),
                    ("127.0.0.1:0", "udp-bind")]
    denied.network.deny()
    assert code(m, lambda: tcp4(m).start_bind(n, v4(m, LO, 0))) == "access-denied"


# --- tcp: bind ------------------------------------------------------------------------

def test_tcp_bind_state_machine(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    s = tcp4(m)
    assert code(m, s.finish_bind) == "not-in-progress"
    s.start_bind(n, v4(m, LO, 0))
    # bind-started: another start-bind conflicts, the address is not readable yet
    assert code(m, lambda: s.start_bind(n, v4(m, LO, 0))) == "concurrency-conflict"
    assert code(m, s.local_address) == "concurrency-conflict"
    assert code(m, s.remote_address) == "invalid-state"
    s.finish_bind()
    assert code(m, s.finish_bind) == "not-in-progress"
    assert code(m, lambda: s.start_bind(n, v4(m, LO, 0))) == "invalid-state"
    a = s.local_address()
    assert a.value.address == LO and 32768 <= a.value.port <= 60999
    assert code(m, s.remote_address) == "invalid-state"
    assert s.is_listening() is False


def test_tcp_bind_validation(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    s = tcp4(m)
    for addr in (v4(m, (224, 0, 0, 1), 0), v4(m, (255, 255, 255, 255), 0), v6(m, LO6, 0)):
        assert code(m, lambda: s.start_bind(n, addr)) == "invalid-argument"
    s6 = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV6)
    mapped = (0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1)
    assert code(m, lambda: s6.start_bind(n, v6(m, mapped, 0))) == "invalid-argument"
    assert code(m, lambda: s6.start_bind(n, v4(m, LO, 0))) == "invalid-argument"
    assert code(m, lambda: s6.start_bind(n, v6(m, (0xFF02, 0, 0, 0, 0, 0, 0, 1), 0))) \
        == "invalid-argument"
    # an address that is not the host's: EADDRNOTAVAIL
    assert code(m, lambda: s.start_bind(n, v4(m, (10, 9, 9, 9), 0))) == "address-not-bindable"
    # none of these changed the state
    bind(m, s, v4(m, ANY, 0))
    bind(m, s6, v6(m, LO6, 0))
    assert s6.local_address().value.address == LO6


def test_tcp_ephemeral_ports_and_address_in_use(m: Any, g: golem_fakes.Golem) -> None:
    a, b = tcp4(m), tcp4(m)
    pa = bind(m, a, v4(m, LO, 0)).value.port
    pb = bind(m, b, v4(m, LO, 0)).value.port
    assert 32768 <= pa < pb <= 60999  # distinct ephemeral ports (Linux's range)
    # an explicit port held by a socket bound without SO_REUSEADDR (port 0): in use
    c = tcp4(m)
    assert code(m, lambda: c.start_bind(m.inet.instance_network(), v4(m, LO, pa))) \
        == "address-in-use"
    # 0.0.0.0 on the same port conflicts with 127.0.0.1 too
    assert code(m, lambda: c.start_bind(m.inet.instance_network(), v4(m, ANY, pa))) \
        == "address-in-use"
    # the IPv6 port space is separate
    s6 = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV6)
    assert bind(m, s6, v6(m, LO6, pa)).value.port == pa
    # dropping a socket frees its port
    drop(a)
    assert bind(m, c, v4(m, LO, pa)).value.port == pa


def test_tcp_explicit_ports_share_with_reuseaddr_until_one_listens(m: Any,
                                                                  g: golem_fakes.Golem) -> None:
    """wasmtime sets SO_REUSEADDR when a port is given (tcp.rs start_bind): two such
    sockets may bind one port; the second listen fails (address-in-use) and closes it."""
    a = tcp4(m)
    port = 40000
    bind(m, a, v4(m, LO, port))
    b = tcp4(m)
    bind(m, b, v4(m, LO, port))
    a.start_listen()
    a.finish_listen()
    b.start_listen()
    assert code(m, b.finish_listen) == "address-in-use"
    # finish-listen's failure leaves the socket closed
    assert code(m, b.start_listen) == "invalid-state"
    assert code(m, b.local_address) == "invalid-state"
    # and a third explicit bind of the port is refused while a listens
    assert code(m, lambda: tcp4(m).start_bind(m.inet.instance_network(), v4(m, LO, port))) \
        == "address-in-use"


# --- tcp: listen / accept -----------------------------------------------------------

def test_tcp_listen_state_machine(m: Any, g: golem_fakes.Golem) -> None:
    s = tcp4(m)
    assert code(m, s.start_listen) == "invalid-state"  # not bound
    assert code(m, s.finish_listen) == "not-in-progress"
    assert code(m, s.accept) == "invalid-state"
    bind(m, s, v4(m, LO, 0))
    s.start_listen()
    assert code(m, s.start_listen) == "concurrency-conflict"
    assert s.is_listening() is False  # listen-started is not listening yet
    assert code(m, s.accept) == "invalid-state"
    assert code(m, s.local_address) == "invalid-state"  # as_std_view: listen-started
    s.finish_listen()
    assert code(m, s.finish_listen) == "not-in-progress"
    assert s.is_listening() is True
    assert s.local_address().value.address == LO
    assert code(m, s.accept) == "would-block"  # nothing queued
    assert code(m, lambda: s.start_bind(m.inet.instance_network(), v4(m, LO, 0))) \
        == "invalid-state"
    assert code(m, lambda: s.start_connect(m.inet.instance_network(), v4(m, LO, 80))) \
        == "invalid-state"
    assert code(m, lambda: s.shutdown(m.tcp.ShutdownType.BOTH)) == "invalid-state"


def test_tcp_accept_between_sockets_of_the_environment(m: Any, g: golem_fakes.Golem) -> None:
    srv, port = listener(m)
    srv.set_keep_alive_enabled(True)
    srv.set_hop_limit(7)
    p = srv.subscribe()
    assert p.ready() is False  # no connection waits
    c, crx, ctx = connected(m, port)
    assert p.ready() is True
    drop(p)
    conn, srx, stx = srv.accept()
    assert code(m, srv.accept) == "would-block"
    # the accepted socket: connected, the listener's family and options
    assert conn.address_family() == m.N.IpAddressFamily.IPV4
    assert conn.is_listening() is False
    assert conn.keep_alive_enabled() is True and conn.hop_limit() == 7
    assert conn.local_address().value.port == port
    assert conn.remote_address() == c.local_address()
    assert c.remote_address().value.port == port
    ctx.blocking_write_and_flush(b"ping")
    assert srx.blocking_read(10) == b"ping"
    stx.blocking_write_and_flush(b"pong")
    assert crx.blocking_read(10) == b"pong"
    # the accepted socket cannot bind, listen or connect
    assert code(m, conn.start_listen) == "invalid-state"
    assert code(m, lambda: conn.start_bind(m.inet.instance_network(), v4(m, LO, 0))) \
        == "invalid-state"


def test_tcp_backlog(m: Any, g: golem_fakes.Golem) -> None:
    s = tcp4(m)
    assert code(m, lambda: s.set_listen_backlog_size(0)) == "invalid-argument"
    s.set_listen_backlog_size(1)  # default state: stashed for listen
    srv, port = listener(m)
    srv.set_listen_backlog_size(1)  # listening: Linux lets it change
    # backlog 1: the accept queue holds backlog + 1 = 2; a third handshake waits
    clients = []
    for _ in range(3):
        c = tcp4(m)
        c.start_connect(m.inet.instance_network(), v4(m, LO, port))
        clients.append(c)
    ready = []
    for c in clients:
        p = c.subscribe()
        ready.append(p.ready())
        drop(p)
    assert ready == [True, True, False]
    assert code(m, clients[2].finish_connect) == "would-block"
    srv.accept()
    wait(clients[2])
    clients[2].finish_connect()
    # a connecting socket takes no backlog size
    c = tcp4(m)
    c.start_connect(m.inet.instance_network(), v4(m, LO, port))
    assert code(m, lambda: c.set_listen_backlog_size(5)) == "invalid-state"
    assert code(m, lambda: c.set_listen_backlog_size(0)) == "invalid-argument"  # checked first


# --- tcp: connect ---------------------------------------------------------------------

def test_tcp_connect_state_machine(m: Any, g: golem_fakes.Golem) -> None:
    _, port = listener(m)
    n = m.inet.instance_network()
    c = tcp4(m)
    assert code(m, c.finish_connect) == "not-in-progress"
    c.start_connect(n, v4(m, LO, port))
    assert code(m, lambda: c.start_connect(n, v4(m, LO, port))) == "concurrency-conflict"
    assert code(m, c.remote_address) == "concurrency-conflict"
    assert code(m, c.local_address) == "invalid-state"  # as_std_view: connecting
    assert code(m, c.keep_alive_enabled) == "invalid-state"
    assert code(m, c.finish_connect) == "would-block"  # before any wait
    wait(c)
    assert code(m, lambda: c.start_connect(n, v4(m, LO, port))) == "concurrency-conflict"
    rx, tx = c.finish_connect()
    assert code(m, c.finish_connect) == "not-in-progress"
    assert code(m, lambda: c.start_connect(n, v4(m, LO, port))) == "invalid-state"
    # the implicit bind: the source address chosen for loopback and an ephemeral port
    local = c.local_address().value
    assert local.address == LO and 32768 <= local.port <= 60999
    assert c.remote_address().value.port == port
    assert c.keep_alive_enabled() is False


def test_tcp_connect_validation_leaves_the_socket_usable(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    c = tcp4(m)
    for addr in (v4(m, ANY, 80), v4(m, LO, 0), v4(m, (224, 0, 0, 1), 80),
                 v4(m, (255, 255, 255, 255), 80), v6(m, LO6, 80)):
        assert code(m, lambda: c.start_connect(n, addr)) == "invalid-argument"
    c6 = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV6)
    assert code(m, lambda: c6.start_connect(n, v6(m, (0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1), 80))) \
        == "invalid-argument"
    _, port = listener(m)
    c.start_connect(n, v4(m, LO, port))  # still in state default
    wait(c)
    c.finish_connect()


def test_tcp_connect_from_a_bound_socket_keeps_its_port(m: Any, g: golem_fakes.Golem) -> None:
    _, port = listener(m)
    c = tcp4(m)
    mine = bind(m, c, v4(m, ANY, 0)).value.port
    c.start_connect(m.inet.instance_network(), v4(m, LO, port))
    wait(c)
    c.finish_connect()
    assert c.local_address().value.port == mine
    assert c.local_address().value.address == LO  # 0.0.0.0 resolved by the route


@pytest.mark.parametrize("target,want", [((127, 0, 0, 1), "connection-refused"),
                                         ((192, 0, 2, 1), "timeout")])
def test_tcp_failed_connect_closes_the_socket(m: Any, g: golem_fakes.Golem,
                                              target: tuple[int, int, int, int],
                                              want: str) -> None:
    c = tcp4(m)
    c.start_connect(m.inet.instance_network(), v4(m, target, 81))
    wait(c)
    assert code(m, c.finish_connect) == want
    # tcp.rs finish_connect: an error leaves TcpState::Closed
    assert code(m, c.finish_connect) == "not-in-progress"
    assert code(m, lambda: c.start_connect(m.inet.instance_network(), v4(m, target, 81))) \
        == "invalid-state"
    assert code(m, c.hop_limit) == "invalid-state"
    assert code(m, c.local_address) == "invalid-state"


# --- tcp: options ---------------------------------------------------------------------

def test_tcp_option_defaults_and_validation(m: Any, g: golem_fakes.Golem) -> None:
    s = tcp4(m)
    assert (s.keep_alive_enabled(), s.keep_alive_idle_time(), s.keep_alive_interval(),
            s.keep_alive_count(), s.hop_limit()) == (False, 7200 * SEC, 75 * SEC, 9, 64)
    assert (s.receive_buffer_size(), s.send_buffer_size()) == (65536, 8192)
    for setter in (s.set_keep_alive_idle_time, s.set_keep_alive_interval,
                   s.set_keep_alive_count, s.set_hop_limit, s.set_receive_buffer_size,
                   s.set_send_buffer_size):
        assert code(m, lambda: setter(0)) == "invalid-argument"
    assert s.keep_alive_idle_time() == 7200 * SEC  # unchanged by the failed set
    # keep-alive times: whole seconds, rounded up, clamped to 1..32767 s; count 1..127
    s.set_keep_alive_idle_time(1)
    assert s.keep_alive_idle_time() == SEC
    s.set_keep_alive_interval(SEC + 1)
    assert s.keep_alive_interval() == 2 * SEC
    s.set_keep_alive_idle_time(10**15)
    assert s.keep_alive_idle_time() == 32767 * SEC
    s.set_keep_alive_count(1000)
    assert s.keep_alive_count() == 127
    s.set_hop_limit(255)
    assert s.hop_limit() == 255
    # buffers: Linux doubles (at least SOCK_MIN_*), wasmtime halves what it reads
    s.set_receive_buffer_size(1)
    s.set_send_buffer_size(1)
    assert (s.receive_buffer_size(), s.send_buffer_size()) == (1152, 2304)
    s.set_receive_buffer_size(10**12)  # capped by net.core.rmem_max
    assert s.receive_buffer_size() == g.network.rmem_max
    s.set_keep_alive_enabled(True)
    assert s.keep_alive_enabled() is True


def test_tcp_options_by_state(m: Any, g: golem_fakes.Golem) -> None:
    """Options are readable and settable in states default, bound, listening and
    connected (as_std_view); bind-started, listen-started, connecting: invalid-state."""
    n = m.inet.instance_network()
    s = tcp4(m)
    s.start_bind(n, v4(m, LO, 0))
    assert code(m, s.hop_limit) == "invalid-state"
    assert code(m, lambda: s.set_hop_limit(3)) == "invalid-state"
    s.finish_bind()
    s.set_hop_limit(3)
    s.start_listen()
    assert code(m, s.receive_buffer_size) == "invalid-state"
    s.finish_listen()
    assert s.hop_limit() == 3
    s.set_keep_alive_count(4)
    assert s.keep_alive_count() == 4


# --- tcp: shutdown, subscribe, drop ---------------------------------------------------

def test_tcp_shutdown(m: Any, g: golem_fakes.Golem) -> None:
    srv, port = listener(m)
    c, crx, ctx = connected(m, port)
    conn, srx, stx = srv.accept()
    assert code(m, lambda: tcp4(m).shutdown(m.tcp.ShutdownType.SEND)) == "invalid-state"
    ctx.blocking_write_and_flush(b"last")
    c.shutdown(m.tcp.ShutdownType.SEND)
    # our output stream is closed, the peer reads the data then end-of-stream
    assert code(m, ctx.check_write) == "closed"
    assert srx.blocking_read(10) == b"last"
    assert code(m, lambda: srx.blocking_read(10)) == "closed"
    # receive: our input stream ends, even with data waiting
    stx.blocking_write_and_flush(b"unread")
    c.shutdown(m.tcp.ShutdownType.RECEIVE)
    assert code(m, lambda: crx.read(10)) == "closed"
    # both, on the server's end; shutting down twice is fine
    conn.shutdown(m.tcp.ShutdownType.BOTH)
    conn.shutdown(m.tcp.ShutdownType.BOTH)
    assert code(m, lambda: stx.write(b"x")) == "closed"


def test_tcp_subscribe_readiness(m: Any, g: golem_fakes.Golem) -> None:
    """Ready at once in every state but connecting (until the handshake) and listening
    (until a connection waits) — tcp.rs ``Pollable for TcpSocket``."""
    s = tcp4(m)
    p = s.subscribe()
    assert p.ready() is True
    drop(p)
    srv, port = listener(m)
    p = srv.subscribe()
    assert p.ready() is False
    c = tcp4(m)
    c.start_connect(m.inet.instance_network(), v4(m, LO, port))
    assert p.ready() is True
    drop(p)


def test_tcp_drop_with_children_traps(m: Any, g: golem_fakes.Golem) -> None:
    """wasmtime's ResourceTable: a socket whose streams or pollables live cannot be
    dropped (the trap ends the invocation, so nothing runs after it here)."""
    srv, port = listener(m)
    c, crx, ctx = connected(m, port)
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        drop(c)
    p = srv.subscribe()
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        drop(srv)
    del p


def test_tcp_drop_closes_and_frees_the_port(m: Any, g: golem_fakes.Golem) -> None:
    srv, port = listener(m)
    c, crx, ctx = connected(m, port)
    conn, srx, stx = srv.accept()
    drop(crx, ctx, c)
    # the peer reads end-of-stream once the client socket is gone
    assert code(m, lambda: srx.blocking_read(10)) == "closed"
    drop(srx, stx, conn, srv)
    again, _ = listener(m, port)  # the port is free
    assert again.local_address().value.port == port


# --- udp ------------------------------------------------------------------------------

def test_udp_bind_state_machine(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    u = udp4(m)
    assert code(m, u.finish_bind) == "not-in-progress"
    assert code(m, lambda: u.stream(None)) == "invalid-state"  # not bound
    u.start_bind(n, v4(m, LO, 0))
    assert code(m, lambda: u.start_bind(n, v4(m, LO, 0))) == "concurrency-conflict"
    assert code(m, u.local_address) == "concurrency-conflict"
    assert code(m, lambda: u.stream(None)) == "invalid-state"
    u.finish_bind()
    assert code(m, u.finish_bind) == "not-in-progress"
    assert code(m, lambda: u.start_bind(n, v4(m, LO, 0))) == "invalid-state"
    assert u.local_address().value.address == LO
    assert code(m, u.remote_address) == "invalid-state"


def test_udp_bind_validation_and_ports(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    u = udp4(m)
    assert code(m, lambda: u.start_bind(n, v6(m, LO6, 0))) == "invalid-argument"
    assert code(m, lambda: u.start_bind(n, v4(m, (10, 9, 9, 9), 0))) == "address-not-bindable"
    port = bind(m, u, v4(m, LO, 0)).value.port
    assert 32768 <= port <= 60999
    other = udp4(m)
    assert code(m, lambda: other.start_bind(n, v4(m, LO, port))) == "address-in-use"
    u6 = m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV6)
    assert code(m, lambda: u6.start_bind(n, v6(m, (0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1), 0))) \
        == "invalid-argument"
    assert bind(m, u6, v6(m, LO6, port)).value.port == port  # separate IPv6 ports


def test_udp_binds_multicast_and_broadcast_addresses(m: Any, g: golem_fakes.Golem) -> None:
    """UDP start-bind has no unicast check in wasmtime 33 (host/udp.rs; TCP's has,
    test_tcp_bind_validation), and Linux binds a UDP socket to a multicast group or
    the broadcast address; a link-local IPv6 group needs a scope id (EINVAL)."""
    n = m.inet.instance_network()
    for group in ((224, 0, 0, 1), (239, 1, 2, 3), (255, 255, 255, 255)):
        u = udp4(m)
        assert bind(m, u, v4(m, group, 5000)).value.address == group
        # the port on that address is taken now
        assert code(m, lambda: udp4(m).start_bind(n, v4(m, group, 5000))) == "address-in-use"
    u6 = m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV6)
    link_local = (0xFF02, 0, 0, 0, 0, 0, 0, 1)
    assert code(m, lambda: u6.start_bind(n, v6(m, link_local, 0))) == "invalid-argument"
    scoped = m.N.IpSocketAddress_Ipv6(m.N.Ipv6SocketAddress(port=0, flow_info=0,
                                                            address=link_local, scope_id=1))
    bind(m, u6, scoped)
    g6 = m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV6)
    assert bind(m, g6, v6(m, (0xFF0E, 0, 0, 0, 0, 0, 0, 1), 0)).value.address[0] == 0xFF0E
    # a datagram sent to the group reaches the socket bound to it
    rx = udp4(m)
    bind(m, rx, v4(m, (224, 0, 0, 9), 6000))
    rin, rout = rx.stream(None)
    tx = udp4(m)
    bind(m, tx, v4(m, LO, 0))
    tin, tout = tx.stream(None)
    tout.check_send()
    assert tout.send([m.udp.OutgoingDatagram(b"hi", v4(m, (224, 0, 0, 9), 6000))]) == 1
    assert [d.data for d in rin.receive(5)] == [b"hi"]


def test_udp_stream_connect_and_reconnect(m: Any, g: golem_fakes.Golem) -> None:
    u = udp4(m)
    bind(m, u, v4(m, ANY, 0))
    inc, out = u.stream(None)
    assert code(m, u.remote_address) == "invalid-state"
    with pytest.raises(golem_fakes.Trap, match="UDP streams not dropped yet"):
        u.stream(None)
    drop(inc)
    with pytest.raises(golem_fakes.Trap, match="UDP streams not dropped yet"):
        u.stream(None)  # one of the pair is still alive
    drop(out)
    inc, out = u.stream(v4(m, (10, 0, 0, 9), 53))
    assert u.remote_address().value == m.N.Ipv4SocketAddress(port=53, address=(10, 0, 0, 9))
    # connecting picked the source address for the route
    assert u.local_address().value.address == (10, 0, 0, 1)
    drop(inc, out)
    for bad in (v4(m, ANY, 53), v4(m, (10, 0, 0, 9), 0), v6(m, LO6, 53)):
        assert code(m, lambda: u.stream(bad)) == "invalid-argument"
        # the failed reconnect disconnected first: bound, not connected
        assert code(m, u.remote_address) == "invalid-state"
    inc, out = u.stream(None)
    assert code(m, u.remote_address) == "invalid-state"


def test_udp_connected_stream_filters_senders(m: Any, g: golem_fakes.Golem) -> None:
    a, b, c = udp4(m), udp4(m), udp4(m)
    pa = bind(m, a, v4(m, LO, 0)).value.port
    pb = bind(m, b, v4(m, LO, 0)).value.port
    pc = bind(m, c, v4(m, LO, 0)).value.port
    ain, aout = a.stream(v4(m, LO, pb))  # a only hears from b
    for sender in (b, c):
        sin, sout = sender.stream(None)
        assert sout.check_send() == 16
        assert sout.send([m.udp.OutgoingDatagram(b"from %d" % (pb if sender is b else pc),
                                                 v4(m, LO, pa))]) == 1
        drop(sin, sout)
    p = ain.subscribe()
    assert p.ready() is True
    drop(p)
    assert ain.receive(0) == []
    got = ain.receive(10)
    assert [d.data for d in got] == [b"from %d" % pb]
    assert got[0].remote_address.value.port == pb
    assert ain.receive(10) == []  # c's datagram was dropped
    p = ain.subscribe()
    assert p.ready() is False
    drop(p)


def test_udp_send_rules(m: Any, g: golem_fakes.Golem) -> None:
    rx, tx = udp4(m), udp4(m)
    prx = bind(m, rx, v4(m, LO, 0)).value.port
    bind(m, tx, v4(m, LO, 0))
    rin, rout = rx.stream(None)
    inc, out = tx.stream(None)
    D = m.udp.OutgoingDatagram
    with pytest.raises(golem_fakes.Trap, match="must call check-send first"):
        out.send([D(b"x", v4(m, LO, prx))])
    assert out.check_send() == 16
    with pytest.raises(golem_fakes.Trap, match="exceeds permitted size"):
        out.send([D(b"x", v4(m, LO, prx))] * 17)
    # each send uses the permit up; an unconnected stream needs a remote address
    out.check_send()
    assert code(m, lambda: out.send([D(b"x", None)])) == "invalid-argument"
    out.check_send()
    assert code(m, lambda: out.send([D(b"x" * 65536, v4(m, LO, prx))])) == "datagram-too-large"
    out.check_send()
    # an error after a datagram went out ends the call with the count sent
    assert out.send([D(b"1", v4(m, LO, prx)), D(b"2", v4(m, ANY, prx)),
                     D(b"3", v4(m, LO, prx))]) == 1
    out.check_send()
    assert out.send([]) == 0
    out.check_send()
    # nothing bound there: the datagram is dropped, the send counts it
    assert out.send([D(b"lost", v4(m, LO, 9))]) == 1
    assert [d.data for d in rin.receive(10)] == [b"1"]
    p = out.subscribe()
    assert p.ready() is True
    drop(p, inc, out)
    # connected: no address or the connected one; another is invalid-argument
    inc, out = tx.stream(v4(m, LO, prx))
    out.check_send()
    assert out.send([D(b"a", None), D(b"b", v4(m, LO, prx))]) == 2
    out.check_send()
    assert code(m, lambda: out.send([D(b"c", v4(m, LO, prx + 1))])) == "invalid-argument"
    assert [d.data for d in rin.receive(10)] == [b"a", b"b"]


def test_udp_options(m: Any, g: golem_fakes.Golem) -> None:
    """Available in every state (no as_std_view check in udp.rs); 0 is invalid-argument."""
    u = udp4(m)
    assert (u.unicast_hop_limit(), u.receive_buffer_size(), u.send_buffer_size()) \
        == (64, 106496, 106496)
    for setter in (u.set_unicast_hop_limit, u.set_receive_buffer_size, u.set_send_buffer_size):
        assert code(m, lambda: setter(0)) == "invalid-argument"
    u.set_unicast_hop_limit(200)
    u.set_receive_buffer_size(6000)
    u.set_send_buffer_size(1)
    assert (u.unicast_hop_limit(), u.receive_buffer_size(), u.send_buffer_size()) \
        == (200, 6000, 2304)
    u.start_bind(m.inet.instance_network(), v4(m, LO, 0))
    u.set_unicast_hop_limit(5)  # bind-started: still fine
    assert u.unicast_hop_limit() == 5
    p = u.subscribe()
    assert p.ready() is True
    drop(p)


def test_udp_drop_frees_the_port_and_traps_with_streams(m: Any, g: golem_fakes.Golem) -> None:
    u = udp4(m)
    port = bind(m, u, v4(m, LO, 0)).value.port
    inc, out = u.stream(None)
    drop(inc, out, u)
    assert bind(m, udp4(m), v4(m, LO, port)).value.port == port
    held = udp4(m)
    bind(m, held, v4(m, LO, 0))
    inc, out = held.stream(None)
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        drop(held)


# --- ip-name-lookup -------------------------------------------------------------------

def test_ip_name_lookup(m: Any, g: golem_fakes.Golem) -> None:
    n = m.inet.instance_network()
    g.network.hosts["svc.local"] = ["10.0.0.7", "fd00::7", "::ffff:10.0.0.8"]
    st = m.lookup.resolve_addresses(n, "SVC.local")
    p = st.subscribe()
    assert p.ready() is True  # Golem resolves eagerly: the stream is done
    drop(p)
    got = [st.resolve_next_address() for _ in range(5)]
    assert [type(a).__name__ if a else None for a in got] == [
        "IpAddress_Ipv4", "IpAddress_Ipv6", "IpAddress_Ipv4", None, None]
    assert got[1].value == (0xFD00, 0, 0, 0, 0, 0, 0, 7)
    assert got[2].value == (10, 0, 0, 8)  # IPv4-mapped comes back canonical
    assert m.lookup.resolve_addresses(n, "localhost").resolve_next_address().value == LO
    assert m.lookup.resolve_addresses(n, "[::1]").resolve_next_address().value == LO6
    for bad in ("", "a b", "host:80", "[::1", "ex#ample"):
        assert code(m, lambda: m.lookup.resolve_addresses(n, bad)) == "invalid-argument"
    assert code(m, lambda: m.lookup.resolve_addresses(n, "gone.local")) == "name-unresolvable"
    g.network.allow_ip_name_lookup = False
    assert code(m, lambda: m.lookup.resolve_addresses(n, "svc.local")) \
        == "permanent-resolver-failure"


def test_name_lookup_works_while_sockets_are_denied(m: Any, denied: golem_fakes.Golem) -> None:
    """Golem: allow_ip_name_lookup(true) and no socket address check."""
    n = m.inet.instance_network()
    assert m.lookup.resolve_addresses(n, "127.0.0.1").resolve_next_address().value == LO
