"""Cost of everyday WASI calls through the generated bindings vs bare Python doing the
same work, in one run.

* ``wall_clock.now()`` — the fake reads the Golem's virtual clock, builds the WIT
  ``datetime`` record and, inside an invocation, appends the ``wall_clock::now``
  ``imported-function-invoked`` entry (read-local, docs/golem-io-semantics.md §5.1).
  Same work: ``time.time_ns()``, the record as a dict and a timestamped call record
  appended to a list; bare op: ``time.time_ns()`` and the dict.
* ``monotonic_clock.now()`` — the same for the monotonic clock (an ``int``); bare op:
  ``time.monotonic_ns()``.
* ``descriptor.read(4096, 0)`` on a file of the component's initial files (an open
  descriptor; no oplog entry: file I/O is not durable in Golem, §5). Same work: look the
  open descriptor up in a dict, check it is a readable file, copy 4,096 bytes out of its
  ``bytearray`` and return ``(bytes, at_end)``; bare op: slicing 4,096 bytes out of a
  ``bytes`` object held in a dict.
* ``logging.log(info, ctx, msg)`` — the fake keeps the record on the worker's console,
  appends the oplog ``log`` hint entry and forwards a ``logging`` record (attributed to
  the worker code's file and line) to ``golem.worker.<component>.<worker>``. Same work:
  ``logger.info(msg)`` on a logger with the same (no) handlers plus a console record
  and a timestamped log record appended to lists; bare op: ``logger.info(msg)`` alone.
  Most of the cost on every side is Python's ``logging`` record creation; under pytest,
  its capture handlers add the same cost to both.

Prints medians (ns per call) over interleaved batches and both ratios; the goal is ≤ 3×
the same-work baseline. Run: ``python benchmarks/bench_wasi.py``.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Callable

import golem_fakes
from _bench import Case, loop, now_ms, run_cases

GOAL_RATIO = 3.0




def cases() -> list[Case]:
    """The clocks, a file read and a log line, with their baselines."""
    golem_fakes.install()
    from golem_fakes.state.filesystem import normalize_initial_files
    from wit_world.imports import logging as wit_logging
    from wit_world.imports import monotonic_clock, preopens, wall_clock
    from wit_world.imports import wasi_filesystem_types as t

    log: list[Any] = []
    console: list[Any] = []
    data = {"/data.bin": bytes(range(256)) * 64}

    class _Node:
        __slots__ = ("kind", "data")

        def __init__(self, data: bytes) -> None:
            self.kind, self.data = "file", bytearray(data)

    class _Open:
        __slots__ = ("node", "read")

        def __init__(self, node: _Node) -> None:
            self.node, self.read = node, True

    descriptors = {7: _Open(_Node(data["/data.bin"]))}
    bare_logger = logging.getLogger("bench.bare")
    bare_logger.setLevel(logging.DEBUG)
    bare_logger.propagate = False
    info = wit_logging.Level.INFO

    def op_wall() -> Any:
        ns = time.time_ns()
        return {"seconds": ns // 1_000_000_000, "nanoseconds": ns % 1_000_000_000}

    def same_wall() -> Any:
        ns = time.time_ns()
        value = {"seconds": ns // 1_000_000_000, "nanoseconds": ns % 1_000_000_000}
        log.append(("wall_clock::now", None, value, ns // 1_000_000))
        return value

    def op_monotonic() -> int:
        return time.monotonic_ns()

    def same_monotonic() -> int:
        ns = time.monotonic_ns()
        log.append(("monotonic_clock::now", None, ns, now_ms()))
        return ns

    def op_read() -> Any:
        return data["/data.bin"][0:4096], False

    def same_read() -> Any:
        d = descriptors[7]
        if d.node.kind != "file" or not d.read:
            raise OSError("bad-descriptor")
        out = bytes(d.node.data[0:4096])
        return out, not out

    def op_log() -> None:
        bare_logger.info("hello")

    def same_log() -> None:
        console.append(("info", "ctx", "hello"))
        log.append(("log", "info", "ctx", "hello", now_ms()))
        bare_logger.info("hello")

    def via_of(name: str) -> Any:
        def make(g: Any, number: int) -> Any:
            g.default_worker.component.files = normalize_initial_files(data)
            lg = g.console().logger
            if name == "wall_clock.now()":
                via: Callable[[], Any] = wall_clock.now
            elif name == "monotonic_clock.now()":
                via = monotonic_clock.now
            elif name == "descriptor.read(4096)":
                root = preopens.get_directories()[0][0]
                f = root.open_at(t.PathFlags(0), "data.bin", t.OpenFlags(0),
                                 t.DescriptorFlags.READ)

                def via() -> Any:
                    return f.read(4096, 0)
            else:
                def via() -> Any:
                    return wit_logging.log(info, "ctx", "hello")
            inner = loop(via, number)

            def run() -> None:
                lg.propagate = False  # like the bare logger: no handlers
                try:
                    inner()
                finally:
                    lg.propagate = True
            return run
        return make

    def reset() -> None:
        log.clear()
        console.clear()

    return [Case(name, via_of(name), lambda n, f=same: loop(f, n), lambda n, f=op: loop(f, n),
                 reset)
            for name, same, op in (("wall_clock.now()", same_wall, op_wall),
                                   ("monotonic_clock.now()", same_monotonic, op_monotonic),
                                   ("descriptor.read(4096)", same_read, op_read),
                                   ("logging.log(info)", same_log, op_log))]


def main(number: int = 2_000, repeat: int = 15) -> dict[str, float]:
    return run_cases(cases(), number, repeat, 26, GOAL_RATIO)


if __name__ == "__main__":
    main()
