"""Fresh instances cloned from a pristine template (golem_fakes/worker/clone.py).

Each test builds its component in ``tmp_path`` under a module name unique to the test,
loads two or more fresh instances (``ComponentCode.load()``), checks they are clones
(``LoadedCode.cloned``) and that what one instance does is invisible to the other and to
the template (``code._template``), which is never run."""

from __future__ import annotations

import dataclasses
import enum
import os
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from golem_fakes.worker.code import ComponentCode, LoadedCode

_COUNTER = [0]


def _uniq(stem: str) -> str:
    _COUNTER[0] += 1
    return f"{stem}_{os.getpid()}_{_COUNTER[0]}"


def _component(tmp_path: Path, app: str, extra: dict[str, str] | None = None
               ) -> tuple[str, ComponentCode]:
    name = _uniq("app")
    for rel, text in {f"{name}.py": app, **(extra or {})}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return name, ComponentCode.get(name, tmp_path)


def _two(code: ComponentCode, name: str) -> tuple[Any, Any]:
    a, b = code.load(), code.load()
    assert code.clone_fallback_reason is None, code.clone_fallback_reason
    assert a.cloned and b.cloned and not a.adopted
    return a.module(name), b.module(name)


def _template(code: ComponentCode, name: str) -> Any:
    t = code._template
    assert t is not None
    return t.loaded.module(name)


# --- module state ----------------------------------------------------------------------


STATE = """\
import collections
class Item:
    def __init__(self, sku):
        self.sku = sku
        self.tags = []
carts = {}
orders = []
seen = set()
nested = {"a": [1, {"b": []}]}
alias = nested["a"]
by_sku = collections.defaultdict(list)
ordered = collections.OrderedDict(x=[1])
queue = collections.deque([[0]], maxlen=5)
item = Item("apple")
items = [item, item]
def add(cart, sku):
    carts.setdefault(cart, []).append(sku)
    orders.append((cart, sku))
    seen.add(sku)
    nested["a"][1]["b"].append(sku)
    by_sku[sku].append(cart)
    ordered["x"].append(sku)
    queue[0].append(sku)
    item.tags.append(sku)
    return len(orders)
"""


def test_module_state_is_per_instance(tmp_path: Path) -> None:
    name, code = _component(tmp_path, STATE)
    a, b = _two(code, name)
    assert a.add("c1", "apple") == 1 and a.add("c1", "pear") == 2
    assert b.carts == {} and b.orders == [] and b.seen == set()
    assert b.nested == {"a": [1, {"b": []}]} and b.by_sku == {} and b.ordered["x"] == [1]
    assert b.queue[0] == [0] and b.queue.maxlen == 5 and b.item.tags == []
    assert a.carts == {"c1": ["apple", "pear"]} and a.nested["a"][1]["b"] == ["apple", "pear"]
    assert a.by_sku["apple"] == ["c1"] and a.queue[0] == [0, "apple", "pear"]
    assert b.add("c2", "fig") == 1
    assert a.orders == [("c1", "apple"), ("c1", "pear")]
    t = _template(code, name)
    assert t.carts == {} and t.orders == [] and t.item.tags == []


def test_shared_references_stay_shared_within_an_instance(tmp_path: Path) -> None:
    name, code = _component(tmp_path, STATE)
    a, b = _two(code, name)
    assert a.alias is a.nested["a"] and a.alias is not b.alias
    assert a.items[0] is a.items[1] is a.item
    a.add("c", "x")
    assert a.alias[1]["b"] == ["x"] and b.alias[1]["b"] == []


def test_instances_of_component_classes_are_instances_of_the_clones_class(tmp_path: Path) -> None:
    name, code = _component(tmp_path, STATE)
    a, b = _two(code, name)
    assert type(a.item) is a.Item and isinstance(a.item, a.Item)
    assert not isinstance(a.item, b.Item) and a.Item is not b.Item
    assert isinstance(a.Item("pear"), a.Item)


# --- functions and imports ---------------------------------------------------------------


