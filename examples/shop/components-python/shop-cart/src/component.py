"""The shop:cart worker: ordinary componentize-py worker code, unchanged for tests.

Inside Golem every worker is its own instance of this module, so the module-level
``cart`` is that worker's state. golem-fakes gives each fake worker its own instance
too (README "Workers are instances"): no test resets ``cart``.
"""

import os
import uuid

from wit_world import exports
from wit_world.imports import host
from wit_world.imports import shop_inventory_client as inventory
from wit_world.imports import wall_clock
from wit_world.types import Err

cart: dict[str, int] = {}


def _warehouse() -> inventory.InventoryApi:
    """A client of the shop:inventory worker named by INVENTORY (golem.yaml: the cart's
    `type: wasm-rpc` dependency on shop:inventory)."""
    return inventory.InventoryApi(os.environ.get("INVENTORY", "warehouse-1"))


def _uuid(u) -> str:
    return str(uuid.UUID(int=(u.high_bits << 64) | u.low_bits))


class ShopCartApi(exports.ShopCartApi):
    def add_item(self, sku: str, qty: int) -> int:
        cart[sku] = cart.get(sku, 0) + qty
        return sum(cart.values())

    def items(self) -> list[tuple[str, int]]:
        return list(cart.items())

    def checkout(self) -> str:
        if not cart:
            raise Err("cart is empty")
        # The same invocation always derives the same key, so a checkout retried
        # after a crash places the same order instead of a second one.
        order_id = _uuid(host.generate_idempotency_key())
        cart.clear()
        return order_id

    def neighbours(self) -> list[str]:
        me = host.get_self_metadata()
        region = dict(me.env).get("REGION", "")
        query = host.WorkerAnyFilter([
            host.WorkerAllFilter([
                host.WorkerPropertyFilter_Env(host.WorkerEnvFilter(
                    "REGION", host.StringFilterComparator.EQUAL, region)),
                host.WorkerPropertyFilter_Status(host.WorkerStatusFilter(
                    host.FilterComparator.LESS, host.WorkerStatus.FAILED)),
                host.WorkerPropertyFilter_Name(host.WorkerNameFilter(
                    host.StringFilterComparator.NOT_EQUAL, me.worker_id.worker_name)),
            ])
        ])
        names: list[str] = []
        with host.GetWorkers(me.worker_id.component_id, query, True) as workers:
            while (page := workers.get_next()) is not None:
                names += [m.worker_id.worker_name for m in page]
        return names

    def buy(self, sku: str, qty: int) -> int:
        with _warehouse() as warehouse:
            left = warehouse.blocking_reserve(sku, qty)   # raises Err if out of stock
        cart[sku] = cart.get(sku, 0) + qty
        return left

    def restock(self, sku: str, qty: int) -> int:
        with _warehouse() as warehouse:
            return warehouse.blocking_restock(sku, qty)

    def stock(self, sku: str) -> int:
        with _warehouse() as warehouse:
            answer = warehouse.stock(sku)                 # sent now; a future-stock-result
            while (value := answer.get()) is None:
                answer.subscribe().block()
            return value

    def restock_at(self, sku: str, qty: int, at: int) -> None:
        with _warehouse() as warehouse:
            warehouse.schedule_restock(sku, qty, wall_clock.Datetime(at, 0))
