"""wasi:cli/environment: the worker's env (with Golem's GOLEM_* variables), its args, no
cwd, every call recorded (docs/golem-io-semantics.md §5.1, §5.4, §6 rule 18)."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.interfaces.wasi_cli.environment import worker_environment

UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def golem_vars(worker: object) -> list[tuple[str, str]]:
    w = worker
    return [("GOLEM_WORKER_NAME", w.name),  # type: ignore[attr-defined]
            ("GOLEM_COMPONENT_ID", str(w.component.component_id)),  # type: ignore[attr-defined]
            ("GOLEM_COMPONENT_VERSION", str(w.component_version))]  # type: ignore[attr-defined]


def test_default_worker_has_only_the_three_injected_variables(cli: SimpleNamespace,
                                                                g: golem_fakes.Golem) -> None:
    env = cli.environment.get_environment()
    w = g.current_worker
    assert [k for k, _ in env] == ["GOLEM_WORKER_NAME", "GOLEM_COMPONENT_ID",
                                   "GOLEM_COMPONENT_VERSION"]
    assert env[0] == ("GOLEM_WORKER_NAME", "worker-1")
    assert UUID_RE.match(env[1][1]) and env[1][1] == str(w.component.component_id)
    assert env[2] == ("GOLEM_COMPONENT_VERSION", "0")
    assert not any(k in ("HOME", "PATH", "PWD", "GOLEM_AGENT_ID", "GOLEM_AGENT_TYPE")
                   for k, _ in env)


def test_worker_env_then_component_env_then_golem_vars(cli: SimpleNamespace,
                                                        g: golem_fakes.Golem) -> None:
    g.add_component("shop", env={"A": "from-component", "B": "from-component",
                                 "GOLEM_WORKER_NAME": "component-value"})
    w = g.add_worker("shop", "cart-7", env=[("Z", "z"), ("B", "from-worker"),
                                            ("GOLEM_COMPONENT_ID", "user-value"),
                                            ("GOLEM_AGENT_ID", "passes-through")])
    with g.run_as("shop", "cart-7"):
        env = cli.environment.get_environment()
    assert env == [("Z", "z"), ("B", "from-worker"), ("GOLEM_AGENT_ID", "passes-through"),
                   ("A", "from-component"), *golem_vars(w)]


def test_golem_component_version_is_the_version_the_worker_runs(cli: SimpleNamespace,
                                                                 g: golem_fakes.Golem) -> None:
    g.add_component("svc", version=4)
    w = g.add_worker("svc", "w", component_version=3)
    with g.run_as("svc", "w"):
        assert dict(cli.environment.get_environment())["GOLEM_COMPONENT_VERSION"] == "3"
    w.component_version = 4  # as after a successful update
    with g.run_as("svc", "w"):
        assert dict(cli.environment.get_environment())["GOLEM_COMPONENT_VERSION"] == "4"


def test_values_come_from_the_worker_the_code_runs_as(cli: SimpleNamespace,
                                                      g: golem_fakes.Golem) -> None:
    g.add_worker(g.current_worker.component, "other", args=["x"], env={"WHO": "other"})
    with g.run_as(g.current_worker.component, "other"):
        assert cli.environment.get_arguments() == ["x"]
        assert ("WHO", "other") in cli.environment.get_environment()
        assert dict(cli.environment.get_environment())["GOLEM_WORKER_NAME"] == "other"
    assert cli.environment.get_arguments() == []
    assert dict(cli.environment.get_environment())["GOLEM_WORKER_NAME"] == "worker-1"


def test_duplicate_worker_keys_pass_through_in_order(cli: SimpleNamespace) -> None:
    with golem_fakes.Golem(env=[("K", "1"), ("K", "2")]) as g:
        assert cli.environment.get_environment()[:2] == [("K", "1"), ("K", "2")]
        assert worker_environment(g.current_worker)[:2] == [("K", "1"), ("K", "2")]


def test_arguments_exactly_as_given(cli: SimpleNamespace) -> None:
    args = ["--flag", "", "ünïcödé", "with space", "-"]
    with golem_fakes.Golem(args=args):
        assert cli.environment.get_arguments() == args  # no program name prepended


def test_arguments_default_to_empty(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert cli.environment.get_arguments() == []


def test_initial_cwd_is_none(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    assert cli.environment.initial_cwd() is None


def test_returned_lists_are_fresh_copies(cli: SimpleNamespace) -> None:
    with golem_fakes.Golem(args=["a"], env={"X": "1"}):
        cli.environment.get_arguments().append("b")
        cli.environment.get_environment().clear()
        assert cli.environment.get_arguments() == ["a"]
        assert cli.environment.get_environment()[0] == ("X", "1")


def test_every_call_is_recorded_read_local(cli: SimpleNamespace) -> None:
    with golem_fakes.Golem(args=["a"], env={"X": "1"}) as g:
        start = len(g.oplog())
        env = cli.environment.get_environment()
        cli.environment.get_environment()
        args = cli.environment.get_arguments()
        cli.environment.initial_cwd()
        entries = g.oplog().entries[start:]
    assert [(e.kind, e["function_name"], e["durable_function_type"]) for e in entries] == [
        ("imported-function-invoked", "golem_environment::get_environment", "read-local"),
        ("imported-function-invoked", "golem_environment::get_environment", "read-local"),
        ("imported-function-invoked", "golem_environment::get_arguments", "read-local"),
        ("imported-function-invoked", "golem_environment::initial_cwd", "read-local"),
    ]
    assert [e["request"] for e in entries] == [None] * 4
    assert entries[0]["response"] == cli.Ok(env)
    assert entries[2]["response"] == cli.Ok(args)
    assert entries[3]["response"] == cli.Ok(None)


def test_bare_environment_is_not_faked_for_env_and_args(cli: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.NotFaked, match="needs a golem_fakes.Golem"):
            cli.environment.get_environment()
        with pytest.raises(golem_fakes.NotFaked, match="get-arguments"):
            cli.environment.get_arguments()
        assert cli.environment.initial_cwd() is None


def test_an_override_wins(cli: SimpleNamespace, g: golem_fakes.Golem) -> None:
    g.implement("wasi:cli/environment@0.2.3", "get-arguments", lambda env: ["overridden"])
    assert cli.environment.get_arguments() == ["overridden"]
