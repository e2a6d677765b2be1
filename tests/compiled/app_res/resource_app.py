"""The freestanding exports of golem-fakes:resource-test/counters."""

from counters import Counter


class Counters:
    def make_pair(self, a: str, b: str) -> tuple[Counter, Counter]:
        return Counter(a), Counter(b)

    def total(self, cs: list[Counter]) -> int:
        return sum(c.add(0) for c in cs)

    def consume(self, c: Counter) -> str:
        return c.name()

    def maybe(self, name: str | None) -> Counter | None:
        return None if name is None else Counter(name)
