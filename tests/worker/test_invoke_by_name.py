"""Golem.invoke by export name (issue 13 §1, §2): each worker runs its own instance of
the component's code, exports are found and checked as componentize-py does, arguments
are checked before anything happens, return values are lowered (a wrong one traps),
``raise Err`` is the error case, exported resources keep their objects per instance.

The world of ``tests/data/exports`` is installed in this process for the module (one
world per process: the fixture puts the previous installation back at the end)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path
from typing import Any, Iterator

import pytest

import golem_fakes
from golem_fakes.bindings.exports import ExportedResource, InvalidArgument, UnknownExport
from golem_fakes.bindings.result import Err
from golem_fakes.bindings.runtime import Trap
from golem_fakes.worker.code import ComponentBuildError
from worker_world import component_sources


DATA = Path(__file__).resolve().parents[1] / "data" / "exports"
API = "golem-fakes:exports/api@1.0.0"
C = "test:shop"

COMPONENT = '''
from wit_world import exports
from wit_world.exports import api as api_types
from wit_world.imports import types
from componentize_py_types import Err

items: dict[str, int] = {}
#: what an echo returns instead of its argument (set by the tests, per instance)
RETURN: dict[str, object] = {}
RAISE: dict[str, BaseException] = {}


def _echo(name, v):
    if name in RAISE:
        raise RAISE[name]
    return RETURN.get(name, v)


class Api(exports.Api):
    def add_item(self, name, quantity):
        items[name] = items.get(name, 0) + quantity
        return sum(items.values())

    def echo_u8(self, v): return _echo("u8", v)
    def echo_s32(self, v): return _echo("s32", v)
    def echo_u64(self, v): return _echo("u64", v)
    def echo_bool(self, v): return _echo("bool", v)
    def echo_f32(self, v): return _echo("f32", v)
    def echo_f64(self, v): return _echo("f64", v)
    def echo_char(self, v): return _echo("char", v)
    def echo_string(self, v): return _echo("string", v)
    def echo_bytes(self, v): return _echo("bytes", v)
    def echo_list(self, v): return _echo("list", v)
    def echo_tuple(self, v): return _echo("tuple", v)
    def echo_point(self, v): return _echo("point", v)
    def echo_reply(self, v): return _echo("reply", v)
    def echo_shape(self, v): return _echo("shape", v)
    def echo_color(self, v): return _echo("color", v)
    def echo_perms(self, v): return _echo("perms", v)
    def echo_opt(self, v): return _echo("opt", v)
    def echo_opt_opt(self, v): return _echo("opt-opt", v)

    def echo_res(self, v):
        if isinstance(v, Err):
            raise v
        return v.value

    def session_name(self, s): return s.name()

    def fallible(self, x):
        if x == 0:
            raise Err(types.Color.BLUE)
        if x == 1:
            class Sub(Err):
                pass
            raise Sub(types.Color.RED)
        if x == 2:
            raise ValueError("not a number I like")
        return api_types.Reply("ok", x)

    def res_unit_e(self, ok):
        if not ok:
            raise Err("no")
        return "ignored"

    def res_bare(self, ok):
        if not ok:
            raise Err(None)

    def no_result(self, x):
        items["no-result"] = x
        return "ignored"

    def use_ticket(self, t): return 1

    def run(self):
        if RAISE.get("swallow"):
            caught = []
            try:
                types.Ticket()                 # the host traps
            except BaseException as e:         # swallowed: a trap is final all the same
                caught.append(e)
            try:
                types.Ticket()                 # the same trap again
            except BaseException as e:
                caught.append(e)
            items["caught"] = len(caught) if caught[0] is caught[1] else -1
        return "api.run"
    def status(self):
        import shopapp                         # a run-time import: this worker's module
        return "api" if shopapp.items is items else "another instance's module"


class Admin(exports.Admin):
    def status(self): return "admin"


class WitWorld:
    def run(self): return "world.run"
    def count(self, n): return n * 2
'''

RESOURCES = '''
class Session:
    def __init__(self, name):
        self._name = name

    def name(self):
        return self._name

    def rename(self, name):
        self._name = name

    @staticmethod
    def merge(a, b):
        return Session(a._name + "+" + b._name)

    def twin(self):
        return Session(self._name + "'")
'''



@pytest.fixture(scope="module")
def src(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The component's source directory, with the exports world installed."""
    with component_sources(tmp_path_factory, DATA, "exports-world",
                           {"shopapp": COMPONENT, "api": RESOURCES}) as d:
        yield d


@pytest.fixture
def g(src: Path) -> golem_fakes.Golem:
    g = golem_fakes.Golem()
    g.add_component(C, code="shopapp", path=src)
    return g


