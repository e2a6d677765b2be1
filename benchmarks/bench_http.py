"""A stubbed GET through ``requests`` from worker code, against respx stubbing the same
GET for httpx, in the same run (issue 15 "Done means").

* **golem-fakes**: inside ``with golem:`` (an invocation of the default worker), a
  ``golem.http.get(url).respond(200, json=...)`` route, then ``requests.get(url).json()``
  — urllib3's pool, golem-fakes' routing connection (``golem_fakes.clients``), the
  ``wasi:http`` bindings (handle, get, body stream reads, all recorded in the oplog as
  Golem records them), the stub router;
* **golem-fakes, httpx**: the same route, then ``httpx.Client().get(url).json()``
  inside ``with golem:`` — httpx's ``HTTPTransport`` routed onto the same bindings;
* **respx** (the anchor): ``with respx.mock: respx.get(url).respond(200, json=...)``,
  then ``httpx.get(url).json()``.

Each side stubs once per batch and sends ``number`` requests; the median per request
over ``repeat`` batches is printed with the ratio. Needs ``requests``, ``httpx`` and
``respx`` (``pip install httpx respx``). Run: ``python benchmarks/bench_http.py``.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

URL = "https://api.example.com/items/1"
PAYLOAD = {"id": 1, "name": "apple"}


def _golem_batch(number: int) -> float:
    import requests

    import golem_fakes

    with golem_fakes.Golem(seed=1) as golem:
        golem.http.get(URL).respond(200, json=PAYLOAD)
        session = requests.Session()
        t0 = time.perf_counter_ns()
        for _ in range(number):
            assert session.get(URL).json() == PAYLOAD
        return (time.perf_counter_ns() - t0) / number


def _golem_httpx_batch(number: int) -> float:
    """The same GET with an ``httpx.Client`` under golem-fakes (its routed transport)."""
    import httpx

    import golem_fakes

    with golem_fakes.Golem(seed=1) as golem:
        golem.http.get(URL).respond(200, json=PAYLOAD)
        client = httpx.Client()
        t0 = time.perf_counter_ns()
        for _ in range(number):
            assert client.get(URL).json() == PAYLOAD
        return (time.perf_counter_ns() - t0) / number


def _respx_batch(number: int) -> float:
    import httpx
    import respx

    with respx.mock:
        respx.get(URL).respond(200, json=PAYLOAD)
        client = httpx.Client()
        t0 = time.perf_counter_ns()
        for _ in range(number):
            assert client.get(URL).json() == PAYLOAD
        return (time.perf_counter_ns() - t0) / number


def main(number: int = 200, repeat: int = 7) -> dict[str, float]:
    import golem_fakes
    from golem_fakes.clients import route_http_clients

    golem_fakes.install()
    if "urllib3" not in route_http_clients():
        print("urllib3 is not installed: pip install requests")
        return {}
    _golem_batch(5)
    _golem_httpx_batch(5)
    _respx_batch(5)
    ours: list[float] = []
    ours_httpx: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):  # interleaved, so machine load hits all alike
        ours.append(_golem_batch(number))
        ours_httpx.append(_golem_httpx_batch(number))
        theirs.append(_respx_batch(number))
    a, b = statistics.median(ours), statistics.median(theirs)
    c = statistics.median(ours_httpx)
    print(f"{'stubbed GET':<44}{'median µs/request':>20}")
    print(f"{'requests -> golem-fakes wasi:http -> golem.http':<44}{a / 1000:>20.1f}")
    print(f"{'httpx -> golem-fakes wasi:http -> golem.http':<44}{c / 1000:>20.1f}")
    print(f"{'httpx -> respx':<44}{b / 1000:>20.1f}")
    print(f"ratio golem-fakes / respx: {a / b:.2f} (best batches {min(ours) / min(theirs):.2f})")
    print(f"ratio golem-fakes httpx / respx: {c / b:.2f}")
    return {"golem_ns": a, "golem_httpx_ns": c, "respx_ns": b, "ratio": a / b,
            "ratio_httpx": c / b}


if __name__ == "__main__":
    args: list[Any] = [int(x) for x in sys.argv[1:3]]
    main(*args)
