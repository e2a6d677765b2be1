"""``requests`` and ``urllib3`` called from worker code go through the fake ``wasi:http``
(issue 15 §3), as Golem's urllib3 fork sends them (``golem_fakes.clients``): the stubs
see the requests, nothing reaches the network, durability records and replays them, and
urllib3's exceptions come from the ``error-code`` the worker got. Test code outside any
invocation keeps urllib3's own connections (checked against a loopback server)."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.state.http import Response
from worker_world import component_sources

requests = pytest.importorskip("requests")

DATA = Path(__file__).resolve().parents[1] / "data" / "httpapp"
C = "test:reqapp"

COMPONENT = '''
import json

import requests
import urllib3

from wit_world import exports

history = []


class Api(exports.Api):
    def fetch(self, url):
        try:
            r = requests.get(url, headers={"Accept": "application/json"}, timeout=(3, 5))
        except requests.Timeout as e:
            out = "timeout:" + type(e).__name__
        except requests.ConnectionError as e:
            out = "connection-error"
        else:
            out = f"{r.status_code}:{r.text}"
        history.append(out)
        return out

    def pay(self, amount):
        r = requests.post("https://payments.test/charge", json={"amount": amount})
        r.raise_for_status()
        history.append(r.json()["id"])
        return r.json()["id"]

    def pay_and_record(self, amount):
        r = urllib3.request("POST", "https://payments.test/charge", body=b"raw",
                            headers={"x-amount": str(amount)})
        return f"{r.status}:{r.data.decode()}"

    def pay_unsafe(self, amount):
        s = requests.Session()
        r = s.get("https://payments.test/redirect")
        return f"{r.status_code}:{r.url}:{r.text}"

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
    with component_sources(tmp_path_factory, DATA, "http-world", {"reqapp": COMPONENT}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    from golem_fakes.clients import route_http_clients

    assert route_http_clients()  # what the plugin did at start-up
    g = golem_fakes.Golem(seed=9)
    g.add_component(C, code="reqapp", path=src)
    g.add_worker(C, "w")
    return g


def test_requests_get_from_worker_code_hits_the_stub(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://api.test/items", name="items").respond(
        200, json={"items": [1, 2]})
    assert g.invoke(C, "w", "fetch", "https://api.test/items") == '200:{"items": [1, 2]}'
    sent = route.calls.last.request
    assert sent.headers["accept"] == "application/json"
    assert sent.headers["user-agent"].startswith("python-requests/")
    assert "connection" not in sent.headers          # forbidden in wasi:http: left out
    assert sent.connect_timeout_ns == 3_000_000_000
    assert sent.first_byte_timeout_ns == 5_000_000_000
    names = [e["function_name"] for e in g.oplog(C, "w") if e.kind == "imported-function-invoked"]
    assert "http::types::future_incoming_response::get" in names


def test_requests_post_json(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", json={"amount": 7}).respond(
        201, json={"id": "pay-1"})
    assert g.invoke(C, "w", "pay", 7) == "pay-1"
    assert route.calls.last.request.headers["content-type"] == "application/json"


def test_urllib3_request(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", body=b"raw",
                        headers={"x-amount": "3"}).respond(200, text="ok")
    assert g.invoke(C, "w", "pay-and-record", 3) == "200:ok"
    assert route.called


def test_errors_and_timeouts_become_requests_exceptions(g: golem_fakes.Golem) -> None:
    g.http.get("https://down.test/").error("connection-refused")
    g.http.get("https://nowhere.test/").error("DNS-error", {"rcode": "NXDOMAIN", "info_code": 3})
    g.http.get("https://slow.test/").respond(200, delay=60)
    assert g.invoke(C, "w", "fetch", "https://down.test/") == "connection-error"
    assert g.invoke(C, "w", "fetch", "https://nowhere.test/") == "connection-error"
    before = g.clock.monotonic_ns()
    assert g.invoke(C, "w", "fetch", "https://slow.test/") == "timeout:ReadTimeout"
    assert g.clock.monotonic_ns() - before == 5_000_000_000  # the read timeout, virtual


def test_redirects_are_followed_through_the_stubs(g: golem_fakes.Golem) -> None:
    g.http.get("https://payments.test/redirect").respond(
        302, headers={"location": "https://payments.test/final"})
    g.http.get("https://payments.test/final").respond(200, text="done")
    assert g.invoke(C, "w", "pay-unsafe", 0) == "200:https://payments.test/final:done"


def test_a_crash_replays_requests_instead_of_sending_them_again(g: golem_fakes.Golem) -> None:
    route = g.http.post("https://payments.test/charge", name="payment").mock(
        side_effect=[Response(201, json={"id": "pay-1"}), Response(201, json={"id": "pay-2"})])
    assert g.invoke(C, "w", "pay", 1) == "pay-1"
    g.crash(C, "w")
    assert route.call_count == 1
    assert g.invoke(C, "w", "history") == ["pay-1"]


def test_test_code_outside_an_invocation_uses_the_real_network(g: golem_fakes.Golem,
                                                              server: str) -> None:
    assert requests.get(f"http://{server}/", timeout=5).text == "real"
    assert g.http.requests == []


def test_pass_through_from_worker_code(g: golem_fakes.Golem, server: str) -> None:
    g.http.pass_through(server)
    assert g.invoke(C, "w", "fetch", f"http://{server}/x") == "200:real"