def no_retries(g: golem_fakes.Golem) -> None:
    """A failure is final at once (Golem retries a failed invocation on a new instance
    that replays the oplog, §6.2; these tests poke instance state a replay does not
    rebuild)."""
    from golem_fakes.state.invocation import RetryPolicy

    g.retry_policy = RetryPolicy(max_attempts=0)


def test_two_workers_of_one_component_keep_their_module_state_apart(g: golem_fakes.Golem) -> None:
    assert g.invoke(C, "alice", f"{API}.{{add-item}}", "apple", 2) == 2
    assert g.invoke(C, "bob", "add-item", "pear", 1) == 1
    assert g.invoke(C, "alice", "add_item", "fig", 3) == 5
    assert g.invoke(C, "alice", f"{API}.{{status}}") == "api"
    assert g.invoke(C, "bob", f"{API}.{{status}}") == "api"
    alice, bob = g.instance(C, "alice"), g.instance(C, "bob")
    assert alice.module("shopapp").items == {"apple": 2, "fig": 3}
    assert bob.module("shopapp").items == {"pear": 1}
    assert alice.module("shopapp") is not bob.module("shopapp")
    assert "shopapp" not in sys.modules or sys.modules["shopapp"] not in (
        alice.module("shopapp"), bob.module("shopapp"))


def test_the_worker_is_created_on_its_first_invocation(g: golem_fakes.Golem) -> None:
    with pytest.raises(KeyError):
        g.worker(C, "new")
    g.invoke(C, "new", f"{API}.{{status}}")
    assert g.worker(C, "new").status.name == "IDLE"
    entries = g.oplog(C, "new").entries
    # componentize-py's runtime reads the environment and arguments from the host at the
    # instance's first export call, as a real Python worker's oplog shows
    assert [e.kind for e in entries] == [
        "create", "exported-function-invoked", "imported-function-invoked",
        "imported-function-invoked", "exported-function-completed"]
    assert [e["function_name"] for e in entries[2:4]] == [
        "golem_environment::get_environment", "golem_environment::get_arguments"]
    assert g.invocations(C, "new")[0].function_name == f"{API}.{{status}}"
    g.invoke(C, "new", f"{API}.{{status}}")          # once per instance
    assert [e.kind for e in g.oplog(C, "new").entries][5:] == [
        "exported-function-invoked", "exported-function-completed"]


def test_the_code_sees_its_workers_environment_and_arguments_in_os_environ(
        g: golem_fakes.Golem) -> None:
    g.add_worker(C, "eu", env={"REGION": "eu"}, args=["--fast"])
    before_env, before_argv = os.environ, sys.argv
    assert g.invoke(C, "eu", "count", 1) == 2
    code = g.instance(C, "eu").module("shopapp")

    def seen() -> tuple[str | None, list[str], str]:
        return os.environ.get("REGION"), list(sys.argv), os.environ["GOLEM_WORKER_NAME"]

    code.seen = seen
    assert g.invoke(C, "eu", lambda: code.seen()) == ("eu", ["--fast"], "eu")
    assert os.environ is before_env and sys.argv is before_argv   # the test's, restored
    with g.run_as(C, "eu"):
        assert os.environ is before_env      # a test block is the test's code


@pytest.mark.parametrize("name, expected", [
    (f"{API}.{{add-item}}", 1),
    ("golem-fakes:exports/api@1.0.0.{add-item}", 1),
    ("add-item", 1),
    ("add_item", 1),
    ("count", 4),                                      # a world-level export
    ("golem-fakes:exports/admin@1.0.0.{status}", "admin"),
])
def test_every_name_form(g: golem_fakes.Golem, name: str, expected: Any) -> None:
    args = ("x", 1) if "add" in name else (2,) if name == "count" else ()
    assert g.invoke(C, "w", name, *args) == expected


def test_an_ambiguous_or_unknown_name_lists_the_candidates(g: golem_fakes.Golem) -> None:
    with pytest.raises(UnknownExport) as e:
        g.invoke(C, "w", "status")
    assert f"{API}.{{status}}" in str(e.value) and "admin" in str(e.value)
    with pytest.raises(UnknownExport) as e:
        g.invoke(C, "w", "add-items")
    assert f"{API}.{{add-item}}" in str(e.value)
    with pytest.raises(KeyError):
        g.worker(C, "w")                                # nothing happened


