"""``httpx`` (``httpx.Client``, ``httpx.get``/``post``, ``httpx.AsyncClient``) and
``urllib.request`` called from worker code go through the fake ``wasi:http`` (issue 15
§3), as ``requests``/``urllib3`` do (``golem_fakes.clients``): the stubs answer, strict
mode catches an unmatched request, timeouts run on the virtual clock, the oplog records
the requests and a recovery replays them, ``error-code``s become each client's own
exceptions. Test code outside any invocation keeps the clients' real transports."""

from __future__ import annotations

import asyncio
import urllib.error
import urllib.request
from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.state.http import Response
from worker_world import component_sources

httpx = pytest.importorskip("httpx")

DATA = Path(__file__).resolve().parents[1] / "data" / "httpapp"
C = "test:httpxapp"

# fetch(spec): "<client> <url>" — client one of sync, module, async, gather, urllib
COMPONENT = '''
import asyncio
import json
import urllib.error
import urllib.request

import httpx

from wit_world import exports

history = []
client = httpx.Client(timeout=httpx.Timeout(5.0, connect=3.0))  # made at import


def _sync(url):
    try:
        r = client.get(url, headers={"Accept": "application/json"})
    except httpx.HTTPError as e:
        return "error:" + type(e).__name__
    return f"{r.status_code}:{r.text}"


async def _async(url):
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0, connect=3.0)) as c:
        try:
            r = await c.get(url, headers={"Accept": "application/json"})
        except httpx.HTTPError as e:
            return "error:" + type(e).__name__
    return f"{r.status_code}:{r.text}"


async def _gather(urls):
    async with httpx.AsyncClient() as c:
        rs = await asyncio.gather(*(c.get(u) for u in urls))
    return ",".join(r.text for r in rs)


def _urllib(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return f"{r.status}:{r.reason}:{r.read().decode()}"
    except urllib.error.HTTPError as e:
        return f"http-error:{e.code}:{e.read().decode()}"
    except urllib.error.URLError as e:
        return "error:URLError:" + type(e.reason).__name__
    except TimeoutError:
        return "error:TimeoutError"


class Api(exports.Api):
    def fetch(self, spec):
        kind, url = spec.split(" ", 1)
        if kind == "sync":
            out = _sync(url)
        elif kind == "module":
            r = httpx.get(url)
            out = f"{r.status_code}:{r.text}"
        elif kind == "async":
            out = asyncio.run(_async(url))
        elif kind == "gather":
            out = asyncio.run(_gather(url.split()))
        else:
            out = _urllib(url)
        history.append(out)
        return out

    def pay(self, amount):
        r = httpx.post("https://payments.test/charge", json={"amount": amount})
        r.raise_for_status()
        history.append(r.json()["id"])
        return r.json()["id"]

    def pay_and_record(self, amount):
        async def go():
            async with httpx.AsyncClient() as c:
                r = await c.post("https://payments.test/charge", json={"amount": amount})
            r.raise_for_status()
            return r.json()["id"]
        out = asyncio.run(go())
        history.append(out)
        return out

    def pay_unsafe(self, amount):
        req = urllib.request.Request("https://payments.test/charge",
                                     data=json.dumps({"amount": amount}).encode(),
                                     headers={"Content-Type": "application/json"})
        opener = urllib.request.build_opener()
        with opener.open(req, timeout=5) as r:
            out = json.loads(r.read())["id"]
        history.append(out)
        return out

    def history(self):
        return list(history)


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request, response_out):
        from componentize_py_types import Ok
        from wit_world.imports import wasi_http_types as t

        resp = t.OutgoingResponse(t.Fields())
        resp.set_status_code(404)
        t.ResponseOutparam.set(response_out, Ok(resp))
'''


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with component_sources(tmp_path_factory, DATA, "http-world",
                           {"httpxapp": COMPONENT}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    from golem_fakes.clients import route_http_clients

    assert {"httpx", "urllib.request"} <= set(route_http_clients())  # as the plugin did
    g = golem_fakes.Golem(seed=11)
    g.add_component(C, code="httpxapp", path=src)
    g.add_worker(C, "w")
    return g


def _names(g: golem_fakes.Golem) -> list[str]:
    return [e["function_name"] for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"]


# -- httpx, sync ------------------------------------------------------------------------

def test_httpx_client_get_from_worker_code_hits_the_stub(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/items", query="page=2", name="items").respond(
        200, json={"items": [1, 2]}, headers={"x-request-id": "r-1"})
    assert g.invoke(C, "w", "fetch", "sync https://api.test/items?page=2") == \
        '200:{"items": [1, 2]}'
    sent = route.calls.last.request
    assert sent.url == "https://api.test/items?page=2"
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["user-agent"].startswith("python-httpx/")
    assert "connection" not in sent.headers            # forbidden in wasi:http: left out
    assert sent.headers.get_all("host") == ["api.test"]  # the host's, from the authority
    assert sent.connect_timeout_ns == 3_000_000_000   # httpx.Timeout(5.0, connect=3.0)
    assert sent.first_byte_timeout_ns == 5_000_000_000
    assert sent.between_bytes_timeout_ns == 5_000_000_000
    assert "http::types::future_incoming_response::get" in _names(g)


def test_httpx_module_functions_and_json_post(g: golem_fakes.Golem) -> None:
    g.http.get("http://plain.test:8080/x").respond(200, text="plain")
    pay = g.http.post("https://payments.test/charge", json={"amount": 7}).respond(
        201, json={"id": "pay-7"})
    assert g.invoke(C, "w", "fetch", "module http://plain.test:8080/x") == "200:plain"
    assert g.http.requests[0].authority == "plain.test:8080"
    assert g.http.requests[0].scheme == "http"
    assert g.invoke(C, "w", "pay", 7) == "pay-7"
    sent = pay.calls.last.request
    assert sent.headers["content-type"] == "application/json"
    assert sent.headers["content-length"] == str(len(sent.body))
    assert sent.json() == {"amount": 7}


def test_httpx_decodes_the_stubs_content_encoding(g: golem_fakes.Golem) -> None:
    import gzip

    g.http.get("https://zip.test/").respond(
        200, body=gzip.compress(b"unzipped"), headers={"content-encoding": "gzip"})
    assert g.invoke(C, "w", "fetch", "sync https://zip.test/") == "200:unzipped"


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_httpx_errors_become_httpx_exceptions(g: golem_fakes.Golem, kind: str) -> None:
    g.http.get("https://down.test/").error("connection-refused")
    g.http.get("https://nowhere.test/").error("DNS-error", {"rcode": "NXDOMAIN", "info_code": 3})
    g.http.get("https://cut.test/").error("connection-terminated")
    g.http.get("https://nolisten.test/").respond(200, connect_delay=10)
    got = [g.invoke(C, "w", "fetch", f"{kind} https://{h}/")
           for h in ("down.test", "nowhere.test", "cut.test", "nolisten.test")]
    assert got == ["error:ConnectError", "error:ConnectError", "error:RemoteProtocolError",
                   "error:ConnectTimeout"]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_httpx_read_timeout_on_the_virtual_clock(g: golem_fakes.Golem, kind: str) -> None:
    g.http.get("https://slow.test/").respond(200, text="late", delay=60)
    g.http.get("https://fast-enough.test/").respond(200, text="ok", delay=4)
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", f"{kind} https://slow.test/") == "error:ReadTimeout"
    assert g.clock.monotonic_ns() - before == 5_000_000_000  # the read timeout, virtual
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", f"{kind} https://fast-enough.test/") == "200:ok"
    assert g.clock.monotonic_ns() - before == 4_000_000_000


@pytest.mark.parametrize("kind", ["sync", "async", "urllib"])
def test_strict_mode_unmatched_request(src: Path, kind: str) -> None:
    g = golem_fakes.Golem(seed=3)
    g.add_component(C, code="httpxapp", path=src)
    g.add_worker(C, "w")
    g.http.get("https://api.test/a", name="a", optional=True).respond(200)
    expected = {"sync": "error:ConnectError", "async": "error:ConnectError",
                "urllib": "error:URLError:ConnectionRefusedError"}[kind]
    assert g.invoke(C, "w", "fetch", f"{kind} https://api.test/b") == expected
    assert len(g.http.unmatched) == 1
    with pytest.raises(AssertionError, match=r"(?s)https://api.test/b.*path '/b' is not '/a'"):
        g.http.verify()


def test_a_crash_after_an_httpx_request_replays_it(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", name="payment").mock(
        side_effect=[Response(201, json={"id": "pay-1"}), Response(201, json={"id": "pay-2"})])
    assert g.invoke(C, "w", "pay", 1) == "pay-1"
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["pay-1"]
    assert route.call_count == 1                       # replayed, not sent again


# -- httpx, async ------------------------------------------------------------------------

def test_async_client_from_worker_code_hits_the_stub(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/items").respond(200, json=[1])
    assert g.invoke(C, "w", "fetch", "async https://api.test/items") == "200:[1]"
    sent = route.calls.last.request
    assert sent.headers["accept"] == "application/json"
    assert sent.first_byte_timeout_ns == 5_000_000_000
    assert "http::types::future_incoming_response::get" in _names(g)


def test_async_client_gather_waits_for_the_slowest_not_the_sum(g: golem_fakes.Golem) -> None:
    g.http.get("https://a.test/").respond(200, text="a", delay=2)
    g.http.get("https://b.test/").respond(200, text="b", delay=1)
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", "gather https://a.test/ https://b.test/") == "a,b"
    assert g.clock.monotonic_ns() - before == 2_000_000_000
    assert "golem io::poll::poll" in _names(g)          # the wait went through wasi:io/poll


def test_a_crash_after_an_async_request_replays_it(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", name="payment").mock(
        side_effect=[Response(201, json={"id": "pay-1"}), Response(201, json={"id": "pay-2"})])
    g.http.get("https://api.test/items").respond(200, text="[1]", delay=2)
    assert g.invoke(C, "w", "pay-and-record", 1) == "pay-1"
    assert g.invoke(C, "w", "fetch", "async https://api.test/items") == "200:[1]"
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["pay-1", "200:[1]"]
    assert route.call_count == 1                        # replayed, not sent again
    assert len(g.http.requests) == 2


def test_overlapping_async_requests_are_sent_again_after_a_crash(g: golem_fakes.Golem) -> None:
    # Golem's rule (docs/golem-io-semantics.md §5.8, no_concurrent_side_effect): a
    # batched remote write whose end comes after another request's entries is not
    # complete for the replay, so the worker goes live there and sends it again
    a = g.http.get("https://a.test/").respond(200, text="a", delay=2)
    b = g.http.get("https://b.test/").respond(200, text="b", delay=1)
    assert g.invoke(C, "w", "fetch", "gather https://a.test/ https://b.test/") == "a,b"
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["a,b"]
    assert (a.call_count, b.call_count) == (2, 2)
    assert any(e.kind == "jump" for e in g.oplog(C, "w"))


def test_async_client_in_the_test_body_under_a_golem_invocation(src: Path) -> None:
    async def main() -> list[str]:
        async with httpx.AsyncClient() as c:
            rs = await asyncio.gather(c.get("https://x.test/1"), c.get("https://x.test/2"))
        return [r.text for r in rs]

    with golem_fakes.Golem(seed=1) as golem:
        golem.http.get("https://x.test/1").respond(200, text="one", delay=3)
        golem.http.get("https://x.test/2").respond(200, text="two", delay=2)
        before = golem.clock.monotonic_ns()
        assert asyncio.run(main()) == ["one", "two"]
        assert golem.clock.monotonic_ns() - before == 3_000_000_000  # the slower one
        with httpx.Client() as c:
            golem.http.get("https://x.test/3").respond(204)
            assert c.get("https://x.test/3").status_code == 204


# -- urllib.request ---------------------------------------------------------------------

def test_urlopen_from_worker_code_hits_the_stub(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/u").respond(200, text="hi", headers={"x-a": "1"})
    assert g.invoke(C, "w", "fetch", "urllib https://api.test/u") == "200:OK:hi"
    sent = route.calls.last.request
    assert sent.headers["user-agent"].startswith("Python-urllib/")
    assert "connection" not in sent.headers
    assert sent.headers.get_all("host") == ["api.test"]
    assert sent.connect_timeout_ns == sent.first_byte_timeout_ns == 5_000_000_000


def test_urllib_errors_redirects_and_timeouts(g: golem_fakes.Golem) -> None:
    g.http.get("https://api.test/missing").respond(404, text="nope")
    g.http.get("https://api.test/old").respond(301, headers={"location": "/new"})
    g.http.get("https://api.test/new").respond(200, text="moved")
    g.http.get("https://down.test/").error("connection-refused")
    g.http.get("https://nowhere.test/").error("DNS-error", {"rcode": "NXDOMAIN", "info_code": 3})
    g.http.get("https://slow.test/").respond(200, delay=30)
    got = [g.invoke(C, "w", "fetch", f"urllib {u}") for u in (
        "https://api.test/missing", "https://api.test/old", "https://down.test/",
        "https://nowhere.test/")]
    assert got == ["http-error:404:nope", "200:OK:moved", "error:URLError:ConnectionRefusedError",
                   "error:URLError:gaierror"]
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", "urllib https://slow.test/") == "error:TimeoutError"
    assert g.clock.monotonic_ns() - before == 5_000_000_000


def test_urllib_opener_post_replayed_after_a_crash(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", json={"amount": 4},
                        headers={"content-type": "application/json"}, name="payment").mock(
        side_effect=[Response(201, json={"id": "pay-4"}), Response(201, json={"id": "again"})])
    assert g.invoke(C, "w", "pay-unsafe", 4) == "pay-4"
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["pay-4"]
    assert route.call_count == 1


# -- outside an invocation: untouched ---------------------------------------------------

def test_test_code_outside_an_invocation_uses_the_real_network(g: golem_fakes.Golem,
                                                              server: str) -> None:
    assert httpx.get(f"http://{server}/", timeout=5).text == "real"

    async def get() -> str:
        async with httpx.AsyncClient(timeout=5) as c:
            return (await c.get(f"http://{server}/")).text

    assert asyncio.run(get()) == "real"
    with urllib.request.urlopen(f"http://{server}/", timeout=5) as r:
        assert r.read() == b"real"
    assert g.http.requests == []


def test_pass_through_from_worker_code(g: golem_fakes.Golem, server: str) -> None:
    g.http.pass_through(server)
    assert g.invoke(C, "w", "fetch", f"sync http://{server}/x") == "200:real"
    assert g.invoke(C, "w", "fetch", f"async http://{server}/x") == "200:real"
    assert g.invoke(C, "w", "fetch", f"urllib http://{server}/x") == "200:OK:real"


def test_unroute_puts_the_transports_back() -> None:
    from golem_fakes.clients import route_http_clients, unroute_http_clients

    assert getattr(httpx.HTTPTransport.handle_request, "golem_fakes_routed", False)
    unroute_http_clients()
    try:
        assert not hasattr(httpx.HTTPTransport.handle_request, "golem_fakes_routed")
        assert not hasattr(httpx.AsyncHTTPTransport.handle_async_request, "golem_fakes_routed")
        assert not hasattr(urllib.request.HTTPHandler.http_open, "golem_fakes_routed")
    finally:
        assert route_http_clients() == ("urllib3", "httpx", "urllib.request")
    assert getattr(urllib.request.HTTPSHandler.https_open, "golem_fakes_routed", False)



# -- the async wait itself ---------------------------------------------------------------

def test_wait_pollable_in_a_plain_asyncio_loop_jumps_the_virtual_clock(src: Path) -> None:
    from wit_world.imports import outgoing_handler, wasi_http_types as t

    from golem_fakes.clients import wait_pollable

    async def main() -> list[str]:
        order: list[str] = []

        async def get(host: str) -> None:
            req = t.OutgoingRequest(t.Fields())
            req.set_authority(host)
            future = outgoing_handler.handle(req, None)
            while future.get() is None:
                await wait_pollable(future.subscribe())
            order.append(host)

        await asyncio.gather(get("long.test"), get("short.test"))
        return order

    with golem_fakes.Golem(seed=2) as golem:
        golem.http.get("https://long.test/").respond(200, delay=7)
        golem.http.get("https://short.test/").respond(200, delay=2)
        before = golem.clock.monotonic_ns()
        assert asyncio.run(main()) == ["short.test", "long.test"]
        assert golem.clock.monotonic_ns() - before == 7_000_000_000   # 7 s, not 9


def test_wait_pollable_errors_reach_the_waiting_task(src: Path) -> None:
    from golem_fakes.bindings.runtime import Trap
    from golem_fakes.clients import wait_pollable

    with golem_fakes.Golem(seed=2):
        with pytest.raises(Trap, match=r"wasi:io/poll@0.2.3#poll"):
            asyncio.run(wait_pollable(object()))   # not a pollable: poll traps, no hang
