"""The shop:inventory worker: ordinary componentize-py worker code, unchanged for tests.

Each worker is one warehouse; its stock lives in PostgreSQL (golem:rdbms), in table
``shop_stock`` keyed by the worker's name. The database URL comes from the worker's
environment (``INVENTORY_DB``): a worker created by an RPC call inherits its caller's.
"""

import os

from wit_world import exports
from wit_world.imports import postgres
from wit_world.types import Err

SETUP = ("CREATE TABLE IF NOT EXISTS shop_stock (warehouse text NOT NULL, sku text NOT NULL, "
         "qty integer NOT NULL, PRIMARY KEY (warehouse, sku))")


def _db() -> postgres.DbConnection:
    db = postgres.DbConnection.open(os.environ["INVENTORY_DB"])
    db.execute(SETUP, [])
    return db


def _key(sku: str) -> list:
    return [postgres.DbValue_Text(os.environ["GOLEM_WORKER_NAME"]), postgres.DbValue_Text(sku)]


class InventoryApi(exports.InventoryApi):
    def restock(self, sku: str, qty: int) -> int:
        if qty == 0:
            raise ValueError(f"restock of 0 {sku}")  # a trap of this worker
        res = _db().query(
            "INSERT INTO shop_stock VALUES ($1, $2, $3) ON CONFLICT (warehouse, sku) "
            "DO UPDATE SET qty = shop_stock.qty + EXCLUDED.qty RETURNING qty",
            _key(sku) + [postgres.DbValue_Int4(qty)])
        return res.rows[0].values[0].value

    def reserve(self, sku: str, qty: int) -> int:
        res = _db().query(
            "UPDATE shop_stock SET qty = qty - $3 WHERE warehouse = $1 AND sku = $2 "
            "AND qty >= $3 RETURNING qty", _key(sku) + [postgres.DbValue_Int4(qty)])
        if not res.rows:
            raise Err(f"not enough {sku} in stock")
        return res.rows[0].values[0].value

    def stock(self, sku: str) -> int:
        res = _db().query("SELECT qty FROM shop_stock WHERE warehouse = $1 AND sku = $2",
                          _key(sku))
        return res.rows[0].values[0].value if res.rows else 0
