"""componentize-py's bundled ``poll_loop`` (issue 15 §3) running unchanged on the fake
``wasi:io`` pollables and streams and ``wasi:http``: ``poll_loop.send``, ``Stream``,
``Sink`` and ``PollLoop`` (an asyncio loop over ``wasi:io/poll.poll``), as Golem's Python
templates use them (``from wit_world.imports import types, streams, poll,
outgoing_handler``).

``poll_loop.py`` is not copied into the project: the fixture asks componentize-py 0.19.3
(the test extra) to write its bindings for the test world, and the component imports
the file it wrote."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.state.http import Response
from worker_world import component_sources, componentize_py_poll_loop

DATA = Path(__file__).resolve().parents[1] / "data" / "pollloop"
C = "test:pollloop"

COMPONENT = '''
import asyncio
from urllib.parse import urlsplit

import poll_loop
from poll_loop import PollLoop, Sink, Stream
from wit_world import exports
from wit_world.imports.types import Fields, Method_Post, OutgoingRequest, Scheme_Http, Scheme_Https


def _request(url, method=None):
    p = urlsplit(url)
    req = OutgoingRequest(Fields.from_list([("accept", b"*/*")]))
    req.set_scheme(Scheme_Https() if p.scheme == "https" else Scheme_Http())
    req.set_authority(p.netloc)
    req.set_path_with_query(p.path or "/")
    if method is not None:
        req.set_method(method)
    return req


async def _read(response):
    stream = Stream(response.consume())
    data = b""
    while True:
        chunk = await stream.next()
        if chunk is None:
            return data
        data += chunk


async def fetch(url):
    response = await poll_loop.send(_request(url))
    status = response.status()
    return f"{status}:{(await _read(response)).decode()}"


async def post(url, body):
    request = _request(url, Method_Post())
    sink = Sink(request.body())
    pending = asyncio.ensure_future(poll_loop.send(request))
    await sink.send(bytes(body))
    sink.close()
    response = await pending
    return f"{response.status()}:{(await _read(response)).decode()}"


def _run(coro):
    loop = PollLoop()
    asyncio.set_event_loop(loop)
    return loop.run_until_complete(coro)


class Api(exports.Api):
    def fetch(self, url):
        return _run(fetch(url))

    def fetch_many(self, urls):
        async def all_of():
            return list(await asyncio.gather(*(fetch(u) for u in urls)))
        return _run(all_of())

    def post(self, url, body):
        return _run(post(url, body))
'''


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    poll_loop = componentize_py_poll_loop(tmp_path_factory, DATA, "pollloop-world")
    assert "from wit_world.imports import types, streams, poll, outgoing_handler" in poll_loop
    with component_sources(tmp_path_factory, DATA, "pollloop-world",
                           {"plapp": COMPONENT, "poll_loop": poll_loop}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=7)
    g.add_component(C, code="plapp", path=src)
    g.add_worker(C, "w")
    return g


def test_poll_loop_send_and_stream(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/hello").respond(200, chunks=[b"hel", b"lo"])
    assert g.invoke(C, "w", "fetch", "https://api.test/hello") == "200:hello"
    assert route.calls.last.request.headers["accept"] == "*/*"
    # poll_loop waited on the future's pollable through wasi:io/poll (recorded)
    names = [e["function_name"] for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"]
    assert "http::types::future_incoming_response::get" in names


def test_poll_loop_waits_on_the_virtual_clock(g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/").respond(200, text="late", delay=4)
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", "https://slow.test/") == "200:late"
    assert g.clock.monotonic_ns() - before == 4_000_000_000
    names = [e["function_name"] for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"]
    assert "golem io::poll::poll" in names


def test_concurrent_requests_with_gather(g: golem_fakes.Golem) -> None:
    g.http.get("https://a.test/").respond(200, text="a", delay=2)
    g.http.get("https://b.test/").respond(200, text="b", delay=1)
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch-many", ["https://a.test/", "https://b.test/"]) == [
        "200:a", "200:b"]
    assert g.clock.monotonic_ns() - before == 2_000_000_000  # concurrently, not 3 s


def test_sink_posts_a_body(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://api.test/up", body=b"payload").respond(201, text="stored")
    assert g.invoke(C, "w", "post", "https://api.test/up", b"payload") == "201:stored"
    assert route.calls.last.request.body == b"payload"


def test_poll_loop_is_replayed_after_a_crash(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/n").mock(
        side_effect=[Response(200, text="1"), Response(200, text="2")])
    assert g.invoke(C, "w", "fetch", "https://api.test/n") == "200:1"
    g.crash(C, "w")                   # recovery replays the first invocation
    assert route.call_count == 1
    assert g.invoke(C, "w", "fetch", "https://api.test/n") == "200:2"
