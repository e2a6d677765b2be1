"""Throwaway PostgreSQL and MariaDB/MySQL servers for tests of ``golem:rdbms`` workers.

Golem's ``golem:rdbms`` host talks to real database servers (sqlx); so does golem-fakes
(``golem_fakes.interfaces.golem_rdbms``). The session-scoped fixtures
``golem_postgres_url`` and ``golem_mysql_url`` give a test a URL to pass to
``db-connection.open``:

* the URL the user configured, if any: ``--golem-postgres-url`` / ``--golem-mysql-url``
  on the command line, or the ``golem_postgres_url`` / ``golem_mysql_url`` ini options,
  or the ``GOLEM_POSTGRES_URL`` / ``GOLEM_MYSQL_URL`` environment variables;
* else a fresh server started from the distribution's binaries, as pytest-postgresql
  does: ``initdb`` + ``postgres`` (found on ``PATH``, or in ``/usr/lib/postgresql/*/bin``)
  and ``mariadb-install-db`` + ``mariadbd`` (or ``mysqld``), in a temporary directory, on a
  free loopback port, stopped at the end of the session. Run as root (CI), the servers
  run as the unprivileged ``postgres`` / ``mysql`` users (``postgres`` refuses root);
* else the test is skipped with a message saying what to install.

Each pytest-xdist worker process starts its own servers (they are cheap: about a
second each).
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Server", "start_postgres", "start_mysql", "find_postgres", "find_mysql",
           "POSTGRES_HINT", "MYSQL_HINT"]

POSTGRES_HINT = ("no PostgreSQL server binaries found (initdb and postgres) and no URL given: "
                 "install them (Debian/Ubuntu: `apt-get install postgresql`) or pass "
                 "--golem-postgres-url postgres://user:pass@host:port/db (ini option "
                 "golem_postgres_url, environment GOLEM_POSTGRES_URL)")
MYSQL_HINT = ("no MariaDB/MySQL server binaries found (mariadb-install-db and mariadbd) and no "
              "URL given: install them (Debian/Ubuntu: `apt-get install mariadb-server`) or pass "
              "--golem-mysql-url mysql://user:pass@host:port/db (ini option golem_mysql_url, "
              "environment GOLEM_MYSQL_URL)")


@dataclass
class Server:
    """A started server: its URL, process and data directory (removed by :meth:`stop`)."""

    url: str
    process: subprocess.Popen[bytes]
    directory: Path
    log: Path
    #: PostgreSQL's "fast" shutdown is SIGINT (SIGTERM waits for every client to leave)
    stop_signal: int = signal.SIGTERM

    def stop(self) -> None:
        """Stop the server (its fast shutdown signal, then SIGKILL after 10 s) and
        remove its files."""
        if self.process.poll() is None:
            self.process.send_signal(self.stop_signal)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)


class ServerNotFound(FileNotFoundError):
    """No server binaries were found (the fixtures skip the test with the hint); any
    other error starting a server fails the test that asked for it."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _which(name: str, extra_dirs: list[str]) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    for d in extra_dirs:
        p = os.path.join(d, name)
        if os.access(p, os.X_OK):
            return p
    return None


def find_postgres() -> tuple[str, str] | None:
    """``(initdb, postgres)`` paths, or ``None``."""
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    initdb, server = _which("initdb", dirs), _which("postgres", dirs)
    return (initdb, server) if initdb and server else None


def find_mysql() -> tuple[str, str] | None:
    """``(install-db script, server)`` paths, or ``None``."""
    dirs = ["/usr/sbin", "/usr/libexec", "/usr/local/mysql/bin"]
    install = _which("mariadb-install-db", dirs) or _which("mysql_install_db", dirs)
    server = _which("mariadbd", dirs) or _which("mysqld", dirs)
    return (install, server) if install and server else None


def _run_as() -> tuple[str | None, int | None, int | None]:
    """The unprivileged user to run a server as when we are root (else nobody)."""
    if os.geteuid() != 0:
        return None, None, None
    for name in ("postgres", "mysql", "nobody"):
        try:
            pw = pwd.getpwnam(name)
        except KeyError:
            continue
        return name, pw.pw_uid, pw.pw_gid
    raise RuntimeError("running as root and no unprivileged user (postgres, mysql, nobody) "
                       "exists to run the test database servers as")


def _user(preferred: str) -> tuple[int | None, int | None]:
    if os.geteuid() != 0:
        return None, None
    try:
        pw = pwd.getpwnam(preferred)
        return pw.pw_uid, pw.pw_gid
    except KeyError:
        _, uid, gid = _run_as()
        return uid, gid


