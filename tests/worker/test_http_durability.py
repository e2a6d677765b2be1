"""Outgoing HTTP under crash and replay (issue 15 §2 durability; ``golem-io-semantics.md``
§5.8): a worker's requests are recorded as Golem records them, a recovered worker gets
the recorded responses instead of sending again — except a request whose end was not
recorded, which Golem sends again — and crash exploration shows where a payment is sent
twice. Also ``golem.http.incoming`` driving the worker's exported ``incoming-handler``.

The component (``httpapp``, world ``tests/data/httpapp``) is real worker code invoked by
export name."""

from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

import golem_fakes
from golem_fakes.state.http import Response
from golem_fakes.worker.replay import NON_IDEMPOTENT_WRITE
from worker_world import component_sources

DATA = Path(__file__).resolve().parents[1] / "data" / "httpapp"
C = "test:httpapp"
PAYMENTS = "https://payments.test/charge"

COMPONENT = '''
import json
from urllib.parse import urlsplit

from wit_world import exports
from wit_world.imports import eventual, host, outgoing_handler, streams
from wit_world.imports import wasi_http_types as t
from wit_world.imports import wasi_keyvalue_types as kv
from componentize_py_types import Err, Ok

history = []


def _request(method, url, body=None, headers=()):
    p = urlsplit(url)
    req = t.OutgoingRequest(t.Fields.from_list(list(headers)))
    req.set_method(method)
    req.set_scheme(t.Scheme_Https() if p.scheme == "https" else t.Scheme_Http())
    req.set_authority(p.netloc)
    req.set_path_with_query(p.path or "/")
    out = req.body() if body is not None else None
    fut = outgoing_handler.handle(req, None)
    if out is not None:
        s = out.write()
        s.blocking_write_and_flush(body)
        del s
        t.OutgoingBody.finish(out, None)
    while True:
        r = fut.get()
        if r is not None:
            break
        p_ = fut.subscribe()
        p_.block()
        del p_
    del fut
    return r.value


def _read(resp, before_close=None):
    body = resp.consume()
    s = body.stream()
    data = b""
    while True:
        try:
            data += s.blocking_read(4096)
        except Err as e:
            if isinstance(e.value, streams.StreamError_Closed):
                break
            raise
        if before_close is not None:
            before_close()
            before_close = None
    del s
    t.IncomingBody.finish(body)
    return data.decode()


def _result(r, before_close=None):
    if isinstance(r, Err):
        out = "error:" + type(r.value).__name__
    else:
        resp = r.value
        out = f"{resp.status()}:{_read(resp, before_close)}"
        del resp
    history.append(out)
    return out


def _pay(amount, before_close=None):
    body = json.dumps({"amount": amount}).encode()
    return _result(_request(t.Method_Post(), "https://payments.test/charge", body,
                            [("content-type", b"application/json")]), before_close)


def _record():
    out = kv.OutgoingValue.new_outgoing_value()
    out.outgoing_value_write_body_sync(b"paid")
    eventual.set(kv.Bucket.open_bucket("audit"), "last", out)


class Api(exports.Api):
    def fetch(self, url):
        return _result(_request(t.Method_Get(), url))

    def pay(self, amount):
        return _pay(amount)

    def pay_and_record(self, amount):
        return _pay(amount, before_close=_record)

    def pay_unsafe(self, amount):
        host.set_idempotence_mode(False)
        return _pay(amount)

    def history(self):
        return list(history)


class IncomingHandler(exports.IncomingHandler):
    def handle(self, request, response_out):
        body = request.consume()
        s = body.stream()
        data = b""
        while True:
            try:
                data += s.blocking_read(4096)
            except Err:
                break
        del s
        t.IncomingBody.finish(body)
        h = request.headers()
        greeting = h.get("x-greeting")
        del h
        path = request.path_with_query()
        resp = t.OutgoingResponse(t.Fields.from_list([("content-type", b"text/plain")]))
        resp.set_status_code(201 if path == "/echo" else 404)
        ob = resp.body()
        t.ResponseOutparam.set(response_out, Ok(resp))
        out = ob.write()
        out.blocking_write_and_flush(b"echo:" + data + b":" + b"".join(greeting))
        del out
        t.OutgoingBody.finish(ob, t.Fields.from_list([("x-done", b"1")]))

'''


