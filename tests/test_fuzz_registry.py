"""Hostile-argument property test of every callable the behaviour registry implements
(issue 12 §2: "bad input that escapes").

Every WIT function of the vendored ``all-imports`` world that has a behaviour
(:func:`golem_fakes.bindings.registry.lookup`) is called through its generated binding
(``golem_fakes.install()``), inside a fresh :class:`golem_fakes.Golem`, with arguments
drawn by hypothesis from every WIT type — including the extreme widths of each integer
type (``0``, ``2**64-1``, ``-2**63``, ...), huge lengths, lone surrogates in strings and
chars, NaN/inf floats. Resources the call needs are made first by calling the
constructors / functions that return them (:data:`RECIPES`). Every resource obtained is
dropped at the end. The property: the only things that come out are

* a result, or the function's own ``Err`` (only for a function whose WIT result is a
  ``result``);
* a :class:`golem_fakes.Trap` (the component would trap; ``ProcessExited`` is one);
* the fakes' documented non-answers where they are documented:
  :class:`golem_fakes.Deadlock` for blocking calls (``blocking-*``, ``block``, ``poll``,
  ``splice``, ``await-promise``) and ``NotReplayable`` for ``set-oplog-index`` (a jump in a test block);

and every call is bounded in memory (``tracemalloc`` peak) and work (a count of Python
call events, :data:`WORK_LIMIT`; not a wall-clock bound). Deterministic
(``derandomize=True``, no database); ``GOLEM_FUZZ_EXAMPLES`` sets the examples per
callable (default 3; e.g. ``GOLEM_FUZZ_EXAMPLES=200`` for a longer hunt).
"""

from __future__ import annotations

import importlib
import os
import sys
import tracemalloc
from dataclasses import fields, is_dataclass
from typing import Any, Callable

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import golem_fakes
from golem_fakes import strategies as gs
from golem_fakes.bindings import registry
from golem_fakes.bindings.naming import escape, snake
from golem_fakes.bindings.result import Some
from golem_fakes.worker.replay import NotReplayable
from golem_fakes.state.streams import MATERIALIZE_LIMIT
from golem_fakes.wit.model import (
    INT_RANGES,
    Function,
    HandleType,
    ListType,
    Primitive,
    Resource,
    ResultType,
    TypeDef,
)

EXAMPLES = int(os.environ.get("GOLEM_FUZZ_EXAMPLES", "3"))
#: Python call events one host call may cause (a runaway loop hits it long before it
#: exhausts time or memory; the busiest legitimate call, a blocking read retrying
#: BLOCKING_ATTEMPTS times, stays far below).
WORK_LIMIT = 2_000_000
#: Bytes one call may allocate: a padded read or write-zeroes of MATERIALIZE_LIMIT
#: bytes builds its buffer about twice; more is unbounded growth.
MEMORY_LIMIT = 3 * MATERIALIZE_LIMIT

_SURROGATES = st.characters(min_codepoint=0xD800, max_codepoint=0xDFFF)
_ANY_CHAR = st.characters(codec=None, categories=None) | _SURROGATES


def _hostile_int(lo: int, hi: int) -> st.SearchStrategy[int]:
    edges = sorted({lo, hi, 0 if lo <= 0 <= hi else lo, min(hi, 1), max(lo, hi - 1),
                    min(hi, 2**31 - 1), min(hi, 2**32 - 1), min(hi, 2**63 - 1),
                    min(hi, 2**32), min(hi, 4096), min(hi, 4097), min(hi, 65536)})
    return st.sampled_from(edges) | st.integers(lo, hi)


def _hostile_primitive(name: str) -> st.SearchStrategy[Any]:
    if name in INT_RANGES:
        return _hostile_int(*INT_RANGES[name])
    if name == "bool":
        return st.booleans()
    if name == "f32":
        return st.floats(width=32)
    if name == "f64":
        return st.floats()
    if name == "char":
        return _ANY_CHAR
    assert name == "string", name
    return (st.text(max_size=8) | st.text(_ANY_CHAR, max_size=4)
            | st.sampled_from(["", "k", "b", "c", "o", "f.txt", "/", ".", "..", "a/b",
                               "\ud800", "x\udcff", "\x00", "__dir_marker"]))


