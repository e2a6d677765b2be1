"""The freestanding exports of golem-fakes:resource-test/counters."""

import counters
from counters import Counter
from componentize_py_types import Err


class Counters:
    def make_pair(self, a: str, b: str) -> tuple[Counter, Counter]:
        return Counter(a), Counter(b)

    def total(self, cs: list[Counter]) -> int:
        return sum(c.add(0) for c in cs)

    def consume(self, c: Counter) -> str:
        return c.name()

    def maybe(self, name: str | None) -> Counter | None:
        return None if name is None else Counter(name)

    def created(self) -> list[str]:
        return list(counters.CREATED)


class SaveSnapshot:
    def save(self) -> bytes:
        return "\n".join(counters.CREATED).encode()


class LoadSnapshot:
    def load(self, bytes_: bytes) -> None:
        if bytes_ == b"refuse":
            raise Err("refused")
        counters.CREATED[:] = bytes_.decode().split("\n") if bytes_ else []
