"""Cost of a worker instance: a new (fresh) instance of a ~1,000-line component, and
entering/leaving it (``activate()`` + ``deactivate()``), in one run.

The component is generated into a temporary directory: an app module (about 900 lines:
``Enum`` and ``dataclass`` types, classes with methods, free functions, module-level
dicts and lists built by comprehensions, imports of ``json``, ``dataclasses``, ``enum``,
``typing``, ``collections``, ``functools`` and of a sibling module) and the sibling
(about 100 lines of helpers and tables): 1,000-odd lines in all, the size of a
real-world worker.

Rows (medians over interleaved batches, garbage collector off during a batch):

* ``new instance``: ``ComponentCode.load()``, i.e. a clone of the component's template
  (``golem_fakes/worker/clone.py``; the template is made by the first load, untimed) vs
  the baseline ``exec(cached_code, new_dict)`` of the same two code objects (the sibling
  first, put in ``sys.modules`` so that the app's ``import`` finds it): what executing
  the component's module-level code costs at least. Goal ≤ 1 ms.
* ``new instance (exec path)``: the path a component that cannot be cloned takes (and
  every fresh instance took before cloning), ``ComponentCode._exec_load``: new module
  objects executed from the cached code, against the same baseline; the gain of cloning
  is the ratio of the two rows.
* ``activate+deactivate``: entering and leaving an instance (two module names swapped
  into ``sys.modules`` and back) vs a bare dict swap of the same two names written
  inline (``old = d.get(k); d[k] = m; ... d[k] = old``). Goal ≤ 10 µs.

Run: ``python benchmarks/bench_instance.py``.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import types
from pathlib import Path
from typing import Any, Callable

from _bench import per_call_ns

from golem_fakes.worker.code import CODE_CACHE, ComponentCode

GOAL_INSTANCE_NS = 1_000_000.0
GOAL_ACTIVATE_NS = 10_000.0


def _sibling(name: str) -> str:
    lines = [
        '"""Helpers of the synthetic component."""',
        "import math",
        "import re",
        "",
        "SKU = re.compile(r'^[A-Z]{3}-[0-9]{4}$')",
        "RATES = {f'R{i}': 1.0 + i / 100 for i in range(50)}",
        "REGIONS = ['eu-west', 'eu-north', 'us-east', 'us-west', 'ap-south']",
        "",
    ]
    for i in range(18):
        lines += [
            f"def helper_{i}(x, y=1):",
            f"    '''Helper {i}.'''",
            f"    if x < 0:",
            f"        return -x * {i} + y",
            f"    return math.floor(x * RATES['R{i}']) + y",
            "",
        ]
    return "\n".join(lines) + "\n"


def _app(sibling: str, rich: bool = True) -> str:
    """The app module; ``rich=False`` replaces the ``Enum`` and ``dataclass`` types
    by plain classes of the same size (their decorators and metaclass are most of the
    module's own execution time)."""
    lines = [
        '"""A synthetic worker: shopping carts, orders and pricing."""',
        "import json",
        "import dataclasses",
        "import enum",
        "import functools",
        "from collections import defaultdict, OrderedDict",
        "from typing import Any, Optional",
        f"import {sibling}",
        f"from {sibling} import helper_0, helper_1, RATES",
        "",
        "carts: dict[str, dict[str, int]] = {}",
        "orders: list[dict[str, Any]] = []",
        "PRICES = {f'SKU-{i:04d}': (i * 37) % 1000 / 10 for i in range(200)}",
        "CATEGORIES = {k: ('food' if i % 3 == 0 else 'tools' if i % 3 == 1 else 'toys')"
        " for i, k in enumerate(PRICES)}",
        "LIMITS = OrderedDict((f'tier-{i}', 10 * i) for i in range(10))",
        "STATS = defaultdict(int)",
        "",
    ]
    for i in range(3 if rich else 0):
        lines += [
            f"class Status{i}(enum.Enum):",
            "    NEW = 0",
            "    PAID = 1",
            "    SHIPPED = 2",
            "    CANCELLED = 3",
            "",
            "",
            "@dataclasses.dataclass",
            f"class Line{i}:",
            "    sku: str",
            "    qty: int",
            "    price: float = 0.0",
            "    note: Optional[str] = None",
            "",
            "    def total(self) -> float:",
            "        return self.qty * self.price",
            "",
            "",
        ]
    if not rich:
        for i in range(3):
            lines += [
                f"class Status{i}:",
                "    NEW = 0",
                "    PAID = 1",
                "    SHIPPED = 2",
                "    CANCELLED = 3",
                "",
                "",
                f"class Line{i}:",
                "    def __init__(self, sku: str, qty: int, price: float = 0.0,",
                "                 note: Optional[str] = None) -> None:",
                "        self.sku, self.qty, self.price, self.note = sku, qty, price, note",
                "",
                "    def total(self) -> float:",
                "        return self.qty * self.price",
                "",
                "",
            ]
    for i in range(10):
        lines += [
            f"class Service{i}:",
            f"    '''Service {i} of the worker.'''",
            "",
            "    def __init__(self) -> None:",
            "        self.calls = 0",
            "        self.cache: dict[str, Any] = {}",
            "",
            "    def add_item(self, cart: str, sku: str, qty: int) -> int:",
            "        self.calls += 1",
            "        items = carts.setdefault(cart, {})",
            "        items[sku] = items.get(sku, 0) + qty",
            "        STATS['add'] += 1",
            "        return sum(items.values())",
            "",
            "    def remove_item(self, cart: str, sku: str) -> bool:",
            "        self.calls += 1",
            "        items = carts.get(cart, {})",
            "        if sku not in items:",
            "            return False",
            "        del items[sku]",
            "        return True",
            "",
            "    def price(self, cart: str) -> float:",
            "        total = 0.0",
            "        for sku, qty in carts.get(cart, {}).items():",
            f"            total += PRICES.get(sku, 0.0) * qty * RATES['R{i}']",
            "        return round(total, 2)",
            "",
            "    def checkout(self, cart: str) -> str:",
            "        items = carts.pop(cart, {})",
            "        if not items:",
            "            raise ValueError('cart is empty')",
            "        order = {'cart': cart, 'items': items, 'total': self.price(cart)}",
            "        orders.append(order)",
            "        return json.dumps(order, sort_keys=True)",
            "",
            "    @functools.lru_cache(maxsize=64)",
            "    def category(self, sku: str) -> str:",
            "        return CATEGORIES.get(sku, 'unknown')",
            "",
            "    @staticmethod",
            "    def describe() -> str:",
            f"        return 'service {i}'",
            "",
            "",
        ]
    for i in range(38):
        lines += [
            f"def compute_{i}(values: list[int], factor: int = {i + 1}) -> int:",
            f"    '''Computation {i}.'''",
            "    acc = 0",
            "    for v in values:",
            "        if v % 2:",
            f"            acc += helper_0(v) * factor",
            "        else:",
            f"            acc -= helper_1(v, {i})",
            "    return acc",
            "",
        ]
    lines += [
        "class WitWorld:",
        "    def run(self) -> str:",
        "        return json.dumps({'carts': len(carts), 'orders': len(orders)})",
        "",
        "",
        "class ShopCartApi(Service0):",
        "    pass",
    ]
    return "\n".join(lines) + "\n"


def build(directory: Path, rich: bool = True) -> tuple[ComponentCode, int]:
    """Write the component into ``directory``; returns its code and its line count."""
    sibling = "bench_pricing_helpers"
    app = "bench_shop_component"
    (directory / f"{sibling}.py").write_text(_sibling(sibling))
    (directory / f"{app}.py").write_text(_app(sibling, rich))
    lines = sum(len(p.read_text().splitlines()) for p in directory.glob("*.py"))
    return ComponentCode.get(app, directory), lines


def _instance_rows(directory: Path, rich: bool, number: int
                   ) -> tuple[ComponentCode, int, Callable[[], None], Callable[[], None],
                              Callable[[], None]]:
    code, lines = build(directory, rich)
    first = code.load()  # compiles once
    app_name = code.module
    sib_name = next(n for n in first.modules if n != app_name)
    app_code = first.module(app_name).__loader__.get_code(app_name)
    sib_code = first.module(sib_name).__loader__.get_code(sib_name)
    app_file, sib_file = first.module(app_name).__file__, first.module(sib_name).__file__

    assert code.clone_fallback_reason is None, code.clone_fallback_reason

    def instances() -> None:
        load = code.load
        for _ in range(number):
            load()

    def exec_path() -> None:
        load = code._exec_load
        for _ in range(number):
            load(False, [], [])

    def bare_exec() -> None:
        modules = sys.modules
        for _ in range(number):
            sib = types.ModuleType(sib_name)
            sib.__file__ = sib_file
            exec(sib_code, sib.__dict__)
            modules[sib_name] = sib
            exec(app_code, {"__name__": app_name, "__file__": app_file})
            del modules[sib_name]

    return code, lines, instances, exec_path, bare_exec


def main(number: int = 200, repeat: int = 15) -> dict[str, float]:
    ratios: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="golem-bench-instance-") as tmp:
        rich_dir, plain_dir = Path(tmp) / "rich", Path(tmp) / "plain"
        rich_dir.mkdir()
        plain_dir.mkdir()
        code, lines, rich_load, rich_path, rich_exec = _instance_rows(rich_dir, True, number)
        plain, plain_lines, plain_load, plain_path, plain_exec = _instance_rows(
            plain_dir, False, number)
        compiled = CODE_CACHE.compiles
        inst = code.load()
        app_name = code.module
        sib_name = next(n for n in inst.modules if n != app_name)
        m1, m2 = inst.module(app_name), inst.module(sib_name)
        act_number = number * 50

        def activations() -> None:
            activate, deactivate = inst.activate, inst.deactivate
            for _ in range(act_number):
                deactivate(activate())

        def bare_swap() -> None:
            d = sys.modules
            for _ in range(act_number):
                o1 = d.get(app_name)
                o2 = d.get(sib_name)
                d[app_name] = m1
                d[sib_name] = m2
                if o1 is None:
                    del d[app_name]
                else:
                    d[app_name] = o1
                if o2 is None:
                    del d[sib_name]
                else:
                    d[sib_name] = o2

        rows: list[tuple[str, Callable[[], None], Callable[[], None], int, float]] = [
            ("new instance", rich_load, rich_exec, number, GOAL_INSTANCE_NS),
            ("new instance (exec path)", rich_path, rich_exec, number, GOAL_INSTANCE_NS),
            ("new instance (plain)", plain_load, plain_exec, number, GOAL_INSTANCE_NS),
            ("new instance (plain, exec path)", plain_path, plain_exec, number,
             GOAL_INSTANCE_NS),
            ("activate+deactivate", activations, bare_swap, act_number, GOAL_ACTIVATE_NS),
        ]
        print(f"component: {lines} lines in 2 modules (3 Enum + 3 dataclass types); plain "
              f"variant: {plain_lines} lines, plain classes instead")
        print(f"{'what':31} {'median ns':>12} {'baseline ns':>12} {'ratio':>7} "
              f"{'over ns':>10} {'best ratio':>10} {'goal ns':>10} verdict")
        for name, fn, base, n, goal in rows:
            via: list[float] = []
            bare: list[float] = []
            for _ in range(repeat):
                via.append(per_call_ns(fn, n))
                bare.append(per_call_ns(base, n))
            v, b = statistics.median(via), statistics.median(bare)
            ratios[name] = v / b
            ratios[name + " ns"] = v
            print(f"{name:31} {v:12.0f} {b:12.0f} {v / b:7.2f} {v - b:10.0f} "
                  f"{min(via) / min(bare):10.2f} {goal:10.0f} "
                  f"{'met' if v <= goal else 'MISSED'}")
        recompiled = CODE_CACHE.compiles - compiled
        print(f"files compiled again while timing: {recompiled}")
        ratios["recompiled"] = float(recompiled)
        rebuilt = code.template_builds + plain.template_builds - 2
        print(f"templates made again while timing: {rebuilt}")
        ratios["rebuilt"] = float(rebuilt)
        ratios["clone gain"] = ratios["new instance (exec path) ns"] / ratios["new instance ns"]
        print(f"clone vs exec path: {ratios['clone gain']:.2f}x faster (3 Enum + 3 dataclass "
              f"component), {ratios['new instance (plain, exec path) ns'] / ratios['new instance (plain) ns']:.2f}x (plain)")
    return ratios


if __name__ == "__main__":
    main()
