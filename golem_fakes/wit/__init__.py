"""Pure-Python WIT front end: lexer, parser and resolver producing the
:mod:`golem_fakes.wit.model`.

>>> from golem_fakes.wit import load
>>> resolve = load("wit")                      # doctest: +SKIP
>>> world = resolve.world("all-imports")       # doctest: +SKIP
"""

from __future__ import annotations

from .model import *  # noqa: F401,F403
from .model import __all__ as _model_all
from .resolve import load, load_files, match_package, select_world

__all__ = ["load", "load_files", "match_package", "select_world", *_model_all]