class Pool:
    """The resources made in the current example, by generated class."""

    def __init__(self) -> None:
        self.items: dict[type, list[Any]] = {}
        #: ids of the resources dropped already: componentize-py's ``__exit__`` of a
        #: dropped resource raises ``TypeError`` (``self.finalizer.detach()`` is None,
        #: its summary.rs) in the component too, so they are not dropped twice. Using
        #: them is still drawn (the seam traps).
        self.dropped: set[int] = set()

    def clear(self) -> None:
        self.items.clear()
        self.dropped.clear()

    def add(self, obj: Any) -> None:
        lst = self.items.setdefault(type(obj), [])
        if not any(o is obj for o in lst):
            lst.append(obj)

    def pick(self, cls: type, i: int) -> Any:
        lst = self.items.get(cls)
        if not lst:
            return None  # an ill-typed argument: the seam traps
        return lst[i % len(lst)]


POOL = Pool()


class HostileStrategies(gs.WitStrategies):
    """golem-fakes' strategies with hostile primitives (extreme ints, surrogates) and
    resource handles taken from :data:`POOL`; lists are kept short."""

    def _make(self, t0: Any) -> Any:
        t = gs._resolve(t0)
        if t is not t0:
            return self._build(t)
        if isinstance(t, Primitive):
            return _hostile_primitive(t.name)
        if isinstance(t, HandleType):
            cls = self.class_of(t.resource)
            return st.integers(0, 7).map(lambda i, c=cls: POOL.pick(c, i))
        if isinstance(t, ListType):
            el = gs._resolve(t.element)
            if isinstance(el, Primitive) and el.name == "u8":
                return st.binary(max_size=64)
            s = self._build(el)
            return st.lists(s, max_size=3)
        return super()._make(t0)


# --- the callables -----------------------------------------------------------------


def _install() -> gs.WitStrategies:
    """The default (all-imports) bindings installed, whatever another test module left
    installed, and their strategies."""
    from golem_fakes.bindings import install as install_mod
    from golem_fakes.bindings.errors import BindingsAlreadyInstalled

    try:
        golem_fakes.install()
    except BindingsAlreadyInstalled:
        install_mod._uninstall()
        golem_fakes.install()
    return gs.current()


def _callables() -> list[tuple[str, str]]:
    """``(interface, function)`` of every implemented function of the world."""
    ws = _install()
    return [(iface.qualified_name, fn.name) for iface in ws.world.imported_interfaces()
            for fn in iface.functions.values()
            if registry.lookup(iface.qualified_name, fn.name) is not None]


CALLABLES = _callables()


@pytest.fixture(scope="module")
def hs() -> HostileStrategies:
    return make_strategies()


def make_strategies() -> HostileStrategies:
    cur = _install()
    return HostileStrategies(cur.world, cur.flavor, dict(cur.import_names),
                             dict(cur.export_names), cur.full_names)


def _functions(hs: HostileStrategies) -> list[tuple[str, Function]]:
    return [(iid, hs.function(iid, name)) for iid, name in CALLABLES]


def _mod(hs: HostileStrategies, iid: str) -> Any:
    return importlib.import_module(hs.module_name(hs.interface(iid)))


def _binding(hs: HostileStrategies, iid: str, fn: Function, args: tuple[Any, ...]) -> Callable[[], Any]:
    if fn.kind == "freestanding":
        f = getattr(_mod(hs, iid), escape(snake(fn.name)))
        return lambda: f(*args)
    cls = hs.class_of(fn.resource)  # type: ignore[arg-type]
    if fn.kind == "constructor":
        return lambda: cls(*args)
    if fn.kind == "static":
        f = getattr(cls, escape(snake(fn.item_name)))
        return lambda: f(*args)
    target = POOL.pick(cls, args[0])
    assert target is not None, f"no {cls.__name__} made for {iid}#{fn.name}: add a recipe"
    f = getattr(target, escape(snake(fn.item_name)))
    return lambda: f(*args[1:])


