"""Parse and resolve the real golem-wit + WASI 0.2.3 tree."""

from __future__ import annotations

from pathlib import Path

import pytest

from golem_fakes.wit import (
    Alias, Enum, Flags, HandleType, Interface, ListType, OptionType, PackageName,
    Primitive, Record, Resource, ResultType, TypeDef, Variant, WitError, load,
)
from golem_fakes.wit.parser import parse_file

from wit_expected import ALL_EXPORTS, ALL_IMPORT_MODULES, ALL_IMPORTS

INTERFACES_PER_PACKAGE = {
    "wasi:io@0.2.3": ["error", "poll", "streams"],
    "wasi:clocks@0.2.3": ["monotonic-clock", "wall-clock"],  # timezone is @unstable
    "golem:rpc@0.2.2": ["types"],
    "golem:api@1.1.7": ["context", "host", "save-snapshot", "load-snapshot",
                        "oplog-processor", "oplog"],
    "golem:durability@1.2.1": ["durability"],
    "golem:rdbms@0.0.1": ["mysql", "postgres", "types"],
    "wasi:blobstore": ["blobstore", "container", "types"],
    "wasi:keyvalue@0.1.0": ["atomic", "cache", "wasi-keyvalue-error", "eventual-batch",
                            "eventual", "handle-watch", "types"],
    "wasi:filesystem@0.2.3": ["preopens", "types"],
    "wasi:sockets@0.2.3": ["instance-network", "ip-name-lookup", "network",
                           "tcp-create-socket", "tcp", "udp-create-socket", "udp"],
    "wasi:random@0.2.3": ["insecure-seed", "insecure", "random"],
    "wasi:cli@0.2.3": ["environment", "exit", "run", "stdin", "stdout", "stderr",
                       "terminal-input", "terminal-output", "terminal-stdin",
                       "terminal-stdout", "terminal-stderr"],
    "wasi:config@0.2.0-draft": ["store"],
    "wasi:http@0.2.3": ["incoming-handler", "outgoing-handler", "types"],
    "wasi:logging": ["logging"],
    "golem-fakes:conformance": [],
}


def test_every_file_parses(wit_dir: Path) -> None:
    files = sorted(wit_dir.rglob("*.wit"))
    assert len(files) >= 55
    headers = 0
    for f in files:
        ast = parse_file(str(f))
        headers += ast.top.name is not None
        assert ast.top.interfaces or ast.top.worlds or ast.nested, f
    # some files of a folder omit the `package` header; the folder still has one
    assert 30 < headers < len(files)


def test_packages_and_interfaces(real) -> None:
    got = {str(n): list(p.interfaces) for n, p in real.packages.items()}
    assert got == INTERFACES_PER_PACKAGE
    assert real.main.name == PackageName("golem-fakes", "conformance")
    # dependencies come before their users
    order = [str(n) for n in real.packages]
    assert order.index("wasi:io@0.2.3") < order.index("wasi:clocks@0.2.3")
    assert order.index("golem:rpc@0.2.2") < order.index("golem:api@1.1.7")
    assert order[-1] == "golem-fakes:conformance"


def test_worlds(real) -> None:
    worlds = {str(n): list(p.worlds) for n, p in real.packages.items() if p.worlds}
    assert worlds["wasi:cli@0.2.3"] == ["command", "imports"]
    assert worlds["wasi:http@0.2.3"] == ["imports", "proxy"]
    assert worlds["golem-fakes:conformance"] == ["all-imports"]
    assert real.world() is real.world("all-imports")
    assert real.world("golem-fakes:conformance/all-imports").name == "all-imports"
    assert real.world("wasi:http/proxy@0.2.3").package.name.name == "http"