FUNCS = """\
import functools
import {sib}
from {sib} import helper, TABLE
counter = 0
def bump():
    global counter
    counter += 1
    return counter
def make_counter():
    n = 0
    def inc():
        nonlocal n
        n += 1
        return n
    def get():
        return n
    return inc, get
inc, get = make_counter()
def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args):
        calls.append(fn.__name__)
        return fn(*args)
    return wrapper
calls = []
@logged
def double(x):
    '''Twice x.'''
    return 2 * x
@functools.lru_cache(maxsize=8)
def slow(x):
    calls.append(("slow", x))
    return x * 10
def uses_sibling():
    return {sib}.record("x"), helper()
def default_arg(x, acc=[]):
    acc.append(x)
    return acc
def kw_only(*, items={{}}):
    return items
lam = lambda: counter
"""

SIB = """\
log = []
TABLE = {"k": [1]}
def record(x):
    log.append(x)
    return len(log)
def helper():
    return len(log)
"""


def _funcs(tmp_path: Path) -> tuple[str, str, ComponentCode]:
    sib = _uniq("sib")
    name, code = _component(tmp_path, FUNCS.format(sib=sib), {f"{sib}.py": SIB})
    return name, sib, code


def test_functions_read_their_own_instances_globals(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    assert a.bump() == 1 and a.bump() == 2 and b.bump() == 1
    assert a.bump.__globals__ is a.__dict__ and b.bump.__globals__ is b.__dict__
    assert a.lam() == 2 and b.lam() == 1
    assert a.bump.__code__ is b.bump.__code__  # code is shared, as it is immutable
    assert _template(code, name).counter == 0


def test_imports_between_component_modules_point_at_the_clones_siblings(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    ia, ib = code.load(), code.load()
    a, b = ia.module(name), ib.module(name)
    assert getattr(a, sib) is ia.module(sib) and getattr(b, sib) is ib.module(sib)
    assert a.helper is ia.module(sib).helper and a.helper.__globals__ is ia.module(sib).__dict__
    assert a.TABLE is ia.module(sib).TABLE and a.TABLE is not b.TABLE
    assert a.uses_sibling() == (1, 1) and a.uses_sibling() == (2, 2)
    assert b.uses_sibling() == (1, 1)
    assert ia.module(sib).log == ["x", "x"]


def test_closures_get_their_own_cells_shared_between_the_instances_closures(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    assert a.inc() == 1 and a.inc() == 2 and a.get() == 2
    assert b.get() == 0 and b.inc() == 1
    assert a.inc.__closure__[0] is a.get.__closure__[0]
    assert a.inc.__closure__[0] is not b.inc.__closure__[0]


def test_decorators_of_the_component_and_functools_wraps(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    assert a.double(4) == 8 and a.calls == ["double"] and b.calls == []
    assert a.double.__name__ == "double" and a.double.__doc__ == "Twice x."
    assert a.double.__wrapped__ is not b.double.__wrapped__
    assert a.double.__wrapped__.__globals__ is a.__dict__
    assert a.double.__qualname__ == "double" and a.double.__module__ == name


def test_lru_cache_is_per_instance(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    assert a.slow(2) == 20 and a.slow(2) == 20
    assert a.calls == [("slow", 2)] and a.slow.cache_info().hits == 1
    assert b.slow.cache_info().currsize == 0 and b.slow(2) == 20 and b.calls == [("slow", 2)]
    assert a.slow.__wrapped__.__globals__ is a.__dict__
    assert a.slow.cache_parameters() == {"maxsize": 8, "typed": False}


def test_mutable_defaults_are_per_instance(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    assert a.default_arg(1) == [1] and a.default_arg(2) == [1, 2]
    assert b.default_arg(3) == [3]
    a.kw_only()["k"] = 1
    assert b.kw_only() == {}


# --- classes --------------------------------------------------------------------------


CLASSES = """\
import abc
registry = []
class Base:
    count = 0
    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        registry.append(cls.__name__)
    def hello(self):
        return "base"
    @classmethod
    def make(cls):
        cls.count += 1
        return cls()
    @staticmethod
    def version():
        return VERSION
    @property
    def kind(self):
        return type(self).__name__
class Child(Base):
    def hello(self):
        return "child+" + super().hello()
    def __repr__(self):
        return f"<Child {self.kind}>"
class Slotted:
    __slots__ = ("x", "__y")
    def __init__(self):
        self.x = 1
        self.__y = 2
    def y(self):
        return self.__y
class Shape(abc.ABC):
    @abc.abstractmethod
    def area(self): ...
class Square(Shape):
    def area(self):
        return 4
class Outside:
    pass
Shape.register(Outside)
VERSION = 3
slotted = Slotted()
"""


def test_classes_super_classmethod_staticmethod_property(tmp_path: Path) -> None:
    name, code = _component(tmp_path, CLASSES)
    a, b = _two(code, name)
    c = a.Child.make()
    assert c.hello() == "child+base" and c.kind == "Child" and repr(c) == "<Child Child>"
    assert a.Child.count == 1 and b.Child.count == 0 and a.Base.count == 0
    assert a.Child.__bases__ == (a.Base,) and a.Child.__mro__[1] is a.Base
    assert isinstance(c, a.Base) and not isinstance(c, b.Base)
    a.VERSION = 4
    assert a.Base.version() == 4 and b.Base.version() == 3
    assert a.Child.hello.__closure__[0].cell_contents is a.Child  # super()'s __class__ cell
    assert b.Child().hello() == "child+base"


def test_init_subclass_is_not_run_again_by_cloning(tmp_path: Path) -> None:
    name, code = _component(tmp_path, CLASSES)
    a, b = _two(code, name)
    assert a.registry == ["Child"] and b.registry == ["Child"]
    type("Late", (a.Base,), {})
    assert a.registry == ["Child", "Late"] and b.registry == ["Child"]


def test_slots_and_name_mangling(tmp_path: Path) -> None:
    name, code = _component(tmp_path, CLASSES)
    a, b = _two(code, name)
    assert a.slotted.x == 1 and a.slotted.y() == 2 and type(a.slotted) is a.Slotted
    a.slotted.x = 5
    assert b.slotted.x == 1
    assert not hasattr(a.slotted, "__dict__")


def test_abcs_stay_abstract_and_keep_registrations(tmp_path: Path) -> None:
    name, code = _component(tmp_path, CLASSES)
    a, b = _two(code, name)
    with pytest.raises(TypeError, match="abstract"):
        a.Shape()
    assert a.Square().area() == 4 and isinstance(a.Square(), a.Shape)
    assert isinstance(a.Outside(), a.Shape) and not isinstance(a.Outside(), b.Shape)
    a.Shape.register(int)
    assert isinstance(1, a.Shape) and not isinstance(1, b.Shape)


# --- Enum and dataclasses --------------------------------------------------------------


ENUMS = """\
import dataclasses
import enum
from typing import Optional
class Status(enum.Enum):
    NEW = 0
    PAID = 1
    def label(self):
        return self.name.lower()
class Level(enum.IntEnum):
    LOW = 1
    HIGH = 2
class Colour(str, enum.Enum):
    RED = "r"
class Perm(enum.Flag):
    R = 1
    W = 2
@dataclasses.dataclass
class Line:
    sku: str
    qty: int = 1
    status: Status = Status.NEW
    tags: list = dataclasses.field(default_factory=list)
    def total(self):
        return self.qty * 2
@dataclasses.dataclass(frozen=True)
class Point:
    x: int
    y: int = 0
@dataclasses.dataclass
class Order:
    lines: list[Line]
    parent: Optional["Order"] = None
DEFAULT = Line("d")
ORIGIN = Point(0, 0)
BY_STATUS = {Status.NEW: [], Status.PAID: []}
RW = Perm.R | Perm.W
"""


def test_enum_members_belong_to_the_cloned_class(tmp_path: Path) -> None:
    name, code = _component(tmp_path, ENUMS)
    a, b = _two(code, name)
    S = a.Status
    assert S.NEW is S(0) is S["NEW"] and list(S) == [S.NEW, S.PAID] and len(S) == 2
    assert isinstance(S.NEW, S) and not isinstance(S.NEW, b.Status)
    assert S.NEW is not b.Status.NEW and S.NEW != b.Status.NEW
    assert S.NEW.label() == "new" and repr(S.PAID) == "<Status.PAID: 1>"
    assert S._member_map_["PAID"] is S.PAID and S._value2member_map_[1] is S.PAID
    assert a.BY_STATUS[S.NEW] == [] and set(a.BY_STATUS) == {S.NEW, S.PAID}
    assert a.Level(2) is a.Level.HIGH and a.Level.HIGH == 2 and a.Level.HIGH > 1
    assert a.Colour("r") is a.Colour.RED and a.Colour.RED == "r"
    assert a.RW is a.Perm(3) and a.Perm.R in a.RW and type(a.RW) is a.Perm
    with pytest.raises(ValueError):
        S(7)


def test_dataclasses_init_eq_repr_fields_frozen(tmp_path: Path) -> None:
    name, code = _component(tmp_path, ENUMS)
    a, b = _two(code, name)
    line = a.Line("apple", 3)
    assert line.total() == 6 and line.status is a.Status.NEW and line.tags == []
    assert line == a.Line("apple", 3) and line != b.Line("apple", 3)
    assert repr(line) == "Line(sku='apple', qty=3, status=<Status.NEW: 0>, tags=[])"
    assert [f.name for f in dataclasses.fields(a.Line)] == ["sku", "qty", "status", "tags"]
    assert dataclasses.fields(a.Line)[2].default is a.Status.NEW
    assert dataclasses.replace(line, qty=1) == a.Line("apple", 1)
    assert dataclasses.asdict(a.Line("x")) == {"sku": "x", "qty": 1, "status": a.Status.NEW,
                                              "tags": []}
    assert a.DEFAULT == a.Line("d") and type(a.DEFAULT) is a.Line
    a.DEFAULT.tags.append(1)
    assert b.DEFAULT.tags == []
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.ORIGIN.x = 1  # type: ignore[misc]
    assert a.ORIGIN == a.Point(0, 0) and hash(a.ORIGIN) == hash(a.Point(0, 0))
    assert a.Point.__setattr__.__closure__ is not None
    assert a.Order([line]).lines[0] is line
    assert dataclasses.is_dataclass(a.Order) and a.Order.__annotations__["lines"] == list[a.Line]


# --- snapshot semantics ------------------------------------------------------------------


def test_module_level_code_runs_once_and_every_instance_starts_from_its_state(
        tmp_path: Path) -> None:
    marker = tmp_path / "runs.txt"
    name, code = _component(tmp_path, (
        "import random\n"
        f"with open({str(marker)!r}, 'a') as f:\n    f.write('x')\n"
        "SEED = random.random()\n"
        "TOKENS = [random.randrange(10**9) for _ in range(3)]\n"))
    instances = [code.load() for _ in range(4)]
    assert all(i.cloned for i in instances) and code.template_builds == 1
    assert marker.read_text() == "x"  # the template's run: module-level code ran once
    seeds = {i.module(name).SEED for i in instances}
    assert len(seeds) == 1 and seeds == {_template(code, name).SEED}
    assert instances[0].module(name).TOKENS == instances[3].module(name).TOKENS
    assert instances[0].module(name).TOKENS is not instances[3].module(name).TOKENS


def test_the_template_is_never_run(tmp_path: Path) -> None:
    name, sib, code = _funcs(tmp_path)
    a, b = _two(code, name)
    for m in (a, b):
        m.bump(), m.double(1), m.slow(1), m.inc(), m.uses_sibling(), m.default_arg(0)
    t = code._template
    tm = t.loaded.module(name)
    assert tm.counter == 0 and tm.calls == [] and tm.get() == 0
    assert tm.slow.cache_info().misses == 0 and tm.default_arg.__defaults__ == ([],)
    assert t.loaded.module(sib).log == []
    assert all(sys.modules.get(n) is not m for n, m in t.loaded.modules.items())


def test_an_edited_source_file_rebuilds_the_template(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "VALUE = 'one'\n")
    first = code.load()
    assert code.template_builds == 1 and code.load().module(name).VALUE == "one"
    assert code.template_builds == 1
    src = tmp_path / f"{name}.py"
    st = src.stat()
    src.write_text("VALUE = 'two'\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    second = code.load()
    assert second.cloned and second.module(name).VALUE == "two" and code.template_builds == 2
    assert code.load().module(name).VALUE == "two" and code.template_builds == 2
    assert first.module(name).VALUE == "one"


def test_an_edited_sibling_rebuilds_the_template(tmp_path: Path) -> None:
    sib = _uniq("sib")
    name, code = _component(tmp_path, f"from {sib} import VALUE\n", {f"{sib}.py": "VALUE = 1\n"})
    assert code.load().module(name).VALUE == 1
    path = tmp_path / f"{sib}.py"
    st = path.stat()
    path.write_text("VALUE = 22\n")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert code.load().module(name).VALUE == 22 and code.template_builds == 2


def test_export_objects_are_made_on_the_template_and_cloned(tmp_path: Path) -> None:
    name, code = _component(tmp_path, (
        "made = []\n"
        "class Api:\n"
        "    def __init__(self):\n"
        "        made.append(self)\n"
        "        self.items = []\n"))
    eager = [(None, "Api", "add"), (None, "Api", "list")]
    a, b = code.load(export_objects=eager), code.load(export_objects=eager)
    assert a.cloned and code.template_builds == 1
    ma = a.module(name)
    assert len(ma.made) == 2 and a.export_object(None, "Api", "add") is ma.made[0]
    assert isinstance(ma.made[0], ma.Api) and a.export_object(None, "Api", "list") is ma.made[1]
    a.export_object(None, "Api", "add").items.append(1)
    assert b.export_object(None, "Api", "add").items == []
    assert b.export_object(None, "Api", "add") is b.module(name).made[0]


def test_unheld_locks_are_new_locks_per_instance(tmp_path: Path) -> None:
    name, code = _component(tmp_path, (
        "import threading\n"
        "lock = threading.Lock()\nrlock = threading.RLock()\n"
        "cond = threading.Condition(lock)\n"))
    a, b = _two(code, name)
    assert a.lock is not b.lock and type(a.lock) is type(threading.Lock())
    assert a.cond._lock is a.lock
    with a.lock:
        assert not b.lock.locked() and a.cond._lock.locked()


# --- the fallback --------------------------------------------------------------------------


@pytest.mark.parametrize("source, reason", [
    ("def gen():\n    yield 1\nG = gen()\n", "a generator"),
    ("import threading\nL = threading.Lock()\nL.acquire()\n", "a lock held at build time"),
    ("import threading, time\nstop = []\n"
     "def loop():\n    while not stop:\n        time.sleep(0.01)\n"
     "T = threading.Thread(target=loop, daemon=True)\nT.start()\n", "thread"),
    ("F = open(__file__)\n", "an open file"),
    ("class Odd:\n    def __reduce_ex__(self, protocol):\n        return (Odd, ())\nODD = Odd()\n",
     "defines __reduce_ex__"),
    ("import functools\n@functools.lru_cache\ndef f(x):\n    return x\nWARM = f(1)\n",
     "lru_cache"),
    ("import socket\nS = socket.socket()\n", "cannot be copied"),
], ids=["generator", "held-lock", "thread", "file", "reduce", "warm-lru", "socket"])
def test_what_cannot_be_cloned_falls_back_to_exec_with_the_reason(
        tmp_path: Path, source: str, reason: str) -> None:
    name, code = _component(tmp_path, source + "counter = [0]\n")
    try:
        a, b = code.load(), code.load()
        assert code.clone_fallback_reason is not None and reason in code.clone_fallback_reason
        assert not a.cloned and not b.cloned and code._template is None
        assert a.module(name) is not b.module(name)
        a.module(name).counter.append(1)
        assert b.module(name).counter == [0]
        assert code.template_builds == 1  # the first load was kept as that worker's own
    finally:
        for inst in (locals().get("a"), locals().get("b")):
            mod = inst.module(name) if isinstance(inst, LoadedCode) else None
            if mod is not None and hasattr(mod, "stop"):
                mod.stop.append(1)
            if mod is not None and hasattr(mod, "F"):
                mod.F.close()
            if mod is not None and hasattr(mod, "S"):
                mod.S.close()


def test_the_fallback_is_decided_again_when_the_source_changes(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "def gen():\n    yield 1\nG = gen()\n")
    assert not code.load().cloned and "generator" in (code.clone_fallback_reason or "")
    src = tmp_path / f"{name}.py"
    st = src.stat()
    src.write_text("G = [1]\n")
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert code.load().cloned and code.clone_fallback_reason is None


def test_adopted_loads_still_execute(tmp_path: Path) -> None:
    name, code = _component(tmp_path, "import random\nSEED = random.random()\n")
    try:
        fresh = code.load()
        adopted = code.load(adopt=True)
        assert fresh.cloned and not adopted.cloned and adopted.adopted
        assert adopted.module(name) is sys.modules[name]
    finally:
        sys.modules.pop(name, None)


def test_clones_from_several_threads_are_separate(tmp_path: Path) -> None:
    name, code = _component(tmp_path, STATE)
    code.load()
    out: list[LoadedCode] = []

    def work() -> None:
        for _ in range(10):
            out.append(code.load())

    threads = [threading.Thread(target=work) for _ in range(3)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(out) == 30 and all(i.cloned for i in out)
    assert len({id(i.module(name).carts) for i in out}) == 30


def test_enum_and_dataclass_types_of_the_stdlib_stay_shared(tmp_path: Path) -> None:
    name, code = _component(tmp_path, (
        "import dataclasses, enum, http, json\n"
        "OK = http.HTTPStatus.OK\nMISSING = dataclasses.MISSING\nDUMPS = json.dumps\n"))
    a, b = _two(code, name)
    assert a.OK is http_ok() and a.MISSING is dataclasses.MISSING and a.DUMPS is b.DUMPS
    assert a.enum is enum


def http_ok() -> Any:
    import http

    return http.HTTPStatus.OK


ASSORTED = """\
import collections, contextlib, functools, typing, weakref
from typing import Generic, NamedTuple, Protocol, TypeVar
T = TypeVar("T")
class Box(Generic[T]):
    def __init__(self, v: T) -> None:
        self.v = v
class HasArea(Protocol):
    def area(self) -> int: ...
class Pair(NamedTuple):
    a: int
    b: int = 2
    def total(self):
        return self.a + self.b
Coord = collections.namedtuple("Coord", "x y")
class Meta(type):
    made = []
    def __new__(mcls, name, bases, ns, **kw):
        cls = super().__new__(mcls, name, bases, ns)
        mcls.made.append(name)
        return cls
class WithMeta(metaclass=Meta):
    value = 1
class Temp:
    def __init__(self):
        self._c = 0
    @property
    def c(self):
        return self._c
    @c.setter
    def c(self, v):
        self._c = v
    @functools.cached_property
    def heavy(self):
        hits.append(1)
        return 42
hits = []
@functools.singledispatch
def show(x):
    return "any"
@show.register
def _(x: int):
    return "int"
@contextlib.contextmanager
def ctx():
    events.append("in")
    yield
    events.append("out")
events = []
class Node:
    pass
node = Node()
cache = weakref.WeakValueDictionary({"n": node})
pairs = [Pair(1), Coord(1, 2)]
box = Box[int](3)
"""


def test_assorted_stdlib_constructs(tmp_path: Path) -> None:
    name, code = _component(tmp_path, ASSORTED)
    a, b = _two(code, name)
    assert a.Box(1).v == 1 and a.Box[int] is not None and type(a.box) is a.Box
    assert a.Pair(3).total() == 5 and type(a.pairs[0]) is a.Pair and a.pairs[0] == (1, 2)
    assert a.Pair is not b.Pair and a.Coord is not b.Coord and a.Coord(1, 2).x == 1
    assert type(a.WithMeta) is a.Meta and a.Meta is not b.Meta
    assert a.Meta.made == ["WithMeta"] and b.Meta.made == ["WithMeta"]
    t = a.Temp()
    t.c = 5
    assert t.c == 5 and t.heavy == 42 and t.heavy == 42 and a.hits == [1] and b.hits == []
    assert a.show(1) == "int" and a.show("x") == "any"
    a.show.register(str, lambda x: "str")
    assert a.show("x") == "str" and b.show("x") == "any"
    with a.ctx():
        pass
    assert a.events == ["in", "out"] and b.events == []
    assert a.cache["n"] is a.node and b.cache["n"] is b.node
    assert isinstance(a.Temp(), object) and not isinstance(a.Temp(), b.Temp)
