import pytest

import component


@pytest.fixture(autouse=True)
def empty_cart():
    """Inside Golem each worker has its own copy of the module; under pytest the module
    is shared, so reset the worker state between tests."""
    component.cart.clear()
    yield
    component.cart.clear()
