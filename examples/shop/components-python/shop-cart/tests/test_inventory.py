"""The cart and the inventory together: two components of one Golem application, the
cart calling the inventory through the client golem-cli generates for it (golem.yaml:
`type: wasm-rpc`), the inventory keeping its stock in PostgreSQL (golem:rdbms).

The plugin reads the dependency from golem.yaml, installs the client interface
(`wit_world.imports.shop_inventory_client`) and adds shop:inventory with its code to
every test's Golem. `golem_postgres_url` is a throwaway PostgreSQL server (or the one
given with --golem-postgres-url); without one these tests skip.

Every test runs twice through the ``cart`` fixture (conftest.py): the cart as its Python
source and as its built .wasm; the inventory is Python in both.
"""

import uuid

import pytest

from golem_fakes import Trap
from wit_world.types import Err

CART, INVENTORY = "shop:cart", "shop:inventory"


@pytest.fixture
def warehouse(golem, cart, golem_postgres_url) -> str:
    """A fresh warehouse (an inventory worker name) and a cart `alice` that uses it."""
    name = f"warehouse-{uuid.uuid4().hex[:12]}"
    golem.add_worker(CART, "alice", env={"INVENTORY": name, "INVENTORY_DB": golem_postgres_url})
    return name


def reserve_calls(golem, warehouse: str) -> int:
    """How many times the warehouse ran `reserve` (its oplog's invocations)."""
    return sum(1 for inv in golem.invocations(INVENTORY, warehouse)
               if inv.function_name.endswith("{reserve}"))


def test_buying_reserves_stock_in_the_warehouse(golem, warehouse):
    # the cart's blocking-restock creates the warehouse worker (with the cart's env)
    assert golem.invoke(CART, "alice", "restock", "apple", 5) == 5
    assert golem.invoke(CART, "alice", "buy", "apple", 2) == 3
    assert golem.invoke(CART, "alice", "items") == [("apple", 2)]
    assert golem.invoke(INVENTORY, warehouse, "stock", "apple") == 3
    with pytest.raises(Err) as e:   # the warehouse's err result comes back as the cart's
        golem.invoke(CART, "alice", "buy", "apple", 10)
    assert e.value.value == "not enough apple in stock"
    assert golem.invoke(CART, "alice", "items") == [("apple", 2)]


def test_the_asynchronous_stub_answers_through_its_future(golem, warehouse):
    golem.invoke(CART, "alice", "restock", "pear", 4)
    assert golem.invoke(CART, "alice", "stock", "pear") == 4
    called = [e["function_name"] for e in golem.oplog(CART, "alice").entries
              if e.kind == "imported-function-invoked"]
    # async-invoke-and-await's key, then one recorded get per poll of the future
    assert called.count("golem::rpc::wasm-rpc::invoke-and-await idempotency key") == 2
    assert called.count("golem::rpc::future-invoke-result::get") >= 1


def test_a_crash_of_the_cart_after_the_call_does_not_call_again(golem, warehouse):
    golem.invoke(CART, "alice", "restock", "fig", 5)
    assert golem.invoke(CART, "alice", "buy", "fig", 2) == 3
    golem.crash(CART, "alice")   # the cart replays its oplog: the recorded result
    assert golem.invoke(CART, "alice", "items") == [("fig", 2)]
    assert reserve_calls(golem, warehouse) == 1
    assert golem.invoke(INVENTORY, warehouse, "stock", "fig") == 3
    assert golem.runtime(CART, "alice").recoveries == 1


def test_a_crash_of_the_warehouse_during_the_call_is_recovered(golem, warehouse):
    golem.invoke(CART, "alice", "restock", "kiwi", 5)
    # the warehouse loses its instance right after its next host call (the query of
    # reserve) and recovers by replay: the recorded rows, no second UPDATE
    golem.crash(INVENTORY, warehouse, after=2)
    assert golem.invoke(CART, "alice", "buy", "kiwi", 2) == 3
    assert golem.runtime(INVENTORY, warehouse).recoveries == 1
    assert golem.invoke(INVENTORY, warehouse, "stock", "kiwi") == 3


def test_a_trap_of_the_warehouse_traps_the_cart(golem, warehouse):
    with pytest.raises(Trap, match=r'RpcError::RemoteInternalError\(".*restock of 0 plum'):
        golem.invoke(CART, "alice", "restock", "plum", 0)
    assert golem.worker(INVENTORY, warehouse).status.name == "FAILED"
    assert golem.worker(CART, "alice").status.name == "FAILED"


def test_a_scheduled_restock_fires_on_the_virtual_clock(golem, warehouse):
    golem.invoke(CART, "alice", "restock", "lime", 1)
    now = golem.clock.wall_ms() // 1000
    golem.invoke(CART, "alice", "restock-at", "lime", 6, now + 60)
    assert golem.invoke(INVENTORY, warehouse, "stock", "lime") == 1
    golem.clock.advance(59)
    assert golem.invoke(INVENTORY, warehouse, "stock", "lime") == 1
    golem.clock.advance(2)       # Golem's scheduler ticks every 2 s
    assert golem.invoke(INVENTORY, warehouse, "stock", "lime") == 7
