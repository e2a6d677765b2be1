"""wasi:cli/exit: ends the invocation as Golem does (docs/golem-io-semantics.md §5.7,
§6 rule 23) — never the pytest process."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes.interfaces.wasi_cli.exit import exit_with_code
from golem_fakes.state.invocation import InvocationRejected
from golem_fakes.state.registry import WorkerStatus


def kinds(g: golem_fakes.Golem, *worker: object) -> list[str]:
    return [e.kind for e in g.oplog(*worker).entries]


@pytest.mark.parametrize("status, code", [("ok", 0), ("err", 1)])
def test_exit_ends_the_invocation_and_marks_the_worker_exited(
        cli: SimpleNamespace, status: str, code: int) -> None:
    g = golem_fakes.Golem()
    value = cli.Ok(None) if status == "ok" else cli.Err(None)
    with pytest.raises(golem_fakes.ProcessExited) as info:
        with g:
            cli.exit.exit(value)
    assert info.value.code == code
    assert isinstance(info.value, golem_fakes.Trap)
    assert not isinstance(info.value, (Exception, SystemExit))
    assert "Process exited" in str(info.value)
    w = g.default_worker
    assert w.status is WorkerStatus.EXITED
    inv = g.invocations()[-1]
    assert (inv.outcome, inv.error) == ("exited", "Process exited")
    # an ``exited`` hint entry, committed; no completion, no error entry (no retry)
    assert kinds(g) == ["create", "exported-function-invoked", "exited"]
    assert g.oplog().committed_index == len(g.oplog())
    assert g.oplog()[3].is_hint


def test_worker_code_cannot_swallow_exit_with_except_exception(cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()

    def worker_code() -> str:
        try:
            cli.exit.exit(cli.Ok(None))
        except Exception:  # noqa: BLE001 - what careless worker code does
            return "swallowed"
        return "continued"

    with pytest.raises(golem_fakes.ProcessExited):
        g.invoke("component", "w", worker_code)
    assert g.worker("component", "w").status is WorkerStatus.EXITED


def test_later_invocations_are_refused(cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()
    with pytest.raises(golem_fakes.ProcessExited):
        g.invoke("component", "w", cli.exit.exit, cli.Ok(None))
    with pytest.raises(InvocationRejected, match="^The previously invoked function exited"):
        g.invoke("component", "w", lambda: None)
    with pytest.raises(InvocationRejected, match="The previously invoked function exited"):
        with g.run_as("component", "w"):
            pass
    # the refused invocations left no trace in the oplog
    assert kinds(g, "component", "w") == ["create", "exported-function-invoked", "exited"]
    # other workers are unaffected
    assert g.invoke("component", "other", lambda: 42) == 42


def test_exit_caught_by_the_test_inside_the_block_still_exits_the_worker(
        cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()
    with g:
        with pytest.raises(golem_fakes.ProcessExited):
            cli.exit.exit(cli.Ok(None))
    assert g.default_worker.status is WorkerStatus.EXITED
    assert g.invocations()[-1].outcome == "exited"
    assert kinds(g)[-1] == "exited"
    assert "exported-function-completed" not in kinds(g)


def test_exit_inside_a_nested_invocation_exits_only_that_worker(cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()
    with g:
        with pytest.raises(golem_fakes.ProcessExited):
            g.invoke("component", "child", cli.exit.exit, cli.Err(None))
        assert g.current_worker.status is WorkerStatus.RUNNING
    assert g.default_worker.status is WorkerStatus.IDLE
    assert g.worker("component", "child").status is WorkerStatus.EXITED


@pytest.mark.parametrize("code", [0, 3, 255])
def test_exit_with_code_is_handled_alike_whatever_the_code(cli: SimpleNamespace,
                                                          code: int) -> None:
    # exit-with-code is @unstable, so the all-imports bindings do not generate it; the
    # behaviour Golem links is called directly here.
    g = golem_fakes.Golem()
    with pytest.raises(golem_fakes.ProcessExited) as info:
        with g:
            exit_with_code(g, code)
    assert info.value.code == code
    assert info.value.function == "exit-with-code"
    assert g.default_worker.status is WorkerStatus.EXITED
    assert g.invocations()[-1].error == "Process exited"


def test_exit_under_a_bare_environment_raises_without_state(cli: SimpleNamespace) -> None:
    with golem_fakes.Environment():
        with pytest.raises(golem_fakes.ProcessExited) as info:
            cli.exit.exit(cli.Ok(None))
    assert info.value.code == 0


def test_a_worker_created_exited_is_refused(cli: SimpleNamespace) -> None:
    g = golem_fakes.Golem()
    g.add_worker("component", "done", status="exited")
    with pytest.raises(InvocationRejected, match="previously invoked function exited"):
        g.invoke("component", "done", lambda: None)
