"""pytest wiring for golem-fakes: bindings installed once per session, the ``golem``
fixture, the ``golem`` marker, per-test seeds. Logic lives in
:mod:`golem_fakes.discovery` and :mod:`golem_fakes.seeding`.

Bindings are installed in ``pytest_load_initial_conftests`` — after ``pythonpath`` is
applied, before any ``conftest.py`` runs — so conftests may import worker code. From the
``golem_*`` ini options when ``golem_wit`` is set; else discovered
(:func:`golem_fakes.discovery.discover`: the Golem application's ``golem.yaml``, a plain
``wit/``, or the vendored ``all-imports`` world) with any other ``golem_*`` ini option
overriding what was discovered. The session header says what was installed and why.

Options (``pytest.ini`` / ``[tool.pytest.ini_options]``): ``golem_wit``, ``golem_world``,
``golem_package`` (``--world-module``), ``golem_layout`` (``0.16``/``0.17``/``0.19``),
``golem_interface_names`` (``ns:pkg/iface@ver=name`` lines), ``golem_component`` (the
component of a multi-component application; also the default component of the fixture),
``golem_component_module`` / ``golem_component_path`` (the component's code, default from
the ``componentize -p PATH MODULE`` build step of ``golem.yaml``: each worker then runs its
own instance of it), ``golem_install`` (``false``: install nothing), ``golem_seed`` / ``--golem-seed``
(global seed: an integer or ``random``; default 0).

``golem`` fixture: a fresh :class:`golem_fakes.Golem` entered for the test (the test
body runs inside an invocation of a fresh worker ``worker-1`` of the installed
component: its ``golem.yaml`` name, else the world name), seeded per test from the
global seed and the node id; torn down after. ``@pytest.mark.golem(seed=..., component=...,
worker=..., args=..., env=..., config=..., idempotency_key=..., workers=[{...}],
files={...}, http_strict=True, http_assert_all_called=True)`` configures it and injects it
(``files``: the initial files of the fixture's component, guest path → bytes (read-only)
or ``InitialFile``; ``http_strict=False``: a request no ``golem.http`` route matched does
not fail the test at teardown; ``http_assert_all_called=False``: nor does a route never
called); the closest marker (function, class, module ``pytestmark``) wins. A failing test that used it gets a "golem-fakes" report section with its seed and
the command that reproduces it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pytest

if TYPE_CHECKING:  # pragma: no cover
    from golem_fakes.state.golem import Golem

_INI = ("golem_wit", "golem_world", "golem_package", "golem_layout", "golem_interface_names")
_MARKER_KEYS = ("seed", "component", "worker", "args", "env", "config", "idempotency_key",
                "workers", "files", "http_strict", "http_assert_all_called")

_installed_key = pytest.StashKey[Any]()
_reason_key = pytest.StashKey[str]()
_component_key = pytest.StashKey["str | None"]()
#: ``(module, directory)`` of the default component's code, if it has code
_code_key = pytest.StashKey["tuple[str, Any] | None"]()
#: the code of the other application components (targets of wasm-rpc dependencies)
_other_code_key = pytest.StashKey["dict[str, tuple[str, Any]]"]()
#: the component-exports mapping before this session set it (put back at unconfigure)
_exports_before_key = pytest.StashKey["dict[str, Any]"]()
_global_seed_key = pytest.StashKey[int]()
_seed_origin_key = pytest.StashKey[str]()
_item_seed_key = pytest.StashKey["tuple[int, bool]"]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addini("golem_wit", "WIT folder or file to generate bindings from", default="")
    parser.addini("golem_world", "world to generate bindings for (componentize-py -w)", default="")
    parser.addini("golem_package", "bindings package name (componentize-py --world-module)", default="")
    parser.addini("golem_layout", "componentize-py layout family: 0.16, 0.17 or 0.19", default="")
    parser.addini("golem_interface_names",
                  "ns:pkg/iface@ver=name lines (componentize-py --import-interface-name)",
                  type="linelist", default=[])
    parser.addini("golem_component",
                  "component of the Golem application whose bindings are installed and "
                  "whose worker the golem fixture runs as", default="")
    parser.addini("golem_component_module",
                  "the component's Python module (componentize-py componentize APP_NAME); "
                  "default: from the golem.yaml build step", default="")
    parser.addini("golem_component_path",
                  "directory of that module (componentize -p PATH), relative to the rootdir",
                  default="")
    parser.addini("golem_install", "install bindings at start-up (default true)",
                  type="bool", default=True)
    parser.addini("golem_seed", "global seed of golem-fakes (integer or 'random')", default="")
    group = parser.getgroup("golem", "golem-fakes")
    group.addoption("--golem-seed", dest="golem_seed", default=None, metavar="SEED",
                    help="global seed of golem-fakes: an integer, or 'random' "
                         "(default: the golem_seed ini value, else 0). Each test's seed "
                         "derives from it and the test's node id.")
    parser.addini("golem_postgres_url", "PostgreSQL URL for the golem_postgres_url fixture "
                  "(default: a throwaway server started from the distribution's binaries)",
                  default="")
    parser.addini("golem_mysql_url", "MySQL/MariaDB URL for the golem_mysql_url fixture "
                  "(default: a throwaway server started from the distribution's binaries)",
                  default="")
    group.addoption("--golem-postgres-url", dest="golem_postgres_url", default=None,
                    metavar="URL", help="PostgreSQL server for golem:rdbms tests "
                    "(postgres://user:pass@host:port/db); default: the golem_postgres_url ini "
                    "value, $GOLEM_POSTGRES_URL, else a throwaway server from initdb/postgres")
    group.addoption("--golem-mysql-url", dest="golem_mysql_url", default=None,
                    metavar="URL", help="MySQL/MariaDB server for golem:rdbms tests "
                    "(mysql://user:pass@host:port/db); default: the golem_mysql_url ini "
                    "value, $GOLEM_MYSQL_URL, else a throwaway server from "
                    "mariadb-install-db/mariadbd")


# --- bindings ------------------------------------------------------------------------


def _ini_overrides(config: pytest.Config) -> dict[str, Any]:
    values = {name: config.getini(name) for name in _INI}
    names: dict[str, str] = {}
    for line in values["golem_interface_names"]:
        key, sep, value = line.partition("=")
        if not sep:
            raise pytest.UsageError(
                f"golem_interface_names: {line!r} is not of the form ns:pkg/iface@ver=name")
        names[key.strip().strip('"')] = value.strip().strip('"')
    wit = values["golem_wit"]
    out: dict[str, Any] = {
        "wit": str(Path(config.rootpath, wit)) if wit else None,
        "world": values["golem_world"] or None,
        "package": values["golem_package"] or None,
        "layout": values["golem_layout"] or None,
        "interface_names": names or None,
    }
    return {k: v for k, v in out.items() if v is not None}


def _install(config: pytest.Config) -> None:
    from golem_fakes.bindings import install as install_mod
    from golem_fakes.bindings.errors import BindingsAlreadyInstalled, BindingsConflict
    from golem_fakes.discovery import DiscoveryError, discover

    component = config.getini("golem_component") or None
    config.stash[_component_key] = component
    if not config.getini("golem_install"):
        config.stash[_reason_key] = "golem_install = false: nothing installed at start-up"
        return
    overrides = _ini_overrides(config)
    reason = "from the golem_* ini options"
    try:
        if "wit" in overrides:
            kwargs, reason, kind = overrides, "from the golem_* ini options", "ini"
        else:
            found = discover(config.rootpath, component=component)
            kwargs = {**found.install_kwargs, **overrides}
            kind = found.kind
            reason = found.reason + "".join(f" [{n}]" for n in found.notes)
            if overrides:
                reason += " (overridden by ini: " + ", ".join(f"golem_{k}" for k in overrides) + ")"
            config.stash[_component_key] = found.component
            if found.code is not None:
                config.stash[_code_key] = found.code
        _ini_code(config)
        try:
            installed = install_mod.install(**kwargs)
            if kind == "golem-app" and found.clients:
                # golem.yaml's wasm-rpc dependencies: the generated clients, linked as
                # Golem's executor links them (golem_fakes.rpc.stubgen), and each
                # component with only its own exports of the united world
                from golem_fakes.rpc.stubgen import link
                from golem_fakes.worker.executor import set_component_exports

                from golem_fakes.worker.executor import component_exports

                for client in found.clients:
                    link(client)
                config.stash[_exports_before_key] = component_exports()
                set_component_exports(found.component_exports)
                config.stash[_other_code_key] = dict(found.other_code)
        except BindingsAlreadyInstalled:
            existing = install_mod.installed()
            if kind != "vendored" or overrides or existing is None:
                raise
            # Installed before this plugin ran (another plugin, or pytest.main() in a
            # process that installed other bindings): the project asks for nothing
            # specific, so keep them.
            installed = existing
            reason = ("kept the bindings installed before the golem plugin started "
                      "(the project configures none: " + reason + ")")
        config.stash[_installed_key] = installed
        config.stash[_reason_key] = reason
    except (BindingsConflict, BindingsAlreadyInstalled, DiscoveryError, CodeOptionError) as e:
        text = str(e)
        _fail(config, text if text.startswith("golem-fakes") else f"golem-fakes: {text}")
    except Exception as e:
        from golem_fakes.wit.model import WitError

        if not isinstance(e, (ValueError, OSError, WitError)):
            raise
        _fail(config, f"golem-fakes could not install bindings ({reason}): "
                      f"{type(e).__name__}: {e}")


def _ini_code(config: pytest.Config) -> None:
    """``golem_component_module`` / ``golem_component_path`` override the discovered code
    (the path is relative to the rootdir; without it, the module's directory on
    ``sys.path``)."""
    module = config.getini("golem_component_module") or None
    path = config.getini("golem_component_path") or None
    if module is None and path is None:
        return
    found = config.stash.get(_code_key, None)
    if module is None:
        if found is None:
            raise CodeOptionError(
                "golem_component_path is set but not golem_component_module, and no "
                "componentize step in golem.yaml names the module: set "
                "golem_component_module = <module> too")
        module = found[0]
    where = (config.rootpath / path).resolve() if path else None
    config.stash[_code_key] = (module, where)


class CodeOptionError(ValueError):
    """A bad golem_component_* option."""


def _fail(config: pytest.Config, message: str) -> None:
    """A usage error — except under ``--help``/``--version``, which must keep working
    in a broken project (the header-less help then just lacks the bindings)."""
    ns = getattr(config, "known_args_namespace", None)
    if getattr(ns, "help", False) or getattr(ns, "version", False):
        config.stash[_reason_key] = message
        return
    raise pytest.UsageError(message)


@pytest.hookimpl
def pytest_load_initial_conftests(early_config: pytest.Config, parser: pytest.Parser,
                                  args: list[str]) -> None:
    _install(early_config)


def _global_seed(config: pytest.Config) -> tuple[int, str]:
    from golem_fakes import seeding

    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None and "golem_global_seed" in workerinput:
        return int(workerinput["golem_global_seed"]), workerinput["golem_seed_origin"]
    option = config.getoption("golem_seed", None)
    source, raw = ("--golem-seed", option) if option is not None else \
        ("golem_seed", config.getini("golem_seed") or None)
    if raw is None:
        return seeding.DEFAULT_GLOBAL_SEED, "default"
    try:
        seed = seeding.parse_seed(raw, source=source)
    except ValueError as e:
        raise pytest.UsageError(str(e)) from None
    if seed is None:
        return seeding.random_seed(), f"{source} random"
    return seed, source


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "golem(seed=None, component=None, worker=None, args=(), env=None, config=None, "
        "idempotency_key=None, workers=(), files=None, http_strict=True, "
        "http_assert_all_called=True): configure the golem-fakes "
        "environment of this "
        "test (and use the golem fixture without naming it)")
    if _installed_key not in config.stash and _reason_key not in config.stash:
        _install(config)  # plugin registered after start-up (e.g. -p in pytester)
    seed, origin = _global_seed(config)
    config.stash[_global_seed_key] = seed
    config.stash[_seed_origin_key] = origin
    # worker code's urllib3 / requests, httpx (sync and async) and urllib.request go
    # through the fake wasi:http while an invocation runs, as Golem's urllib3 fork sends
    # them (golem_fakes.clients); each client only if it is installed
    from golem_fakes.clients import route_http_clients

    route_http_clients()


@pytest.hookimpl(optionalhook=True)
def pytest_unconfigure(config: pytest.Config) -> None:
    """Put back the per-component exports this session set (an in-process pytester
    session must not leave them to the outer one)."""
    before = config.stash.get(_exports_before_key, None)
    if before is not None:
        from golem_fakes.worker.executor import set_component_exports

        set_component_exports(before)


def pytest_configure_node(node: Any) -> None:
    """pytest-xdist: workers use the controller's global seed (matters for ``random``)."""
    node.workerinput["golem_global_seed"] = node.config.stash[_global_seed_key]
    node.workerinput["golem_seed_origin"] = node.config.stash[_seed_origin_key]


