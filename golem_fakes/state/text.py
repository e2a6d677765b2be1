"""The one check every test-side seeding API applies to the strings it is given.

A WIT ``string`` is a sequence of Unicode scalar values, stored as UTF-8 in the
component's memory (canonical ABI); Golem's host keeps every name and value as a Rust
``String`` (keyvalue keys and buckets, blob containers and object names, file paths,
worker names, env, args and config vars), which is valid UTF-8 by construction. A Python
``str`` can hold a *lone surrogate* (``"\\ud800"``, or ``"\\udcff"`` from a
``surrogateescape``-decoded host file name), which no component and no Golem host could
ever hold: componentize-py's lowering cannot encode it and the component traps. Seeding
such a string into the fake would only fail later, far from the cause (a raw
``UnicodeEncodeError`` in the middle of a host call, or a name the guest can never match),
so the seeding APIs reject it at once with a ``ValueError`` naming the argument.
"""

from __future__ import annotations

from typing import Any, Iterable

__all__ = ["check_text", "check_texts"]


def check_text(value: Any, what: str) -> Any:
    """``value`` unchanged if it is not a ``str`` or a ``str`` encodable as UTF-8 (the
    callers check types themselves); ``ValueError`` naming ``what`` (e.g. ``"keyvalue
    key"``, ``"worker env name"``) when it holds a lone surrogate."""
    if type(value) is str and not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as e:
            raise ValueError(
                f"{what} {value!r} contains the lone surrogate {value[e.start]!r} at index "
                f"{e.start}: a WIT string holds Unicode scalar values only (UTF-8 in the "
                f"component, a Rust String in Golem), so no component or Golem host could "
                f"hold it. Use a valid string (for a file name decoded with "
                f"surrogateescape, decode the bytes properly or rename the file)") from None
    return value


def check_texts(values: Iterable[Any], what: str) -> None:
    """:func:`check_text` on every item of ``values``."""
    for v in values:
        check_text(v, what)