def _returns_result(fn: Function) -> bool:
    r = fn.result
    while isinstance(r, TypeDef) and r.dealias() is not r:
        r = r.dealias()
    return isinstance(r, ResultType)


def _documented(fn: Function, exc: BaseException) -> bool:
    """Whether ``exc`` is the fakes' documented answer for ``fn``."""
    if isinstance(exc, golem_fakes.Deadlock):
        n = fn.name
        return ("block" in n or "splice" in n or n in ("poll", "await-promise")
                or n.endswith(".block"))
    if isinstance(exc, NotReplayable):
        return fn.name == "set-oplog-index"
    return False


class WorkLimit(BaseException):
    """The call made more than WORK_LIMIT Python calls."""


def _bounded(call: Callable[[], Any]) -> tuple[Any, BaseException | None, int]:
    """Run ``call`` counting its Python call events; the result or exception and the
    memory it allocated at its peak."""
    count = 0

    def profile(frame: Any, event: str, arg: Any) -> None:
        nonlocal count
        if event == "call" or event == "c_call":
            count += 1
            if count > WORK_LIMIT:
                sys.setprofile(None)
                raise WorkLimit(f"more than {WORK_LIMIT} Python calls")

    outer = sys.getprofile()
    restore = _cap_address_space()
    tracemalloc.start()
    sys.setprofile(profile)
    try:
        value, exc = call(), None
    except BaseException as e:  # noqa: BLE001 - classified by the caller
        value, exc = None, e
    finally:
        sys.setprofile(outer)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        restore()
    return value, exc, peak


def _cap_address_space() -> Callable[[], None]:
    """Lower the soft address-space limit to the current size + MEMORY_LIMIT (+64 MiB) for one call, so
    a runaway allocation fails with ``MemoryError`` (reported as an escape) instead of
    swapping or being OOM-killed with the machine. Linux only; elsewhere a no-op."""
    try:
        import resource

        with open("/proc/self/statm") as fh:
            size = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        cap = size + MEMORY_LIMIT + (64 << 20)
        if hard != resource.RLIM_INFINITY:
            cap = min(cap, hard)
        resource.setrlimit(resource.RLIMIT_AS, (cap, hard))
    except (ImportError, OSError, ValueError):
        return lambda: None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _harvest(value: Any, classes: frozenset[type], depth: int = 0) -> None:
    """Put every resource found in ``value`` (results, Err payloads, records) in POOL."""
    if depth > 6 or value is None or isinstance(value, (int, float, str, bytes, bool)):
        return
    if type(value) in classes:
        POOL.add(value)
        return
    if isinstance(value, (list, tuple)):
        for v in value:
            _harvest(v, classes, depth + 1)
    elif isinstance(value, Some):
        _harvest(value.value, classes, depth + 1)
    elif isinstance(value, BaseException):
        _harvest(getattr(value, "value", None), classes, depth + 1)
    elif is_dataclass(value):
        for f in fields(value):
            _harvest(getattr(value, f.name), classes, depth + 1)
    elif hasattr(value, "value"):
        _harvest(value.value, classes, depth + 1)


# --- recipes: resources made by calling the host -------------------------------------


def _quiet(fn: Callable[[], Any]) -> Any:
    """A recipe step: its result, or its ``Err``/``Trap`` (harvested just the same)."""
    try:
        return fn()
    except BaseException as e:  # noqa: BLE001 - an Err carries resources too
        if isinstance(e, (KeyboardInterrupt, SystemExit)):
            raise
        return e


