"""The ``golem_postgres_url`` / ``golem_mysql_url`` fixtures (``pytest_golem.databases``):
a URL the user gives wins (option, ini, environment); with no server binaries and no
URL the test skips saying what to install."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("fixture, hint", [
    ("golem_postgres_url", "apt-get install postgresql"),
    ("golem_mysql_url", "apt-get install mariadb-server"),
])
def test_without_binaries_or_url_the_test_skips_saying_what_to_install(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, fixture: str,
        hint: str) -> None:
    monkeypatch.delenv("GOLEM_POSTGRES_URL", raising=False)
    monkeypatch.delenv("GOLEM_MYSQL_URL", raising=False)
    # patched for the inner session only: the in-process run shares this process's
    # pytest_golem.databases, and a patch left behind made later tests skip
    pytester.makeconftest("""
        import pytest
        from pytest_golem import databases

        @pytest.fixture(scope="session", autouse=True)
        def _no_server_binaries():
            with pytest.MonkeyPatch.context() as mp:
                mp.setattr(databases, "find_postgres", lambda: None)
                mp.setattr(databases, "find_mysql", lambda: None)
                yield
    """)
    pytester.makepyfile(f"""
        def test_db({fixture}):
            raise AssertionError("must not run")
    """)
    result = pytester.runpytest("-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"*{hint}*"])
    from pytest_golem import databases

    assert databases.find_postgres() is not None or databases.find_mysql() is not None or \
        not _binaries_here(), "the inner run's patch leaked into this process"


def _binaries_here() -> bool:
    import shutil

    return bool(shutil.which("initdb") or shutil.which("mariadbd"))


def test_a_given_url_is_used_as_is(pytester: pytest.Pytester,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GOLEM_MYSQL_URL", "mysql://from-env@h/db")
    pytester.makeini("""
        [pytest]
        golem_postgres_url = postgres://from-ini@h/db
    """)
    pytester.makepyfile("""
        def test_urls(golem_postgres_url, golem_mysql_url):
            assert golem_postgres_url == "postgres://from-option@h/db"
            assert golem_mysql_url == "mysql://from-env@h/db"
    """)
    result = pytester.runpytest("--golem-postgres-url", "postgres://from-option@h/db")
    result.assert_outcomes(passed=1)
    pytester.makepyfile("""
        def test_urls(golem_postgres_url):
            assert golem_postgres_url == "postgres://from-ini@h/db"
    """)
    pytester.runpytest().assert_outcomes(passed=1)
