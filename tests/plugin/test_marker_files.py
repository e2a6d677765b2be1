"""``@pytest.mark.golem(files=...)``: the initial files of the fixture's component, in
the file system of the worker the test runs as."""

from __future__ import annotations

import pytest


def test_marker_files_seed_the_workers_file_system(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest
        from golem_fakes.state.filesystem import InitialFile
        from wit_world.imports import preopens, wasi_filesystem_types as t

        FILES = {"/static/a.txt": b"hello", "/data/db.json": InitialFile(b"{}", permission="read-write")}

        @pytest.mark.golem(files=FILES)
        def test_read(golem):
            (root, _), _ = preopens.get_directories()
            f = root.open_at(t.PathFlags(0), "static/a.txt", t.OpenFlags(0), t.DescriptorFlags.READ)
            assert f.read(10, 0) == (b"hello", False)
            fs = golem.filesystem()
            assert fs.is_read_only("/static/a.txt") and not fs.is_read_only("/data/db.json")

        @pytest.mark.golem(files=FILES, component="shop")
        def test_named_component(golem):
            assert golem.current_worker.component.name == "shop"
            assert golem.filesystem()["/data/db.json"] == b"{}"

        def test_without_files(golem):
            assert golem.filesystem().listdir("/") == []

        @pytest.mark.golem(files={"relative.txt": b"x"})
        def test_bad_path(golem):
            pass
    """)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3, errors=1)
    result.stdout.fnmatch_lines(["*relative.txt*"])
