"""wasi:logging probes. The wasmtime side is Golem's semantics implemented host-side
(golem-io-semantics.md §3: every call captured verbatim, no level filtered); the runners
compare the captured (level, context, message) triples."""

from __future__ import annotations

from wit_world.imports import logging

from ._util import kebab


def probe_levels(out: list[str]) -> None:
    for level in logging.Level:
        logging.log(level, "ctx", f"message at {kebab(level.name)}")
    out.append(f"levels: {[kebab(lv.name) for lv in logging.Level]}")


def probe_verbatim(out: list[str]) -> None:
    logging.log(logging.Level.INFO, "", "")
    logging.log(logging.Level.WARN, "  spaced  ", "multi\nline\tmessage")
    logging.log(logging.Level.ERROR, "h\u00e9llo", "\u2603 snow")
    logging.log(logging.Level.DEBUG, "ctx", "x" * 10000)
    out.append("logged 4")


def probe_returns_none(out: list[str]) -> None:
    r = logging.log(logging.Level.TRACE, "c", "m")
    out.append(f"returns: {r!r}")


def probe_bad_level_traps(out: list[str]) -> None:
    # componentize-py.md §6: an enum argument without ``.value`` traps the component
    out.append("before")
    logging.log("info", "c", "m")  # type: ignore[arg-type]
    out.append("not reached")
