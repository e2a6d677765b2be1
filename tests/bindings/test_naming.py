"""componentize-py's naming rules (heck case conversion, escaping, interface names,
layout families)."""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from golem_fakes.bindings.naming import (
    KEYWORDS, InterfaceKey, escape, heck_words, interface_names, resolve_flavor, shouty,
    snake, upper_camel,
)


@pytest.mark.parametrize("text, snake_, camel, shout", [
    ("get-oplog-index", "get_oplog_index", "GetOplogIndex", "GET_OPLOG_INDEX"),
    ("green-ish", "green_ish", "GreenIsh", "GREEN_ISH"),
    ("utf8-mode", "utf8_mode", "Utf8Mode", "UTF8_MODE"),
    ("http2-server", "http2_server", "Http2Server", "HTTP2_SERVER"),
    ("wasi-random-random-0-2-3", "wasi_random_random_0_2_3", "WasiRandomRandom023",
     "WASI_RANDOM_RANDOM_0_2_3"),
    ("c2", "c2", "C2", "C2"),
    ("ipv4-socket-address", "ipv4_socket_address", "Ipv4SocketAddress", "IPV4_SOCKET_ADDRESS"),
    ("wit_world", "wit_world", "WitWorld", "WIT_WORLD"),
    ("mybind", "mybind", "Mybind", "MYBIND"),
    ("HTTPServer", "http_server", "HttpServer", "HTTP_SERVER"),
    ("fooBar", "foo_bar", "FooBar", "FOO_BAR"),
    ("already_snake", "already_snake", "AlreadySnake", "ALREADY_SNAKE"),
    ("a--b", "a_b", "AB", "A_B"),
    ("", "", "", ""),
])
def test_heck_conversions(text: str, snake_: str, camel: str, shout: str) -> None:
    assert snake(text) == snake_
    assert upper_camel(text) == camel
    assert shouty(text) == shout


@given(st.lists(st.from_regex(r"[a-z][a-z0-9]{0,6}", fullmatch=True), min_size=1, max_size=4))
def test_kebab_roundtrip(words: list[str]) -> None:
    kebab = "-".join(words)
    assert snake(kebab) == "_".join(words)
    assert heck_words(kebab) == words


def test_escape_keywords_only() -> None:
    for kw in ["in", "from", "lambda", "class", "None", "async", "await", "yield"]:
        assert escape(kw) == kw + "_"
    # soft keywords and builtins are left alone, like componentize-py
    for name in ["type", "match", "bytes", "list", "print", "str", "case", "_"]:
        assert escape(name) == name
    assert "type" not in KEYWORDS and len(KEYWORDS) == 35


def k(name: str, ns: str | None = None, pkg: str | None = None,
      ver: str | None = None) -> InterfaceKey:
    return InterfaceKey(name, ns, pkg, ver)


def test_bare_when_unique() -> None:
    keys = [k("host", "golem", "api", "1.1.7"), k("types", "golem", "rpc", "0.2.2")]
    assert interface_names(keys) == {keys[0]: "host", keys[1]: "types"}


def test_qualified_when_name_shared_across_packages() -> None:
    a, b, c = k("types", "golem", "rpc", "0.2.2"), k("types", "wasi", "http", "0.2.3"), \
        k("types", "wasi", "blobstore")
    names = interface_names([a, b, c])
    assert names == {a: "golem-rpc-types", b: "wasi-http-types", c: "wasi-blobstore-types"}
    assert snake(names[a]) == "golem_rpc_types"


def test_versioned_when_same_package_twice() -> None:
    r0, r3, ins = (k("random", "wasi", "random", "0.2.0"), k("random", "wasi", "random", "0.2.3"),
                   k("insecure", "wasi", "random", "0.2.3"))
    names = {key: snake(v) for key, v in interface_names([r0, r3, ins]).items()}
    assert names == {r0: "wasi_random_random_0_2_0", r3: "wasi_random_random_0_2_3",
                     ins: "insecure"}


def test_overrides_and_full_names() -> None:
    a, b = k("types", "wasi", "http", "0.2.3"), k("types", "golem", "rpc", "0.2.2")
    names = interface_names([a, b], {"wasi:http/types@0.2.3": "types"})
    assert names == {a: "types", b: "golem-rpc-types"}
    h, u = k("host", "golem", "api", "1.1.7"), k("host", "golem-fakes", "multi")
    full = {key: snake(v) for key, v in interface_names([h, u], full_names=True).items()}
    assert full == {h: "golem_api_host_1_1_7", u: "golem_fakes_multi_host"}
    # unversioned override key, inline interface override key
    i = k("inline")
    assert interface_names([u, i], {"golem-fakes:multi/host": "mh", "inline": "inl"}) == \
        {u: "mh", i: "inl"}


def test_layout_families() -> None:
    f16 = resolve_flavor("all-imports", version="0.16.0")
    assert (f16.layout, f16.package, f16.world_class) == ("0.16", "all_imports", "AllImports")
    assert f16.result_import(1) == "from ..types import Result, Ok, Err, Some"
    assert f16.header == ""
    f17 = resolve_flavor("all-imports", version="0.17.2")
    assert (f17.layout, f17.package, f17.world_class) == ("0.17", "wit_world", "WitWorld")
    assert f17.raises_prefix == "wit_world.types"
    f19 = resolve_flavor("all-imports", version="0.19.3", package="mybind")
    assert (f19.layout, f19.package, f19.world_class) == ("0.19", "mybind", "Mybind")
    assert f19.result_import(0) == "from componentize_py_types import Result, Ok, Err, Some"
    assert f19.raises_prefix == "mybind.types"
    f25 = resolve_flavor("x", version="0.25.1")
    assert f25.raises_prefix == "componentize_py_types" and f25.result_docstrings
    assert resolve_flavor("x", layout="0.17").version == "0.18.0"
    assert resolve_flavor("x", layout="0.16").version == "0.16.0"
    with pytest.raises(ValueError, match="layout"):
        resolve_flavor("x", layout="0.18")
    with pytest.raises(ValueError, match="0.17 or later"):
        resolve_flavor("x", layout="0.16", package="mybind")


def test_default_layout_follows_installed(monkeypatch: pytest.MonkeyPatch) -> None:
    from golem_fakes.bindings import naming

    monkeypatch.setattr(naming, "default_version", lambda: "0.17.2")
    assert resolve_flavor("w").version == "0.17.2"
    assert resolve_flavor("w", layout="0.19").version == "0.25.1"
    monkeypatch.setattr(naming, "default_version", lambda: None)
    assert resolve_flavor("w").layout == "0.19"