def _chown_tree(path: Path, uid: int | None, gid: int | None) -> None:
    if uid is None:
        return
    for root, dirs, files in os.walk(path):
        os.chown(root, uid, gid or -1)
        for f in files:
            os.chown(os.path.join(root, f), uid, gid or -1)


def _wait_port(port: int, proc: subprocess.Popen[bytes], log: Path, what: str,
               timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with status {proc.returncode} at start-up; "
                               f"its log ({log}):\n{log.read_text(errors='replace')[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise RuntimeError(f"{what} did not listen on 127.0.0.1:{port} within {timeout:.0f} s; "
                       f"its log ({log}):\n{log.read_text(errors='replace')[-3000:]}")


def start_postgres() -> Server:
    """initdb a cluster in a temporary directory and start ``postgres`` on a free loopback
    port with trust authentication; the URL's user is ``postgres``, database
    ``postgres``."""
    found = find_postgres()
    if found is None:
        raise ServerNotFound(POSTGRES_HINT)
    initdb, server = found
    uid, gid = _user("postgres")
    base = Path(tempfile.mkdtemp(prefix="golem-fakes-pg-"))
    os.chmod(base, 0o755)
    data, log = base / "data", base / "server.log"
    data.mkdir()
    log.touch()
    _chown_tree(base, uid, gid)
    kw: dict[str, object] = {} if uid is None else {"user": uid, "group": gid}
    res = subprocess.run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust",
                          "-E", "UTF8", "--locale=C", "--no-sync"],
                         capture_output=True, cwd=base, **kw)  # type: ignore[call-overload]
    if res.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"initdb failed ({res.returncode}): "
                           f"{res.stderr.decode(errors='replace')[-3000:]}")
    port = _free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [server, "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
             "-c", f"unix_socket_directories={base}", "-c", "fsync=off",
             "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
             "-c", "max_connections=200", "-c", "timezone=UTC"],
            stdout=out, stderr=subprocess.STDOUT, cwd=base, **kw)  # type: ignore[call-overload]
    _wait_port(port, proc, log, "postgres")
    url = f"postgres://postgres@127.0.0.1:{port}/postgres"
    # accept connections only once the server is out of recovery
    deadline = time.monotonic() + 30
    import psycopg

    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            break
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    return Server(url, proc, base, log, signal.SIGINT)


def start_mysql() -> Server:
    """``mariadb-install-db`` a data directory in a temporary directory and start
    ``mariadbd`` on a free loopback port; creates database ``golem`` and user
    ``golem``/``golem`` with all privileges on it. The URL is
    ``mysql://golem:golem@127.0.0.1:<port>/golem``."""
    found = find_mysql()
    if found is None:
        raise ServerNotFound(MYSQL_HINT)
    install, server = found
    uid, gid = _user("mysql")
    user = None if uid is None else pwd.getpwuid(uid).pw_name
    base = Path(tempfile.mkdtemp(prefix="golem-fakes-my-"))
    os.chmod(base, 0o755)
    data, log, sock = base / "data", base / "server.log", base / "mysqld.sock"
    data.mkdir()
    log.touch()
    _chown_tree(base, uid, gid)
    user_args = [] if user is None else [f"--user={user}"]
    res = subprocess.run([install, "--no-defaults", f"--datadir={data}", "--skip-test-db",
                          "--auth-root-authentication-method=normal", *user_args],
                         capture_output=True, cwd=base)
    if res.returncode != 0:
        shutil.rmtree(base, ignore_errors=True)
        raise RuntimeError(f"{install} failed ({res.returncode}): "
                           f"{(res.stdout + res.stderr).decode(errors='replace')[-3000:]}")
    port = _free_port()
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [server, "--no-defaults", f"--datadir={data}", f"--socket={sock}",
             f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={base}/mysqld.pid",
             "--skip-log-bin", "--innodb-flush-log-at-trx-commit=0",
             "--innodb-buffer-pool-size=32M", "--max-connections=300", "--default-time-zone=+00:00",
             "--character-set-server=utf8mb4", "--collation-server=utf8mb4_general_ci",
             *user_args],
            stdout=out, stderr=subprocess.STDOUT, cwd=base)
    _wait_port(port, proc, log, os.path.basename(server))
    import pymysql

    deadline = time.monotonic() + 30
    while True:
        try:
            admin = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
            break
        except pymysql.err.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)
    with admin.cursor() as c:
        c.execute("CREATE DATABASE golem")
        for host in ("localhost", "127.0.0.1", "%"):
            c.execute(f"CREATE USER 'golem'@'{host}' IDENTIFIED BY 'golem'")
            c.execute(f"GRANT ALL PRIVILEGES ON golem.* TO 'golem'@'{host}'")
    admin.close()
    return Server(f"mysql://golem:golem@127.0.0.1:{port}/golem", proc, base, log)
