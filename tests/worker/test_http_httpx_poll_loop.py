"""``httpx.AsyncClient`` in worker code that runs componentize-py's ``poll_loop.PollLoop``
(the asyncio loop Golem's Python templates use): the routed transport waits on the
response's pollable as ``poll_loop.register`` does (the loop's ``wakers``, polled with
``wasi:io/poll.poll``), so requests gathered on the loop wait together, on the virtual
clock. ``poll_loop.py`` is the one componentize-py 0.19.3 writes for the test world."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from worker_world import component_sources, componentize_py_poll_loop

httpx = pytest.importorskip("httpx")

DATA = Path(__file__).resolve().parents[1] / "data" / "pollloop"
C = "test:httpxpl"

COMPONENT = '''
import asyncio

import httpx
from poll_loop import PollLoop
from wit_world import exports


def _run(coro):
    loop = PollLoop()
    asyncio.set_event_loop(loop)
    return loop.run_until_complete(coro)


async def fetch(client, url):
    try:
        r = await client.get(url)
    except httpx.HTTPError as e:
        return "error:" + type(e).__name__
    return f"{r.status_code}:{r.text}"


class Api(exports.Api):
    def fetch(self, url):
        async def one():
            async with httpx.AsyncClient(timeout=2.0) as c:
                return await fetch(c, url)
        return _run(one())

    def fetch_many(self, urls):
        async def all_of():
            async with httpx.AsyncClient() as c:
                return list(await asyncio.gather(*(fetch(c, u) for u in urls)))
        return _run(all_of())

    def post(self, url, body):
        async def go():
            async with httpx.AsyncClient() as c:
                r = await c.post(url, content=bytes(body))
            return f"{r.status_code}:{r.text}"
        return _run(go())
'''


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    poll_loop = componentize_py_poll_loop(tmp_path_factory, DATA, "pollloop-world")
    assert "loop.wakers.append((pollable, waker))" in poll_loop
    with component_sources(tmp_path_factory, DATA, "pollloop-world",
                           {"httpxpl": COMPONENT, "poll_loop": poll_loop}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    from golem_fakes.clients import route_http_clients

    assert "httpx" in route_http_clients()
    g = golem_fakes.Golem(seed=5)
    g.add_component(C, code="httpxpl", path=src)
    g.add_worker(C, "w")
    return g


def test_async_client_on_poll_loop_gathers_on_the_virtual_clock(g: golem_fakes.Golem) -> None:
    g.http.get("https://a.test/").respond(200, text="a", delay=2)
    g.http.get("https://b.test/").respond(200, text="b", delay=1)
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch-many", ["https://a.test/", "https://b.test/"]) == [
        "200:a", "200:b"]
    assert g.clock.monotonic_ns() - before == 2_000_000_000  # concurrently, not 3 s
    names = [e["function_name"] for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"]
    assert "golem io::poll::poll" in names   # PollLoop polled the wakers


def test_async_client_on_poll_loop_timeout_and_post(g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/").respond(200, delay=30)
    route = g.http.post("https://api.test/up", body=b"payload").respond(201, text="stored")
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", "https://slow.test/") == "error:ReadTimeout"
    assert g.clock.monotonic_ns() - before == 2_000_000_000
    assert g.invoke(C, "w", "post", "https://api.test/up", b"payload") == "201:stored"
    assert route.calls.last.request.body == b"payload"


def test_the_worker_s_poll_loop_does_not_stay_the_running_loop(g: golem_fakes.Golem
                                                                 ) -> None:
    """PollLoop.run_until_complete sets itself as the thread's running loop and never
    unsets it; after the invocation the test's thread has its loops back, so
    ``asyncio.run`` works in the test (and in the next one)."""
    import asyncio

    g.http.get("https://a.test/").respond(200, text="a")
    before = asyncio.events._get_running_loop()
    assert g.invoke(C, "w", "fetch", "https://a.test/") == "200:a"
    assert asyncio.events._get_running_loop() is before is None

    async def nothing() -> int:
        return 1

    assert asyncio.run(nothing()) == 1
