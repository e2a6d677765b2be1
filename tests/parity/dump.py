"""Describe a binding package as JSON (run in a subprocess by the parity tests).

Usage::

    python dump.py theirs OUTDIR PACKAGE        # componentize-py output in OUTDIR
    python dump.py ours   OPTIONS_JSON          # golem_fakes.install(**options)

Prints ``{"modules": [...], "symbols": {key: description}}``. Keys are
``module::Name`` or ``module::Class.member``; descriptions are JSON values compared
for equality. Objects defined elsewhere (the preamble's ``typing`` names,
``Result``/``Ok``/``Err``/``Some`` re-exports, sibling modules) are described by
reference. Names starting with ``_`` are skipped (golem-fakes' private ``_golem_*``
helpers included); ``__init__``/``__enter__``/``__exit__`` are kept.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import json
import pkgutil
import sys
import types
import typing
from pathlib import Path
from typing import Any

KEEP_DUNDERS = {"__init__", "__enter__", "__exit__"}


def _sig(fn: Any) -> str:
    try:
        return str(inspect.signature(fn))
    except (TypeError, ValueError):
        return "<no signature>"


def _ref(obj: Any) -> Any:
    if isinstance(obj, types.ModuleType):
        return {"module": obj.__name__}
    if isinstance(obj, type) or isinstance(obj, types.FunctionType):
        return {"ref": f"{obj.__module__}.{obj.__qualname__}"}
    return {"repr": repr(obj)}


def _function(fn: Any) -> dict[str, Any]:
    return {
        "kind": "function",
        "signature": _sig(fn),
        "doc": inspect.getdoc(fn) if fn.__doc__ else None,
        "abstract": bool(getattr(fn, "__isabstractmethod__", False)),
        "async": inspect.iscoroutinefunction(fn),
    }


def _class(cls: type, key: str, out: dict[str, Any]) -> None:
    desc: dict[str, Any] = {
        "kind": "class",
        "bases": [f"{b.__module__}.{b.__qualname__}" for b in cls.__bases__],
        "mro": [f"{b.__module__}.{b.__qualname__}" for b in cls.__mro__],
        "doc": cls.__doc__,
        "module": cls.__module__,
    }
    if dataclasses.is_dataclass(cls):
        params = cls.__dataclass_params__  # type: ignore[attr-defined]
        desc["dataclass"] = {
            "fields": [[f.name, str(f.type)] for f in dataclasses.fields(cls)],
            "frozen": params.frozen,
        }
    if issubclass(cls, enum.Enum):
        desc["enum"] = {
            "type": "Flag" if issubclass(cls, enum.Flag) else "Enum",
            "members": [[m.name, m.value] for m in cls],  # type: ignore[var-annotated]
        }
    out[key] = desc
    if issubclass(cls, enum.Enum):
        return
    for name, attr in cls.__dict__.items():
        if name.startswith("_") and name not in KEEP_DUNDERS:
            continue
        mkey = f"{key}.{name}"
        if isinstance(attr, classmethod):
            out[mkey] = dict(_function(attr.__func__), classmethod=True)
        elif isinstance(attr, staticmethod):
            out[mkey] = dict(_function(attr.__func__), staticmethod=True)
        elif inspect.isfunction(attr):
            out[mkey] = _function(attr)
        elif isinstance(attr, dataclasses.Field) or name in getattr(cls, "__dataclass_fields__", {}):
            continue
        else:
            out[mkey] = {"kind": "attribute", "value": _ref(attr)}


def describe_module(mod: types.ModuleType, out: dict[str, Any]) -> None:
    name = mod.__name__
    out[f"{name}::__doc__"] = {"kind": "module", "doc": mod.__doc__}
    for attr, obj in sorted(vars(mod).items()):
        if attr.startswith("_"):
            continue
        key = f"{name}::{attr}"
        if isinstance(obj, type) and obj.__module__ == name:
            _class(obj, key, out)
        elif isinstance(obj, type) and obj.__module__ == "componentize_py_types" and \
                name == "componentize_py_types":
            _class(obj, key, out)
        elif isinstance(obj, types.FunctionType) and obj.__module__ == name:
            out[key] = _function(obj)
        elif isinstance(obj, (types.ModuleType, type, types.FunctionType)):
            out[key] = {"kind": "import", "value": _ref(obj)}
        elif isinstance(obj, typing.TypeVar):
            out[key] = {"kind": "typevar", "value": repr(obj)}
        else:
            out[key] = {"kind": "value", "value": str(obj)}


def walk(package: str, extra: list[str]) -> dict[str, Any]:
    modules = []
    symbols: dict[str, Any] = {}
    pkg = importlib.import_module(package)
    todo: list[Any] = [pkg]
    names: list[str] = []

    def collect(path: list[str], prefix: str) -> None:
        for info in sorted(pkgutil.iter_modules(path, prefix), key=lambda i: i.name):
            names.append(info.name)
            if info.ispkg:
                collect([str(Path(path[0]) / info.name.rpartition(".")[2])], info.name + ".")

    collect(list(pkg.__path__), package + ".")
    for name in names + extra:
        try:
            todo.append(importlib.import_module(name))
        except ImportError as e:
            if name in extra and isinstance(e, ModuleNotFoundError) and e.name == name:
                continue
            todo.append((name, e))
        except Exception as e:  # componentize-py can emit modules that fail to import
            todo.append((name, e))
    for mod in todo:
        if isinstance(mod, tuple):
            name, err = mod
            modules.append(name)
            symbols[f"{name}::__import_error__"] = {"error": f"{type(err).__name__}: {err}"}
            continue
        modules.append(mod.__name__)
        describe_module(mod, symbols)
    return {"modules": sorted(modules), "symbols": symbols}


def main(argv: list[str]) -> None:
    side = argv[1]
    if side == "theirs":
        outdir, package = argv[2], argv[3]
        sys.path.insert(0, outdir)
        extra = ["componentize_py_types"] if package != "-" else []
        result = walk(package, extra)
    else:
        options = json.loads(argv[2])
        import golem_fakes

        installed = golem_fakes.install(**options)
        result = walk(installed.package, [n for n in installed.top_level if n != installed.package])
        result["installed"] = {"seconds": installed.seconds, "generated": installed.generated,
                               "cache_path": str(installed.cache_path)}
    json.dump(result, sys.stdout, indent=0, sort_keys=True, default=str)


if __name__ == "__main__":
    main(sys.argv)
