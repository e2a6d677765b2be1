"""Hypothesis settings for this component's tests.

The same examples on every run (``derandomize``, no example database), and none of the
two wall-clock checks (``deadline``, the ``too_slow`` health check) that a loaded CI
machine trips for no fault of the worker: hypothesis' own ``ci`` profile, loaded always.
"""

from hypothesis import HealthCheck, settings

settings.register_profile("shop", derandomize=True, database=None, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("shop")
