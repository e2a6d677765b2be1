"""``Golem``: one in-memory Golem installation for a test.

A :class:`Golem` holds everything the real executor and its services keep for the
workers a test talks to (``golem-host-semantics.md``): components (name → stable
component id derived from the seed), workers and their metadata (the
:class:`~golem_fakes.state.registry.WorkerRegistry`), per-worker oplogs and executor
state (retry policy, persistence level, idempotence mode, atomic regions —
:class:`~golem_fakes.state.invocation.WorkerRuntime`), the promise store shared by all
workers, the idempotency keys issued, and the update / fork / revert requests made.

It is an :class:`~golem_fakes.state.environment.Environment`: ``with g:`` makes it the
target of every binding call **and** runs the block inside an invocation of the
default worker, as Golem only ever runs worker code inside an invocation (§16 rule 2).

Determinism: every random-looking value derives from ``seed`` with process-independent
hashing (component ids: SHA-256 of seed and name; invocation keys: a
``random.Random`` seeded with a string), so the same seed gives the same values in
every process.
"""

from __future__ import annotations

import functools
import random
import threading
import uuid
from contextvars import Token
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, TypeVar

from golem_fakes.bindings.runtime import Trap, current_environment, environment_of, set_trap_hook
from golem_fakes.state.context import SpanRecord, invoked_payload, spans_of
from golem_fakes.state.environment import Environment
from golem_fakes.state.invocation import (
    DEFAULT_RETRY_POLICY,
    Invocation,
    InvocationRejected,
    RetryPolicy,
    WorkerRuntime,
    PendingInvocation,
    current_invocation,
)
from golem_fakes.state.oplog import Oplog
from golem_fakes.state.promises import Deadlock, Promise, PromiseKey, PromiseStore
from golem_fakes.state.registry import Component, Worker, WorkerRegistry, WorkerStatus
from golem_fakes.state.stdio import tee_streams, untee_streams
from golem_fakes.state.text import check_text, check_texts

if TYPE_CHECKING:
    from golem_fakes.state.blobstore import BlobStore
    from golem_fakes.state.clock import VirtualClock
    from golem_fakes.state.console import Console
    from golem_fakes.state.filesystem import FileSystem
    from golem_fakes.state.http import HttpStubs
    from golem_fakes.state.network import Network
    from golem_fakes.state.keyvalue import KeyValueStore
    from golem_fakes.state.randomness import Randomness
    from golem_fakes.worker.executor import InvocationHandle
    from golem_fakes.worker.instance import WorkerInstance

__all__ = ["Golem", "UpdateRequest", "ForkRequest", "RevertRequest"]

F = TypeVar("F", bound=Callable[..., Any])

#: Name recorded as the exported function of a ``with g:`` / ``run_as`` block.
BLOCK_FUNCTION = "golem-fakes:test/block"


@dataclass
class UpdateRequest:
    """An ``update-worker`` call (§8.1): target worker, version, mode (``"automatic"``
    or ``"snapshot-based"``), the caller, and the outcome (``"successful"``,
    ``"failed: <details>"`` - the ``failed-update`` entry's details -, ``"pending"``
    while the target's running invocation has not ended, or ``"not performed: ..."``
    for an exited worker, which Golem only logs; :mod:`golem_fakes.worker.admin`)."""

    worker: Worker
    target_version: int
    mode: str
    requested_by: Worker | None
    outcome: str = "pending"


@dataclass
class ForkRequest:
    """A ``fork-worker`` or ``fork`` call (§8.2, §8.4): the copy ``target`` has the
    source's ``create`` entry (worker id replaced) and entries ``2..=cut_off``, and
    ran its continuation (:mod:`golem_fakes.worker.admin`)."""

    source: Worker
    target: Worker
    cut_off: int
    kind: str  # "fork-worker" | "fork"
    requested_by: Worker | None


@dataclass
class RevertRequest:
    """A ``revert-worker`` call (§8.3): ``target`` is ``("revert-to-oplog-index", i)``
    or ``("revert-last-invocations", n)``; ``deleted`` the inclusive index range the
    ``revert`` entry deleted."""

    worker: Worker
    target: tuple[str, int]
    deleted: tuple[int, int]
    requested_by: Worker | None


#: Held while a Golem creates state on first use (registry, stores, a worker's runtime,
#: file system, console, ...), so that threads using it first at the same moment share
#: one object instead of each writing to its own (issue 12 §3). Only the creation takes
#: it: once made, the state is read without a lock. Re-entrant: one lazy object's
#: creation may need another (a runtime's oplog needs the clock).
_LAZY = threading.RLock()


class _Activation:
    """Makes a Golem current and runs code inside an invocation of a worker.

    ``worker=None`` (``with g:``) continues the invocation already running in this
    context if it belongs to the same Golem, otherwise starts one of the default
    worker."""

    __slots__ = ("golem", "worker", "key", "function", "invocation", "token", "final",
                 "modules", "resume")

    def __init__(self, golem: "Golem", worker: Worker | None, key: str | None,
                 function: str, final: bool = False,
                 resume: Invocation | None = None) -> None:
        self.golem = golem
        #: an invocation run again by a recovery (golem_fakes.worker.replay): entered
        #: without beginning a new one
        self.resume = resume
        self.worker = worker
        self.key = key
        self.function = function
        self.final = final
        self.invocation: Invocation | PendingInvocation | None = None
        self.token: Token[Invocation | PendingInvocation | None] | None = None
        #: (loaded code, activation token) while the instance's modules are swapped in
        self.modules: Any = None

    def __enter__(self) -> Invocation | PendingInvocation:
        g = self.golem
        cur = current_invocation.get()
        if self.worker is None and cur is not None and cur.golem is g:
            # re-entrant ``with g:``: same invocation, same instance
            Environment._enter_for(g, self, g._current_env_value())
            tee_streams()
            return cur
        inst = None
        if self.worker is not None:
            inst = g._instance_for(self.worker.component.name, self.worker.name)
        elif g._default_code is not None:
            inst = g._instance_for(g._default[0], g._default[1])
        Environment._enter_for(g, self, inst.env if inst is not None else None)
        tee_streams()  # print() in worker code reaches its stdout (state/stdio.py)
        try:
            if inst is not None and inst.loaded is not None and not inst.loaded.adopted:
                self.modules = (inst.loaded, inst.loaded.activate())
            parent = cur if cur is None or type(cur) is Invocation else cur.resolve()
            if self.worker is None:
                # ``with g:`` on an untouched Golem (the fixture's case): begun on first
                # use (see PendingInvocation); once state exists, begun at once.
                function, key = self.function, self.key
                inv: Invocation | PendingInvocation = PendingInvocation(
                    g, lambda: g._begin_invocation(g.default_worker, function, key, parent))
                if g._registry is not None:
                    inv = inv.resolve()
            elif self.resume is not None:
                inv = self.resume
                inv.outcome = inv.error = inv.trap = None
                inv.crashed = False
                inv.stderr_chunks.clear()
                inv.final = True
                self.worker.status = WorkerStatus.RUNNING
            else:
                inv = g._begin_invocation(self.worker, self.function, self.key, parent)
                inv.final = self.final
            self.invocation = inv
            self.token = current_invocation.set(inv)
            return inv
        except BaseException:
            self._restore_modules()
            untee_streams()
            Environment.__exit__(g)
            raise

    def _restore_modules(self) -> None:
        m = self.modules
        if m is not None:
            self.modules = None
            m[0].deactivate(m[1])

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        g = self.golem
        try:
            if self.token is not None:
                current_invocation.reset(self.token)
                self.token = None
                inv = self.invocation
                if type(inv) is PendingInvocation:
                    if inv.invocation is None and exc is not None:
                        inv.resolve()  # the block failed: the invocation fails (§6.2)
                    # still None: nothing observed or failed, the Golem is untouched and
                    # the invocation leaves no trace
                    inv = inv.invocation
                if inv is not None:
                    if inv.trap is not None:
                        exc = inv.trap  # a trap is final, whatever the code did after it
                    g._end_invocation(inv, exc)
        finally:
            self._restore_modules()
            untee_streams()
            Environment.__exit__(g)


