"""Hypothesis state machines driving wasi:blobstore through the generated bindings against
a plain-dict model of Golem's semantics (docs/golem-io-semantics.md §2.2-§2.7), once per
backend flavour: the local file system (``"fs"``, default) and S3 (``"s3"``).

Storage failures are injected with ``golem.blobstore.fail(...)`` (§0.2, §0.3, §2.7): the
call returns ``Err(message)`` at once (``trap=True`` failures and ``clear`` trap), is
recorded in the oplog as ``Err(message)``, and changes nothing - the model is left as it
was and the store must still equal it (checked through the test-side API only, so the
check itself consumes no injected failure).

Container handles are cached from ``create-container`` and used even after the container
is deleted: Golem never re-validates a handle (§2.3), so stale handles are part of the
model (FS re-creates the container on write, S3 writes an object without a marker)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import hypothesis.strategies as st
import pytest
from hypothesis import settings
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

import golem_fakes
from golem_fakes import Trap

golem_fakes.install()
from wit_world.imports import blobstore, container as container_mod  # noqa: E402
from wit_world.imports import wasi_blobstore_types as types  # noqa: E402

CONTAINERS = st.sampled_from(["a", "b"])
OBJECTS = st.sampled_from(["x", "y", "z"])
ENOENT = "No such file or directory (os error 2)"
FUNCTIONS = ["create-container", "get-container", "delete-container", "container-exists",
             "copy-object", "move-object", "get-data", "write-data", "list-objects",
             "delete-object", "delete-objects", "has-object", "object-info", "clear"]
MESSAGES = st.sampled_from(["Input/output error (os error 5)", "No space left on device "
                            "(os error 28)", "dispatch failure"])


@dataclass
class Fault:
    """The model of one ``golem.blobstore.fail(...)`` declaration."""

    message: str
    functions: frozenset[str] | None
    containers: frozenset[str] | None
    times: int | None
    trap: bool
    hits: int = 0


class BlobModel(RuleBasedStateMachine):
    """Model: ``objects`` ``{container: {object: bytes}}`` for every container the store
    holds state for, and ``markers``: the containers that exist (FS directory / S3
    ``__dir_marker``). On FS every stored container has its marker; on S3 a stale-handle
    write or a copy can leave objects under a container without one."""

    backend = "fs"

    def __init__(self) -> None:
        super().__init__()
        self.golem = golem_fakes.Golem(seed=0)
        self.golem.__enter__()
        self.golem.blobstore.backend = self.backend
        self.objects: dict[str, dict[str, bytes]] = {}
        self.markers: set[str] = set()
        self.handles: dict[str, Any] = {}
        self.faults: list[Fault] = []

    def teardown(self) -> None:
        self.golem.__exit__(None, None, None)

    @property
    def fs(self) -> bool:
        return self.backend == "fs"

    # --- fault injection ---------------------------------------------------------------

    @rule(message=MESSAGES,
          functions=st.none() | st.frozensets(st.sampled_from(FUNCTIONS), min_size=1,
                                              max_size=3),
          containers=st.none() | st.frozensets(CONTAINERS, min_size=1, max_size=1),
          times=st.none() | st.integers(1, 3), trap=st.booleans())
    def inject_fault(self, message: str, functions: frozenset[str] | None,
                     containers: frozenset[str] | None, times: int | None,
                     trap: bool) -> None:
        self.golem.blobstore.fail(message, functions=functions, containers=containers,
                                  times=times, trap=trap)
        self.faults.append(Fault(message, functions, containers, times, trap))

    @rule()
    def clear_faults(self) -> None:
        self.golem.blobstore.clear_failures()
        self.faults.clear()

    def _expected_fault(self, function: str, containers: tuple[str, ...]) -> Fault | None:
        for f in self.faults:
            if ((f.functions is None or function in f.functions)
                    and (f.containers is None or any(c in f.containers for c in containers))):
                f.hits += 1
                if f.times is not None and f.hits >= f.times:
                    self.faults.remove(f)
                return f
        return None

    def _call(self, function: str, containers: tuple[str, ...],
              call: Callable[[], Any]) -> tuple[bool, Any]:
        """Run one recorded call; ``(True, outcome)`` - the result, ``("err", value)`` for
        the WIT error case or the :class:`Trap` - or ``(False, None)`` after checking that
        the injected fault reached the worker, was recorded, and left the store as it was."""
        fault = self._expected_fault(function, containers)
        if fault is None:
            try:
                return True, call()
            except (blobstore.Err, container_mod.Err) as e:
                return True, ("err", e.value)
            except Trap as t:
                return True, t
        before = len(self.golem.oplog())
        snapshot = self.golem.blobstore.snapshot()
        if fault.trap or function == "clear":            # clear: record, then `?` (§2.3)
            with pytest.raises(Trap) as trapped:
                call()
            assert fault.message in str(trapped.value)
        else:
            with pytest.raises((blobstore.Err, container_mod.Err)) as err:
                call()
            assert err.value.value == fault.message
        entries = list(self.golem.oplog())
        assert len(entries) == before + 1
        assert entries[-1]["response"] == golem_fakes.bindings.result.Err(fault.message)
        assert self.golem.blobstore.snapshot() == snapshot
        return False, None

    # --- blobstore interface -----------------------------------------------------------

    @rule(c=CONTAINERS)
    def create(self, c: str) -> None:
        ok, h = self._call("create-container", (c,), lambda: blobstore.create_container(c))
        if ok:
            self.handles[c] = h
            self.markers.add(c)
            self.objects.setdefault(c, {})

    @rule(c=CONTAINERS)
    def get(self, c: str) -> None:
        ok, h = self._call("get-container", (c,), lambda: blobstore.get_container(c))
        if ok:
            if c not in self.markers:
                assert h == ("err", "Container not found")
            else:
                assert h.name() == c
                self.handles[c] = h

    @rule(c=CONTAINERS)
    def delete(self, c: str) -> None:
        if self._call("delete-container", (c,), lambda: blobstore.delete_container(c))[0]:
            self.objects.pop(c, None)
            self.markers.discard(c)

    @rule(c=CONTAINERS)
    def exists(self, c: str) -> None:
        ok, got = self._call("container-exists", (c,), lambda: blobstore.container_exists(c))
        if ok:
            assert got is (c in self.markers)

    @rule(sc=CONTAINERS, so=OBJECTS, dc=CONTAINERS, do=OBJECTS, move=st.booleans())
    def copy(self, sc: str, so: str, dc: str, do: str, move: bool) -> None:
        fn = blobstore.move_object if move else blobstore.copy_object
        function = "move-object" if move else "copy-object"
        src = self.objects.get(sc, {}).get(so)
        same = (sc, so) == (dc, do)

        ok, got = self._call(function, (sc, dc),
                             lambda: fn(types.ObjectId(sc, so), types.ObjectId(dc, do)))
        if not ok:
            return
        if self.fs:
            if src is None or dc not in self.markers:
                assert got == ("err", ENOENT)
                return
            assert got is None
            if same:      # std::fs::copy onto itself truncates; move then deletes (§2.2)
                if move:
                    del self.objects[sc][so]
                else:
                    self.objects[sc][so] = b""
                return
        else:
            if src is None or same:                        # not determined on S3: a trap
                assert isinstance(got, Trap) and "not determined" in str(got)
                return
            assert got is None
        self.objects.setdefault(dc, {})[do] = src
        if move:
            del self.objects[sc][so]

    # --- container resource ------------------------------------------------------------

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS, o=OBJECTS, data=st.binary(max_size=20))
    def write(self, c: str, o: str, data: bytes) -> None:
        h = self.handles.get(c)
        if h is None:
            return
        ov = types.OutgoingValue.new_outgoing_value()
        ov.outgoing_value_write_body().blocking_write_and_flush(data)
        if self._call("write-data", (c,), lambda: h.write_data(o, ov))[0]:
            self.objects.setdefault(c, {})[o] = data
            if self.fs:                                  # FS re-creates a stale container
                self.markers.add(c)

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS, o=OBJECTS, start=st.integers(0, 22), end=st.integers(0, 22))
    def read(self, c: str, o: str, start: int, end: int) -> None:
        h = self.handles.get(c)
        if h is None:
            return
        value = self.objects.get(c, {}).get(o)
        size = 0 if value is None else len(value)

        ok, got = self._call("get-data", (c,),
                             lambda: h.get_data(o, start, end).incoming_value_consume_sync())
        if not ok:
            return
        if value is None:
            assert got == ("err", "Object does not exist")
        elif self.fs:
            if start > end or end > size:                  # bytes crate panics: abort
                assert isinstance(got, Trap) and "executor abort" in str(got)
            else:
                assert got == value[start:end]
        elif start >= size or start > end:                 # S3: not determined
            assert isinstance(got, Trap) and "not determined" in str(got)
        else:
            assert got == value[start:min(end, size - 1) + 1]   # inclusive, clamped

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS)
    def list_objects(self, c: str) -> None:
        h = self.handles.get(c)
        if h is None:
            return

        ok, got = self._call("list-objects", (c,), h.list_objects)
        if not ok:
            return
        if self.fs and c not in self.markers:
            assert got == ("err", ENOENT)
            return
        names = sorted(self.objects.get(c, {}), reverse=True)      # popped from the back
        assert got.read_stream_object_names(len(names)) == (names, False)
        assert got.read_stream_object_names(1) == ([], True)

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS, o=OBJECTS)
    def has_and_info(self, c: str, o: str) -> None:
        h = self.handles.get(c)
        if h is None:
            return
        value = self.objects.get(c, {}).get(o)
        ok, has = self._call("has-object", (c,), lambda: h.has_object(o))
        if ok:
            assert has is (value is not None)

        ok, got = self._call("object-info", (c,), lambda: h.object_info(o))
        if ok:
            if value is None:
                assert got == ("err", "Object does not exist")
            else:
                assert (got.name, got.container, got.size) == (o, c, len(value))

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS, o=OBJECTS)
    def delete_object(self, c: str, o: str) -> None:
        h = self.handles.get(c)
        if h is None:
            return

        ok, got = self._call("delete-object", (c,), lambda: h.delete_object(o))
        if ok:                                   # Golem's defect: never deletes (§2.3)
            existing = o in self.objects.get(c, {})
            assert got == (("err", "Not a directory (os error 20)") if self.fs and existing
                           else None)

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS, names=st.lists(OBJECTS, max_size=3))
    def delete_objects(self, c: str, names: list[str]) -> None:
        h = self.handles.get(c)
        if h is None:
            return

        ok, got = self._call("delete-objects", (c,), lambda: h.delete_objects(names))
        if not ok:
            return
        objs = self.objects.get(c, {})
        if not self.fs:
            if not names:                                  # empty DeleteObjects: undetermined
                assert isinstance(got, Trap) and "not determined" in str(got)
                return
            assert got is None
            for n in names:
                objs.pop(n, None)
            return
        for n in names:                            # FS: in order, stop at the first missing
            if n not in objs:
                assert got == ("err", f'Failed to delete file at "<blob-root>/custom_data/'
                                      f'{self.golem.project}/{c}/{n}": {ENOENT}')
                return
            del objs[n]
        assert got is None

    @precondition(lambda self: self.handles)
    @rule(c=CONTAINERS)
    def clear(self, c: str) -> None:
        h = self.handles.get(c)
        if h is None:
            return
        if self._call("clear", (c,), h.clear)[0]:         # removes the container itself
            self.objects.pop(c, None)
            self.markers.discard(c)

    # --- invariant (test-side API only: consumes no injected failure) ------------------

    @invariant()
    def store_equals_model(self) -> None:
        expected = {c: dict(objs) for c, objs in sorted(self.objects.items())
                    if c in self.markers or objs}
        assert self.golem.blobstore.snapshot() == expected
        assert self.golem.blobstore.containers() == sorted(self.markers)
        for c in self.markers:
            assert c in self.golem.blobstore


class BlobModelS3(BlobModel):
    backend = "s3"


TestBlobModelFS = BlobModel.TestCase
TestBlobModelFS.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
TestBlobModelS3 = BlobModelS3.TestCase
TestBlobModelS3.settings = settings(max_examples=150, stateful_step_count=40, deadline=None)
