"""Lone surrogates given to a seeding API are rejected at once (issue 12 §2).

No component or Golem host can hold a lone surrogate (WIT strings are Unicode scalar
values, UTF-8 in the component, a Rust ``String`` in Golem), so every test-side API that
seeds a string — keyvalue buckets and keys, blob containers and objects, file paths and
contents, worker names, env, args and config vars, fault messages — raises ``ValueError``
naming the argument (``golem_fakes.state.text.check_text``) and stores nothing."""

from __future__ import annotations

import os
import sys
from typing import Any, Callable

import pytest

import golem_fakes
from golem_fakes.state.filesystem import InitialFile, normalize_initial_files
from golem_fakes.state.text import check_text

BAD = "a\ud800b"        # a lone high surrogate
ESCAPED = "f\udcff"     # what surrogateescape makes of the byte 0xff in a file name


def test_the_shared_check_names_the_argument_and_lets_valid_text_through() -> None:
    assert check_text("plain", "x") == "plain"
    assert check_text("ünï €𝄞", "x") == "ünï €𝄞"
    assert check_text(b"\xff", "x") == b"\xff"          # not a str: the caller's business
    with pytest.raises(ValueError, match=r"keyvalue key 'a\\ud800b' contains the lone "
                                         r"surrogate '\\ud800' at index 1"):
        check_text(BAD, "keyvalue key")


@pytest.fixture
def g() -> Any:
    with golem_fakes.Golem(seed=0) as golem:
        yield golem


def _rejects(fn: Callable[[], Any], what: str) -> None:
    with pytest.raises(ValueError, match=f"{what}.*lone surrogate"):
        fn()


# --- keyvalue ---------------------------------------------------------------------


def test_keyvalue_bucket_key_and_project(g: Any) -> None:
    _rejects(lambda: g.keyvalue[BAD], "keyvalue bucket name")
    _rejects(lambda: g.keyvalue.bucket("b", project=BAD), "keyvalue project")

    def put() -> None:
        g.keyvalue["b"][BAD] = b"v"

    _rejects(put, "keyvalue key")
    assert g.keyvalue.snapshot() == {}


def test_keyvalue_fault_message_and_buckets(g: Any) -> None:
    _rejects(lambda: g.keyvalue.fail(BAD), "golem.keyvalue.fail message")
    _rejects(lambda: g.keyvalue.fail("boom", buckets=["ok", BAD]), "golem.keyvalue.fail scope")
    assert g.keyvalue.take_failure("get", "ok") is None       # nothing was declared


# --- blobstore --------------------------------------------------------------------


@pytest.mark.parametrize("args, what", [
    ((BAD, "o"), "container name"),
    (("c", BAD), "object name"),
])
def test_blobstore_put_names(g: Any, args: tuple[str, str], what: str) -> None:
    _rejects(lambda: g.blobstore.put(*args, b"data"), f"golem.blobstore.put {what}")
    assert g.blobstore.snapshot() == {}


def test_blobstore_put_project_and_fault(g: Any) -> None:
    _rejects(lambda: g.blobstore.put("c", "o", b"", project=BAD), "golem.blobstore.put project")
    _rejects(lambda: g.blobstore.fail(BAD), "golem.blobstore.fail message")
    _rejects(lambda: g.blobstore.fail("x", containers=[BAD]), "golem.blobstore.fail scope")
    assert g.blobstore.snapshot() == {}
    assert g.blobstore.take_failure("get-data", "c") is None


# --- file system ------------------------------------------------------------------


def test_filesystem_paths_contents_links_and_preopens(g: Any) -> None:
    fs = g.filesystem()
    before = fs.snapshot()

    def write_path() -> None:
        fs["/d/" + BAD] = b"x"

    def write_content() -> None:
        fs["/d/a.txt"] = BAD

    _rejects(write_path, "file system path")
    _rejects(write_content, "content of file '/d/a.txt'")
    _rejects(lambda: fs.mkdir("/" + BAD), "file system path")
    _rejects(lambda: fs.symlink(BAD, "/link"), "symbolic link '/link' target")
    _rejects(lambda: fs.add_preopen("/p", BAD), "add_preopen guest_name")
    assert fs.snapshot() == before
    assert [n for _, n, _ in fs.preopens] == [n for _, n, _ in g.filesystem().preopens]


