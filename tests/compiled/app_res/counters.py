"""The exported resource ``counter`` of golem-fakes:resource-test/counters (componentize-py
looks its class up in a top-level module named after the exported interface)."""

from wit_world.imports import random

from version import SUFFIX

#: the names of the counters made in this instance (a snapshot carries them)
CREATED: list[str] = []


class Counter:
    def __init__(self, name: str) -> None:
        self._name = name
        self._total = 0
        self._tag = random.get_random_u64()
        CREATED.append(name)

    def name(self) -> str:
        return self._name + SUFFIX

    def add(self, n: int) -> int:
        self._total += n
        return self._total

    def tag(self) -> int:
        return self._tag

    @staticmethod
    def merge(a: "Counter", b: "Counter") -> "Counter":
        c = Counter(f"{a._name}+{b._name}")
        c._total = a._total + b._total
        return c
