"""Tests of the shop:cart worker, run with plain pytest against golem-fakes.

The tests taking ``cart`` (conftest.py) run twice, on the Python source and on the
built .wasm: they reach the cart only through its exports, by name, as Golem's API
does. The last ones call Python directly (the class, or the bindings from the test
body), so they apply to the source only.
"""

import uuid

import pytest
from hypothesis import given, strategies as st

from component import ShopCartApi
from wit_world.imports import host
from wit_world.types import Err


def test_add_items_and_check_out(golem, cart):
    assert golem.invoke(cart, "alice", "add-item", "apple", 2) == 2
    assert golem.invoke(cart, "alice", "add-item", "pear", 1) == 3
    order = golem.invoke(cart, "alice", "checkout")
    # the order id is the idempotency key Golem derived for this invocation
    assert golem.idempotency_keys[(cart, "alice")][-1] == uuid.UUID(order)
    assert golem.invoke(cart, "alice", "items") == []


def test_each_worker_has_its_own_cart(golem, cart):
    """Every worker runs its own instance of the component; an export's name may be
    written in any form Golem's invocation API accepts, and its WIT types are checked."""
    assert golem.invoke(cart, "alice", "add-item", "apple", 2) == 2
    assert golem.invoke(cart, "bob", "shop:cart/shop-cart-api.{add-item}", "pear", 1) == 1
    assert golem.invoke(cart, "alice", "add_item", "fig", 3) == 5
    assert golem.invoke(cart, "alice", "items") == [("apple", 2), ("fig", 3)]
    assert golem.invoke(cart, "bob", "items") == [("pear", 1)]


def test_a_wrong_argument_never_reaches_the_worker(golem, cart):
    from golem_fakes.bindings.exports import InvalidArgument

    with pytest.raises(InvalidArgument, match="qty"):
        golem.invoke(cart, "alice", "add-item", "apple", -1)   # qty: u32
    assert golem.invoke(cart, "alice", "items") == []


def test_a_retried_checkout_places_the_same_order(golem, cart, fresh):
    """Golem re-runs a failed invocation with the same idempotency key; the order id
    derives from it, so the retry places the same order, not a second one."""
    def place_order(g, key):
        g.invoke(cart, "alice", "add-item", "apple", 1)
        return g.invoke(cart, "alice", "checkout", idempotency_key=key)

    first = place_order(golem, "order-42")
    again = place_order(fresh(golem), "order-42")   # a new Golem: the invocation re-run
    other = place_order(fresh(golem), "order-43")
    assert first == again != other
    # the same Golem answers a completed key from its first result, without running it
    assert golem.invoke(cart, "alice", "checkout", idempotency_key="order-42") == first


def test_checkout_of_an_empty_cart_is_an_error_result(golem, cart):
    with pytest.raises(Err) as e:
        golem.invoke(cart, "carol", "checkout")
    assert e.value.value == "cart is empty"
    assert golem.worker(cart, "carol").status.name == "IDLE"   # not a failure


@pytest.mark.golem(
    workers=[
        {"component": "shop:cart", "name": "alice", "env": {"REGION": "eu"}},
        {"component": "shop:cart", "name": "bob", "env": {"REGION": "us"}},
        {"component": "shop:cart", "name": "carol", "env": {"REGION": "eu"}},
        {"component": "shop:cart", "name": "dave", "env": {"REGION": "eu"}, "status": "failed"},
        {"component": "shop:cart", "name": "erin"},
    ],
)
def test_neighbours_are_found_with_a_worker_filter(golem, cart):
    assert golem.invoke(cart, "carol", "neighbours") == ["alice"]


def test_neighbours_page_through_many_workers(golem, cart):
    for i in range(120):
        golem.add_worker(cart, f"cart-{i:03}", env={"REGION": "eu" if i % 2 else "us"})
    found = golem.invoke(cart, "cart-001", "neighbours")
    assert len(found) == 59 and "cart-001" not in found and found == sorted(found)


def test_an_interrupted_checkout_finishes_once_resumed(golem, cart):
    """README "Interrupt, resume and restart": the example, as it is there."""
    from golem_fakes import WorkerInterrupted

    golem.invoke(cart, "alice", "add-item", "apple", 2)
    golem.interrupt(cart, "alice", after=1)      # right after its next host call
    with pytest.raises(WorkerInterrupted, match="Interrupted via the Golem API"):
        golem.invoke(cart, "alice", "checkout", idempotency_key="order-1")
    assert golem.worker(cart, "alice").status.wit_name == "interrupted"
    golem.resume(cart, "alice")                  # replays, then runs on live
    order = golem.invoke(cart, "alice", "checkout", idempotency_key="order-1")  # kept
    assert golem.invoke(cart, "alice", "items") == []
    assert uuid.UUID(order)
    assert golem.oplog(cart, "alice").kinds().count("interrupted") == 1


# --- the Python source only: test code calling Python directly ----------------------
# These call the class of component.py (or the bindings) in the test process, as
# worker code of the test's default worker: there is no Python object to call in a
# built .wasm, so they have no wasm form.


def test_the_class_can_be_called_directly(golem):
    api = ShopCartApi()
    assert api.add_item("apple", 2) == 2
    order = api.checkout()
    assert golem.idempotency_keys[("shop:cart", "worker-1")] == [uuid.UUID(order)]
    with pytest.raises(Err, match="cart is empty"):
        api.checkout()


def test_each_worker_is_an_instance_of_the_module(golem):
    """README "Workers are instances": a worker's module state can be looked at."""
    golem.invoke("shop:cart", "alice", "add-item", "apple", 2)
    assert golem.instance("shop:cart", "alice").module("component").cart == {"apple": 2}
    assert ShopCartApi().add_item("kiwi", 1) == 1   # test code: the default worker's cart


@pytest.mark.golem(
    worker="carol",
    env={"REGION": "eu"},
    workers=[
        {"component": "shop:cart", "name": "alice", "env": {"REGION": "eu"}},
        {"component": "shop:cart", "name": "bob", "env": {"REGION": "us"}},
    ],
)
def test_the_marker_makes_the_test_body_a_worker():
    # the marker injects the golem fixture: this test runs as worker "carol"
    assert host.get_self_metadata().worker_id.worker_name == "carol"
    assert ShopCartApi().neighbours() == ["alice"]


def test_promises_complete_from_outside(golem):
    promise = host.create_promise()
    assert host.poll_promise(promise) is None
    assert golem.complete_promise(promise, b"paid") is True
    assert host.await_promise(promise) == b"paid"


def test_property_items_add_up(golem):
    """A property test with a fresh Golem per example: nest @given inside a test that
    takes the fixture and enter golem.fresh() per example (no function-scoped-fixture
    health check involved). It calls the class directly: hundreds of examples, each a
    new Golem, cost milliseconds in process (a wasm instance per example would cost
    far more)."""

    @given(st.lists(st.tuples(st.sampled_from(["apple", "pear", "fig"]),
                              st.integers(min_value=1, max_value=1000)), min_size=1))
    def items_add_up(items):
        with golem.fresh():   # a new Golem: its default worker starts with an empty cart
            api = ShopCartApi()
            totals = [api.add_item(sku, qty) for sku, qty in items]
            assert totals[-1] == sum(qty for _, qty in items)
            assert uuid.UUID(api.checkout())

    items_add_up()
