"""The wasmtime differential suite: the same probe programs under wasmtime's real WASI
p2 host and natively on golem-fakes must print the same thing.

How it works (details in the modules named):

* ``probes/`` (:mod:`probes`) — probe functions, one per behaviour, printing
  deterministic lines; ``probe_app.py`` runs one by name.
* ``probe_component.py`` — compiles ``probe_app`` + ``probes`` with componentize-py
  0.19.3 into one component for the world ``wit/probe.wit``, cached per content hash
  under ``$GOLEM_FAKES_CACHE/probes`` (default ``~/.cache/golem-fakes/probes``).
* ``probe_wasmtime.py`` — runs a probe in a fresh wasmtime-py instance
  (``Linker.add_wasip2()``), with the files, args and env of ``probe_setup.py``;
  ``wasi:logging`` and ``wasi:config`` are defined host-side with Golem's semantics.
* ``probe_fake.py`` — runs every probe on golem-fakes in one subprocess (the probe
  world's bindings installed with ``golem_fakes.install(wit=..., world="probe")``).

Reproduce: ``.venv/bin/python -m pytest -q -m wasmtime tests/wasmtime``. One probe on
one side: ``.venv/bin/python tests/wasmtime/probe_wasmtime.py cli.arguments`` /
``.venv/bin/python tests/wasmtime/probe_fake.py "$(.venv/bin/python -c 'import sys;
sys.path.insert(0, "tests/wasmtime"); import probe_component as b; print(b.prepare()[1])')"
cli.arguments``.

Every expectation names the version it comes from (:func:`reference`, shown in every
failure message):

* ``wasmtime-py 50.0.1 (= wasmtime 33.0.0)`` — the default: the real run under wasmtime-py
  (50.0.1, pinned in the test extras: 51.0.0 changed more answers) is
  the expectation, because wasmtime 33.0.0 — what Golem v1.3.0-dev.25 links — behaves the
  same there (:data:`AREA_SOURCES` names the v33.0.0 sources each probe area was read
  against).
* ``wasmtime 33.0.0 (Golem)`` — :data:`VERSION_DIFFERENCES`: where 33 and wasmtime-py 50
  differ (file and stdio ``check-write`` permits, reads capped at 64 KiB since wasmtime
  43, the budget trap of a file write, ``read-via-stream`` on a directory, ``get-flags``
  after ``truncate``, the first ``ready()`` of a zero wait, the 64 MiB random limit), the fake must show 33's answer and the real run must
  still show the known 50 answer, so a change on either side is noticed.
* wasi:http (``probes/http.py``): wasmtime-py's ``Linker.add_wasi_http()`` sends the
  requests for real to a loopback ``http.server`` the session starts
  (``http_server.py``, 127.0.0.1, port 0); the fake passes them through to the same
  server (``golem.http.pass_through``), except one unresolvable name a stub answers.
  :data:`HTTP_DIFFERENCES` lists where wasmtime 33's wasi-http answers differently.
* ``Golem v1.3.0-dev.25 override`` — :data:`EXPECTED_OVERRIDES`: where Golem itself
  differs from wasmtime (stdin, its own ``blocking-write-and-flush``, stdio bytes that
  go to the executor's stdout), citing Golem's sources and docs.
"""

from __future__ import annotations

import difflib
import functools
import json
from pathlib import Path
from typing import Any

import pytest

from probe_setup import probe_names_from_source

pytestmark = pytest.mark.wasmtime

HERE = Path(__file__).resolve().parent

#: The lines of ``fs_dirs.remove`` before and after its stat of a removed directory, and
#: of ``fs_streams.removed_file`` before its stat of an unlinked file (both hosts agree
#: on them; EXPECTED_OVERRIDES gives the stat lines).
_RM_BEFORE = [
    "rmdir 'data': err not-empty", "rmdir 'hello.txt': err not-directory",
    "rmdir 'missing': err no-entry", "rmdir 'e1': ok", "rmdir 'e1': err no-entry",
    "rmdir '.': err invalid", "rmdir 'e2/': err invalid",
    "rmdir 'data/nested/..': err invalid", "rmdir 'e3/.': err invalid",
    "unlink 'data': err is-directory", "unlink 'missing': err no-entry",
    "unlink 'empty.txt/': err not-directory", "unlink '.': err is-directory",
    "unlink 'hello.txt': ok", "unlink 'hello.txt': err no-entry",
    "unlink 'data/nested/empty': ok", "unlink 'e2': err is-directory",
    "unlink 'e3': err is-directory", "unlink via subdir: ok", "rmdir now-empty docs: ok",
]
_RM_AFTER = ["create in removed dir: err no-entry", "mkdir in removed dir: err no-entry",
             "  []", "list removed dir: ok"]
_UNLINKED = ["read after unlink: (b'hello, world\\n', False)",
             "stream after unlink: b'hello, world\\n'", "write after unlink: 5",
             "read: (b'HELLO', False)"]