def _recipes(m: Any, g: golem_fakes.Golem) -> list[Callable[[], Any]]:
    """Calls that together make at least one of every resource type the implemented
    functions take (and several kinds of streams). Deterministic, benign arguments."""
    kv, bst, fst = m.kv_types, m.bs_types, m.fs_types
    g.keyvalue["b"]["k"] = b"abcdef"
    g.blobstore.put("c", "o", b"abcdef")
    g.filesystem()["/f.txt"] = b"hello"

    def root() -> Any:
        return m.preopens.get_directories()[0][0]

    def open_(path: str, flags: Any) -> Any:
        return root().open_at(fst.PathFlags(0), path, fst.OpenFlags(0), flags)

    def rpc_handle() -> Any:  # a component that does not exist: every call is an rpc-error
        r = m.rpc
        return r.WasmRpc(r.WorkerId(r.ComponentId(r.Uuid(1, 2)), "w"))

    def rpc_future() -> Any:
        r = rpc_handle()
        fut = r.async_invoke_and_await("f", [])
        return [r, fut, fut.subscribe()]

    def kv_error() -> Any:
        g.keyvalue.fail("injected", functions=["get"])
        return m.eventual.get(kv.Bucket.open_bucket("b"), "k")

    def io_error() -> Any:
        return open_("f.txt", fst.DescriptorFlags.WRITE).read_via_stream(0).blocking_read(1)

    def cache_values() -> Any:
        g.keyvalue.profile = "wit"
        out = [m.cache.get("k"), m.cache.exists("k"), m.cache.delete("k"),
               m.cache.set("k", kv.OutgoingValue.new_outgoing_value(), None)]
        f = m.cache.get_or_set("missing")
        out.append(f)
        out.append(_quiet(m.cache.get_or_set("missing2").future_get_or_set_result_get))
        return out

    def component_id() -> Any:
        return m.host.get_self_metadata().worker_id.component_id

    def lazy_attached() -> Any:
        lazy = m.durability.LazyInitializedPollable()
        lazy.set(m.monotonic.subscribe_duration(1000))
        return lazy

    def lazy_subscription() -> Any:
        return m.durability.LazyInitializedPollable().subscribe()

    def sockets() -> Any:
        # an open network, so every socket resource can be made (a connected TCP
        # socket with its streams, a UDP socket with its datagram streams)
        g.network.allow()
        nt = m.net_types
        n = m.inet.instance_network()
        fam = nt.IpAddressFamily.IPV4
        lo = nt.IpSocketAddress_Ipv4(nt.Ipv4SocketAddress(port=0, address=(127, 0, 0, 1)))
        server = m.tcp_create.create_tcp_socket(fam)
        server.start_bind(n, lo)
        server.finish_bind()
        server.start_listen()
        server.finish_listen()
        client = m.tcp_create.create_tcp_socket(fam)
        client.start_connect(n, server.local_address())
        client.subscribe().block()
        u = m.udp_create.create_udp_socket(fam)
        u.start_bind(n, lo)
        u.finish_bind()
        return [n, server, client, client.finish_connect(), server.accept(), u, u.stream(None),
                m.lookup.resolve_addresses(n, "localhost")]

    ht = m.http_types

    def http_request(with_headers: bool = False) -> Any:
        req = ht.OutgoingRequest(ht.Fields.from_list([("a", b"1")]))
        req.set_authority("fuzz.test")
        req.set_path_with_query("/r")
        return req

    def http_response() -> Any:
        g.http.assert_all_called = g.http.strict = False
        if not g.http.routes:
            g.http.get("https://fuzz.test/r").respond(200, body=b"abcdef",
                                                      trailers={"x-t": "1"})
        fut = m.outgoing_handler.handle(http_request(), None)
        return [fut.subscribe(), fut, fut.get()]

    def http_body() -> Any:
        resp = http_response()[2].value.value
        body = resp.consume()
        return [resp, resp.headers(), body, body.stream()]

    def http_trailers() -> Any:
        resp = http_response()[2].value.value
        ft = ht.IncomingBody.finish(resp.consume())
        return [ft, ft.subscribe()]

    def http_body_error() -> Any:
        req = ht.OutgoingRequest(ht.Fields.from_list([("content-length", b"1")]))
        out = req.body()
        s = out.write()
        return [out, s, _quiet(lambda: s.write(b"xy"))]

    def http_incoming() -> Any:
        from golem_fakes.bindings.runtime import current_environment
        from golem_fakes.interfaces.wasi_http.incoming import (new_incoming_request,
                                                               new_response_outparam)

        env = current_environment.get()
        req = new_incoming_request(env, "POST", "/in", authority="fuzz.test", headers=[("x", "1")],
                                   body=b"body")
        return [req, req.headers(), req.consume(), new_response_outparam(env)[0]]

    def rdbms() -> Any:
        """Connections, transactions and streams on the session's database servers
        (``DB_URLS``, filled by :func:`_db_urls`; none without servers), lazy values."""
        pg = m.postgres
        out: list[Any] = [pg.LazyDbValue(pg.DbValue_Int4(1)),
                          pg.LazyDbColumnType(pg.DbColumnType_Int4())]
        for mod, url in ((m.postgres, DB_URLS.get("postgres")), (m.mysql, DB_URLS.get("mysql"))):
            if url is None:
                continue
            c = mod.DbConnection.open(url)
            tx = c.begin_transaction()
            out += [c, tx, c.query_stream("SELECT 1 AS a", []), tx.query_stream("SELECT 2 AS b", [])]
        return out

    def http_outgoing_response() -> Any:
        resp = ht.OutgoingResponse(ht.Fields())
        return [resp, resp.headers(), resp.body()]

    return [
        sockets,
        lambda: ht.Fields(),
        lambda: ht.Fields.from_list([("a", b"1"), ("b", b"2")]),
        lambda: http_request(),
        lambda: http_request().headers(),
        lambda: ht.RequestOptions(),
        lambda: http_request().body(),
        lambda: http_request().body().write(),
        http_response,
        http_body,
        http_trailers,
        http_body_error,
        http_incoming,
        http_outgoing_response,
        lambda: kv.Bucket.open_bucket("b"),
        lambda: kv.OutgoingValue.new_outgoing_value(),
        lambda: m.eventual.get(kv.Bucket.open_bucket("b"), "k"),
        lambda: m.eventual.get(kv.Bucket.open_bucket("b"), "k").incoming_value_consume_async(),
        lambda: kv.OutgoingValue.new_outgoing_value().outgoing_value_write_body_async(),
        kv_error,
        lambda: bst.OutgoingValue.new_outgoing_value(),
        lambda: bst.OutgoingValue.new_outgoing_value().outgoing_value_write_body(),
        lambda: m.blobstore.get_container("c"),
        lambda: m.blobstore.get_container("c").get_data("o", 0, 6),
        lambda: m.blobstore.get_container("c").get_data("o", 0, 6).incoming_value_consume_async(),
        lambda: m.blobstore.get_container("c").list_objects(),
        lambda: m.preopens.get_directories(),
        lambda: open_("f.txt", fst.DescriptorFlags.READ | fst.DescriptorFlags.WRITE),
        lambda: open_("f.txt", fst.DescriptorFlags.READ).read_via_stream(0),
        lambda: open_("f.txt", fst.DescriptorFlags.WRITE).write_via_stream(0),
        lambda: root().read_directory(),
        io_error,
        lambda: m.stdin.get_stdin(),
        lambda: m.stdout.get_stdout(),
        lambda: m.stderr.get_stderr(),
        lambda: m.monotonic.subscribe_duration(1000),
        lambda: m.stdin.get_stdin().subscribe(),
        lambda: m.host.GetWorkers(component_id(), None, False),
        cache_values,
        lambda: m.context.start_span("s"),
        lambda: m.context.current_context(),
        lambda: m.oplog.GetOplog(m.host.get_self_metadata().worker_id, 0),
        lambda: m.oplog.SearchOplog(m.host.get_self_metadata().worker_id, "create OR noop"),
        lambda: m.durability.LazyInitializedPollable(),
        lazy_attached,
        lazy_subscription,
        rpc_handle,
        rpc_future,
        lambda: (r := rpc_handle(), r.schedule_cancelable_invocation(
            m.wall_clock.Datetime(0, 0), "f", [])),
        rdbms,
    ]


