"""pytest wiring for golem-fakes: ini options that install the bindings once per
session, and a header line saying what was installed.

Options (``pytest.ini`` / ``pyproject.toml`` ``[tool.pytest.ini_options]``):

``golem_wit``
    The WIT folder (or file) to generate bindings from, relative to the rootdir.
``golem_world``
    The world to select (``-w`` of componentize-py).
``golem_package``
    The top-level package name (``--world-module``; default ``wit_world``).
``golem_layout``
    ``0.16``, ``0.17`` or ``0.19`` (componentize-py's layout families).
``golem_interface_names``
    Lines of ``ns:pkg/iface@ver=name`` (``--import-interface-name``).

When none is set, nothing is installed at start-up: worker code's imports of
``wit_world`` fail as they would without bindings, and tests call
:func:`golem_fakes.install` themselves.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

_INI = ("golem_wit", "golem_world", "golem_package", "golem_layout", "golem_interface_names")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("golem_wit", "WIT folder or file to generate bindings from", default="")
    parser.addini("golem_world", "world to generate bindings for (componentize-py -w)", default="")
    parser.addini("golem_package", "bindings package name (componentize-py --world-module)", default="")
    parser.addini("golem_layout", "componentize-py layout family: 0.16, 0.17 or 0.19", default="")
    parser.addini("golem_interface_names",
                  "ns:pkg/iface@ver=name lines (componentize-py --import-interface-name)",
                  type="linelist", default=[])


def _install_options(config: pytest.Config) -> dict[str, Any] | None:
    values = {name: config.getini(name) for name in _INI}
    if not any(values.values()):
        return None
    names: dict[str, str] = {}
    for line in values["golem_interface_names"]:
        key, sep, value = line.partition("=")
        if not sep:
            raise pytest.UsageError(
                f"golem_interface_names: {line!r} is not of the form ns:pkg/iface@ver=name")
        names[key.strip().strip('"')] = value.strip().strip('"')
    wit = values["golem_wit"]
    return {
        "wit": str(Path(config.rootpath, wit)) if wit else None,
        "world": values["golem_world"] or None,
        "package": values["golem_package"] or None,
        "layout": values["golem_layout"] or None,
        "interface_names": names or None,
    }


def pytest_configure(config: pytest.Config) -> None:
    options = _install_options(config)
    if options is None:
        return
    from golem_fakes import install

    config.stash[_installed_key] = install(**options)


_installed_key = pytest.StashKey[Any]()


def pytest_report_header(config: pytest.Config) -> list[str]:
    import golem_fakes

    installed = config.stash.get(_installed_key, None)
    if installed is None:
        return [f"golem-fakes {golem_fakes.__version__}: no bindings installed at start-up "
                "(set golem_wit/golem_world to install them)"]
    return [f"golem-fakes {golem_fakes.__version__}: {installed}"]
