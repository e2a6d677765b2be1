"""wasi:logging/logging: captured per worker, a ``log`` oplog hint entry, forwarded to
Python's logging (docs/golem-io-semantics.md §3, §6 rule 16)."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest

import golem_fakes
from golem_fakes import LogRecord
from golem_fakes.state.console import TRACE

LEVELS = [("TRACE", "trace", TRACE), ("DEBUG", "debug", logging.DEBUG),
          ("INFO", "info", logging.INFO), ("WARN", "warn", logging.WARNING),
          ("ERROR", "error", logging.ERROR), ("CRITICAL", "critical", logging.CRITICAL)]


def test_every_level_is_captured_verbatim(wl: SimpleNamespace, g: golem_fakes.Golem) -> None:
    for member, _, _ in LEVELS:
        wl.log(getattr(wl.Level, member), f"ctx-{member}", f"msg {member} %s {{}}")
    assert g.console().logs == [LogRecord(name, f"ctx-{m}", f"msg {m} %s {{}}")
                                for m, name, _ in LEVELS]


def test_empty_and_unicode_strings_are_kept(wl: SimpleNamespace, g: golem_fakes.Golem) -> None:
    wl.log(wl.Level.INFO, "", "")
    wl.log(wl.Level.INFO, "κόντεξτ", "line1\nline2 ✓")
    assert g.console().logs == [LogRecord("info", "", ""),
                                LogRecord("info", "κόντεξτ", "line1\nline2 ✓")]


def test_each_call_is_a_log_hint_entry_not_a_function_call(wl: SimpleNamespace,
                                                           g: golem_fakes.Golem) -> None:
    start = len(g.oplog())
    wl.log(wl.Level.WARN, "db", "slow query")
    wl.log(wl.Level.TRACE, "", "t")
    new = g.oplog().entries[start:]
    assert [(e.kind, e["level"], e["context"], e["message"]) for e in new] == [
        ("log", "warn", "db", "slow query"), ("log", "trace", "", "t")]
    assert all(e.is_hint for e in new)


@pytest.mark.parametrize("member, name, pylevel", LEVELS)
def test_forwarded_to_python_logging(wl: SimpleNamespace, g: golem_fakes.Golem,
                                     caplog: pytest.LogCaptureFixture, member: str,
                                     name: str, pylevel: int) -> None:
    caplog.set_level(TRACE)
    wl.log(getattr(wl.Level, member), "ctx", "hello %s")
    [rec] = caplog.records
    w = g.current_worker
    assert rec.name == f"golem.worker.{w.component.name}.{w.name}"
    assert rec.levelno == pylevel
    assert rec.getMessage() == "hello %s"  # verbatim, no %-formatting
    assert (rec.golem_level, rec.golem_context) == (name, "ctx")  # type: ignore[attr-defined]
    assert rec.golem_worker == f"{w.component.name}/{w.name}"  # type: ignore[attr-defined]


def test_trace_has_a_level_name(wl: SimpleNamespace) -> None:
    assert logging.getLevelName(TRACE) == "TRACE"


def test_caplog_sees_every_level_without_configuration(wl: SimpleNamespace,
                                                       g: golem_fakes.Golem,
                                                       caplog: pytest.LogCaptureFixture) -> None:
    # Golem filters no level, so the golem.worker logger passes everything by default
    wl.log(wl.Level.DEBUG, "", "debug line")
    wl.log(wl.Level.TRACE, "", "trace line")
    assert caplog.messages == ["debug line", "trace line"]


def test_python_side_filtering(wl: SimpleNamespace, g: golem_fakes.Golem,
                               caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="golem.worker")
    wl.log(wl.Level.INFO, "", "dropped by the logger level")
    wl.log(wl.Level.ERROR, "", "kept")
    assert caplog.messages == ["kept"]
    # capture by the console is unaffected by Python's filtering
    assert [r.message for r in g.console().logs] == ["dropped by the logger level", "kept"]


def test_logs_are_per_worker(wl: SimpleNamespace, g: golem_fakes.Golem,
                             caplog: pytest.LogCaptureFixture) -> None:
    comp = g.current_worker.component
    wl.log(wl.Level.INFO, "", "one")
    with g.run_as(comp, "w2"):
        wl.log(wl.Level.INFO, "", "two")
    assert [r.message for r in g.console().logs] == ["one"]
    assert [r.message for r in g.console(comp, "w2").logs] == ["two"]
    assert [r.name.rsplit(".", 1)[-1] for r in caplog.records] == ["worker-1", "w2"]


def test_logs_do_not_touch_stdout_or_stderr(wl: SimpleNamespace, g: golem_fakes.Golem,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    wl.log(wl.Level.INFO, "", "info")
    assert (g.console().stdout, g.console().stderr) == (b"", b"")
    assert capsys.readouterr().out == ""


def test_logs_list_is_a_copy_and_clear_empties_it(wl: SimpleNamespace,
                                                  g: golem_fakes.Golem) -> None:
    wl.log(wl.Level.INFO, "", "a")
    g.console().logs.clear()
    assert len(g.console().logs) == 1
    g.console().clear()
    assert g.console().logs == []
    assert [e["message"] for e in g.oplog().entries if e.kind == "log"] == ["a"]


def test_log_never_fails_under_a_bare_environment(wl: SimpleNamespace,
                                                  caplog: pytest.LogCaptureFixture) -> None:
    with golem_fakes.Environment():
        assert wl.log(wl.Level.ERROR, "ctx", "no worker") is None
    [rec] = caplog.records
    assert (rec.name, rec.getMessage(), rec.golem_worker) == (  # type: ignore[attr-defined]
        "golem.worker", "no worker", None)


def test_invalid_level_traps_at_the_seam(wl: SimpleNamespace, g: golem_fakes.Golem) -> None:
    with pytest.raises(golem_fakes.Trap):
        wl.log("info", "", "not a Level member")  # type: ignore[arg-type]


def test_record_points_at_the_worker_code(wl: SimpleNamespace, g: golem_fakes.Golem,
                                          caplog: pytest.LogCaptureFixture) -> None:
    def worker_code() -> None:
        wl.log(wl.Level.INFO, "", "from worker code")

    worker_code()
    [rec] = caplog.records
    assert rec.pathname == __file__
    assert rec.funcName == "worker_code"
    assert rec.lineno == worker_code.__code__.co_firstlineno + 1
