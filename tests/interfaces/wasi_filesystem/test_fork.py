"""A fork's file system: the source's at the fork point when the fork is at the
source's current end (``fork``), the initial files for an earlier cut-off."""

from __future__ import annotations

import golem_fakes


def test_fork_copies_the_file_system_and_then_diverges() -> None:
    golem_fakes.install()
    from wit_world.imports import host

    g = golem_fakes.Golem()
    g.add_component("c", files={"/a.txt": b"initial"})
    with g.run_as("c", "src"):
        fs = g.filesystem()
        fs["/note.txt"] = b"written before the fork"
        host.fork("copy")
    src, copy = g.filesystem("c", "src"), g.filesystem("c", "copy")
    assert copy["/note.txt"] == b"written before the fork"
    assert copy.is_read_only("/a.txt")
    copy["/note.txt"] = b"changed in the copy"
    assert src["/note.txt"] == b"written before the fork"
    assert g.clock is copy._golem.clock


def test_fork_worker_at_an_earlier_cut_off_starts_from_initial_files() -> None:
    golem_fakes.install()
    from wit_world.imports import host

    g = golem_fakes.Golem()
    g.add_component("c", files={"/a.txt": b"initial"})
    g.add_worker("c", "src")
    with g.run_as("c", "src"):
        g.filesystem()["/note.txt"] = b"x"
        host.get_oplog_index()
    with g.run_as("c", "other"):
        src_id, copy_id = host.resolve_worker_id("c", "src"), host.resolve_worker_id("c", "copy")
        assert src_id is not None and copy_id is not None
        host.fork_worker(src_id, copy_id, 2)
    assert g.filesystem("c", "copy").snapshot() == {"/a.txt": b"initial"}