#: Per probe: ``"golem"`` — fields of the normalised result the fake must show instead
#: of wasmtime's; ``"wasmtime"`` — fields wasmtime's result must show (the documented
#: difference); ``"why"`` — the citation.
EXPECTED_OVERRIDES: dict[str, dict[str, Any]] = {
    # Golem's stat ends with set_symlink_times(path, atime, mtime) on the path the
    # descriptor was opened at (golem-worker-executor/src/durable_host/filesystem/types.rs,
    # v1.3.0-dev.25 and v1.3.1 alike): once that path is gone the `?` on it fails the
    # stat with no-entry, where wasmtime's fstat still answers.
    "fs_dirs.remove": {
        "golem": {"lines": _RM_BEFORE + ["stat removed dir via its descriptor: err no-entry"]
                  + _RM_AFTER},
        "wasmtime": {"lines": _RM_BEFORE + ["  type=directory",
                                            "stat removed dir via its descriptor: ok"]
                     + _RM_AFTER},
        "why": "Golem's stat writes the times back to the descriptor's path "
               "(set_symlink_times in durable_host/filesystem/types.rs): a removed "
               "directory's stat fails with no-entry",
    },
    "fs_streams.removed_file": {
        "golem": {"lines": _UNLINKED + ["raised Err(no-entry)"]},
        "wasmtime": {"lines": _UNLINKED + ["stat: links=0 size=13", "open by name: err no-entry"]},
        "why": "Golem's stat writes the times back to the descriptor's path "
               "(set_symlink_times in durable_host/filesystem/types.rs): an unlinked "
               "file's stat fails with no-entry",
    },
    "sockets.lookup_unknown_name": {
        # Golem v1.3.0-dev.25 durable_host/sockets/ip_name_lookup.rs: resolve-addresses
        # waits for wasmtime's lookup and drains it (resolve_and_drain_addresses), so a
        # failure is returned by resolve-addresses itself; wasmtime returns a stream whose
        # resolve-next-address reports name-unresolvable.
        "golem": {"lines": ["resolve-addresses err name-unresolvable"]},
        "wasmtime": {"lines": ["addresses [] then next err name-unresolvable"]},
        "why": "Golem resolves eagerly (durable_host/sockets/ip_name_lookup.rs, "
               "golem-io-semantics.md §5.9): the lookup error comes from resolve-addresses",
    },
    "cli.stdin_read": {
        # golem-io-semantics.md §5.6: Golem's stdin is ManagedStdIn, any read or
        # blocking-read traps with "standard input is disabled"; wasmtime's stdin with
        # nothing configured is closed (the read reports stream-error closed).
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "cli.stdout_blocking_write_4097": {
        # Golem v1.3.0-dev.25 golem-worker-executor/src/durable_host/io/streams.rs:213-222:
        # blocking-write-and-flush is Golem's own `write` (for stdout: the bytes become a
        # worker event, no size check) followed by `blocking-flush`; wasmtime's 4096-byte
        # cap (crates/wasi-io/src/impls.rs) is never reached. golem-io-semantics.md §5.6.
        "golem": {"outcome": "ok", "lines": ["before", "not reached"],
                  "stdout": "y" * 4096 + "\n", "stderr": ""},
        "wasmtime": {"outcome": "trap"},
        "why": "Golem's blocking-write-and-flush is write + blocking-flush (durable_host/io/"
               "streams.rs, v1.3.0-dev.25); stdout writes have no 4096-byte cap",
    },
    "cli.stdin_skip": {
        # ManagedStdIn (golem-worker-executor/src/durable_host/io/mod.rs, v1.3.0-dev.25)
        # implements only `read`, which traps; wasmtime's default skip calls it.
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok", "lines": ["skip 3: err closed"]},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "cli.stdin_read_zero": {
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: any stdin read traps (ManagedStdIn::read)",
    },
    "cli.stdin_blocking_read": {
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok"},
        "why": "golem-io-semantics.md §5.6: stdin traps 'standard input is disabled'",
    },
    "streams.file_write_then_blocking_write_and_flush": {
        # Golem v1.3.0-dev.25 golem-worker-executor/src/durable_host/io/streams.rs:213-222:
        # blocking-write-and-flush is Golem's own `write` (for a file stream wasmtime's
        # FileOutputStream::write, which traps "write not permitted: check_write not
        # called first" while the previous write is in flight) + `blocking-flush`.
        # wasmtime's own blocking-write-and-flush (crates/wasi/src/p2/filesystem.rs
        # FileOutputStream::blocking_write_and_flush) first waits for that write.
        "golem": {"outcome": "trap", "lines": []},
        "wasmtime": {"outcome": "ok", "lines": ["before", "blocking-write-and-flush: ok None",
                                                "content: b'abcd'"]},
        "why": "Golem's blocking-write-and-flush is write + blocking-flush (durable_host/io/"
               "streams.rs, v1.3.0-dev.25): on a busy file stream its write traps",
    },
    "streams.splice_file_to_stdout": {
        # Golem passes splice / blocking-splice to wasmtime (durable_host/io/streams.rs,
        # v1.3.0-dev.25), whose IoImpl::splice writes with ManagedStdOut::write: the bytes
        # go to the executor's own stdout, not the worker's (golem-io-semantics.md §5.6).
        "golem": {"stdout": ""},
        "wasmtime": {"stdout": "one\n"},
        "why": "golem-io-semantics.md §5.6: splice on stdout goes to the executor's stdout "
               "(wasmtime's splice calls ManagedStdOut::write, not Golem's write)",
    },
    "cli.stdout_write_zeroes": {
        # write-zeroes / blocking-write-zeroes-and-flush are wasmtime's, calling
        # ManagedStdOut::write directly: the executor's stdout (§5.6)
        "golem": {"stdout": "[]"},
        "wasmtime": {"stdout": "[\0\0\0\0\0]"},
        "why": "golem-io-semantics.md §5.6: write-zeroes on stdout goes to the executor's "
               "stdout (durable_host/io/streams.rs passes it to wasmtime)",
    },
}


#: Golem v1.3.0-dev.25 links wasmtime 33.0.0; the real side runs wasmtime-py 50.0.1.
REF_SAME = "wasmtime-py 50.0.1 (= wasmtime 33.0.0)"
REF_33 = "wasmtime 33.0.0 (Golem)"
REF_GOLEM = "Golem v1.3.0-dev.25 override"

#: The wasmtime 33.0.0 sources each probe area was read against for the default
#: expectation (``git show v33.0.0:<path>`` in bytecodealliance/wasmtime): the
#: behaviour the area's probes print is the same in wasmtime-py 50.0.1.
AREA_SOURCES: dict[str, str] = {
    "cli": "crates/wasi/src/p2/host/env.rs, p2/stdio.rs, p2/host/exit.rs",
    "clocks": "crates/wasi/src/p2/host/clocks.rs, clocks/host.rs",
    "config": "host-side with Golem's semantics (probe_wasmtime.py)",
    "log": "host-side with Golem's semantics (probe_wasmtime.py); lowering by componentize-py",
    "rand": "crates/wasi/src/p2/host/random.rs (no length limit in 33: see "
            "VERSION_DIFFERENCES for the 64 MiB probes)",
    "streams": "crates/wasi-io/src/impls.rs, streams.rs, poll.rs; p2/filesystem.rs",
    "fs_dirs": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_edge": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_meta": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_atime": "crates/wasi/src/p2/host/filesystem.rs (read, read_directory, readlink_at "
                "reach the host kernel: Linux relatime, fs/inode.c atime_needs_update)",
    "fs_open": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_paths": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_rw": "crates/wasi/src/p2/host/filesystem.rs, filesystem.rs",
    "fs_streams": "crates/wasi/src/p2/filesystem.rs (FileInputStream / FileOutputStream)",
    "sockets": "crates/wasi/src/p2/ip_name_lookup.rs (url::Host::parse), host/network.rs",
    "http": "crates/wasi-http/src/types_impl.rs, types.rs (default_send_request_handler), "
            "body.rs; real requests to the loopback server of http_server.py",
}

_LARGE_OFFSETS = [
    "  (b'hello', False)", "read(5, 0): ok", "  (b'hello, world\\n', False)", "read(100, 0): ok",
    "  (b'world\\n', False)", "read(100, 7): ok", "  (b'', True)", "read(100, 13): ok",
    "  (b'', True)", "read(100, 14): ok", "  (b'', True)", "read(100, 1000): ok",
    "  (b'', True)", "read(0, 0): ok", "  (b'', True)", "read(0, 100): ok",
    "  (b'\\n', False)", "read(1, 12): ok", "  (b'hello, world\\n', False)",
    "read(13, 0): ok"]
_READ_STREAM_HEAD = ["from 7: b'world\\n'", "at end: err closed", "after end: err closed",
                     "past end: err closed", "3 bytes: b'hel' then b'lo,'", "skip 4: 4",
                     "rest: b'ld\\n'"]
_NON_BLOCKING_TAIL = ["at end: err closed", "blocking-read(0): err closed", "then: err closed",
                      "after block: 4096", "skip: 10 read(0): b''"]
_WRITE_STREAM_TAIL = ["file: b'\\x00\\x00\\x00abcdef'", "file: b'XY\\x00abcdef'",
                      "size after far write: 103", "head: (b'\\x00\\x00\\x00a', False)"]
_MIB = 1024 * 1024

#: Per probe where wasmtime 33.0.0 (Golem's) and wasmtime-py 50 differ: ``"wasmtime33"``
#: — fields of the normalised result the fake must show (33's answer, read from the
#: v33.0.0 source cited); ``"wasmtime50"`` — fields the real wasmtime-py run must show
#: (the known 50 answer); ``"why"`` — the citation. Most 50 changes come from wasmtime
#: 43's security fix 301dc7162c ("Fix two security advisories", #12652:
#: ``MAX_READ_SIZE_ALLOC`` = 64 KiB on every host read, a permit check in
#: ``write_zeroes``, ``max-random-size``) and later permit changes.
VERSION_DIFFERENCES: dict[str, dict[str, Any]] = {
    "fs_rw.read_offsets": {
        "wasmtime33": {"lines": _LARGE_OFFSETS + [
            "large read: len=102400 end=False", "large tail: len=10 end=False",
            "read huge offset: err invalid", "read offset 2**63: err invalid"]},
        "wasmtime50": {"lines": _LARGE_OFFSETS + [
            "large read: len=65536 end=False", "large tail: len=10 end=False",
            "read huge offset: err invalid", "read offset 2**63: err invalid"]},
        "why": "wasmtime 33 crates/wasi/src/p2/host/filesystem.rs descriptor.read allocates "
               "`len` bytes and preads once; the 64 KiB cap (MAX_READ_SIZE_ALLOC) is wasmtime "
               "43+ (301dc7162c)",
    },
    "fs_streams.read_stream": {
        "wasmtime33": {"lines": _READ_STREAM_HEAD + [
            "large chunks: [102400, -1]", "large from 100000: [2400, -1]",
            "empty file: err closed"]},
        "wasmtime50": {"lines": _READ_STREAM_HEAD + [
            "large chunks: [65536, 36864, -1]", "large from 100000: [2400, -1]",
            "empty file: err closed"]},
        "why": "wasmtime 33 crates/wasi/src/p2/filesystem.rs FileInputStream::blocking_read: "
               "BytesMut::zeroed(size), one pread of the whole size; capped at 64 KiB since "
               "wasmtime 43 (301dc7162c)",
    },
    "fs_streams.non_blocking_reads": {
        "wasmtime33": {"lines": ["read 1: 0", "read 2: 0", "after block: 100000", "read 3: 0",
                                 "blocking: 2400"] + _NON_BLOCKING_TAIL},
        "wasmtime50": {"lines": ["read 1: 0", "read 2: 0", "after block: 65536", "read 3: 0",
                                 "blocking: 36864"] + _NON_BLOCKING_TAIL},
        "why": "wasmtime 33 crates/wasi/src/p2/filesystem.rs FileInputStream::read spawns a "
               "read of the whole size (no MAX_READ_SIZE_ALLOC before wasmtime 43)",
    },
    "fs_streams.write_stream": {
        "wasmtime33": {"lines": [f"check-write: {_MIB}", f"after flush check-write: {_MIB}"]
                       + _WRITE_STREAM_TAIL},
        "wasmtime50": {"lines": ["check-write: 65536", "after flush check-write: 65536"]
                       + _WRITE_STREAM_TAIL},
        "why": "wasmtime 33 crates/wasi/src/p2/filesystem.rs: FILE_WRITE_CAPACITY = 1024 * 1024",
    },
    "streams.write_more_than_check_write": {
        "wasmtime33": {"outcome": "ok", "lines": ["check-write > 0: True", "before",
                                                  "not reached"]},
        "wasmtime50": {"outcome": "trap", "lines": []},
        "why": "wasmtime 33 crates/wasi/src/p2/filesystem.rs FileOutputStream::write accepts "
               "any size when ready (no budget check); wasmtime-py 50 traps 'write exceeded "
               "budget'",
    },
    "cli.stdout_write_above_permit": {
        "wasmtime33": {"lines": [f"check-write: {_MIB}", "write permit + 1: ok None"],
                       "stdout": "p" * (_MIB + 1)},
        "wasmtime50": {"lines": ["check-write: 65536", "write permit + 1: ok None"],
                       "stdout": "p" * 65537},
        "why": "wasmtime 33 crates/wasi/src/p2/stdio.rs StdioOutputStream::check_write = "
               "1024 * 1024 (Golem's ManagedStdOut asks it; its write takes any size, "
               "durable_host/io/streams.rs v1.3.0-dev.25); wasmtime-py 50's stdout file "
               "permits 64 KiB",
    },
    "streams.read_stream_on_directory": {
        "wasmtime33": {"lines": ["read-via-stream: err bad-descriptor"]},
        "wasmtime50": {"lines": ["read-via-stream: err is-directory"]},
        "why": "wasmtime 33 crates/wasi/src/p2/host/filesystem.rs read_via_stream takes "
               "Descriptor::file() -> bad-descriptor (Golem's durable_host/filesystem/"
               "types.rs passes it on); is-directory is wasmtime commit 5f060a2a4e (#14135)",
    },
    "fs_open.open_truncate": {
        "wasmtime33": {"lines": ["truncate/read: ok", "  type=regular-file flags={read}",
                                 "lines.txt after: b''", "truncate empty: ok",
                                 "  type=regular-file flags={write}"]},
        "wasmtime50": {"lines": ["truncate/read: ok", "  type=regular-file flags={read|write}",
                                 "lines.txt after: b''", "truncate empty: ok",
                                 "  type=regular-file flags={write}"]},
        "why": "wasmtime 33 crates/wasi/src/p2/host/filesystem.rs open_at: TRUNCATE sets "
               "opts.write but not OpenMode::WRITE, which get_flags reports; recorded since "
               "wasmtime 46 (dc740c9099, #13429)",
    },
    "clocks.zero_wait_ready_at_once": {
        "wasmtime33": {"lines": ["instant 0: ready True then True",
                                 "duration 0: ready True then True"]},
        "wasmtime50": {"lines": ["instant 0: ready False then True",
                                 "duration 0: ready False then True"]},
        "why": "wasmtime 33 crates/wasi/src/p2/host/clocks.rs: a zero wait is Deadline::Past, "
               "whose ready() does nothing (ready at once; Golem's durable_host/clocks/"
               "monotonic_clock.rs passes it on); the yield on the first poll is wasmtime 45+ "
               "(80be8d62d8, made once-only by 2681cc84c8)",
    },
    "rand.random_bytes_over_limit": {
        "wasmtime33": {"outcome": "ok", "lines": ["before", "not reached"]},
        "wasmtime50": {"outcome": "trap", "lines": []},
        "why": "wasmtime 33 crates/wasi/src/p2/host/random.rs get_random_bytes has no limit "
               "(Golem's durable_host/random/random.rs passes len on); the 64 MiB "
               "max-random-size trap is wasmtime 43+ (301dc7162c)",
    },
    "rand.insecure_bytes_over_limit": {
        "wasmtime33": {"outcome": "ok", "lines": ["before", "not reached"]},
        "wasmtime50": {"outcome": "trap", "lines": []},
        "why": "wasmtime 33 crates/wasi/src/p2/host/random.rs get_insecure_random_bytes has "
               "no limit; the 64 MiB trap is wasmtime 43+ (301dc7162c)",
    },
}


#: wasi:sockets: wasmtime-py 50 disables TCP and UDP in its WASI context and its C API has no
#: switch (``create-tcp-socket`` / ``create-udp-socket`` answer access-denied, observed), so the
#: real run shows only that; the expectation is wasmtime 33's, read from v33.0.0
#: crates/wasi/src/p2/{tcp,udp}.rs, host/{tcp,udp,network}.rs (sockets allowed, address check
#: denying all, as Golem configures it).
_SOCKETS_50 = {"lines": ["raised Err(access-denied)"]}
_SOCKETS_WHY = ("wasmtime 33 crates/wasi/src/p2/host/tcp.rs, udp.rs, network.rs: sockets are "
                "created, the default socket address check denies every address (Golem, "
                "golem-io-semantics.md §5.9); wasmtime-py 50 disables TCP/UDP altogether "
                "(create-*-socket: access-denied) with no C-API switch")
SOCKET_DIFFERENCES: dict[str, dict[str, Any]] = {
    'sockets.tcp_bind_denied': {"wasmtime33": {"lines": ['start-bind 127.0.0.1:0: err access-denied', 'start-bind 0.0.0.0:8080: err access-denied', 'start-bind wrong family: err access-denied', 'start-bind multicast: err access-denied', 'finish-bind: err not-in-progress', 'local-address: err invalid-state', 'remote-address: err invalid-state', 'is-listening: False family: IPV4', 'v6 start-bind [::1]:0: err access-denied', 'v6 family: IPV6']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
    'sockets.tcp_connect_denied': {"wasmtime33": {"lines": ['start-connect 127.0.0.1:80: err access-denied', 'start-connect 0.0.0.0:0: err access-denied', 'finish-connect: err not-in-progress', 'start-listen: err invalid-state', 'finish-listen: err not-in-progress', 'accept: err invalid-state', 'shutdown: err invalid-state', 'subscribe ready: True']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
    'sockets.tcp_option_defaults': {"wasmtime33": {"lines": ['keep-alive-enabled: ok False', 'keep-alive-idle-time: ok 7200000000000', 'keep-alive-interval: ok 75000000000', 'keep-alive-count: ok 9', 'hop-limit: ok 64', 'receive-buffer-size: ok 65536', 'send-buffer-size: ok 8192', 'v6 hop-limit: ok 64']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
    'sockets.tcp_option_setters': {"wasmtime33": {"lines": ['keep-alive on: ok None', '  now: ok True', 'idle 0: err invalid-argument', '  now: ok 7200000000000', 'idle 1: ok None', '  now: ok 1000000000', 'idle 1000000000: ok None', '  now: ok 1000000000', 'idle 1500000000: ok None', '  now: ok 2000000000', 'idle 1000000000000000: ok None', '  now: ok 32767000000000', 'interval 0: err invalid-argument', '  now: ok 75000000000', 'interval 1: ok None', '  now: ok 1000000000', 'interval 5000000000: ok None', '  now: ok 5000000000', 'interval 1000000000000000: ok None', '  now: ok 32767000000000', 'count 0: err invalid-argument', '  now: ok 9', 'count 1: ok None', '  now: ok 1', 'count 127: ok None', '  now: ok 127', 'count 200: ok None', '  now: ok 127', 'hop 0: err invalid-argument', '  now: ok 64', 'hop 1: ok None', '  now: ok 1', 'hop 255: ok None', '  now: ok 255', 'recv 0: err invalid-argument', '  now: ok 65536', 'send 0: err invalid-argument', '  now: ok 8192', 'recv 1: ok None', '  now: ok 1152', 'send 1: ok None', '  now: ok 2304', 'recv 5000: ok None', '  now: ok 5000', 'send 5000: ok None', '  now: ok 5000', 'recv 10000: ok None', '  now: ok 10000', 'send 10000: ok None', '  now: ok 10000', 'backlog 0: err invalid-argument', 'backlog 1: ok None', 'backlog 10: ok None', 'backlog 1099511627776: ok None']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
    'sockets.udp_bind_denied': {"wasmtime33": {"lines": ['start-bind wrong family: err invalid-argument', 'start-bind 127.0.0.1:0: err access-denied', 'finish-bind: err not-in-progress', 'stream: err invalid-state', 'local-address: err invalid-state', 'remote-address: err invalid-state', 'v6 bind v4-mapped: err invalid-argument', 'v6 bind v4-compatible: err invalid-argument', 'v6 bind [::1]: err access-denied']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
    'sockets.udp_options': {"wasmtime33": {"lines": ['hop: ok 64', 'set hop 0: err invalid-argument', 'set hop 9: ok None', 'hop: ok 9', 'recv: ok 106496', 'send: ok 106496', 'set recv 0: err invalid-argument', '  now: ok 106496', 'set send 0: err invalid-argument', '  now: ok 106496', 'set recv 1: ok None', '  now: ok 1152', 'set send 1: ok None', '  now: ok 2304', 'set recv 6000: ok None', '  now: ok 6000', 'set send 6000: ok None', '  now: ok 6000', 'family: IPV4 v6: IPV6', 'subscribe ready: True']},
        "wasmtime50": _SOCKETS_50, "why": _SOCKETS_WHY},
}
VERSION_DIFFERENCES.update(SOCKET_DIFFERENCES)

#: wasi:http: where wasmtime-py 50's wasi-http (real requests to the loopback server) and
#: wasmtime 33's (crates/wasi-http at v33.0.0, with http 1.0.0 in its Cargo.lock) differ.
HTTP_DIFFERENCES: dict[str, dict[str, Any]] = {
    "http.fields_forbidden_te": {
        "wasmtime33": {"lines": ["from-list te: err forbidden", "append te: err forbidden",
                                 "entries: []"]},
        "wasmtime50": {"lines": ["from-list te: ok [('te', b'trailers')]", "append te: ok None",
                                 "entries: [('te', b'trailers')]"]},
        "why": "wasmtime 33 crates/wasi-http/src/types.rs is_forbidden_header: "
               "FORBIDDEN_HEADERS includes hyper::header::TE (10 names); wasmtime-py 50's "
               "default hooks no longer forbid te",
    },
    "http.fields_content_length_value": {
        "wasmtime33": {"lines": [f"from-list content-length {v!r}: ok [('content-length', {v!r})]"
                                 for v in (b"12", b"v", b"+1", b" 1", b"")]},
        "wasmtime50": {"lines": ["from-list content-length b'12': ok [('content-length', b'12')]"]
                       + [f"from-list content-length {v!r}: err invalid-syntax"
                          for v in (b"v", b"+1", b" 1", b"")]},
        "why": "wasmtime 33 crates/wasi-http/src/types_impl.rs fields.from-list takes any "
               "HeaderValue (content-length is parsed only by outgoing-*.body); the 1*DIGIT "
               "check is crates/wasi-http/src/field_map.rs parse_header_value (after 33, "
               "#12754 / #13835)",
    },
    "http.request_path_without_slash": {
        "wasmtime33": {"lines": ["set-path-with-query 'no-slash': ok None", "  now 'no-slash'",
                                 "set-path-with-query '*': ok None", "  now '*'",
                                 "set-path-with-query '?q': ok None", "  now '?q'"]},
        "wasmtime50": {"lines": ["set-path-with-query 'no-slash': err None", "  now None",
                                 "set-path-with-query '*': err None", "  now None",
                                 "set-path-with-query '?q': ok None", "  now '?q'"]},
        "why": "wasmtime 33 set-path-with-query is http::uri::PathAndQuery::from_str of "
               "http 1.0.0 (Cargo.lock at v33.0.0), which accepts a path without a leading "
               "slash; http ae48fb5 (#826, after 1.0.0) rejects it",
    },
    "http.dns_error": {
        "wasmtime33": {"lines": ["unknown host: ok(err dns-error(DnsErrorPayload("
                                 "rcode='address not available', info_code=0)))"]},
        "wasmtime50": {"lines": ["unknown host: ok(err dns-error(DnsErrorPayload("
                                 "rcode='address not available', info_code=None)))"]},
        "why": "wasmtime 33 crates/wasi-http/src/types.rs default_send_request_handler: a "
               "failed lookup is dns_error(\"address not available\", 0) (error.rs: "
               "info_code Some(0)); the fake answers with a stub (probe_fake.py "
               "DNS_FAILURE_AUTHORITY, golem_fakes.state.http.DnsError), no lookup",
    },
    "http.response_dropped_with_live_headers_traps": {
        "wasmtime33": {"outcome": "trap", "lines": []},
        "wasmtime50": {"outcome": "ok", "lines": ["before", "not reached <Fields>"]},
        "why": "wasmtime 33 crates/wasi-http/src/types_impl.rs incoming-response.headers "
               "pushes a HostFields::Ref as a child of the response (push_child): dropping the "
               "response first is ResourceTableError::HasChildren, a trap; wasmtime-py 50 "
               "hands out an independent copy (#12754, after 33)",
    },
    "http.request_handled_with_live_headers_traps": {
        "wasmtime33": {"outcome": "trap", "lines": []},
        "wasmtime50": {"outcome": "ok", "lines": ["before", "handled ok(status 200) headers []"]},
        "why": "wasmtime 33 outgoing-request.headers is a child of the request (types_impl.rs "
               "push_child) and outgoing-handler.handle deletes the request (http_impl.rs "
               "table().delete): HasChildren, a trap; wasmtime-py 50's headers are a copy",
    },
    "http.between_bytes_timeout": {
        "wasmtime33": {"lines": ["status 200", "body: b'abc' end last-operation-failed(<Error>) "
                                 "code connection-read-timeout"]},
        "wasmtime50": {"lines": ["status 200", "body: b'abc' end last-operation-failed(<Error>) "
                                 "code None"]},
        "why": "wasmtime 33 crates/wasi-http/src/body.rs BodyWithTimeout yields "
               "ErrorCode::ConnectionReadTimeout, record_frame keeps it as an anyhow::Error "
               "(e.into()), wasi-io impls.rs pushes it as the stream's io error and "
               "types_impl.rs http-error-code downcasts it back: some(connection-read-timeout); "
               "wasmtime-py 50 (wasmtime::Error in p2/body.rs, after 33) answers none",
    },
}
VERSION_DIFFERENCES.update(HTTP_DIFFERENCES)


def reference(name: str) -> str:
    """The version (and source) probe ``name``'s expectation comes from."""
    if name in EXPECTED_OVERRIDES:
        return f"{REF_GOLEM}: {EXPECTED_OVERRIDES[name]['why']}"
    if name in VERSION_DIFFERENCES:
        return f"{REF_33}: {VERSION_DIFFERENCES[name]['why']}"
    return f"{REF_SAME}: {AREA_SOURCES[name.split('.', 1)[0]]} at v33.0.0"


#: Probes where golem-fakes is known not to match yet (not a Golem difference: a gap
#: in the fake). The test xfails with the reason while the outputs differ and fails
#: once they agree, so the entry gets removed.
KNOWN_GAPS: dict[str, str] = {
    "streams.gc_drop_stream_before_pollable": (
        "a stream dropped by the garbage collector (`del stream`) while a pollable of its "
        "subscribe is alive traps in wasmtime ('resource has children'); in golem-fakes "
        "that drop runs in a weakref finalizer (golem_fakes/bindings/runtime.py "
        "_drop_handle), where an exception cannot reach the worker's code, so the drop "
        "passes silently (explicit drops trap: streams.drop_stream_with_live_pollable)"),
}


def normalise(result: dict[str, Any]) -> dict[str, Any]:
    """The comparable part of a probe result: outcome, lines, stdout, stderr, logs.
    Trap and exit messages differ between hosts by nature and are not compared (only
    shown). stderr is compared after a trap too: a lowering panic writes
    componentize-py's panic text there before the trap (golem_fakes/bindings/panic.py;
    probes ``rand.random_bytes_negative``, ``log.bad_level_traps``), a host trap
    nothing."""
    outcome = result.get("outcome")
    norm = {"outcome": outcome, "lines": list(result.get("lines") or []),
            "stdout": result.get("stdout", ""), "stderr": result.get("stderr", ""),
            "logs": [list(x) for x in result.get("logs") or []]}
    return norm


def render_diff(expected: dict[str, Any], actual: dict[str, Any], expected_name: str,
                actual_name: str) -> str:
    a = json.dumps(expected, indent=1, ensure_ascii=False).splitlines()
    b = json.dumps(actual, indent=1, ensure_ascii=False).splitlines()
    return "\n".join(difflib.unified_diff(a, b, expected_name, actual_name, lineterm=""))


PROBE_NAMES = probe_names_from_source()


def test_probe_names_agree(probe_build: Path, fake_results: dict[str, Any],
                           wasmtime_runner: Any) -> None:
    """The component, the native import and the source scan find the same probes
    (a probe module the build did not import would be missing inside the component)."""
    in_component = wasmtime_runner.names()
    assert in_component == PROBE_NAMES
    assert fake_results["names"] == PROBE_NAMES


@functools.cache
def _temp_dir_atime_rule() -> str:
    """How the file system of the real side's temporary directory (probe_wasmtime.py:
    ``tempfile.TemporaryDirectory``) updates access times: ``relatime`` (Linux's
    default, what an executor's disk does and golem-fakes models), ``strictatime`` or
    ``noatime``. The ``fs_atime`` probes need ``relatime`` on the real side."""
    import os
    import tempfile
    import time

    with tempfile.TemporaryDirectory(prefix="probe-atime-") as tmp:
        path = os.path.join(tmp, "f")
        with open(path, "wb") as f:
            f.write(b"x")
        now = time.time_ns()
        os.utime(path, ns=(now - 1000 * 10**9, now - 2000 * 10**9))  # ctime = now
        with open(path, "rb") as f:
            f.read()
        first = os.stat(path).st_atime_ns
        if first < now - 500 * 10**9:
            return "noatime"
        time.sleep(0.01)
        with open(path, "rb") as f:
            f.read()
        return "relatime" if os.stat(path).st_atime_ns == first else "strictatime"


@pytest.mark.parametrize("name", PROBE_NAMES)
def test_probe(name: str, fake_results: dict[str, Any], wasmtime_runner: Any) -> None:
    if name.startswith("fs_atime."):
        rule = _temp_dir_atime_rule()
        if rule != "relatime":
            pytest.skip(f"the real side's temporary directory is on a file system mounted "
                        f"{rule}: the fs_atime probes compare with Linux relatime (the "
                        f"default mount option, as on Golem executors' disks); set TMPDIR "
                        f"to a directory on a relatime mount to run them")
    fake = fake_results["results"].get(name)
    assert fake is not None, f"probe {name} missing from the fake run"
    if fake["outcome"] == "notfaked":
        pytest.fail(f"probe {name}: golem-fakes has no behaviour yet — {fake['notfaked']}",
                    pytrace=False)
    if fake["outcome"] in ("setup-error", "error"):
        pytest.fail(f"probe {name}: the fake run failed: {fake['detail']}", pytrace=False)
    real = wasmtime_runner.run(name)
    expected = normalise(real)
    source = reference(name)
    difference = VERSION_DIFFERENCES.get(name)
    if difference is not None:
        for key, value in difference["wasmtime50"].items():
            assert expected[key] == value, (
                f"probe {name}: wasmtime-py's known (50) answer changed ({key}: expected "
                f"{value!r}, got {expected[key]!r}); {difference['why']}")
        expected.update(difference["wasmtime33"])
    override = EXPECTED_OVERRIDES.get(name)
    if override is not None:
        for key, value in override.get("wasmtime", {}).items():
            assert expected[key] == value, (
                f"probe {name}: the documented wasmtime behaviour changed ({key}: expected "
                f"{value!r}, got {expected[key]!r}); {override['why']}")
        expected.update(override["golem"])
    actual = normalise(fake)
    gap = KNOWN_GAPS.get(name)
    if gap is not None:
        if actual == expected:
            pytest.fail(f"probe {name} now matches: remove it from KNOWN_GAPS", pytrace=False)
        pytest.xfail(f"known gap: {gap}\n" + render_diff(expected, actual, source, "golem-fakes"))
    if actual != expected:
        detail = ""
        if real.get("detail") or fake.get("detail"):
            detail = (f"\nwasmtime detail: {real.get('detail')}\n"
                      f"fake detail: {fake.get('detail')}")
        pytest.fail(f"probe {name}: golem-fakes differs from the expectation of {source}\n"
                    + render_diff(expected, actual, "expected", "golem-fakes") + detail,
                    pytrace=False)


def test_overrides_name_existing_probes() -> None:
    assert set(EXPECTED_OVERRIDES) <= set(PROBE_NAMES)
    assert set(VERSION_DIFFERENCES) <= set(PROBE_NAMES)
    assert set(KNOWN_GAPS) <= set(PROBE_NAMES)
    assert not set(KNOWN_GAPS) & set(EXPECTED_OVERRIDES)
    assert not set(VERSION_DIFFERENCES) & set(EXPECTED_OVERRIDES)
    for name, o in EXPECTED_OVERRIDES.items():
        assert o.get("why"), name
    for name, d in VERSION_DIFFERENCES.items():
        assert d.get("why") and "33" in d["why"], name
        assert set(d["wasmtime33"]) == set(d["wasmtime50"]), name
        assert d["wasmtime33"] != d["wasmtime50"], name


def test_every_probe_names_its_reference() -> None:
    """Every expectation says which version it comes from (and cites a source)."""
    for name in PROBE_NAMES:
        ref = reference(name)
        assert ref.startswith((REF_SAME, REF_33, REF_GOLEM)) and len(ref) > len(REF_SAME) + 5, name


def test_cache_key_changes_with_probe_source(tmp_path: Path) -> None:
    import probe_component as build

    files = build.source_files()
    key = build.content_key(files, tool_version="0.19.3")
    assert key == build.content_key(list(files), tool_version="0.19.3")
    # change one probe file (a copy): the key changes
    changed = []
    for rel, path in files:
        if rel.startswith("src/probes/") and not rel.endswith("__init__.py"):
            copy = tmp_path / path.name
            copy.write_bytes(path.read_bytes() + b"\n# changed\n")
            changed.append((rel, copy))
            break
        changed.append((rel, path))
    changed.extend(files[len(changed):])
    assert len(changed) == len(files)
    assert build.content_key(changed, tool_version="0.19.3") != key
    # so does adding a probe module, the WIT, or another componentize-py version
    extra = tmp_path / "extra.py"
    extra.write_text("def probe_x(out):\n    pass\n")
    assert build.content_key(files + [("src/probes/extra.py", extra)], "0.19.3") != key
    assert build.content_key(files, tool_version="0.19.4") != key


def test_build_is_cached(probe_build: Path) -> None:
    import probe_component as build

    key = probe_build.name
    if build.content_key() != key:
        pytest.skip("the probe sources changed during this session")
    wasm = build.cache_dir() / f"{key}.wasm"
    assert wasm.exists() and wasm.stat().st_size > 0
    mtime = wasm.stat().st_mtime_ns
    assert build.build() == wasm
    assert wasm.stat().st_mtime_ns == mtime  # not rebuilt


def test_the_real_side_is_wasmtime_py_50_0_1(wasmtime_runner: Any) -> None:
    """The ``wasmtime50`` answers of :data:`VERSION_DIFFERENCES` and :data:`REF_SAME`
    are those of wasmtime-py 50.0.1, the release the test extras pin (51.0.0 changed
    trailing-slash ``remove-directory-at``/``unlink-file-at`` and ``blocking-read(0)``
    on files, so another release would move the reference under the suite)."""
    from importlib.metadata import version

    assert version("wasmtime") == "50.0.1", (
        f"wasmtime-py {version('wasmtime')}: the differential suite's recorded answers are "
        f"wasmtime-py 50.0.1's; install the test extras (pip install -e '.[test]')")