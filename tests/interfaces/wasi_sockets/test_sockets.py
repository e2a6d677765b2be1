"""wasi:sockets behaviour on the in-memory network (golem_fakes.state.network): Golem's
deny-all default, the TCP/UDP state machine of wasmtime 33 once allowed, test-side
peers, and ip-name-lookup from golem.network.hosts (recorded in the oplog)."""

from __future__ import annotations

from typing import Any

import pytest

import golem_fakes


@pytest.fixture(scope="module")
def m() -> Any:
    golem_fakes.install()
    from types import SimpleNamespace

    from componentize_py_types import Err
    from wit_world.imports import (instance_network, ip_name_lookup, network, tcp,
                                   tcp_create_socket, udp, udp_create_socket)

    return SimpleNamespace(Err=Err, inet=instance_network, lookup=ip_name_lookup, N=network,
                           tcp=tcp, tcp_create=tcp_create_socket, udp=udp,
                           udp_create=udp_create_socket)


def v4(m: Any, a: tuple[int, int, int, int], port: int) -> Any:
    return m.N.IpSocketAddress_Ipv4(m.N.Ipv4SocketAddress(port=port, address=a))


def code(m: Any, fn: Any) -> str:
    with pytest.raises(m.Err) as ei:
        fn()
    return ei.value.value.name.lower().replace("_", "-")


def test_golem_denies_every_address_by_default(m: Any) -> None:
    with golem_fakes.Golem() as g:
        n = m.inet.instance_network()
        s = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV4)
        assert code(m, lambda: s.start_bind(n, v4(m, (127, 0, 0, 1), 0))) == "access-denied"
        assert code(m, lambda: s.start_connect(n, v4(m, (127, 0, 0, 1), 80))) == "access-denied"
        u = m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV4)
        assert code(m, lambda: u.start_bind(n, v4(m, (127, 0, 0, 1), 0))) == "access-denied"
        assert "deny-all" in repr(g.network)


def test_tcp_to_a_test_side_peer(m: Any) -> None:
    with golem_fakes.Golem() as g:
        g.network.allow()
        g.network.hosts["db.local"] = ["10.0.0.5"]
        db = g.network.listen("10.0.0.5", 5432)
        n = m.inet.instance_network()
        addr = m.lookup.resolve_addresses(n, "db.local").resolve_next_address()
        s = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV4)
        s.start_connect(n, m.N.IpSocketAddress_Ipv4(m.N.Ipv4SocketAddress(5432, addr.value)))
        assert code(m, s.finish_connect) == "would-block"
        p = s.subscribe()
        p.block()
        p.__exit__(None, None, None)
        rx, tx = s.finish_connect()
        tx.blocking_write_and_flush(b"SELECT 1")
        conn = db.accept()
        assert conn.receive() == b"SELECT 1"
        conn.send(b"1")
        conn.shutdown()
        assert rx.blocking_read(10) == b"1"
        with pytest.raises(m.Err):
            rx.blocking_read(10)  # closed after the peer's shutdown
        s.shutdown(m.tcp.ShutdownType.SEND)
        assert conn.eof
        # the streams are children of the socket: dropping it first traps
        with pytest.raises(golem_fakes.Trap, match="resource has children"):
            s.__exit__(None, None, None)


def test_connect_refused_and_timeout(m: Any) -> None:
    with golem_fakes.Golem() as g:
        g.network.allow()
        n = m.inet.instance_network()
        for target, want in (((127, 0, 0, 1), "connection-refused"),
                             ((192, 0, 2, 1), "timeout")):
            s = m.tcp_create.create_tcp_socket(m.N.IpAddressFamily.IPV4)
            s.start_connect(n, v4(m, target, 80))
            s.subscribe().block()
            assert code(m, s.finish_connect) == want
            assert code(m, s.finish_connect) == "not-in-progress"


def test_udp_with_a_peer_and_send_limits(m: Any) -> None:
    with golem_fakes.Golem() as g:
        g.network.allow()
        dns = g.network.udp("10.0.0.9", 53)
        n = m.inet.instance_network()
        u = m.udp_create.create_udp_socket(m.N.IpAddressFamily.IPV4)
        u.start_bind(n, v4(m, (0, 0, 0, 0), 0))
        u.finish_bind()
        inc, out = u.stream(v4(m, (10, 0, 0, 9), 53))
        with pytest.raises(golem_fakes.Trap, match="must call check-send first"):
            out.send([m.udp.OutgoingDatagram(b"q", None)])
        assert out.check_send() == 16
        assert out.send([m.udp.OutgoingDatagram(b"q", None)]) == 1
        [(data, (ip, port))] = dns.receive()
        assert data == b"q" and ip == "10.0.0.1"
        dns.send(b"a", to=(ip, port))
        dns.send(b"x", to=(ip, port))
        got = inc.receive(1)
        assert [d.data for d in got] == [b"a"]
        with pytest.raises(golem_fakes.Trap, match="UDP streams not dropped yet"):
            u.stream(None)


def test_lookup_is_recorded_and_unknown_names_fail(m: Any) -> None:
    with golem_fakes.Golem() as g:
        g.network.hosts["api.local"] = ["10.1.1.1", "::ffff:10.1.1.2"]
        n = m.inet.instance_network()
        st = m.lookup.resolve_addresses(n, "API.local")
        got = [st.resolve_next_address() for _ in range(3)]
        assert [a.value if a else None for a in got] == [(10, 1, 1, 1), (10, 1, 1, 2), None]
        assert code(m, lambda: m.lookup.resolve_addresses(n, "nope.local")) == "name-unresolvable"
        assert code(m, lambda: m.lookup.resolve_addresses(n, "a b")) == "invalid-argument"
        assert m.lookup.resolve_addresses(n, "127.1").resolve_next_address().value == (127, 0, 0, 1)
        names = [e.payload.get("function_name") for e in g.oplog()
                 if e.kind == "imported-function-invoked"]
        assert names.count("sockets::ip_name_lookup::resolve_addresses") == 4