ARG_MISMATCHES = [
    ("echo-u8", 300, "u8"), ("echo-s32", 2 ** 31, "s32"), ("echo-u64", -1, "u64"),
    ("echo-f64", "1.0", "f64"), ("echo-char", "ab", "char"), ("echo-string", b"x", "string"),
    ("echo-bytes", "abc", "list<u8>"), ("echo-list", [1, "x"], "list<u32>"),
    ("echo-tuple", (1,), "tuple<u8, string>"), ("echo-point", {"x": 1}, "point"),
    ("echo-shape", 5, "shape"), ("echo-color", "purple", "color"),
    ("echo-perms", 3.5, "perms"), ("echo-opt", "x", "option<u32>"),
    ("echo-opt-opt", 3, "option<option<u32>>"), ("echo-res", 3, "result<u32, string>"),
    ("session-name", ExportedResource(f"{API}#session", 99), "borrow<session>"),
]


@pytest.mark.parametrize("fn, value, wit", ARG_MISMATCHES, ids=[m[0] for m in ARG_MISMATCHES])
def test_a_wrong_argument_is_rejected_before_anything_happens(
        g: golem_fakes.Golem, fn: str, value: Any, wit: str) -> None:
    with pytest.raises(InvalidArgument) as e:
        g.invoke(C, "w", fn, value)
    assert e.value.parameter in ("v", "s") and wit in str(e.value) and fn in str(e.value)
    with pytest.raises(KeyError):
        g.worker(C, "w")          # no worker made, nothing recorded, the code never ran


def test_a_wrong_number_of_arguments_is_rejected(g: golem_fakes.Golem) -> None:
    with pytest.raises(InvalidArgument, match="expected 2, got 1"):
        g.invoke(C, "w", "add-item", "apple")


RETURN_MISMATCHES = [
    ("u8", "echo-u8", 1, 300), ("s32", "echo-s32", 1, "1"), ("u64", "echo-u64", 1, -5),
    ("f32", "echo-f32", 1.0, "x"),
    ("char", "echo-char", "a", "ab"), ("string", "echo-string", "a", 5),
    ("bytes", "echo-bytes", b"a", [1, 2]), ("list", "echo-list", [1], (1,)),
    ("tuple", "echo-tuple", (1, "a"), [1, "a"]), ("point", "echo-point", None, None),
    ("shape", "echo-shape", None, "circle"), ("color", "echo-color", None, 0),
    ("perms", "echo-perms", None, "read"), ("opt", "echo-opt", 1, "1"),
    ("opt-opt", "echo-opt-opt", None, 3),
]


@pytest.mark.parametrize("key, fn, arg, bad", RETURN_MISMATCHES, ids=[m[1] for m in RETURN_MISMATCHES])
def test_a_wrong_return_value_traps(g: golem_fakes.Golem, key: str, fn: str, arg: Any,
                                    bad: Any) -> None:
    from wit_world.imports import types

    if arg is None:
        arg = {"point": types.Point(1, 2, "p"), "shape": types.Shape_Empty(),
               "color": types.Color.RED, "perms": types.Perms.READ}.get(key)
    assert g.invoke(C, "w", fn, arg) == arg                   # the echo works
    no_retries(g)  # a retry's new instance replays the oplog and forgets the poked RETURN
    g.instance(C, "w").module("shopapp").RETURN[key] = bad
    with pytest.raises(Trap, match="does not fit WIT type"):
        g.invoke(C, "w", fn, arg)
    assert g.invocations(C, "w")[-1].outcome == "failed"
    assert g.worker(C, "w").status.name == "FAILED"


def test_a_returned_bool_is_any_objects_truthiness(g: golem_fakes.Golem) -> None:
    """componentize-py ≥ 0.14 lowers a bool by truthiness (componentize-py.md §6)."""
    g.invoke(C, "w", "echo-bool", True)
    g.instance(C, "w").module("shopapp").RETURN["bool"] = []
    assert g.invoke(C, "w", "echo-bool", True) is False


def test_raise_err_is_the_error_case(g: golem_fakes.Golem) -> None:
    from wit_world.imports import types

    reply = g.invoke(C, "w", "fallible", 7)
    assert (reply.text, reply.n) == ("ok", 7)
    with pytest.raises(Err) as e:
        g.invoke(C, "w", "fallible", 0)
    assert e.value.value is types.Color.BLUE
    assert g.invocations(C, "w")[-1].outcome == "completed"   # an error result, no failure
    assert g.worker(C, "w").status.name == "IDLE"
    assert g.invoke(C, "w", "res-unit-e", True) is None
    with pytest.raises(Err, match="no"):
        g.invoke(C, "w", "res-unit-e", False)
    assert g.invoke(C, "w", "echo-res", golem_fakes.bindings.result.Ok(3)) == 3