def _trap_made(trap: Trap) -> None:
    """A :class:`Trap` is being made: if the code runs in an invocation of component
    code (``final``), the invocation is over (issue 13 §3). Its context's bindings now
    raise this trap on every call (:class:`~golem_fakes.worker.instance.TrappedEnvironment`)
    and its outcome is the trap, even if the code swallows it."""
    inv = current_invocation.get()
    if type(inv) is Invocation and inv.final and inv.trap is None:
        from golem_fakes.worker.instance import TrappedEnvironment

        inv.trap = trap
        current_environment.set(TrappedEnvironment(inv.golem, trap))


set_trap_hook(_trap_made)


def _check_default_texts(component: Any, worker: Any, args: tuple[Any, ...], env: Any,
                         config: Any, idempotency_key: Any) -> None:
    """Reject lone surrogates in the default worker's configuration when the Golem is
    made (the worker itself is created on first use; :mod:`golem_fakes.state.text`)."""
    check_text(component, "Golem(component=...)")
    check_text(worker, "Golem(worker=...)")
    check_texts(args, "Golem(args=...) item")
    check_text(idempotency_key, "Golem(idempotency_key=...)")
    for what, pairs in (("env", env), ("config", config)):
        if isinstance(pairs, Mapping):
            pairs = pairs.items()
        elif not isinstance(pairs, (list, tuple)):
            continue  # an iterator: checked when the worker is created
        for item in pairs:
            if isinstance(item, (tuple, list)) and len(item) == 2:
                check_text(item[0], f"Golem({what}=...) name")
                check_text(item[1], f"Golem({what}=...) value of {item[0]!r}")