@pytest.fixture(scope="module")
def m(hs: HostileStrategies) -> Any:
    return binding_modules()


#: database kind → server URL for the rdbms recipes (the plugin's session fixtures)
DB_URLS: dict[str, str] = {}


@pytest.fixture(autouse=True)
def _db_urls(request: pytest.FixtureRequest) -> None:
    """Fill :data:`DB_URLS` from ``golem_postgres_url`` / ``golem_mysql_url`` (servers
    the plugin starts, or the URLs given); a database without a server is left out."""
    for kind in ("postgres", "mysql"):
        if kind in DB_URLS:
            continue
        try:
            DB_URLS[kind] = request.getfixturevalue(f"golem_{kind}_url")
        except pytest.skip.Exception:
            pass


def _needs_server(iid: str, name: str) -> str | None:
    """The database a callable's resource needs a server of, when none is available."""
    for kind in ("postgres", "mysql"):
        if iid.startswith(f"golem:rdbms/{kind}") and "lazy-db" not in name \
                and name.startswith("[method]") and kind not in DB_URLS:
            return kind
    return None


def binding_modules() -> Any:
    from types import SimpleNamespace

    from wit_world.imports import (
        blobstore,
        cache,
        context,
        durability,
        eventual,
        golem_rpc_types,
        host,
        monotonic_clock,
        oplog,
        preopens,
        stderr,
        stdin,
        stdout,
        outgoing_handler,
        wall_clock,
        wasi_blobstore_types,
        wasi_filesystem_types,
        wasi_http_types,
        wasi_keyvalue_types,
    )

    from wit_world.imports import (instance_network, ip_name_lookup, network,
                                   tcp_create_socket, udp_create_socket)
    from wit_world.imports import mysql, postgres

    return SimpleNamespace(inet=instance_network, lookup=ip_name_lookup, net_types=network,
                           tcp_create=tcp_create_socket, udp_create=udp_create_socket,
                           kv_types=wasi_keyvalue_types, bs_types=wasi_blobstore_types,
                           fs_types=wasi_filesystem_types, eventual=eventual,
                           blobstore=blobstore, preopens=preopens, stdin=stdin,
                           stdout=stdout, stderr=stderr, monotonic=monotonic_clock,
                           host=host, cache=cache, context=context, oplog=oplog,
                           http_types=wasi_http_types, outgoing_handler=outgoing_handler,
                           durability=durability, rpc=golem_rpc_types,
                           wall_clock=wall_clock, postgres=postgres, mysql=mysql)


