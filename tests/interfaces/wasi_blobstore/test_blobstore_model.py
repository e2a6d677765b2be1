"""A hypothesis state machine: the FS-flavour blobstore against a plain dict model."""

from __future__ import annotations

import hypothesis.strategies as st
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

import golem_fakes

golem_fakes.install()
from wit_world.imports import blobstore, wasi_blobstore_types as types  # noqa: E402

CONTAINERS = st.sampled_from(["a", "b"])
OBJECTS = st.sampled_from(["x", "y", "z"])
ENOENT = "No such file or directory (os error 2)"


class BlobModel(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.golem = golem_fakes.Golem(seed=0)
        self.golem.__enter__()
        self.model: dict[str, dict[str, bytes]] = {}

    def teardown(self) -> None:
        self.golem.__exit__()

    def _handle(self, c: str):  # type: ignore[no-untyped-def]
        return blobstore.create_container(c) if c in self.model else None

    @rule(c=CONTAINERS)
    def create(self, c: str) -> None:
        blobstore.create_container(c)
        self.model.setdefault(c, {})

    @rule(c=CONTAINERS)
    def delete(self, c: str) -> None:
        blobstore.delete_container(c)
        self.model.pop(c, None)

    @rule(c=CONTAINERS, o=OBJECTS, data=st.binary(max_size=20))
    def write(self, c: str, o: str, data: bytes) -> None:
        h = blobstore.create_container(c)
        self.model.setdefault(c, {})
        ov = types.OutgoingValue.new_outgoing_value()
        ov.outgoing_value_write_body().blocking_write_and_flush(data)
        h.write_data(o, ov)
        self.model[c][o] = data

    @rule(c=CONTAINERS, o=OBJECTS, data=st.data())
    def read(self, c: str, o: str, data: st.DataObject) -> None:
        h = self._handle(c)
        if h is None or o not in self.model[c]:
            return
        value = self.model[c][o]
        start = data.draw(st.integers(0, len(value)))
        end = data.draw(st.integers(start, len(value)))
        assert h.get_data(o, start, end).incoming_value_consume_sync() == value[start:end]

    @rule(sc=CONTAINERS, so=OBJECTS, dc=CONTAINERS, do=OBJECTS, move=st.booleans())
    def copy(self, sc: str, so: str, dc: str, do: str, move: bool) -> None:
        fn = blobstore.move_object if move else blobstore.copy_object
        ok = sc in self.model and so in self.model[sc] and dc in self.model
        try:
            fn(types.ObjectId(sc, so), types.ObjectId(dc, do))
        except blobstore.Err as e:
            assert not ok and e.value == ENOENT
            return
        assert ok
        value = self.model[sc][so]
        if (sc, so) == (dc, do):
            if move:
                del self.model[sc][so]
            else:
                self.model[sc][so] = b""
            return
        self.model[dc][do] = value
        if move:
            del self.model[sc][so]

    @rule(c=CONTAINERS, o=OBJECTS, move=st.booleans())
    def copy_onto_itself(self, c: str, o: str, move: bool) -> None:
        self.copy(c, o, c, o, move)

    @rule(c=CONTAINERS, names=st.lists(OBJECTS, max_size=3))
    def delete_objects(self, c: str, names: list[str]) -> None:
        h = self._handle(c)
        if h is None:
            return
        try:
            h.delete_objects(names)
        except blobstore.Err:
            pass
        for n in names:
            if n not in self.model[c]:
                break
            del self.model[c][n]

    @invariant()
    def matches(self) -> None:
        assert self.golem.blobstore.snapshot() == self.model
        for c in ["a", "b"]:
            assert blobstore.container_exists(c) is (c in self.model)
            if c in self.model:
                names, _ = blobstore.get_container(c).list_objects().read_stream_object_names(10)
                assert names == sorted(self.model[c], reverse=True)


TestBlobModel = BlobModel.TestCase
TestBlobModel.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