@pytest.mark.parametrize("x, what", [(1, "Err subclass"), (2, "ValueError")])
def test_an_err_subclass_or_other_exception_traps(g: golem_fakes.Golem, x: int, what: str) -> None:
    with pytest.raises(Trap, match="unexpected exception") as e:
        g.invoke(C, "w", "fallible", x)
    assert what in str(e.value)
    assert "Python function threw an unexpected exception" in g.console(C, "w").stderr.decode()
    assert g.worker(C, "w").status.name == "FAILED"


def test_exported_resources_live_in_the_worker_instance(g: golem_fakes.Golem) -> None:
    s = g.invoke(C, "alice", f"{API}.{{session.new}}", "cart")
    assert isinstance(s, ExportedResource)
    assert g.invoke(C, "alice", f"{API}.{{session.name}}", s) == "cart"
    g.invoke(C, "alice", f"{API}.{{[method]session.rename}}", s, "basket")
    assert g.invoke(C, "alice", "session-name", s) == "basket"
    assert g.instance(C, "alice").resources.object(s).name() == "basket"
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        g.invoke(C, "bob", f"{API}.{{session.name}}", s)   # another worker's handle
    g.invoke(C, "alice", f"{API}.{{session.drop}}", s)
    with pytest.raises(InvalidArgument, match="unknown resource handle"):
        g.invoke(C, "alice", f"{API}.{{session.name}}", s)


def test_a_trap_swallowed_by_the_export_is_its_outcome(g: golem_fakes.Golem) -> None:
    calls = []

    def constructor(env: Any) -> Any:
        calls.append(1)
        raise Trap("the host traps in [constructor]ticket")

    g.implement("golem-fakes:exports/types@1.0.0", "[constructor]ticket", constructor)
    g.invoke(C, "w", f"{API}.{{status}}")              # the instance exists
    no_retries(g)
    g.instance(C, "w").module("shopapp").RAISE["swallow"] = True
    with pytest.raises(Trap, match="the host traps"):
        g.invoke(C, "w", f"{API}.{{run}}")             # returned "api.run", yet trapped
    assert calls == [1]                                # the second call never reached it
    assert g.instance(C, "w").module("shopapp").items["caught"] == 2
    assert g.invocations(C, "w")[-1].outcome == "failed"
    assert [e.kind for e in g.oplog(C, "w").entries][-1] == "error"


def test_a_completed_key_answers_again_without_running(g: golem_fakes.Golem) -> None:
    assert g.invoke(C, "w", "add-item", "a", 1, idempotency_key="k1") == 1
    assert g.invoke(C, "w", "add-item", "a", 1, idempotency_key="k1") == 1
    assert g.invoke(C, "w", "add-item", "a", 1, idempotency_key="k2") == 2
    assert g.instance(C, "w").module("shopapp").items == {"a": 2}


def test_a_missing_export_class_is_componentize_pys_build_error(
        tmp_path: Path, src: Path) -> None:
    (tmp_path / "noadmin.py").write_text(COMPONENT.replace("class Admin", "class NotAdmin"))
    (tmp_path / "api.py").write_text(RESOURCES)
    g = golem_fakes.Golem()
    g.add_component(C, code="noadmin", path=tmp_path)
    with pytest.raises(ComponentBuildError, match="Admin"):
        g.invoke(C, "w", "add-item", "a", 1)


def test_the_default_worker_runs_the_modules_the_test_imported(src: Path) -> None:
    """``from shopapp import Api`` in test code runs against the default worker's
    instance: the imported modules, re-initialised when each Golem first runs it."""
    sys.path.insert(0, str(src))
    try:
        import shopapp
        shopapp.items["stale"] = 1                 # left over by an earlier test
        g = golem_fakes.Golem(component=C, code="shopapp", code_path=src)
        with g:
            assert shopapp.items == {}             # re-initialised in place
            api = shopapp.Api()
            assert api.add_item("apple", 2) == 2
            assert g.invoke(C, "other", "add-item", "fig", 1) == 1      # its own
            with pytest.raises(golem_fakes.Deadlock):
                g.invoke(C, "worker-1", "add-item", "x", 1)  # the block is its invocation
        assert g.invoke(C, "worker-1", "add-item", "pear", 1) == 3      # same instance
        assert g.instance(C).module("shopapp") is shopapp
        with golem_fakes.Golem(component=C, code="shopapp", code_path=src):
            assert shopapp.items == {}             # the next Golem's default worker
    finally:
        sys.path.remove(str(src))
        sys.modules.pop("shopapp", None)
        sys.modules.pop("api", None)