def _resource_classes(hs: HostileStrategies) -> frozenset[type]:
    out = set()
    for iface in hs.interfaces():
        for td in iface.types.values():
            if isinstance(td.kind, Resource):
                try:
                    out.add(hs.class_of(td))
                except gs.UnsupportedType:  # pragma: no cover - every resource has one
                    pass
    return frozenset(out)


@pytest.fixture(scope="module")
def resource_classes(hs: HostileStrategies) -> frozenset[type]:
    return _resource_classes(hs)


@pytest.fixture(scope="module", autouse=True)
def _file_size_bound() -> Any:
    """The fake keeps files in memory up to ``MAX_FILE_SIZE`` (1 GiB): state, not one
    call's work, but a single ``write`` far past the end (a sparse file on a real host)
    grows a file that much at once. The fuzz lowers the bound to ``MATERIALIZE_LIMIT``
    so one call stays within ``MEMORY_LIMIT`` (and beyond it gets the fake's
    documented ``insufficient-space``)."""
    import golem_fakes.state.filesystem as fs_state
    import golem_fakes.state.randomness as random_state

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(fs_state, "MAX_FILE_SIZE", MATERIALIZE_LIMIT)
        # the same for wasi:random's per-call bound (1 GiB, as in wasmtime 33 no limit)
        mp.setattr(random_state, "MAX_RANDOM_LEN", MATERIALIZE_LIMIT)
        yield


