"""wasi:sockets probes under Golem's network configuration: name lookup allowed,
wasmtime's default socket address check (every address denied, golem-io-semantics.md
§5.9). Deterministic: no socket is ever bound or connected."""

from __future__ import annotations

from wit_world.imports import tcp

from ._net import net, resolve_all, tcp4, tcp6, udp4, udp6, v4, v6
from ._util import try_


def probe_tcp_bind_denied(out: list[str]) -> None:
    n, s = net(), tcp4()
    try_(out, "start-bind 127.0.0.1:0", lambda: s.start_bind(n, v4((127, 0, 0, 1), 0)))
    try_(out, "start-bind 0.0.0.0:8080", lambda: s.start_bind(n, v4((0, 0, 0, 0), 8080)))
    # the address check comes before every other check in wasmtime 33's start-bind
    try_(out, "start-bind wrong family", lambda: s.start_bind(n, v6((0,) * 7 + (1,), 0)))
    try_(out, "start-bind multicast", lambda: s.start_bind(n, v4((224, 0, 0, 1), 0)))
    try_(out, "finish-bind", s.finish_bind)
    try_(out, "local-address", s.local_address)
    try_(out, "remote-address", s.remote_address)
    out.append(f"is-listening: {s.is_listening()} family: {s.address_family().name}")
    s6 = tcp6()
    try_(out, "v6 start-bind [::1]:0", lambda: s6.start_bind(n, v6((0,) * 7 + (1,), 0)))
    out.append(f"v6 family: {s6.address_family().name}")


def probe_tcp_connect_denied(out: list[str]) -> None:
    n, s = net(), tcp4()
    try_(out, "start-connect 127.0.0.1:80", lambda: s.start_connect(n, v4((127, 0, 0, 1), 80)))
    try_(out, "start-connect 0.0.0.0:0", lambda: s.start_connect(n, v4((0, 0, 0, 0), 0)))
    try_(out, "finish-connect", s.finish_connect)
    try_(out, "start-listen", s.start_listen)
    try_(out, "finish-listen", s.finish_listen)
    try_(out, "accept", s.accept)
    try_(out, "shutdown", lambda: s.shutdown(tcp.ShutdownType.BOTH))
    p = s.subscribe()
    out.append(f"subscribe ready: {p.ready()}")


def probe_tcp_option_defaults(out: list[str]) -> None:
    s = tcp4()
    try_(out, "keep-alive-enabled", s.keep_alive_enabled)
    try_(out, "keep-alive-idle-time", s.keep_alive_idle_time)
    try_(out, "keep-alive-interval", s.keep_alive_interval)
    try_(out, "keep-alive-count", s.keep_alive_count)
    try_(out, "hop-limit", s.hop_limit)
    try_(out, "receive-buffer-size", s.receive_buffer_size)
    try_(out, "send-buffer-size", s.send_buffer_size)
    try_(out, "v6 hop-limit", tcp6().hop_limit)


def probe_tcp_option_setters(out: list[str]) -> None:
    s = tcp4()
    sec = 10**9
    try_(out, "keep-alive on", lambda: s.set_keep_alive_enabled(True))
    try_(out, "  now", s.keep_alive_enabled)
    for v in (0, 1, sec, 3 * sec // 2, 10**15):
        try_(out, f"idle {v}", lambda: s.set_keep_alive_idle_time(v))
        try_(out, "  now", s.keep_alive_idle_time)
    for v in (0, 1, 5 * sec, 10**15):
        try_(out, f"interval {v}", lambda: s.set_keep_alive_interval(v))
        try_(out, "  now", s.keep_alive_interval)
    for v in (0, 1, 127, 200):
        try_(out, f"count {v}", lambda: s.set_keep_alive_count(v))
        try_(out, "  now", s.keep_alive_count)
    for v in (0, 1, 255):
        try_(out, f"hop {v}", lambda: s.set_hop_limit(v))
        try_(out, "  now", s.hop_limit)
    for v in (0, 1, 5000, 10000):
        try_(out, f"recv {v}", lambda: s.set_receive_buffer_size(v))
        try_(out, "  now", s.receive_buffer_size)
        try_(out, f"send {v}", lambda: s.set_send_buffer_size(v))
        try_(out, "  now", s.send_buffer_size)
    for v in (0, 1, 10, 2**40):
        try_(out, f"backlog {v}", lambda: s.set_listen_backlog_size(v))


def probe_udp_bind_denied(out: list[str]) -> None:
    n, s = net(), udp4()
    # UDP checks the state and the family before the address check (wasmtime 33)
    try_(out, "start-bind wrong family", lambda: s.start_bind(n, v6((0,) * 7 + (1,), 0)))
    try_(out, "start-bind 127.0.0.1:0", lambda: s.start_bind(n, v4((127, 0, 0, 1), 0)))
    try_(out, "finish-bind", s.finish_bind)
    try_(out, "stream", lambda: s.stream(None))
    try_(out, "local-address", s.local_address)
    try_(out, "remote-address", s.remote_address)
    s6 = udp6()
    mapped = (0, 0, 0, 0, 0, 0xFFFF, 0x7F00, 1)
    try_(out, "v6 bind v4-mapped", lambda: s6.start_bind(n, v6(mapped, 0)))
    try_(out, "v6 bind v4-compatible", lambda: s6.start_bind(n, v6((0,) * 6 + (0x0A00, 1), 0)))
    try_(out, "v6 bind [::1]", lambda: s6.start_bind(n, v6((0,) * 7 + (1,), 0)))


def probe_udp_options(out: list[str]) -> None:
    s = udp4()
    try_(out, "hop", s.unicast_hop_limit)
    try_(out, "set hop 0", lambda: s.set_unicast_hop_limit(0))
    try_(out, "set hop 9", lambda: s.set_unicast_hop_limit(9))
    try_(out, "hop", s.unicast_hop_limit)
    try_(out, "recv", s.receive_buffer_size)
    try_(out, "send", s.send_buffer_size)
    for v in (0, 1, 6000):
        try_(out, f"set recv {v}", lambda: s.set_receive_buffer_size(v))
        try_(out, "  now", s.receive_buffer_size)
        try_(out, f"set send {v}", lambda: s.set_send_buffer_size(v))
        try_(out, "  now", s.send_buffer_size)
    out.append(f"family: {s.address_family().name} v6: {udp6().address_family().name}")
    p = s.subscribe()
    out.append(f"subscribe ready: {p.ready()}")


def probe_lookup_literals(out: list[str]) -> None:
    for name in ("127.0.0.1", "::1", "[::1]", "[::ffff:10.1.2.3]", "127.1", "0x7f.1",
                 "0177.0.0.1", "10.0.0.300", "1.2.3.4.5", "", " ", "a b", "host:80",
                 "[::1", "[nonsense]", "exa%mple", "ex#ample"):
        out.append(f"{name!r}: {resolve_all(name)}")


def probe_lookup_unknown_name(out: list[str]) -> None:
    # RFC 2606: .invalid never resolves
    out.append(resolve_all("no-such-host.invalid"))