@pytest.mark.skipif(sys.platform != "linux", reason="needs a file system that stores any "
                    "bytes as a file name")
def test_filesystem_copy_from_a_non_utf8_host_name_copies_nothing(g: Any, tmp_path: Any) -> None:
    (tmp_path / "a.txt").write_bytes(b"a")
    os.makedirs(os.fsencode(tmp_path) + b"/sub")
    with open(os.fsencode(tmp_path) + b"/sub/f\xff", "wb") as fh:
        fh.write(b"x")
    fs = g.filesystem()
    before = fs.snapshot()
    _rejects(lambda: fs.copy_from(tmp_path, "/in"), "copy_from host file name")
    assert fs.snapshot() == before


@pytest.mark.parametrize("files, what", [
    ({"/static/" + BAD: b"x"}, "initial file path"),
    ({"/static/a.txt": BAD}, "initial file '/static/a.txt' content"),
])
def test_initial_files(files: dict[str, Any], what: str) -> None:
    _rejects(lambda: normalize_initial_files(files), what)
    with golem_fakes.Golem(seed=0) as g:
        _rejects(lambda: g.add_component("comp", files=files), what)
        assert "comp" not in g.registry.components     # nothing was added
    assert normalize_initial_files({"/ok/ü.txt": InitialFile(b"")})


# --- components, workers, env, args, config ---------------------------------------


def test_component_name_and_env(g: Any) -> None:
    _rejects(lambda: g.add_component(BAD), "component name")
    _rejects(lambda: g.add_component("c", env={BAD: "v"}), "component env name")
    _rejects(lambda: g.add_component("c", env=[("K", BAD)]), "component env value of 'K'")
    assert "c" not in g.registry.components


@pytest.mark.parametrize("kwargs, what", [
    ({"name": BAD}, "worker name"),
    ({"args": ["ok", BAD]}, "worker arg"),
    ({"env": {BAD: "v"}}, "worker env name"),
    ({"env": [("K", BAD)]}, "worker env value of 'K'"),
    ({"config": {BAD: "v"}}, "worker config name"),
    ({"config": {"k": ESCAPED}}, "worker config value of 'k'"),
])
def test_add_worker_arguments(kwargs: dict[str, Any], what: str) -> None:
    with golem_fakes.Golem(seed=0) as g:
        name = kwargs.pop("name", "w")
        _rejects(lambda: g.add_worker("other", name, **kwargs), what)
        assert "other" not in g.registry.components      # the component was not auto-added
        assert g.registry.find("component", name) is None


def test_run_as_and_invoke_with_a_bad_worker_name(g: Any) -> None:
    _rejects(lambda: g.run_as("c", BAD), "worker name")
    _rejects(lambda: g.invoke("c", BAD, lambda: None), "worker name")


@pytest.mark.parametrize("kwargs, what", [
    ({"component": BAD}, r"Golem\(component=...\)"),
    ({"worker": ESCAPED}, r"Golem\(worker=...\)"),
    ({"args": ("x", BAD)}, r"Golem\(args=...\) item"),
    ({"env": {BAD: "v"}}, r"Golem\(env=...\) name"),
    ({"env": [("K", BAD)]}, r"Golem\(env=...\) value of 'K'"),
    ({"config": {"k": BAD}}, r"Golem\(config=...\) value of 'k'"),
    ({"idempotency_key": BAD}, r"Golem\(idempotency_key=...\)"),
])
def test_golem_constructor_and_marker_options(kwargs: dict[str, Any], what: str) -> None:
    # @pytest.mark.golem(...) options are Golem(...)'s keyword arguments
    _rejects(lambda: golem_fakes.Golem(seed=0, **kwargs), what)


def test_valid_non_ascii_text_is_accepted_everywhere(tmp_path: Any) -> None:
    text = "ünï €𝄞"
    with golem_fakes.Golem(seed=0, component="cömp", worker="wörker", args=(text,),
                           env={"K": text}, config={"k": text}, idempotency_key=text) as g:
        g.keyvalue[text][text] = b"v"
        g.blobstore.put(text, text, b"v")
        g.filesystem()["/" + text] = text
        g.add_worker("c", text, args=[text], env={text: text}, config={text: text})
        assert g.keyvalue.snapshot() == {text: {text: b"v"}}
        assert g.filesystem()["/" + text] == text.encode()
        assert g.default_worker.args == [text]
