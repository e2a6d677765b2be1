"""Fixtures of this component's tests, and their hypothesis settings.

``cart`` runs a test twice: once with shop:cart as its Python source (what the plugin
installs: ``src/component.py`` imported into the test process) and once as the
``.wasm`` its golem.yaml build step makes (componentize-py, built once per content
hash under ``$GOLEM_FAKES_CACHE``), linked to the same fakes. A test that calls the
cart only by export name (``golem.invoke(cart, worker, "add-item", ...)``) checks both
with one body.

The hypothesis settings: the same examples on every run (``derandomize``, no example
database), and none of the two wall-clock checks (``deadline``, the ``too_slow`` health
check) that a loaded CI machine trips for no fault of the worker.
"""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("shop", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shop")

CART = "shop:cart"


@pytest.fixture(scope="session")
def cart_wasm() -> Path:
    """shop:cart built as golem.yaml says (the first run builds it: about half a minute)."""
    pytest.importorskip("wasmtime", reason="the built-component tests need wasmtime-py")
    from golem_fakes.compiled.build import build_app_component

    return build_app_component(CART, start=Path(__file__).parent)


@pytest.fixture(params=["source", "wasm"])
def cart(request, golem) -> str:
    """The cart component's name, in this test's Golem as its Python source or as its
    built .wasm (the test's id says which: ``test_x[source]``, ``test_x[wasm]``)."""
    if request.param == "wasm":
        golem.set_component_wasm(CART, request.getfixturevalue("cart_wasm"))
    return CART


@pytest.fixture
def fresh(request, cart):
    """``fresh(golem)``: ``golem.fresh()`` with the cart as in this test (a new Golem
    starts with the plugin's Python source)."""
    def make(golem):
        new = golem.fresh()
        if request.node.callspec.params["cart"] == "wasm":
            new.set_component_wasm(CART, request.getfixturevalue("cart_wasm"))
        return new
    return make