def pytest_report_header(config: pytest.Config) -> list[str]:
    import golem_fakes

    head = f"golem-fakes {golem_fakes.__version__}"
    installed = config.stash.get(_installed_key, None)
    reason = config.stash.get(_reason_key, "")
    seed = config.stash.get(_global_seed_key, 0)
    origin = config.stash.get(_seed_origin_key, "default")
    lines = []
    if installed is None:
        lines.append(f"{head}: no bindings installed ({reason})")
    else:
        lines.append(f"{head}: world {installed.world!r} as {installed.package!r} "
                     f"(componentize-py {installed.version} layout {installed.layout}) "
                     f"from {installed.wit}")
        lines.append(f"golem-fakes: {reason}")
    component = _default_component(config)
    lines.append(f"golem-fakes: global seed {seed} ({origin}); golem fixture runs as "
                 f"{component}/worker-1 unless @pytest.mark.golem says otherwise")
    return lines


def _default_component(config: pytest.Config) -> str:
    component = config.stash.get(_component_key, None)
    if component:
        return component
    installed = config.stash.get(_installed_key, None)
    return installed.world if installed is not None else "component"


# --- the fixture and the marker -----------------------------------------------------


@pytest.hookimpl(trylast=True)  # after other plugins' marker changes
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A test with the ``golem`` marker gets the ``golem`` fixture without naming it
    (as time-machine's marker does). Every test that uses the fixture gets its plan
    (marker options, seed, component) worked out here, once, so that the fixture does
    no marker lookups or seed derivation per test (see :func:`_plan`), and, when
    nothing can tell, its set-up without pytest's fixture machinery
    (:func:`_setup_fast`)."""
    fast: bool | None = None
    for item in items:
        names = getattr(item, "fixturenames", None)
        if names is None:
            continue
        if "golem" not in names:
            if not item.get_closest_marker("golem"):
                continue
            names.insert(0, "golem")
            _resolve_fixture_now(item)
        item.stash[_plan_key] = _plan(item)
        if fast is None:
            fast = _fast_setup_allowed(item.config)
        if fast and _is_plugin_golem(item):
            # an instance attribute: SetupState calls item.setup() (see _setup_fast)
            item.setup = partial(_setup_fast, item)


#: What the fixture needs for one test: ``(seed, seed came from the marker, Golem
#: keyword arguments, workers, failure)``; ``failure`` is the message of a bad marker,
#: raised by the fixture at setup (as before: the test errors, the session goes on).
_Plan = "tuple[int, bool, dict[str, Any], Any, str | None]"
_plan_key = pytest.StashKey[_Plan]()


def _plan(item: pytest.Item) -> Any:
    from golem_fakes.seeding import test_seed

    try:
        options = _marker_kwargs(item)
    except pytest.fail.Exception as failure:
        return (0, False, {}, None, str(failure.msg))
    marker_seed = options.pop("seed", None)
    seed = test_seed(item.config.stash[_global_seed_key], item.nodeid) \
        if marker_seed is None else marker_seed
    workers = options.pop("workers", None)
    if "component" not in options:
        options["component"] = _default_component(item.config)
    code = item.config.stash.get(_code_key, None)
    if code is not None and options["component"] == _default_component(item.config):
        # the component's code: the default worker's instance runs it (README "Workers
        # are instances")
        options["code"], options["code_path"] = code
    return (seed, marker_seed is not None, options, workers, None)


def _resolve_fixture_now(item: pytest.Item) -> None:
    """Record the fixture's definition in the item's fixture info, as pytest does for
    fixtures named in the signature; otherwise pytest looks it up again at every setup
    (~0.2 ms per test). Private pytest structures: skipped if they change."""
    try:
        info = item._fixtureinfo  # type: ignore[attr-defined]
        if "golem" not in info.name2fixturedefs:
            defs = item.session._fixturemanager.getfixturedefs("golem", item)
            if defs:
                info.name2fixturedefs["golem"] = defs
    except (AttributeError, TypeError):  # pragma: no cover - other pytest versions
        pass


def _marker_kwargs(item: pytest.Item) -> dict[str, Any]:
    marker = item.get_closest_marker("golem")
    if marker is None:
        return {}
    if marker.args:
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.golem takes keyword arguments only "
            f"({', '.join(_MARKER_KEYS)}), got positional {marker.args!r}; write "
            f"@pytest.mark.golem(seed={marker.args[0]!r}) for a seed.", pytrace=False)
    unknown = sorted(set(marker.kwargs) - set(_MARKER_KEYS))
    if unknown:
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.golem got unknown option(s) {', '.join(unknown)}; "
            f"it accepts {', '.join(_MARKER_KEYS)}.", pytrace=False)
    return dict(marker.kwargs)


def _add_workers(g: "Golem", workers: Any, nodeid: str) -> None:
    for k, spec in enumerate(workers or ()):
        if not isinstance(spec, dict) or "component" not in spec or "name" not in spec:
            pytest.fail(
                f"{nodeid}: @pytest.mark.golem(workers=[...]) entry {k} is {spec!r}; each "
                f"entry is a dict with 'component' and 'name' and optionally args, env, "
                f"config, status, component_version, created_at (Golem.add_worker's "
                f"arguments).", pytrace=False)
        rest = {key: v for key, v in spec.items() if key not in ("component", "name")}
        g.add_worker(spec["component"], spec["name"], **rest)


#: The test being set up (see :func:`pytest_runtest_setup`).
_setup_item: Any = None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Remember the test being set up for the ``golem`` fixture, which then needs no
    ``request`` argument: pytest makes a ``request`` fixture definition per test that
    asks for it (with an ``inspect.signature`` call), which cost more than the rest of
    the fixture."""
    global _setup_item
    _setup_item = item


#: The test's Golem (the fixture's value) from its set-up to its teardown.
_golem_key = pytest.StashKey["Golem"]()


@pytest.fixture
def golem() -> "Golem":
    """A fresh :class:`golem_fakes.Golem`, current for the test: the test body runs
    inside an invocation of a fresh worker (default ``worker-1`` of the installed
    component), as Golem only runs worker code inside invocations. Configure it with
    ``@pytest.mark.golem(...)``. Its seed derives from the global seed
    (``--golem-seed``) and the test's node id unless the marker gives one.

    Not a generator: the teardown is a finalizer of the test item, registered where a
    ``yield`` fixture's is (:func:`_golem_for`), which saves pytest's generator
    handling; most tests do not run this function at all (:func:`_setup_fast`)."""
    return _golem_for(_setup_item)


def _golem_for(item: Any) -> "Golem":
    """The test's Golem: made, configured and entered on the first request (the
    fixture's or :func:`_setup_fast`'s), with its teardown (:func:`_end_golem`)
    registered on the item at that moment, so it runs in the place a ``yield``
    fixture's would: after the fixtures set up later (those using ``golem``), before
    those set up earlier."""
    g = item.stash.get(_golem_key, None)
    if g is not None:
        return g
    plan = item.stash.get(_plan_key, None)
    if plan is None:  # e.g. request.getfixturevalue("golem"): not planned at collection
        plan = _plan(item)
    seed, from_marker, options, workers, failure = plan
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    item.stash[_item_seed_key] = (seed, from_marker)
    # looked up per call (tests may patch golem_fakes.state.golem.Golem)
    files = None
    http_options = None
    if "files" in options or "http_strict" in options or "http_assert_all_called" in options:
        options = dict(options)
        files = options.pop("files", None)
        if "http_strict" in options or "http_assert_all_called" in options:
            http_options = (bool(options.pop("http_strict", True)),
                            bool(options.pop("http_assert_all_called", True)))
    g = (_golem_module or _import_golem_module()).Golem(seed, **options)
    if http_options is not None:
        g.__dict__["_http_options"] = http_options
    if files:
        # the component's initial files (Golem's component metadata `files`)
        g.add_component(options["component"], files=files)
    other_code = item.config.stash.get(_other_code_key, None)
    if other_code:
        for other, (module, where) in other_code.items():
            # the application's other components (golem.yaml wasm-rpc targets), with code
            if other != options["component"]:
                g.add_component(other, code=module, path=where)
    if workers:
        _add_workers(g, workers, item.nodeid)
    g.__enter__()
    try:
        item.addfinalizer(partial(_end_golem, item, g))
    except BaseException:
        g.__exit__(None, None, None)
        raise
    item.stash[_golem_key] = g
    return g


def _end_golem(item: Any, g: "Golem") -> None:
    """The fixture's teardown: leave the Golem (``with golem:``'s exit: the block's
    invocation completes), then the strict HTTP checks."""
    if item.stash.get(_golem_key, None) is g:
        del item.stash[_golem_key]
    g.__exit__(None, None, None)
    http = g.__dict__.get("_http")
    if http is not None:
        # strict HTTP stubbing (as pytest-httpx): unmatched requests and routes never
        # called fail the test here, at teardown (golem_fakes.state.http)
        problems = http.problems()
        if problems:
            pytest.fail("golem.http: " + "\n".join(problems) + "\n(relax with "
                        "@pytest.mark.golem(http_strict=False) / http_assert_all_called=False)",
                        pytrace=False)


def _setup_fast(item: Any) -> None:
    """``Function.setup`` (``TopRequest._fillfixtures``) for a test whose ``golem`` is
    this plugin's fixture: the same loop over the test's fixture names in the same
    order, but ``golem`` comes from :func:`_golem_for` directly instead of through
    pytest's fixture machinery (a sub-request, three finalizers, the
    ``pytest_fixture_setup`` hook: ≈ 2/3 of the fixture's cost per test). A fixture
    that depends on ``golem``, or ``request.getfixturevalue("golem")``, still goes
    through pytest and gets the same Golem. Only used when nothing can observe the
    difference (:func:`_fast_setup_allowed`)."""
    request = item._request
    funcargs = item.funcargs
    for argname in item.fixturenames:
        if argname not in funcargs:
            funcargs[argname] = _golem_for(item) if argname == "golem" else \
                request.getfixturevalue(argname)


#: Plugins whose ``pytest_fixture_setup`` / ``pytest_fixture_post_finalizer`` hooks do
#: nothing for the ``golem`` fixture (a plain function fixture, no option of theirs
#: set): pytest's own, and anyio's (async fixtures only).
_FIXTURE_HOOK_PLUGINS = frozenset({"_pytest.fixtures", "_pytest.setuponly",
                                   "_pytest.setupplan", "anyio.pytest_plugin"})


def _fast_setup_allowed(config: pytest.Config) -> bool:
    """Whether :func:`_setup_fast` is unobservable in this session: no
    ``--setup-show`` / ``--setup-only`` / ``--setup-plan`` (they print each fixture's
    set-up), and no plugin or conftest watching fixture set-up or teardown through
    ``pytest_fixture_setup`` / ``pytest_fixture_post_finalizer`` other than those of
    :data:`_FIXTURE_HOOK_PLUGINS`."""
    option = config.option
    if any(getattr(option, name, False) for name in ("setupshow", "setuponly", "setupplan")):
        return False
    hook = config.pluginmanager.hook
    for name in ("pytest_fixture_setup", "pytest_fixture_post_finalizer"):
        for impl in getattr(hook, name).get_hookimpls():
            if getattr(impl.plugin, "__name__", None) not in _FIXTURE_HOOK_PLUGINS:
                return False
    return True


def _is_plugin_golem(item: Any) -> bool:
    """Whether ``golem`` resolves, for ``item``, to this plugin's fixture (not one a
    conftest or module overrides it with, nor a ``parametrize`` argument) and the
    item sets up as a plain ``pytest.Function``."""
    if type(item).setup is not pytest.Function.setup:
        return False
    try:
        defs = item._fixtureinfo.name2fixturedefs.get("golem")
        item._request, item.funcargs  # noqa: B018 - the attributes _setup_fast uses
    except AttributeError:  # pragma: no cover - other pytest versions
        return False
    if not defs:
        return False
    func = getattr(defs[-1], "func", None)
    return (getattr(func, "__module__", None) == __name__
            and getattr(func, "__name__", None) == "golem" and defs[-1].baseid == "")


_golem_module: Any = None


def _import_golem_module() -> Any:
    global _golem_module
    import golem_fakes.state.golem as module

    _golem_module = module
    return module


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    if report.failed:
        seeded = item.stash.get(_item_seed_key, None)
        if seeded is not None:
            from golem_fakes import seeding

            seed, from_marker = seeded
            report.sections.append((
                "golem-fakes",
                seeding.describe(item.nodeid, seed, item.config.stash[_global_seed_key],
                                 marker_seed=from_marker)))
    return report


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_call(item: pytest.Item) -> None:
    """pytest swaps ``sys.stdout`` / ``sys.stderr`` between test phases (its output
    capture); inside the call phase, wrap them again in golem-fakes' ``print()`` tee if a
    Golem is entered (the fixture's), so worker code's ``print`` reaches the worker's
    stdout as it would inside a component (``golem_fakes/state/stdio.py``).

    The first plain implementation: it runs after every wrapper's set-up (pytest's
    capture has put its streams in place) and before the test function, as a
    ``trylast`` wrapper did, without a generator per test."""
    (_ensure_tee or _import_ensure_tee())()


_ensure_tee: Any = None


def _import_ensure_tee() -> Any:
    global _ensure_tee
    from golem_fakes.state.stdio import ensure_tee

    _ensure_tee = ensure_tee
    return ensure_tee


# --- databases (golem:rdbms) ---------------------------------------------------------


def _database_url(config: pytest.Config, option: str, env: str) -> str | None:
    import os

    return (config.getoption(option, default=None) or config.getini(option) or
            os.environ.get(env) or None)


def _database(request: pytest.FixtureRequest, option: str, env: str, start: Any,
              hint: str) -> Iterator[str]:
    url = _database_url(request.config, option, env)
    if url:
        yield url
        return
    try:
        server = start()
    except FileNotFoundError as e:
        # pytest_golem.databases.ServerNotFound (by name: pytester's in-process runs may
        # import that module again); any other missing file is an error, not a skip
        if type(e).__name__ != "ServerNotFound":
            raise
        pytest.skip(hint)
    try:
        yield server.url
    finally:
        from golem_fakes.interfaces.golem_rdbms import close_idle_connections

        close_idle_connections()
        server.stop()


@pytest.fixture(scope="session")
def golem_postgres_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a PostgreSQL server for ``golem:rdbms/postgres`` workers: the configured one
    (``--golem-postgres-url``, ini ``golem_postgres_url``, ``$GOLEM_POSTGRES_URL``), else a
    throwaway server started from the distribution's ``initdb``/``postgres`` on a free
    loopback port for the session (:mod:`pytest_golem.databases`); skips the test with
    what to install when there is neither."""
    from pytest_golem import databases as d

    yield from _database(request, "golem_postgres_url", "GOLEM_POSTGRES_URL",
                         d.start_postgres, d.POSTGRES_HINT)


@pytest.fixture(scope="session")
def golem_mysql_url(request: pytest.FixtureRequest) -> Iterator[str]:
    """URL of a MySQL/MariaDB server for ``golem:rdbms/mysql`` workers: the configured one
    (``--golem-mysql-url``, ini ``golem_mysql_url``, ``$GOLEM_MYSQL_URL``), else a throwaway
    MariaDB (or MySQL) started from the distribution's ``mariadb-install-db``/``mariadbd``
    on a free loopback port for the session; skips the test with what to install when
    there is neither."""
    from pytest_golem import databases as d

    yield from _database(request, "golem_mysql_url", "GOLEM_MYSQL_URL",
                         d.start_mysql, d.MYSQL_HINT)
