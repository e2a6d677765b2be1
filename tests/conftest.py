"""Suite-wide configuration: pytester, and one hypothesis profile for every test.

The hypothesis profile ``golem-fakes`` (loaded here, so for every test of the suite)
makes every property test deterministic — the same examples on every run and machine:

- ``derandomize=True``: the examples of a test come from a seed derived from the test
  function itself (hypothesis' ``function_digest``), not from a fresh random seed per
  run; a test that passes once passes always (on the same hypothesis release). One
  input besides the seed remains: recent hypothesis releases mix in constants collected
  from the *local* modules imported so far (``providers._get_local_constants``), so a
  test run alone may see other examples than in the whole suite — but the same ones in
  every run of the same selection (``make test`` runs a fixed order).
- ``database=None``: nothing is replayed from (or written to) ``.hypothesis/``, so a
  fresh clone and a checkout with an old example database run the same examples.
- ``deadline=None`` and ``suppress_health_check=[HealthCheck.too_slow]``: the only two
  hypothesis checks that depend on wall-clock time, which a loaded 2-core CI machine
  (or xdist) can trip for no fault of the code.
- ``print_blob=True``: a failure prints the ``@reproduce_failure`` line.

This is hypothesis' own ``ci`` profile (``hypothesis._settings``), loaded always rather
than only when a CI variable is set. Tests keep their own ``@settings(max_examples=…)``;
those inherit everything else from this profile.

To hunt for new failures with random seeds and the example database, select the
``golem-fakes-explore`` profile: ``pytest --hypothesis-profile=golem-fakes-explore``
(or ``HYPOTHESIS_PROFILE=golem-fakes-explore``); a failure found that way should become
an ``@example`` or a deterministic test.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# pytester (for tests/plugin) must be enabled from a top-level conftest: pytest refuses
# ``pytest_plugins`` in nested conftest files.
pytest_plugins = ["pytester"]

PROFILE = "golem-fakes"
EXPLORE_PROFILE = "golem-fakes-explore"

settings.register_profile(
    PROFILE,
    derandomize=True,
    database=None,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    EXPLORE_PROFILE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
# ``--hypothesis-profile`` (hypothesis' pytest plugin, applied at pytest_configure,
# after this conftest is imported) still wins over both.
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", PROFILE))