def test_golem_host(real) -> None:
    host = real.interface("golem:api/host@1.1.7")
    assert len(host.functions) == 28
    assert len(host.types) == 29
    assert host.docs is not None and host.docs.startswith(
        "The Golem host API provides low level access")
    assert "\n" in host.docs
    kinds = [type(t.kind).__name__ for t in host.types.values()]
    assert kinds.count("Record") == 13 and kinds.count("Enum") == 5
    assert kinds.count("Variant") == 3 and kinds.count("Resource") == 1
    assert kinds.count("Alias") == 7
    # used types are aliases pointing at the defining interface
    uuid = host.types["uuid"]
    assert isinstance(uuid.kind, Alias) and uuid.kind.from_use
    assert uuid.kind.target is real.interface("golem:rpc/types@0.2.2").types["uuid"]
    assert isinstance(uuid.dealias(), TypeDef) and isinstance(uuid.dealias().kind, Record)
    assert isinstance(host.types["oplog-index"].kind, Alias)
    assert host.types["oplog-index"].kind.target == Primitive("u64")
    assert not host.types["oplog-index"].kind.from_use
    # resource functions
    gw = host.types["get-workers"]
    assert [f.name for f in gw.resource_functions()] == [
        "[constructor]get-workers", "[method]get-workers.get-next"]
    ctor = host.functions["[constructor]get-workers"]
    assert ctor.kind == "constructor" and ctor.item_name == "get-workers"
    assert [p.name for p in ctor.params] == ["component-id", "filter", "precise"]
    assert isinstance(ctor.result, HandleType) and ctor.result.kind == "own"
    assert ctor.result.resource is gw
    nxt = host.functions["[method]get-workers.get-next"]
    assert nxt.item_name == "get-next" and nxt.resource is gw and nxt.owner is host
    assert nxt.params[0].name == "self"
    assert nxt.params[0].type.kind == "borrow" and nxt.params[0].type.resource is gw
    assert isinstance(nxt.result, OptionType) and isinstance(nxt.result.inner, ListType)
    fn = host.functions["get-oplog-index"]
    assert fn.params == [] and fn.result is host.types["oplog-index"]
    assert fn.docs == "Returns the current position in the persistent op log"


def test_type_details(real) -> None:
    poll = real.interface("wasi:io/poll@0.2.3")
    pollable = poll.types["pollable"]
    assert isinstance(pollable.kind, Resource)
    assert [f.name for f in poll.functions.values()] == [
        "[method]pollable.ready", "[method]pollable.block", "poll"]
    p = poll.functions["poll"].params[0]
    assert p.name == "in" and isinstance(p.type, ListType)
    assert p.type.element.kind == "borrow" and p.type.element.resource is pollable

    streams = real.interface("wasi:io/streams@0.2.3")
    assert list(streams.types) == ["error", "pollable", "stream-error", "input-stream",
                                   "output-stream"]
    err_case = streams.types["stream-error"].kind.cases[0]
    assert err_case.name == "last-operation-failed"
    # a use'd resource in a type position is an own handle of the real resource
    assert isinstance(err_case.type, HandleType)
    assert err_case.type.resource is real.interface("wasi:io/error@0.2.3").types["error"]
    write = streams.functions["[method]output-stream.write"]
    assert isinstance(write.result, ResultType) and write.result.ok is None
    sub = streams.functions["[method]output-stream.subscribe"]
    assert sub.result.resource is pollable

    fs = real.interface("wasi:filesystem/types@0.2.3")
    assert isinstance(fs.types["descriptor-flags"].kind, Flags)
    assert len(fs.types["descriptor-flags"].kind.flags) == 6
    assert isinstance(fs.types["error-code"].kind, Enum)
    assert len(fs.types["error-code"].kind.cases) == 37
    # `%flags: descriptor-flags` is a record field named "flags"
    stat = fs.types["descriptor-stat"].kind
    assert [f.name for f in stat.fields][:2] == ["type", "link-count"]
    assert fs.functions["[method]descriptor.open-at"].params[4].name == "flags"
    assert fs.types["descriptor-flags"].kind.flags[0].docs.startswith("Read mode")

    rpc = real.interface("golem:rpc/types@0.2.2")
    node = rpc.types["wit-type-node"].kind
    assert isinstance(node, Variant) and len(node.cases) == 22
    named = rpc.types["named-wit-type-node"].kind
    assert [f.name for f in named.fields] == ["name", "owner", "type"]
    # wit-parser's stable topological order: definitions follow what they refer to
    # (used names first, then definitions), as componentize-py emits classes
    assert list(rpc.types)[:6] == ["datetime", "pollable", "uuid", "component-id",
                                   "worker-id", "node-index"]
    wit_value = rpc.types["wit-value"]
    assert isinstance(wit_value.kind, Record)

    kv = real.interface("wasi:keyvalue/types@0.1.0")
    body = kv.types["incoming-value-async-body"]
    assert isinstance(body.kind, Alias) and not body.kind.from_use
    assert body.dealias().name == "input-stream"
    consume = kv.functions["[method]incoming-value.incoming-value-consume-async"]
    assert consume.result.ok.kind == "own"
    assert consume.result.ok.resource is body.dealias()
    # `TTL-ms` style (uppercase word) identifiers
    cache = real.interface("wasi:keyvalue/cache@0.1.0")
    assert "TTL-ms" in [p.name for p in cache.functions["set"].params]