@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    with component_sources(tmp_path_factory, DATA, "http-world", {"httpapp": COMPONENT}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem(seed=5)
    g.add_component(C, code="httpapp", path=src)
    g.add_worker(C, "w")
    return g


def kinds(g: golem_fakes.Golem, w: str = "w") -> list[str]:
    return [e.kind for e in g.oplog(C, w)]


def calls(g: golem_fakes.Golem, w: str = "w") -> list[str]:
    return [e["function_name"] for e in g.oplog(C, w) if e.kind == "imported-function-invoked"]


def test_a_request_is_recorded_as_golem_records_it(g: golem_fakes.Golem) -> None:
    g.http.post(PAYMENTS, json={"amount": 5}, name="payment").respond(200, text="ok")
    assert g.invoke(C, "w", "pay", 5) == "200:ok"
    log = g.oplog(C, "w")
    begin = next(e for e in log if e.kind == "begin-remote-write")
    http = [e for e in log if e.kind == "imported-function-invoked"
            and e["function_name"].startswith("http::")]
    assert [e["function_name"] for e in http] == [
        "http::types::future_incoming_response::get",
        "http::types::incoming_body_stream::blocking_read",
        "http::types::incoming_body_stream::blocking_read"]
    assert all(e["durable_function_type"] == ("write-remote-batched", begin.index) for e in http)
    req = http[0]["request"]
    assert req["uri"] == "payments.test/charge" and req["method"] == "POST"
    assert "idempotency-key" not in req["headers"] and "traceparent" in req["headers"]
    assert http[0]["response"] == ("headers-received", {
        "status": 200, "headers": {"content-type": b"text/plain; charset=utf-8"}})
    assert http[2]["response"].value == "closed"
    end = next(e for e in log if e.kind == "end-remote-write")
    assert end["begin_index"] == begin.index and end.index > http[2].index
    ks = kinds(g)
    assert ks.index("start-span") == ks.index("begin-remote-write") + 1
    assert ks.index("finish-span") == ks.index("end-remote-write") + 1
    assert log.committed_index == len(log)


def test_a_pending_get_is_recorded_too(g: golem_fakes.Golem) -> None:
    g.http.get("https://slow.test/", name="slow").respond(200, text="late", delay=3)
    assert g.invoke(C, "w", "fetch", "https://slow.test/") == "200:late"
    gets = [e["response"][0] for e in g.oplog(C, "w")
            if e.kind == "imported-function-invoked"
            and e["function_name"].endswith("future_incoming_response::get")]
    assert gets == ["pending", "headers-received"]


def test_a_crash_after_the_request_replays_the_response_instead_of_sending_again(
        g: golem_fakes.Golem) -> None:
    route = g.http.post(PAYMENTS, name="payment").respond(200, text="charged")
    # the recorded calls of the first pay: get-environment and get-arguments (the
    # instance's start), then get, read, read (closed: the request ends)
    g.crash(C, "w", after=5)
    assert g.invoke(C, "w", "pay", 5) == "200:charged"
    assert g.runtime(C, "w").crashes == 1
    assert route.call_count == 1
    # the replayed instance rebuilt its module state from the recorded response
    route.respond(500, text="changed")
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["200:charged"]
    assert route.call_count == 1


@pytest.mark.parametrize("after", [3, 4])
def test_a_crash_inside_the_request_sends_it_again(g: golem_fakes.Golem, after: int) -> None:
    """§5.8: the begin has no end in the oplog, so the recovered worker goes live at the
    request (a jump deletes what followed) and sends it again."""
    route = g.http.post(PAYMENTS, name="payment").mock(
        side_effect=[Response(200, text="first"), Response(200, text="second")])
    g.crash(C, "w", after=after)
    assert g.invoke(C, "w", "pay", 5) == "200:second"
    assert route.call_count == 2
    jump = next(e for e in g.oplog(C, "w") if e.kind == "jump")
    begin = next(e for e in g.oplog(C, "w") if e.kind == "begin-remote-write")
    assert jump["start"] == begin.index + 1
    assert g.invoke(C, "w", "history") == ["200:second"]


def test_with_idempotence_off_an_unfinished_request_fails_the_worker(g: golem_fakes.Golem) -> None:
    g.http.post(PAYMENTS).respond(200, text="ok")
    g.crash(C, "w", after=3)
    with pytest.raises(golem_fakes.Trap, match="Non-idempotent remote write"):
        g.invoke(C, "w", "pay-unsafe", 5)
    assert NON_IDEMPOTENT_WRITE.endswith("cannot retry")


def test_a_remote_write_before_the_end_makes_replay_send_again(g: golem_fakes.Golem) -> None:
    """dev.25's quirk (§5.8): the end of the request comes after a key-value write (a
    concurrent side effect), so replay treats the request as unfinished."""
    route = g.http.post(PAYMENTS, name="payment").respond(200, text="ok")
    assert g.invoke(C, "w", "pay-and-record", 5) == "200:ok"
    assert g.keyvalue.get("default", "audit", "last") == b"paid"
    g.crash(C, "w")
    assert route.call_count == 2
    assert "jump" in kinds(g)


def test_explore_crashes_finds_where_the_payment_is_sent_twice(g: golem_fakes.Golem) -> None:
    g.http.post(PAYMENTS, name="payment").respond(200, text="ok")

    def sent_once(copy: golem_fakes.Golem, result: object) -> None:
        assert result == "200:ok"
        assert copy.http["payment"].call_count == 1, "the payment request was sent twice"

    report = g.explore_crashes(C, "w", "pay", 5, check=sent_once, raise_on_failure=False)
    failing = sorted(f.point for f in report.failures)
    assert failing == [3, 4]          # crashed between the response and the end
    assert len(report.points) == 6    # 0..5 recorded host calls
    assert g.http["payment"].call_count == 0  # exploration ran on copies


def test_an_error_response_is_recorded_and_replayed(g: golem_fakes.Golem) -> None:
    route = g.http.get("https://down.test/", name="down").error("connection-refused")
    assert g.invoke(C, "w", "fetch", "https://down.test/") == "error:ErrorCode_ConnectionRefused"
    (e,) = [x for x in g.oplog(C, "w") if x.kind == "imported-function-invoked"
            and x["function_name"].startswith("http::")]
    assert e["response"][0] == "http-error"
    route.respond(200)
    g.crash(C, "w")
    assert g.invoke(C, "w", "history") == ["error:ErrorCode_ConnectionRefused"]
    assert route.call_count == 1


def test_incoming_handler(g: golem_fakes.Golem) -> None:
    r = g.http.incoming("POST", "/echo", body=b"hi", headers={"X-Greeting": "hello"},
                        component=C, worker="w")
    assert r.status == 201
    assert r.headers["content-type"] == "text/plain"
    assert r.body == b"echo:hi:hello" and r.text == "echo:hi:hello"
    assert r.trailers is not None and r.trailers["x-done"] == "1"
    assert r.body_error is None and r.error is None
    assert g.http.incoming("GET", "/other", component=C, worker="w").status == 404
