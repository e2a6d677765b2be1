"""Behaviour modules: a package per WIT package, a module per interface.

The registry imports ``golem_fakes.interfaces.<ns>_<pkg>.<iface>`` lazily on the first
call of a function of that interface (see :mod:`golem_fakes.bindings.registry`).
"""

from __future__ import annotations

from typing import Any, TypeVar

from golem_fakes.bindings.runtime import NotFaked

__all__ = ["golem_state"]

S = TypeVar("S")


def golem_state(env: Any, attribute: str, kind: type[S], interface: str, function: str) -> S:
    """``env.<attribute>`` of the current :class:`~golem_fakes.Golem` (its keyvalue
    buckets, blob containers, ...), or :class:`NotFaked` saying that the function needs
    a Golem environment (a bare ``Environment`` has no such state) and how to proceed."""
    state = getattr(env, attribute, None)
    if not isinstance(state, kind):
        raise NotFaked(
            f"{interface}#{function} needs a golem_fakes.Golem environment (it keeps this "
            f"state as `golem.{attribute}`), but the current environment is {env!r}. "
            f"Use `with golem_fakes.Golem():`, or override the function with "
            f"env.implement({interface!r}, {function!r}, ...).",
            interface=interface, function=function)
    return state