class Golem(Environment):
    """One fake Golem installation; the environment worker code runs against.

    :param seed: determines every random-looking value (component ids, invocation
        idempotency keys, ...): the same seed gives the same values in every process.
    :param component: name of the default component (``with g:`` runs as a worker of it).
    :param worker: name of the default worker, created fresh (status idle, version 0,
        ``created_at`` now) on first use, like Golem creating a worker on its first
        invocation.
    :param args: ``args`` of the default worker.
    :param env: creation env of the default worker (pairs or a mapping, order kept).
    :param config: ``wasi-config-vars`` of the default worker.
    :param idempotency_key: invocation idempotency key of ``with g:`` blocks (default:
        a v4 UUID drawn from the seed, as Golem draws a random one when the caller
        gives none, §7.2).

    Construction is cheap: the registry, the default worker and the RNG are created on
    first use.

    Entry forms:

    * ``with g:`` — makes ``g`` current and runs the block inside an invocation of the
      default worker (a nested ``with g:`` continues the same invocation);
    * ``@g`` / ``@Golem(seed=1)`` on a sync function — each call runs inside
      ``with g:``. The **same** Golem serves every call, so state accumulates across
      calls; use :meth:`fresh` (e.g. per hypothesis example) for a clean one;
    * ``with g.run_as(component, name):`` — a block inside an invocation of that worker;
    * ``g.invoke(component, name, "add-item", *args)`` — invoke an export of that
      worker's own instance of the component's code by Golem's function name (or
      ``g.invoke(component, name, fn, *args)`` with a callable); ``g.enqueue(...)`` queues
      it and returns a handle. See README "Workers are instances".

    What a worker did: :meth:`oplog`, :meth:`invocations`, :meth:`spans` (its
    ``golem:api/context`` spans: ``span_id``, ``parent``, ``name``, ``attributes``,
    ``started_at``, ``finished_at``), :attr:`idempotency_keys`, :attr:`updates`,
    :attr:`forks`, :attr:`reverts`.

    :param code: the default component's Python module (``componentize -p PATH MODULE``)
        and ``code_path`` its directory: each worker runs its own instance of it, the
        default worker the modules a test imported (:meth:`instance`).
    """

    #: Project of every component of this installation (resolve-component-id accepts
    #: ``project/name``; an unknown project is an invalid request, §9.4).
    project: str = "default"
    #: Account id of this installation (``account/project/name`` references).
    account: str = "account"

    #: The executor's worker retry policy (§6.1); a worker's ``set-retry-policy``
    #: overrides it for that worker only (assigning it sets this Golem's).
    retry_policy: RetryPolicy = DEFAULT_RETRY_POLICY
    #: ``update-worker`` requests, in order (§8.1).
    updates: list[UpdateRequest]
    #: ``fork-worker`` and ``fork`` requests, in order (§8.2, §8.4).
    forks: list[ForkRequest]
    #: ``revert-worker`` requests, in order (§8.3).
    reverts: list[RevertRequest]
    _runtimes: dict[Worker, WorkerRuntime]
    # made on first use (class-level ``None`` until then)
    _registry: WorkerRegistry | None = None
    _promises: PromiseStore | None = None
    _rng: random.Random | None = None

    _lazy_state: dict[str, Callable[[Any], Any]] = {
        **Environment._lazy_state,
        "updates": lambda g: [],
        "forks": lambda g: [],
        "reverts": lambda g: [],
        "_runtimes": lambda g: {},
        "_instances": lambda g: {},
        "_codes": lambda g: {},
        "_version_codes": lambda g: {},
        "_wasms": lambda g: {},
        "_version_wasms": lambda g: {},
    }
    _instances: dict[tuple[str, str], "WorkerInstance"]
    #: component name → its compiled component (``add_component(wasm=...)``)
    _wasms: dict[str, Any]
    #: component name → version → the compiled component given for that version
    #: (``add_component_version(wasm=...)``; ``None``: that version is Python code)
    _version_wasms: dict[str, dict[int, Any]]
    _codes: dict[str, tuple[str, Any]]
    #: component name → version → ``(module, path)`` given for that version
    _version_codes: dict[str, dict[int, tuple[str, Any]]]

    #: ``(module, path)`` of the default component's code, if it has code.
    _default_code: tuple[str, Any] | None = None

    def __init__(self, seed: int = 0, *, component: str = "component", worker: str = "worker-1",
                 args: Iterable[str] = (),
                 env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                 config: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                 idempotency_key: str | None = None, code: str | None = None,
                 code_path: Any = None) -> None:
        # Environment.__init__ makes nothing (its state is made on first use), and
        # neither does this: the lists and dicts below come from _lazy_state, the
        # ``None`` defaults are class attributes. Only the instance dict is made, as a
        # combined dict (see Environment.__init__: attribute loads specialise).
        self.__dict__ = {}
        if type(seed) is not int:
            if not isinstance(seed, int) or isinstance(seed, bool):
                raise TypeError(f"Golem seed must be an int, got {seed!r}")
        self.seed = seed
        if type(args) is not tuple:
            args = tuple(args)
        if not (type(component) is str and component.isascii() and type(worker) is str
                and worker.isascii()) or args or env or config or idempotency_key is not None:
            _check_default_texts(component, worker, args, env, config, idempotency_key)
        self._default = (component, worker, args, env, config)
        self._idempotency_key = idempotency_key
        if code is not None:
            self._default_code = (code, code_path)

    # --- construction helpers --------------------------------------------------

    def fresh(self, seed: int | None = None) -> "Golem":
        """A new, empty Golem with the same constructor configuration (and ``seed``
        unless given): one per hypothesis example, for instance."""
        component, worker, args, env, config = self._default
        code, code_path = self._default_code or (None, None)
        g = type(self)(self.seed if seed is None else seed, component=component, worker=worker,
                       args=args, env=env, config=config, idempotency_key=self._idempotency_key,
                       code=code, code_path=code_path)
        return g

    @property
    def registry(self) -> WorkerRegistry:
        """Components and workers (created on first use)."""
        r = self._registry
        if r is None:
            with _LAZY:
                r = self._registry
                if r is None:
                    # ``created_at`` of workers: the virtual wall clock (g.clock, made on
                    # first use)
                    r = self._registry = WorkerRegistry(self.seed,
                                                        now_ms=lambda: self.clock.wall_ms())
            # The state is observed from now on: a pending ``with g:`` invocation in
            # this context begins, as it would have at entry (see PendingInvocation).
            inv = current_invocation.get()
            if type(inv) is PendingInvocation and inv.golem is self and not inv.beginning:
                inv.resolve()
        return r

    @property
    def promises(self) -> dict[PromiseKey, Promise]:
        """Every promise not deleted, keyed by :class:`PromiseKey` (its ``str`` is
        Golem's ``<component-uuid>/<worker-name>/<oplog-idx>``); each has ``state``
        (pending / completed), ``payload`` and ``completed_by``."""
        return self.promise_store.all()

    @property
    def keyvalue(self) -> "KeyValueStore":
        """The ``wasi:keyvalue`` buckets of this installation's project, shared by all its
        workers (created on first use; see :mod:`golem_fakes.state.keyvalue`)."""
        kv = self.__dict__.get("_keyvalue")
        if kv is None:
            from golem_fakes.state.keyvalue import KeyValueStore

            with _LAZY:
                kv = self.__dict__.get("_keyvalue")
                if kv is None:
                    kv = self.__dict__["_keyvalue"] = KeyValueStore(self)
        return kv

    @property
    def network(self) -> "Network":
        """The in-memory network ``wasi:sockets`` reaches, shared by all workers and the
        test's peers: the name-lookup table ``network.hosts``, the address policy
        (Golem denies every socket address: ``network.allow()`` opts in), peers
        (``network.listen``/``connect``/``udp``); see :mod:`golem_fakes.state.network`."""
        net = self.__dict__.get("_network")
        if net is None:
            from golem_fakes.state.network import Network

            with _LAZY:
                net = self.__dict__.get("_network")
                if net is None:
                    net = self.__dict__["_network"] = Network()
        return net

    @property
    def blobstore(self) -> "BlobStore":
        """The ``wasi:blobstore`` containers of this installation's project, shared by all
        its workers (created on first use; see :mod:`golem_fakes.state.blobstore`)."""
        bs = self.__dict__.get("_blobstore")
        if bs is None:
            from golem_fakes.state.blobstore import BlobStore

            with _LAZY:
                bs = self.__dict__.get("_blobstore")
                if bs is None:
                    bs = self.__dict__["_blobstore"] = BlobStore(self)
        return bs

    @property
    def http(self) -> "HttpStubs":
        """The stub router behind ``wasi:http`` (created on first use; see
        :mod:`golem_fakes.state.http`): ``golem.http.get(url).respond(200, json=...)``,
        ``route.calls``, ``golem.http.requests``. Strict by default: the pytest plugin
        fails a test whose worker sent a request no route matched, or that registered a
        route never called (``@pytest.mark.golem(http_strict=False,
        http_assert_all_called=False)`` relaxes each)."""
        h = self.__dict__.get("_http")
        if h is None:
            from golem_fakes.state.http import HttpStubs

            with _LAZY:
                h = self.__dict__.get("_http")
                if h is None:
                    h = HttpStubs(*self.__dict__.get("_http_options", (True, True)))
                    h._golem = self
                    self.__dict__["_http"] = h
        return h

    @property
    def clock(self) -> "VirtualClock":
        """The virtual wall and monotonic clocks of this installation (created on first
        use; see :mod:`golem_fakes.state.clock`)."""
        c = self.__dict__.get("_clock")
        if c is None:
            from golem_fakes.state.clock import VirtualClock

            with _LAZY:
                c = self.__dict__.get("_clock")
                if c is None:
                    c = self.__dict__["_clock"] = VirtualClock(self)
        return c

    @property
    def random(self) -> "Randomness":
        """The seeded sources behind ``wasi:random`` (created on first use; see
        :mod:`golem_fakes.state.randomness`)."""
        r = self.__dict__.get("_randomness")
        if r is None:
            from golem_fakes.state.randomness import Randomness

            with _LAZY:
                r = self.__dict__.get("_randomness")
                if r is None:
                    r = self.__dict__["_randomness"] = Randomness(self)
        return r

    def filesystem(self, *worker: Any) -> "FileSystem":
        """The in-memory file system of a worker (same addressing as :meth:`runtime`;
        created on first use from its component's initial files; see
        :mod:`golem_fakes.state.filesystem`)."""
        w = self._worker_of(worker)
        per = self.__dict__.setdefault("_filesystems", {})
        fs = per.get(w)
        if fs is None:
            from golem_fakes.state.filesystem import FileSystem

            with _LAZY:
                fs = per.get(w)
                if fs is None:
                    fs = per[w] = FileSystem.for_worker(self, w)
        return fs

    def console(self, *worker: Any) -> "Console":
        """What a worker wrote to stdout / stderr and logged through ``wasi:logging``
        (same addressing as :meth:`runtime`; see :mod:`golem_fakes.state.console`)."""
        w = self._worker_of(worker)
        per = self.__dict__.setdefault("_consoles", {})
        c = per.get(w)
        if c is None:
            from golem_fakes.state.console import Console

            with _LAZY:
                c = per.get(w)
                if c is None:
                    c = per[w] = Console(self, w)
        return c

    @property
    def promise_store(self) -> PromiseStore:
        """The shared promise store (§3.1)."""
        p = self._promises
        if p is None:
            with _LAZY:
                p = self._promises
                if p is None:
                    p = self._promises = PromiseStore()
        return p

    # --- components and workers ------------------------------------------------

    def add_component(self, name: str, *, version: int = 0,
                      env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                      files: Mapping[str, Any] | None = None, code: str | None = None,
                      path: Any = None, wasm: Any = None) -> Component:
        """Upload component ``name``: its id is a v4-shaped UUID derived from the seed
        and the name (Golem assigns a random v4, ``ComponentId::new_v4``); ``version``
        is the current version (Golem's first upload is 0); ``env`` is added to every
        worker's env after the worker's own variables; ``files`` are its initial files
        (guest path → ``bytes`` (read-only, the golem-cli default) or
        :class:`~golem_fakes.state.filesystem.InitialFile`), copied into the file
        system of each of its workers. ``code`` is the Python module componentize-py
        would componentize (``componentize -p PATH MODULE``: ``code="component",
        path="src"``): each worker of the component then runs its own instance of it
        (:meth:`instance`; README "Workers are instances"). ``wasm`` is instead the
        path of the built component (``golem-temp/components/<name>.wasm``, any
        language): each worker runs its own instance of it (one wasmtime store), every
        import served by the fakes through the same seam as Python code
        (:mod:`golem_fakes.compiled`); ``invoke`` calls its exports by name. It is
        compiled once per process and cached across runs (README "Testing a built
        component")."""
        if code is not None and wasm is not None:
            raise ValueError(f"add_component({name!r}): give the component's Python code "
                             f"(code=, path=) or its built .wasm (wasm=), not both")
        compiled = None
        if wasm is not None:
            from golem_fakes.compiled import CompiledComponent

            compiled = CompiledComponent.get(wasm)  # unreadable / not a component: fails here
        if code is not None:
            from golem_fakes.worker.code import ComponentCode

            ComponentCode.get(code, path)  # a module that cannot be found fails here
        normalized = None
        if files:  # checked before the component is added: a bad path adds nothing
            from golem_fakes.state.filesystem import normalize_initial_files

            normalized = normalize_initial_files(files)
        comp = self.registry.add_component(name, version=version, env=env)
        if normalized is not None:
            comp.files = normalized
        if code is not None:
            self._codes[name] = (code, path)
            self._version_codes.setdefault(name, {})[comp.version] = (code, path)
            if name == self._default[0]:
                self._default_code = (code, path)
        if compiled is not None:
            self._wasms[name] = compiled
        return comp

    def _wasm_of(self, component: str, version: int | None = None) -> Any:
        """The compiled component of ``component`` (``add_component(wasm=...)``), or
        ``None`` (Python code). With ``version``, that of the version: the one given for
        the highest version up to it (:meth:`add_component_version`), else the
        component's first."""
        d = self.__dict__
        if version is not None:
            per = d.get("_version_wasms", {}).get(component)
            if per:
                below = [v for v in per if v <= version]
                if below:
                    return per[max(below)]
        return d.get("_wasms", {}).get(component)

    def set_component_wasm(self, name: str, wasm: Any) -> None:
        """Run component ``name``, added already (the pytest plugin's default component
        with its Python code, say), as its built ``.wasm`` from now on, as
        ``add_component(name, wasm=...)`` would have: every export invoked by name
        (:meth:`invoke`, RPC) runs in the worker's own wasm instance, made at its next
        export call, and recoveries instantiate the wasm. The component keeps its id,
        version, env, files and workers. Python code a test calls directly (a class of
        ``component.py``, bindings in the test body) still runs in the test process:
        only invocations by export name cross into the wasm. In Golem a component's
        workers all run the one uploaded binary, so this is for tests that run one test
        file against both forms (README "Testing a built component")."""
        from golem_fakes.compiled import CompiledComponent

        if name == self._default[0]:
            self.registry.ensure_component(name)  # the default component: exists implicitly
        else:
            self.registry.component(name)  # KeyError naming the known components
        compiled = CompiledComponent.get(wasm)  # unreadable / not a component: fails here
        with _LAZY:
            self._wasms[name] = compiled
            for (component, _), inst in self._instances.items():
                if component == name:
                    inst.compiled = compiled

    def add_component_version(self, name: str, *, code: str | None = None, path: Any = None,
                              env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                              wasm: Any = None) -> int:
        """Upload a new version of component ``name`` (as ``golem component update``
        does): its current version goes up by one and that number is returned. ``code``
        / ``path`` are the new version's Python module and directory, or ``wasm`` its
        built component (as for :meth:`add_component`; either may follow either);
        without them the new version runs the code of the version before. ``env``
        replaces the component's env. Existing workers stay on their version until an
        ``update-worker`` moves them (an automatic update replays the worker's oplog on
        the new version's code or .wasm; a snapshot update calls the old instance's
        ``save-snapshot`` and the new one's ``load-snapshot`` exports;
        :mod:`golem_fakes.worker.admin`)."""
        if code is not None and wasm is not None:
            raise ValueError(f"add_component_version({name!r}): give the new version's Python "
                             f"code (code=, path=) or its built .wasm (wasm=), not both")
        comp = self.registry.component(name)
        compiled = None
        if wasm is not None:
            from golem_fakes.compiled import CompiledComponent

            compiled = CompiledComponent.get(wasm)  # unreadable / not a component: fails here
        if code is not None:
            from golem_fakes.worker.code import ComponentCode

            ComponentCode.get(code, path)  # a module that cannot be found fails here
        comp.version += 1
        if env is not None:
            from golem_fakes.state.registry import _pairs

            comp.env = dict(_pairs(env, "component env"))
        if code is not None:
            self._version_codes.setdefault(name, {})[comp.version] = (code, path)
            if name not in self._codes:
                self._codes[name] = (code, path)
            if self._wasm_of(name, comp.version) is not None:  # .wasm before, Python now
                self._version_wasms.setdefault(name, {})[comp.version] = None
        if compiled is not None:
            self._version_wasms.setdefault(name, {})[comp.version] = compiled
        return comp.version

    def add_worker(self, component: str | Component, name: str, *, args: Iterable[str] = (),
                   env: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                   config: Mapping[str, str] | Iterable[tuple[str, str]] | None = None,
                   status: WorkerStatus | str = "idle", component_version: int | None = None,
                   created_at: int | None = None) -> Worker:
        """Create a worker like Golem does (the component is added if unknown): its
        oplog starts with the ``create`` entry at index 1. ``status`` sets its last
        known status (e.g. ``"failed"`` to test filters). ``Worker already exists`` →
        ``ValueError``."""
        w = self.registry.add_worker(component, name, args=args, env=env, config=config,
                                     status=status, component_version=component_version,
                                     created_at=created_at)
        if WorkerStatus.parse(status) is WorkerStatus.FAILED:
            self.runtime(w).failed_error = "worker created with status failed"
        return w

    def worker(self, component: str | Component, name: str) -> Worker:
        """The worker; ``KeyError`` naming what exists otherwise."""
        return self.registry.get(component, name)

    @property
    def workers(self) -> list[Worker]:
        """Every worker (components in the order added, workers by name)."""
        return list(self.registry)

    @property
    def default_worker(self) -> Worker:
        """The worker ``with g:`` runs as (created on first use)."""
        component, name, args, env, config = self._default
        w = self.registry.find(component, name)
        if w is None:
            with self.registry._lock:   # threads using it first at once: one worker
                w = self.registry.find(component, name)
                if w is None:
                    w = self.registry.add_worker(component, name, args=args, env=env,
                                                 config=config)
        return w

    @property
    def current_invocation(self) -> Invocation | None:
        """The invocation of this Golem the calling code runs in, or ``None``."""
        inv = current_invocation.get()
        if inv is None or inv.golem is not self:
            return None
        return inv if type(inv) is Invocation else inv.resolve()  # type: ignore[union-attr]

    @property
    def current_worker(self) -> Worker:
        """The worker the calling code runs as (the default worker outside any
        invocation of this Golem)."""
        inv = self.current_invocation
        return inv.worker if inv is not None else self.default_worker

    def _worker_of(self, spec: tuple[Any, ...]) -> Worker:
        if not spec:
            return self.current_worker
        if len(spec) == 1:
            if isinstance(spec[0], Worker):
                return spec[0]
            return self.worker(self._default[0], spec[0])
        return self.worker(spec[0], spec[1])

    def runtime(self, *worker: Any) -> WorkerRuntime:
        """The executor state of a worker (``g.runtime()``: the current worker;
        ``g.runtime(w)``; ``g.runtime("comp", "name")``): oplog, retry-policy override,
        persistence level, idempotence mode, open atomic regions, invocations."""
        w = self._worker_of(worker)
        rt = self._runtimes.get(w)
        if rt is None:
            with _LAZY:
                rt = self._runtimes.get(w)
                if rt is None:
                    rt = self._new_runtime()
                    self._write_create(rt.oplog, w, w)
                    self._runtimes[w] = rt      # published with its create entry
        return rt

    def _new_runtime(self) -> WorkerRuntime:
        """A fresh worker runtime whose oplog timestamps entries with this installation's
        virtual wall clock (``g.clock``), as Golem timestamps them with the executor's
        clock."""
        return WorkerRuntime(oplog=Oplog(self.clock.wall_ms))

    @staticmethod
    def _write_create(oplog: Oplog, worker: Worker, source: Worker) -> None:
        """Index 1: ``create`` with the worker id and ``source``'s creation data."""
        e = oplog.append("create", worker_id=str(worker),
                         component_version=source.created_component_version
                         if source.created_component_version is not None else source.component_version,
                         args=list(source.args), env=list(source.env),
                         wasi_config_vars=sorted(source.config.items()),
                         created_by=None, parent=None)
        e.timestamp = source.created_at
        oplog.commit()

    def oplog(self, *worker: Any) -> Oplog:
        """The oplog of a worker (same addressing as :meth:`runtime`); entries are
        1-based: ``g.oplog()[1].kind == "create"``."""
        return self.runtime(*worker).oplog

    @property
    def idempotency_keys(self) -> dict[tuple[str, str], list[uuid.UUID]]:
        """Keys issued by ``generate-idempotency-key``, per ``(component, worker)``."""
        return {w.key: list(rt.idempotency_keys) for w, rt in self._runtimes.copy().items()
                if rt.idempotency_keys}        # dict.copy(): one atomic copy under threads

    def invocations(self, *worker: Any) -> list[Invocation]:
        """The invocations of a worker, oldest first (each with its
        ``idempotency_key``, ``function_name``, ``start_index`` and ``outcome``)."""
        return list(self.runtime(*worker).invocations)

    def spans(self, *worker: Any) -> list[SpanRecord]:
        """The spans of a worker (same addressing as :meth:`runtime`) as its oplog records
        them (``golem:api/context``, semantics §12), in the order they started: each
        invocation's root and invocation span (attributes ``name`` =
        ``invoke-exported-function``, ``idempotency_key``, ``function_name``,
        ``worker_id``) and every span the code started with ``start-span``. Each
        :class:`~golem_fakes.state.context.SpanRecord` has ``span_id``, ``parent``,
        ``name``, ``attributes`` (after every ``set-attribute``), ``started_at`` and
        ``finished_at`` (epoch ms; ``None`` while open)."""
        return spans_of(self.runtime(*worker).oplog)

    def effective_retry_policy(self, *worker: Any) -> RetryPolicy:
        """What ``get-retry-policy`` returns for the worker: its override, else
        :attr:`retry_policy`."""
        rt = self.runtime(*worker)
        return rt.retry_policy if rt.retry_policy is not None else self.retry_policy

    # --- instances (issue 13) ----------------------------------------------------

    def _code_of(self, component: str, version: int | None = None) -> tuple[str, Any] | None:
        """``(module, path)`` of the component's code; with ``version``, the code of that
        version: the one given for the highest version up to it
        (:meth:`add_component_version`), else the component's first code."""
        if version is not None:
            per = self.__dict__.get("_version_codes", {}).get(component)
            if per:
                below = [v for v in per if v <= version]
                return per[max(below)] if below else per[min(per)]
        code = self.__dict__.get("_codes", {}).get(component)
        if code is None and component == self._default[0]:
            code = self._default_code
        return code

    def _code_version(self, component: str, name: str) -> int | None:
        """The component version whose code worker ``component/name``'s instance runs:
        the worker's version, or the target of an update being replayed
        (``WorkerRuntime.code_version``, :mod:`golem_fakes.worker.admin`)."""
        w = self._registry.find(component, name) if self._registry is not None else None
        if w is None:
            return None
        rt = self._runtimes.get(w)
        if rt is not None and rt.code_version is not None:
            return rt.code_version
        return w.component_version

    def instance(self, component: str | Component, name: str | None = None) -> "WorkerInstance":
        """The instance worker ``component/name`` runs (default: the default worker):
        its own copy of the component's modules (``.module("component").cart``), its
        handle table (``.live_handles()``). Made when the worker first runs; asking for
        a worker that does not exist raises ``KeyError`` naming those that do."""
        cname = component.name if isinstance(component, Component) else component
        if name is None:
            if cname != self._default[0]:
                raise TypeError(f"instance({cname!r}) needs a worker name: only the default "
                                f"component {self._default[0]!r} has a default worker")
            name = self._default[1]
        if (cname, name) != self._default[:2]:
            self.worker(cname, name)  # KeyError naming the workers that exist
        return self._instance_for(cname, name)

    def _instance_for(self, component: str, name: str) -> "WorkerInstance":
        key = (component, name)
        inst = self._instances.get(key)
        if inst is None:
            pending = self.__dict__.get("_recover_on_use")
            if pending and key in pending:  # a copy's worker: rebuilt by replay (copy())
                from golem_fakes.state.snapshot import recover_copied

                inst = recover_copied(self, key)
                if inst is not None:
                    return inst
            from golem_fakes.worker.instance import WorkerInstance

            with _LAZY:
                inst = self._instances.get(key)
                if inst is None:
                    default = key == self._default[:2]
                    inst = WorkerInstance(self, component, name, own_table=not default)
                    version = self._code_version(component, name)
                    code = self._code_of(component, version)
                    compiled = self._wasm_of(component, version)
                    if compiled is not None:  # instantiated at its first export call
                        inst.compiled = compiled
                    elif code is not None:
                        from golem_fakes.worker.code import ComponentCode
                        from golem_fakes.worker.executor import export_objects, required_classes

                        base = self._code_of(component)
                        inst.loaded = ComponentCode.get(*code).load(
                            adopt=default and code == base, required_classes=required_classes(component),
                            export_objects=export_objects(component))
                    self._instances[key] = inst
        return inst

    def _forget_instance(self, inst: "WorkerInstance") -> None:
        key = (inst.component, inst.name)
        with _LAZY:
            if self._instances.get(key) is inst:
                del self._instances[key]

    def _instance_tables(self) -> list[dict[int, Any]]:
        return [i.env.handles for i in list(self.__dict__.get("_instances", {}).values())
                if i.env is not self]

    def _current_env_value(self) -> Any:
        """What the bindings see now, if it is this Golem's (a worker instance's view);
        else ``None`` (this Golem itself)."""
        cur = current_environment.get()
        return cur if cur is not self and environment_of(cur) is self else None

    # --- promises (test side) --------------------------------------------------

    def complete_promise(self, promise_id: Any, data: bytes) -> bool:
        """Complete a promise as an external caller would through Golem's API
        (``complete_promise_internal``, ``golem-worker-executor/src/grpc/mod.rs``):
        ``True`` if this stored ``data``, ``False`` if it was already completed (the
        first payload wins). ``promise_id`` is what ``create-promise`` returned, a
        :class:`PromiseKey` or its string. An unknown or deleted promise raises
        ``KeyError`` (Golem: ``Promise not found``)."""
        key = PromiseKey.of(promise_id)
        try:
            return self.promise_store.complete(key, bytes(data), by="test")
        except KeyError:
            raise KeyError(self._unknown_promise(key)) from None

    def schedule_promise_completion(self, promise_id: Any, data: bytes, *,
                                    after_polls: int | None = None,
                                    when: Callable[[], bool] | None = None) -> None:
        """Arrange for a pending promise to be completed with ``data`` later, as an
        external system would while the worker waits:

        * ``after_polls=N`` — after ``N`` ``poll-promise`` calls have seen it pending
          (``0``: at the first observation); an ``await-promise`` completes it at once
          (the worker is suspended until the completion arrives, §3.3);
        * ``when=callable`` — at the first ``poll-promise`` / ``await-promise`` for
          which ``callable()`` is true (an await while it is false is a
          :class:`~golem_fakes.state.promises.Deadlock`).
        """
        key = PromiseKey.of(promise_id)
        try:
            self.promise_store.schedule(key, bytes(data), after_polls=after_polls, when=when)
        except KeyError:
            raise KeyError(self._unknown_promise(key)) from None

    def _unknown_promise(self, key: PromiseKey) -> str:
        known = ", ".join(str(k) for k in self.promises) or "none"
        return (f"Promise not found: {key} (promises that exist: {known}); a promise exists "
                f"from create-promise until delete-promise")

    # --- invocations -----------------------------------------------------------

    def _new_invocation_key(self) -> str:
        rng = self._rng
        if rng is None:
            with _LAZY:
                rng = self._rng
                if rng is None:
                    rng = self._rng = random.Random(f"golem-fakes/invocation-keys/{self.seed}")
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _begin_invocation(self, worker: Worker, function: str, key: str | None,
                          parent: Invocation | None) -> Invocation:
        self._check_not_running(worker, parent)
        rt = self.runtime(worker)
        if rt.failed_error is not None:
            raise InvocationRejected(
                f"Previous invocation failed: worker {worker.component.name}/{worker.name} is "
                f"failed ({rt.failed_error}); Golem rejects every later invocation of a failed "
                f"worker. Use another worker, or g.fresh() for a clean installation.")
        return self._begin_checked(worker, rt, function, key, parent)

    def _check_not_running(self, worker: Worker, parent: Invocation | None) -> None:
        """Deadlock if ``worker`` runs an invocation in this context already (``parent``
        and its ancestors)."""
        p = parent
        while p is not None:
            if p.golem is self and p.worker is worker:
                raise Deadlock(
                    f"worker {worker.component.name}/{worker.name} is already running an "
                    f"invocation ({p.function_name}) in this context; Golem runs one invocation "
                    f"of a worker at a time and would queue this one until that ends, which it "
                    f"never does while waiting for this call. Invoke a different worker, or "
                    f"call the function directly inside the running invocation.")
            p = p.parent

    def _begin_checked(self, worker: Worker, rt: WorkerRuntime, function: str, key: str | None,
                       parent: Invocation | None) -> Invocation:
        if worker.status is WorkerStatus.EXITED:
            from golem_fakes.state.process_exit import EXITED_REJECTION

            # docs/golem-io-semantics.md §5.7: ``ensure_not_failed`` refuses every
            # invocation of an exited worker (``PreviousInvocationExited``).
            raise InvocationRejected(
                f"{EXITED_REJECTION}: worker {worker.component.name}/{worker.name} called "
                f"wasi:cli/exit in an earlier invocation, so Golem marked it exited and "
                f"refuses its later invocations. Use another worker, or g.fresh() for a "
                f"clean installation.")
        if key is None:
            key = self._new_invocation_key()
        # The payload (trace id and invocation context, golem_fakes.state.context) is
        # built when the oplog is read, with ids derived from the seed and the index.
        index = rt.oplog.append_lazy("exported-function-invoked", functools.partial(
            invoked_payload, self.seed, worker, function, key))
        rt.oplog.commit()
        worker.status = WorkerStatus.RUNNING
        inv = Invocation(self, worker, rt, key, function, index, parent)
        rt.invocations.append(inv)
        return inv

    def _end_invocation(self, inv: Invocation, exc: BaseException | None) -> None:
        rt, w = inv.runtime, inv.worker
        if inv.crashed:
            return  # the instance was lost: the recovery decides the outcome
        from golem_fakes.state.process_exit import EXIT_INVOCATION_ERROR, ProcessExited

        if inv.outcome == "exited" or isinstance(exc, ProcessExited):
            # docs/golem-io-semantics.md §5.7: wasi:cli/exit (any code) → an ``exited``
            # hint entry (committed), status exited, no retry, the invocation fails with
            # "Process exited". ``outcome`` is already "exited" when the test caught
            # ProcessExited inside the block: the worker exited all the same.
            rt.oplog.append("exited")
            rt.oplog.commit()
            inv.outcome, inv.error = "exited", EXIT_INVOCATION_ERROR
            w.status = WorkerStatus.EXITED
            return
        if exc is None:
            rt.oplog.append("exported-function-completed")
            rt.oplog.commit()
            inv.outcome = "completed"
            w.status = WorkerStatus.IDLE
        elif isinstance(exc, Deadlock):
            inv.outcome, inv.error = "suspended", str(exc)
        elif type(exc).__name__ == "NotReplayable" and inv.call is None:
            # set-oplog-index in a test block: the jump is recorded, the block cannot be
            # run again (golem_fakes.worker.replay)
            inv.outcome, inv.error = "jumped", str(exc)
            w.status = WorkerStatus.IDLE
        elif isinstance(exc, (Trap, Exception)):
            msg = str(exc) if isinstance(exc, Trap) else f"{type(exc).__name__}: {exc}"
            inv.outcome, inv.error = "failed", msg
            if getattr(exc, "invalid_request", False):
                # §6.2: invalid-request traps (resolve-*, §9.4) fail only the invocation,
                # no error entry, no retry.
                w.status = WorkerStatus.IDLE
            elif rt.replay is not None:
                pass  # a replayed invocation failed: the recovery reports the divergence
            else:
                # §6.2 (dev.25, ``on_invocation_failure``): the count of trailing error
                # entries before this one decides; an error entry (committed); retried
                # after the policy's delay (golem_fakes.worker.executor), else failed.
                # A test's own block is test code and cannot run again: a failure in one,
                # or in a worker whose history holds one, is final at once.
                replayable = inv.final and all(i.call is not None for i in rt.invocations)
                delay = self._retry_delay(rt) if replayable else None
                rt.oplog.append("error", error=msg, retry_from=inv.start_index)
                rt.oplog.commit()
                if delay is not None:
                    inv.outcome, inv.retry_delay_ms = "retrying", delay
                    w.status = WorkerStatus.RETRYING
                else:
                    w.status = WorkerStatus.FAILED
                    rt.failed_error = msg
        # other BaseExceptions (KeyboardInterrupt, NotFaked, ...) leave the state as is

    def _retry_delay(self, rt: WorkerRuntime) -> int | None:
        """Golem v1.3.0-dev.25's decision after a failed attempt (§6.2, §6.3;
        ``get_recovery_decision_on_trap`` in ``durable_host/mod.rs``, ``get_delay`` in
        ``golem-common/src/retries.rs``): ``previous`` = the error entries at the end of
        the oplog (hints skipped), retried if ``previous < max-attempts``, after
        ``min(max-delay, base + floor(base * uniform[0, jitter)))`` ms with ``base =
        trunc(multiplier) ** (max(previous, 1) - 1) * min-delay``; ``None``: no retry.
        The jitter is drawn from a generator seeded by the Golem's seed."""
        previous = 0
        for e in reversed(rt.oplog.entries):
            if e.kind == "error":
                previous += 1
            elif not e.is_hint:
                break
        policy = rt.retry_policy if rt.retry_policy is not None else self.retry_policy
        base = policy.base_delay_ms(previous)
        if base is None:
            return None
        if policy.max_jitter_factor:
            rng = self.__dict__.get("_jitter_rng")
            if rng is None:
                rng = self._jitter_rng = random.Random(f"golem-fakes/retry-jitter/{self.seed}")
            base += int(base * rng.uniform(0.0, policy.max_jitter_factor))
        return min(policy.max_delay // 1_000_000, base)

    # --- entry forms -----------------------------------------------------------

    def __enter__(self) -> "Golem":
        _Activation(self, None, self._idempotency_key, BLOCK_FUNCTION).__enter__()
        return self

    def __exit__(self, exc_type: Any = None, exc: BaseException | None = None,
                 tb: Any = None) -> None:
        # the activation is kept in this context's innermost environment frame
        top = Environment._innermost()
        if top is None or top[0] is not self or top[2] is None or top[2].worker is not None:
            raise RuntimeError(f"{self!r} is not the innermost Golem entered in this context")
        top[2].__exit__(exc_type, exc, tb)

    def __call__(self, fn: F) -> F:
        """Decorator: each call of ``fn`` runs inside ``with self:`` (same Golem, so
        state is shared between calls)."""
        if not callable(fn):
            raise TypeError(f"@Golem decorates a function, got {fn!r}")

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return fn(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    def run_as(self, component: str | Component, name: str, *,
               idempotency_key: str | None = None) -> _Activation:
        """Context manager: the block runs as worker ``component/name`` (created if it
        does not exist, as Golem creates a worker on its first invocation) inside a new
        invocation with ``idempotency_key`` (default: drawn from the seed). Yields the
        :class:`~golem_fakes.state.invocation.Invocation`."""
        w = self.registry.find_or_add(component, name)
        return _Activation(self, w, idempotency_key, BLOCK_FUNCTION)

    def invoke(self, component: str | Component, name: str, fn: "Callable[..., Any] | str",
               *args: Any, idempotency_key: str | None = None, **kwargs: Any) -> Any:
        """Invoke worker ``component/name`` (created on its first invocation, as in
        Golem) and return the result; :meth:`enqueue` then awaiting its handle.

        ``fn`` is an export's name in any form Golem's invocation API accepts
        (``"shop:cart/shop-cart-api.{add-item}"``, ``"...{counter.new}"``, or a plain
        ``"add-item"`` / ``"add_item"`` when unambiguous): the arguments are checked
        against the export's WIT types as Golem and componentize-py's export glue
        check them (:class:`~golem_fakes.bindings.exports.InvalidArgument`, the code
        never runs), the worker's own instance runs the export, the return value is
        lowered as componentize-py lowers it (a wrong one traps), and ``raise Err(e)``
        in a ``result``-returning export raises ``Err(e)`` here. Or ``fn`` is a Python
        callable, called as an invocation of the worker with its instance's modules.

        Either way: ``exported-function-invoked`` / ``-completed`` entries, a trap is
        final (later host calls in the invocation raise it again and it is raised
        here, even if the code swallowed it), an exception fails the invocation
        (``error`` entry, worker failed; invalid-request traps of resolve-* fail only
        the invocation), and a second invocation with the ``idempotency_key`` of a
        completed one returns its result without running again (§7.2)."""
        from golem_fakes.worker.executor import check_not_running

        check_not_running(self, component, name)  # a Deadlock queues nothing
        return self.enqueue(component, name, fn, *args, idempotency_key=idempotency_key,
                            **kwargs).result()

    def enqueue(self, component: str | Component, name: str, fn: "Callable[..., Any] | str",
                *args: Any, idempotency_key: str | None = None,
                **kwargs: Any) -> "InvocationHandle":
        """Queue an invocation of worker ``component/name`` (same arguments as
        :meth:`invoke`) and return its handle; ``handle.result()`` awaits it. A worker
        runs its pending invocations one at a time in arrival order: awaiting one runs
        those queued before it first."""
        from golem_fakes.worker.executor import enqueue

        return enqueue(self, component, name, fn, args, kwargs, idempotency_key)

    def crash(self, component: str | Component, name: str, *, after: int = 0) -> None:
        """Lose the instance of worker ``component/name`` as Golem loses it when its
        executor dies, and let the fake recover it as Golem's executor does
        (:mod:`golem_fakes.worker.replay`): a new instance, every invocation of the
        oplog replayed with the recorded host-call results (no side effect performed
        again), then live.

        ``after=0``: at once, between invocations (the worker must not be running an
        invocation). ``after=N``: right after the worker's N-th recorded host call from
        now completes; the invocation running then goes on, after the recovery, from
        that point, and ``invoke`` returns its result as the external caller sees it.
        Entries not committed at the crash are lost, as Golem's buffered oplog entries
        are: their calls run again live. A replay that reaches other host calls than
        recorded raises :class:`~golem_fakes.worker.replay.Divergence`; a worker that
        ran a test's own ``with golem:`` block cannot be replayed
        (:class:`~golem_fakes.worker.replay.NotReplayable`)."""
        from golem_fakes.worker.executor import settle
        from golem_fakes.worker.replay import arm_crash, recover

        if type(after) is not int or after < 0:
            raise ValueError(f"crash(after=...) takes a number of host calls >= 0, got {after!r}")
        w = self.worker(component, name)
        rt = self.runtime(w)
        if after:
            arm_crash(rt, after)
            return
        running = [i for i in rt.invocations if i.outcome is None]
        if running:
            raise RuntimeError(
                f"crash({w.component.name!r}, {w.name!r}) at once while the worker runs "
                f"{running[-1].function_name}: use after=N to crash it inside an invocation")
        rt.crashes += 1
        outcome = settle(self, w, None, recover(self, w, None))
        if outcome is not None and outcome[0] in ("error", "raise"):
            raise outcome[1]

    def interrupt(self, component: str | Component, name: str, *, after: int = 0,
                  recover_immediately: bool = False) -> None:
        """Interrupt worker ``component/name`` as Golem's interrupt API does
        (``interrupt_worker_internal``, :mod:`golem_fakes.worker.lifecycle`).

        ``after=N``: right after the worker's N-th recorded host call from now completes,
        the running invocation is stopped: an ``interrupted`` entry (a hint), status
        ``interrupted``, the instance dropped, no retry, and its ``invoke`` raises
        :class:`~golem_fakes.WorkerInterrupted` (``Interrupted via the Golem API``).
        :meth:`resume` or the worker's next invocation replays the oplog and runs the
        cut invocation on to its end. ``recover_immediately=True`` is :meth:`restart`.
        Arming replaces a crash armed with ``crash(after=...)`` (one armed point per worker).

        ``after=0`` acts on the worker as it is now: a running worker (called from a
        thread or from worker code) is stopped at its next host call; a suspended or
        retrying worker is dropped from memory (no entry, status unchanged, as Golem);
        an idle, failed, exited or interrupted worker is left alone with a
        :class:`~golem_fakes.LifecycleWarning` (Golem logs a warning). An unknown worker
        raises :class:`~golem_fakes.WorkerNotFound`."""
        from golem_fakes.worker.lifecycle import interrupt

        interrupt(self, component, name, after=after, recover_immediately=recover_immediately)

    def restart(self, component: str | Component, name: str, *, after: int = 0) -> None:
        """``interrupt(..., recover_immediately=True)``: Golem's ``InterruptKind::Restart``.
        The running invocation's instance is stopped (``after=N``: right after its N-th
        recorded host call from now), no entry is written, a new instance replays the
        oplog at once (no entry lost) and the invocation goes on live: ``invoke``
        returns its result. ``after=0`` on a worker that is not running does what
        Golem does (``recover_immediately`` counts only for a running worker): a
        suspended or retrying worker is dropped from memory, an idle one is left alone
        with a warning."""
        from golem_fakes.worker.lifecycle import interrupt

        interrupt(self, component, name, after=after, recover_immediately=True)

    def resume(self, component: str | Component, name: str, *, force: bool = False) -> None:
        """Resume worker ``component/name`` as Golem's resume API does
        (``resume_worker_internal``, :mod:`golem_fakes.worker.lifecycle`): a suspended,
        interrupted or idle worker (any with ``force=True``) is loaded — a new instance
        replays the oplog and the invocation that was cut goes on live to its end; its
        result is kept for its idempotency key. A failed or exited worker, or one whose
        oplog ends with an error, is refused
        (:class:`~golem_fakes.InvocationRejected`, ``Previous invocation failed``); an
        unknown worker raises :class:`~golem_fakes.WorkerNotFound`."""
        from golem_fakes.worker.lifecycle import resume

        resume(self, component, name, force=force)

    def copy(self) -> "Golem":
        """A new Golem with this one's data state, sharing nothing mutable with it
        (:mod:`golem_fakes.state.snapshot`): registry and worker metadata, oplogs and
        executor state (invocations, idempotency results), key-value buckets, blob
        containers, file systems, consoles, clock, random generators, promises. Worker
        instances are not copied: a worker of the copy that ran invocations gets its
        instance rebuilt by replaying its oplog on first use, as Golem rebuilds it after
        an executor restart. Only between invocations."""
        from golem_fakes.state.snapshot import copy_golem

        return copy_golem(self)

    def explore_crashes(self, component: str | Component, name: str,
                        fn: "Callable[..., Any] | str", *args: Any,
                        check: "Callable[[Golem, Any], Any] | None" = None,
                        points: Iterable[Any] | None = None, during_recovery: bool = False,
                        traps: bool = False, idempotency_key: str | None = None,
                        raise_on_failure: bool = True) -> Any:
        """Run the invocation ``invoke(component, name, fn, *args)`` crashed at every
        point (:mod:`golem_fakes.worker.explore`): once uncrashed on a copy to count its
        recorded host calls ``N`` (snapshotting the environment at each crash point),
        then for each point ``k`` in ``0..N`` from the snapshot at ``k`` (the
        environment of a run from this Golem as it is now, up to ``k`` host calls), the
        instance lost there and recovered, calling ``check(golem_copy, result)`` (``result``: the value the
        invocation returned, or the exception it raised). This Golem is not changed.

        Returns an :class:`~golem_fakes.worker.explore.ExploreReport` (``.points``,
        ``.failures``: each with its crash point, the oplog around it, the first effect
        that differs from the uncrashed run, the divergence if the recovery diverged);
        raises :class:`~golem_fakes.worker.explore.CrashExplorationFailed` (an
        ``AssertionError`` listing the failing points) if ``check`` fails or a recovery
        diverges at any point (without ``check``: if a point's result or effects differ
        from the uncrashed run's), unless ``raise_on_failure=False``.

        ``points``: a subset (ints in ``0..N`` or
        :class:`~golem_fakes.worker.explore.CrashPlan` objects); ``during_recovery``:
        also crash again while each recovery replays; ``traps``: a ``Trap`` at each
        point instead of a crash (the executor's trap handling runs)."""
        from golem_fakes.worker.explore import explore_crashes

        return explore_crashes(self, component, name, fn, *args, check=check, points=points,
                               during_recovery=during_recovery, traps=traps,
                               idempotency_key=idempotency_key,
                               raise_on_failure=raise_on_failure)

    def __repr__(self) -> str:
        n = len(self._registry) if self._registry is not None else 0
        return f"<Golem seed={self.seed} workers={n} at {id(self):#x}>"