def _drop(obj: Any, escapes: list[str]) -> None:
    """Drop ``obj`` (once) through its ``__exit__``; only a Trap may come out."""
    if id(obj) in POOL.dropped:
        return
    POOL.dropped.add(id(obj))
    if not hasattr(obj, "handle"):
        # given away as an owned argument (``lazy-initialized-pollable.set``): the host
        # owns it now; componentize-py's ``__exit__`` raises TypeError then, in the
        # component too
        return
    try:  # a drop only forgets a handle: no work or memory bound needed (cheaper)
        obj.__exit__(None, None, None)
        exc = None
    except BaseException as e:  # noqa: BLE001 - classified below
        exc = e
    if exc is not None and not isinstance(exc, golem_fakes.Trap):
        escapes.append(f"drop of {type(obj).__name__}: {type(exc).__name__}: {exc}")


def _drop_all(escapes: list[str]) -> None:
    for lst in POOL.items.values():
        for obj in reversed(lst):
            _drop(obj, escapes)


def _check(iid: str, fn: Function, args: tuple[Any, ...], value: Any,
           exc: BaseException | None, peak: int) -> str | None:
    """The escape, described, or ``None`` when the outcome is allowed."""
    from componentize_py_types import Err

    where = f"{iid}#{fn.name}{_short(args)}"
    if peak > MEMORY_LIMIT:
        return f"{where}: allocated {peak} bytes (bound {MEMORY_LIMIT})"
    if isinstance(exc, golem_fakes.ProcessExited) and fn.name not in ("exit",
                                                                     "exit-with-code"):
        return f"{where}: ProcessExited from a function that does not exit: {exc}"
    if exc is None or isinstance(exc, golem_fakes.Trap) or _documented(fn, exc):
        return None
    if isinstance(exc, Err) and _returns_result(fn):
        return None
    return f"{where}: {type(exc).__name__}: {str(exc)[:300]}"


def _has_handle(t: Any, depth: int = 0) -> bool:
    """Whether a value of WIT type ``t`` can hold a resource handle."""
    t = gs._resolve(t)
    if isinstance(t, HandleType):
        return True
    if depth > 8:
        return False
    inner = [getattr(t, a, None) for a in ("element", "inner", "ok", "err")]
    inner += list(getattr(t, "types", None) or ())
    kind = getattr(t, "kind", None)
    inner += [f.type for f in getattr(kind, "fields", None) or ()]
    inner += [getattr(c, "type", None) for c in getattr(kind, "cases", None) or ()]
    return any(x is not None and _has_handle(x, depth + 1) for x in inner)


def _short(args: tuple[Any, ...]) -> str:
    text = repr(args)
    return text if len(text) < 300 else text[:300] + "...)"


@pytest.mark.parametrize("iid, name", CALLABLES, ids=[f"{i}#{f}" for i, f in CALLABLES])
def test_hostile_arguments_get_a_result_an_err_or_a_trap(
        hs: HostileStrategies, m: Any, resource_classes: frozenset[type], iid: str,
        name: str) -> None:
    fn = hs.function(iid, name)
    missing = _needs_server(iid, fn.name)
    if missing:
        pytest.skip(f"no {missing} server for the golem:rdbms recipes (see "
                    f"pytest_golem/databases.py)")
    params = hs.for_function_params(iid, fn.name)
    self_strategy = st.integers(0, 7)
    needs_handles = fn.kind == "method" or any(_has_handle(p.type) for p in fn.params)

    @settings(max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data(), kv_backend=st.sampled_from(["sqlite", "redis"]),
           blob_backend=st.sampled_from(["fs", "s3"]))
    def run(data: st.DataObject, kv_backend: str, blob_backend: str) -> None:
        escapes: list[str] = []
        POOL.clear()
        with golem_fakes.Golem(seed=0) as g:
            g.keyvalue.backend = kv_backend
            g.blobstore.backend = blob_backend
            recipes = _recipes(m, g)  # seeds the stores and files
            if needs_handles:
                for recipe in recipes:
                    _harvest(_quiet(recipe), resource_classes)
            g.keyvalue.clear_failures()
            g.keyvalue.profile = data.draw(st.sampled_from(["golem", "wit"]), label="profile")
            args = data.draw(params, label="args")
            if fn.kind == "method":
                args = (data.draw(self_strategy, label="self"), *args)
            value, exc, peak = _bounded(_binding(hs, iid, fn, args))
            problem = _check(iid, fn, args, value, exc, peak)
            if problem:
                escapes.append(problem)
            _harvest(value, resource_classes)
            _drop_all(escapes)
        POOL.clear()
        assert not escapes, "\n".join(escapes)

    run()


