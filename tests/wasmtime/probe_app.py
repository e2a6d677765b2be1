"""The probe component's app module (``componentize-py ... componentize app``).

The same module serves the native run on golem-fakes (``probe_fake.py``), so both sides
execute identical code. ``WitWorld`` is instantiated once (at build time inside the
component), as componentize-py does.
"""

from __future__ import annotations

from componentize_py_types import Err

from probes import PROBES
from probes._util import err_name


def run_probe(name: str) -> str:
    """Run probe ``name``; its lines joined with ``\\n``. A Python exception escaping
    the probe is reported as a last line ``raised <Type>`` (``raised Err(<case>)``)
    instead of trapping the whole call, so both hosts print the same thing; traps and
    ``exit`` cannot be caught and are reported by the runners."""
    out: list[str] = []
    try:
        PROBES[name](out)
    except Err as e:
        out.append(f"raised Err({err_name(e)})")
    except Exception as e:  # noqa: BLE001 - rendered for the comparison
        out.append(f"raised {type(e).__name__}")
    return "\n".join(out)


class WitWorld:
    def names(self) -> list[str]:
        return sorted(PROBES)

    def run(self, name: str) -> str:
        return run_probe(name)
