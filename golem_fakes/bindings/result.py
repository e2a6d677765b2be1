"""``Some``, ``Ok``, ``Err`` and ``Result`` — one set of classes for the whole process.

These are componentize-py's definitions (its ``componentize_py_types.py`` from 0.19,
``<pkg>/types.py`` before), character for character in behaviour: ``Err`` is a frozen
dataclass that is also an ``Exception``, so host functions whose outermost return
type is a ``result`` raise it. Every generated ``componentize_py_types`` /
``<pkg>/types.py`` module re-exports these very objects, so ``isinstance`` works
whichever module user code imported them from.

``__module__`` is ``componentize_py_types`` (what the real component reports).
Docstrings and ``__module__`` are set per selected componentize-py release by
:func:`configure` (0.24.0 and later document the classes, before that ``dataclass``
generated the ``__doc__``; up to 0.18 the classes live in ``<pkg>.types``).
"""

# No ``from __future__ import annotations``: the dataclass fields must hold the
# TypeVars themselves (``~T``), as in componentize-py's module.
from dataclasses import dataclass
from typing import Generic, TypeVar, Union

__all__ = ["S", "T", "E", "Some", "Ok", "Err", "Result", "set_docstrings", "configure"]

S = TypeVar('S')


@dataclass
class Some(Generic[S]):
    value: S


T = TypeVar('T')


@dataclass
class Ok(Generic[T]):
    value: T


E = TypeVar('E')


@dataclass(frozen=True)
class Err(Generic[E], Exception):
    value: E


Result = Union[Ok[T], Err[E]]

for _cls in (Some, Ok, Err):
    _cls.__module__ = "componentize_py_types"
del _cls

#: ``__doc__`` that ``dataclass`` generated (componentize-py < 0.24).
_DATACLASS_DOCS = {cls: cls.__doc__ for cls in (Some, Ok, Err)}

#: componentize-py 0.24.0+ (``bundled/componentize_py_types.py``).
_DOCUMENTED = {
    Some: (
        'Represents the "present" (i.e. non-absent) case of an optional value.\n'
        "\n"
        "    This is used to disambiguate values of a nested ComponentModel `option` type\n"
        "    (e.g. `option<option<T>>` or similar).  Non-nested `option` values are\n"
        "    represented using `typing.Optional`, i.e. nullable types.\n"
        "\n"
        "    "
    ),
    Ok: "Represents the success case of a Component Model `result` value.",
    Err: "Represents the failure case of a Component Model `result` value.",
}


def set_docstrings(documented: bool) -> None:
    """Give the classes the docstrings of the selected componentize-py release."""
    source = _DOCUMENTED if documented else _DATACLASS_DOCS
    for cls, doc in source.items():
        cls.__doc__ = doc


def configure(module: str, documented: bool) -> None:
    """Make the classes look like the selected release's: ``__module__`` is
    ``componentize_py_types`` (0.19+) or ``<pkg>.types`` (up to 0.18), docstrings
    per :func:`set_docstrings`. Called by the generated result module."""
    for cls in (Some, Ok, Err):
        cls.__module__ = module
    set_docstrings(documented)