def test_every_implemented_callable_is_driven(
        hs: HostileStrategies, m: Any, resource_classes: frozenset[type]) -> None:
    """The fuzz covers the whole registry: every implemented function of the world is
    a parameter of the test above, and the recipes make an instance of every resource
    an implemented method is called on (so no method is skipped)."""
    functions = _functions(hs)
    assert len(functions) >= 150
    assert {fn.kind for _, fn in functions} == {"freestanding", "method", "static", "constructor"}
    driven = {(i.split("@", 1)[0], f.name) for i, f in functions}
    # (a behaviour for a function the vendored WIT does not have, e.g. the unstable
    # exit-with-code, has nothing to drive)
    world = {(i.qualified_name.split("@", 1)[0], f) for i in hs.world.imported_interfaces()
             for f in i.functions}
    registered = {(i.split("@", 1)[0], f) for i, f in registry.registered()} & world
    assert registered <= driven, sorted(registered - driven)
    needed = {hs.class_of(fn.resource) for i, fn in functions if fn.kind == "method"
              and not _needs_server(i, fn.name)}
    POOL.clear()
    with golem_fakes.Golem(seed=0) as g:
        for recipe in _recipes(m, g):
            _harvest(_quiet(recipe), resource_classes)
        made = set(POOL.items)
        escapes: list[str] = []
        _drop_all(escapes)
    POOL.clear()
    assert not escapes
    missing = sorted(c.__qualname__ for c in needed - made)
    assert not missing, f"no recipe makes {missing}"


SEQUENCE_LENGTH = int(os.environ.get("GOLEM_FUZZ_SEQUENCE", "25"))


def test_hostile_call_sequences_get_a_result_an_err_or_a_trap(
        hs: HostileStrategies, m: Any, resource_classes: frozenset[type]) -> None:
    """Random sequences of implemented callables (and drops of the resources made so
    far) in one fresh Golem: a call after another's trap, on a dropped or moved handle,
    on a stream whose value was dropped, ... must still answer with a result, its own
    ``Err`` or a ``Trap``."""
    functions = _functions(hs)
    step = st.sampled_from(list(range(len(functions))) + [-1])  # -1: drop a resource

    @settings(max_examples=max(EXAMPLES * 10, 20), derandomize=True, database=None,
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        escapes: list[str] = []
        POOL.clear()
        with golem_fakes.Golem(seed=0) as g:
            for recipe in _recipes(m, g):
                _harvest(_quiet(recipe), resource_classes)
            g.keyvalue.clear_failures()
            for _ in range(SEQUENCE_LENGTH):
                k = data.draw(step, label="step")
                if k < 0:
                    kinds = sorted(POOL.items, key=lambda c: c.__qualname__)
                    if not kinds:
                        continue
                    cls = data.draw(st.sampled_from(kinds), label="drop")
                    _drop(POOL.pick(cls, data.draw(st.integers(0, 7), label="which")), escapes)
                    continue
                iid, fn = functions[k]
                if fn.kind == "method" and not POOL.items.get(hs.class_of(fn.resource)):
                    continue
                args = data.draw(hs.for_function_params(iid, fn.name), label=fn.name)
                if fn.kind == "method":
                    args = (data.draw(st.integers(0, 7), label="self"), *args)
                value, exc, peak = _bounded(_binding(hs, iid, fn, args))
                problem = _check(iid, fn, args, value, exc, peak)
                if problem:
                    escapes.append(problem)
                _harvest(value, resource_classes)
                if exc is not None:
                    _harvest(exc, resource_classes)
            _drop_all(escapes)
        POOL.clear()
        assert not escapes, "\n".join(escapes)

    run()