def test_static_functions_and_owners(real) -> None:
    http = real.interface("wasi:http/types@0.2.3")
    finish = http.functions["[static]incoming-body.finish"]
    assert finish.kind == "static" and finish.params[0].name == "this"
    assert finish.params[0].type.kind == "own"
    n_static = sum(f.kind == "static" for f in http.functions.values())
    assert n_static == 4
    for iface in (i for p in real.packages.values() for i in p.interfaces.values()):
        for f in iface.functions.values():
            assert f.owner is iface
        for t in iface.types.values():
            assert t.owner is iface


def test_stability_kept(real) -> None:
    poll = real.interface("wasi:io/poll@0.2.3")
    assert poll.stability.since == "0.2.0"
    assert poll.functions["poll"].stability.since == "0.2.0"
    assert poll.types["pollable"].stability.since == "0.2.0"
    net = real.interface("wasi:sockets/network@0.2.3")
    # `@unstable(feature = network-error-code)` function is left out by default
    assert "network-error-code" not in net.functions


def test_unstable_included_with_all_features(wit_dir: Path) -> None:
    r = load(wit_dir, all_features=True)
    assert "timezone" in r.packages[PackageName("wasi", "clocks", "0.2.3")].interfaces
    r2 = load(wit_dir, features=["clocks-timezone"])
    tz = r2.interface("wasi:clocks/timezone@0.2.3")
    assert tz.stability.unstable_feature == "clocks-timezone"
    assert list(tz.functions) == ["display", "utc-offset"]
    assert "network-error-code" not in r2.interface("wasi:sockets/network@0.2.3").functions


def test_all_imports_world(real) -> None:
    w = real.world("all-imports")
    assert [i.key for i in w.imports] == ALL_IMPORTS
    assert [e.key for e in w.exports] == ALL_EXPORTS
    assert all(isinstance(i.item, Interface) for i in w.imports + w.exports)
    assert all(i.key == i.item.qualified_name for i in w.imports)
    assert w.imported_interfaces()[0] is real.interface("wasi:io/poll@0.2.3")


def test_all_imports_module_names_match_componentize_py(real) -> None:
    ifaces = real.world("all-imports").imported_interfaces()
    names = [i.name for i in ifaces]
    mods = set()
    for i in ifaces:
        if names.count(i.name) > 1:
            pn = i.package.name
            mods.add(f"{pn.namespace}_{pn.name}_{i.name}".replace("-", "_"))
        else:
            mods.add(i.name.replace("-", "_"))
    assert mods == ALL_IMPORT_MODULES and len(ifaces) == 48


SELF_CONTAINED = ["io", "random", "logging", "golem-rdbms", "config"]


@pytest.mark.parametrize("dep", SELF_CONTAINED)
def test_self_contained_deps_load_standalone(wit_dir: Path, dep: str) -> None:
    r = load(wit_dir / "deps" / dep)
    assert r.main is not None and len(r.packages) == 1
    for w in r.main.worlds.values():
        assert w.imports or w.exports


def test_dependent_deps_package_standalone_fails(wit_dir: Path) -> None:
    with pytest.raises(WitError, match=r"package `wasi:io@0.2.3` not found"):
        load(wit_dir / "deps" / "clocks")
