"""Every function of golem:api/host@1.1.7 has a behaviour (nothing reported unfaked)."""

from __future__ import annotations

from pathlib import Path

from golem_fakes.bindings import registry
from golem_fakes.wit import load

VENDORED = Path(__file__).parents[3] / "golem_fakes" / "data" / "wit"


def test_golem_api_host_reports_no_unfaked_function() -> None:
    world = load(VENDORED).world("all-imports")
    missing = [f for f in registry.unfaked(world) if f.startswith("golem:api/host@1.1.7#")]
    assert missing == []
    # and the behaviours come from the host module (not a test override)
    impl = registry.lookup("golem:api/host@1.1.7", "[method]get-workers.get-next")
    assert impl is not None and impl.__module__ == "golem_fakes.interfaces.golem_api.host"
