"""``outgoing-request``, ``request-options`` and ``outgoing-body`` (wasmtime 33
``types_impl.rs`` ``HostOutgoingRequest`` / ``HostRequestOptions`` / ``HostOutgoingBody``,
``body.rs`` ``BodyWriteStream``)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.bindings.result import Err
from golem_fakes.state.http_resources import CHUNK_SIZE


def new_request(http: SimpleNamespace, headers: list[tuple[str, bytes]] = ()) -> object:
    return http.t.OutgoingRequest(http.t.Fields.from_list(list(headers)))


def test_defaults(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    req = new_request(http)
    assert isinstance(req.method(), http.t.Method_Get)
    assert req.scheme() is None and req.authority() is None and req.path_with_query() is None


def test_method_scheme_authority_path_round_trip(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    t = http.t
    req = new_request(http)
    req.set_method(t.Method_Other("PROPFIND"))
    req.set_scheme(t.Scheme_Http())
    req.set_authority("api.example.com:8080")
    req.set_path_with_query("/a/b?c=1&d")
    assert req.method() == t.Method_Other("PROPFIND")
    assert isinstance(req.scheme(), t.Scheme_Http)
    assert req.authority() == "api.example.com:8080"
    assert req.path_with_query() == "/a/b?c=1&d"
    req.set_method(t.Method_Post())
    assert isinstance(req.method(), t.Method_Post)
    req.set_authority(None)
    req.set_path_with_query(None)
    req.set_scheme(None)
    assert req.authority() is None and req.path_with_query() is None and req.scheme() is None


@pytest.mark.parametrize("method", ["", "GET POST", "caf\u00e9", "a/b"])
def test_an_other_method_that_is_no_token_is_refused(http: SimpleNamespace, g: golem_fakes.Golem,
                                                      method: str) -> None:
    req = new_request(http)
    with pytest.raises(Err):
        req.set_method(http.t.Method_Other(method))
    assert isinstance(req.method(), http.t.Method_Get)


@pytest.mark.parametrize("authority,ok", [
    ("example.com", True), ("example.com:443", True), ("user:pw@host:1", True),
    ("[::1]:8080", True), ("127.0.0.1", True),
    ("example.com:", False), ("example.com:99999", False), ("example.com:abc", False),
    ("a b", False), ("host/path", False), ("", False), ("[::1", False), ("user@", False),
    ("a%20b", False), ("x:1:2", False), ("host:+80", True), ("caf\u00e9.test", False),
])
def test_set_authority_validation(http: SimpleNamespace, g: golem_fakes.Golem, authority: str,
                                  ok: bool) -> None:
    req = new_request(http)
    if ok:
        req.set_authority(authority)
        assert req.authority() == authority
    else:
        with pytest.raises(Err):
            req.set_authority(authority)
        assert req.authority() is None


@pytest.mark.parametrize("path,ok", [
    ("/", True), ("/a?b=c", True), ("relative", True), ("", True), ('/json/{"a":1}', True),
    ("/x#frag ment", True), ("/a b", False), ("/<x>", False), ("/caf\u00e9", True),
    ("/a?q=caf\u00e9", True), ("/a?b c", False), ("/a?<", False), ('/a?"', False),
    ("/\x7f", True), ("/\x01", False),
])
def test_set_path_with_query_validation(http: SimpleNamespace, g: golem_fakes.Golem, path: str,
                                        ok: bool) -> None:
    req = new_request(http)
    if ok:
        req.set_path_with_query(path)
        assert req.path_with_query() == path
    else:
        with pytest.raises(Err):
            req.set_path_with_query(path)


@pytest.mark.parametrize("scheme,ok", [("ftp", True), ("web+x", True), ("a b", False),
                                       ("x" * 65, False), ("h:t", False)])
def test_set_scheme_other(http: SimpleNamespace, g: golem_fakes.Golem, scheme: str, ok: bool) -> None:
    req = new_request(http)
    if ok:
        req.set_scheme(http.t.Scheme_Other(scheme))
        assert req.scheme() == http.t.Scheme_Other(scheme)
    else:
        with pytest.raises(Err):
            req.set_scheme(http.t.Scheme_Other(scheme))


def test_request_options(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    o = http.t.RequestOptions()
    assert (o.connect_timeout(), o.first_byte_timeout(), o.between_bytes_timeout()) == (None,) * 3
    o.set_connect_timeout(1)
    o.set_first_byte_timeout(2_000_000_000)
    o.set_between_bytes_timeout(3)
    assert (o.connect_timeout(), o.first_byte_timeout(), o.between_bytes_timeout()) == (
        1, 2_000_000_000, 3)
    o.set_first_byte_timeout(None)
    assert o.first_byte_timeout() is None


def test_the_body_is_taken_once_and_its_stream_once(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    req = new_request(http)
    body = req.body()
    with pytest.raises(Err):
        req.body()
    s = body.write()
    with pytest.raises(Err):
        body.write()
    assert s.check_write() == CHUNK_SIZE


def test_a_bad_content_length_refuses_the_body(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    for value in (b"abc", b"-1", b"1.5", b"18446744073709551616"):
        with pytest.raises(Err):
            new_request(http, [("content-length", value)]).body()
    new_request(http, [("content-length", b"18446744073709551615")]).body()


def test_finish_traps_while_the_stream_is_alive(http: SimpleNamespace, g: golem_fakes.Golem) -> None:
    body = new_request(http).body()
    s = body.write()
    with pytest.raises(golem_fakes.Trap, match="resource has children"):
        http.t.OutgoingBody.finish(body, None)
    del s


def test_content_length_is_enforced_by_write_and_finish(http: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    req = new_request(http, [("content-length", b"3")])  # kept: see the drop test below
    body = req.body()
    s = body.write()
    s.write(b"ab")
    with pytest.raises(Err) as e:
        s.write(b"cd")
    err = e.value.value
    assert isinstance(err, http.streams.StreamError_LastOperationFailed)
    code = http.t.http_error_code(err.value)
    assert code == http.t.ErrorCode_HttpRequestBodySize(4)
    assert err.value.to_debug_string() == "HttpRequestBodySize(Some(4))"
    # wasmtime 33's BodyWriteStream keeps no error state: while nothing reads the channel
    # (the request is not sent) the stream stays open; its 2 chunks are taken
    assert s.check_write() == 0
    del s, err, e
    with pytest.raises(Err) as e1:
        http.t.OutgoingBody.finish(body, None)
    assert e1.value.value == http.t.ErrorCode_HttpRequestBodySize(4)

    req2 = new_request(http, [("content-length", b"5")])
    short = req2.body()
    s2 = short.write()
    s2.write(b"ab")
    del s2
    with pytest.raises(Err) as e3:
        http.t.OutgoingBody.finish(short, None)
    assert e3.value.value == http.t.ErrorCode_HttpRequestBodySize(2)


def test_every_write_past_the_content_length_fails_while_unsent(http: SimpleNamespace,
                                                                g: golem_fakes.Golem) -> None:
    """wasmtime 33 ``BodyWriteStream::write`` (crates/wasi-http/src/body.rs): each write
    is sent and counted, and fails while the total exceeds the content-length (differential
    probe ``http.content_length_long``)."""
    resp = http.t.OutgoingResponse(http.t.Fields.from_list([("content-length", b"2")]))
    body = resp.body()
    s = body.write()
    for data in (b"abc", b"d"):
        assert s.check_write() > 0
        with pytest.raises(Err) as e:
            s.write(data)
        assert isinstance(e.value.value, http.streams.StreamError_LastOperationFailed)
        del e
    assert s.flush() is None
    del s
    with pytest.raises(Err) as e2:
        http.t.OutgoingBody.finish(body, None)
    assert e2.value.value == http.t.ErrorCode_HttpResponseBodySize(4)


@pytest.mark.parametrize("owner", ["request", "response"])
def test_dropping_the_owner_closes_the_body_stream(http: SimpleNamespace, g: golem_fakes.Golem,
                                                   owner: str) -> None:
    """The outgoing-request/-response holds the receiving end of the body channel in
    wasmtime 33 (types_impl.rs ``req.body = Some(hyper_body)``): dropped unsent, it takes
    the receiver along and the body stream reports ``closed``; nothing more is counted
    (probes ``http.request_dropped_before_handle``, ``http.content_length_response_dropped``)."""
    t = http.t
    headers = t.Fields.from_list([("content-length", b"4")])
    parent = new_request(http, [("content-length", b"4")]) if owner == "request" \
        else t.OutgoingResponse(headers)
    body = parent.body()
    s = body.write()
    s.write(b"ab")
    del parent
    for op in (s.check_write, lambda: s.write(b"cd"), s.flush):
        with pytest.raises(Err) as e:
            op()
        assert isinstance(e.value.value, http.streams.StreamError_Closed)
        del e
    del s, op
    with pytest.raises(Err) as e2:
        t.OutgoingBody.finish(body, None)
    size = t.ErrorCode_HttpRequestBodySize(2) if owner == "request" \
        else t.ErrorCode_HttpResponseBodySize(2)
    assert e2.value.value == size
    # a stream taken after the drop is closed from the start
    parent2 = t.OutgoingResponse(t.Fields())
    body2 = parent2.body()
    del parent2
    s2 = body2.write()
    with pytest.raises(Err) as e3:
        s2.check_write()
    assert isinstance(e3.value.value, http.streams.StreamError_Closed)


def test_before_handle_the_body_channel_holds_two_chunks(http: SimpleNamespace,
                                                         g: golem_fakes.Golem) -> None:
    req = new_request(http)
    body = req.body()
    s = body.write()
    s.write(b"1")
    s.write(b"2")
    assert s.check_write() == 0
    with pytest.raises(golem_fakes.Trap, match="write exceeded budget"):
        s.write(b"3")
