"""The test-side API of the in-memory file system and its pure parts (initial files,
metadata hash)."""

from __future__ import annotations

from pathlib import Path

import pytest

import golem_fakes
from golem_fakes.state.filesystem import (
    FileSystem,
    InitialFile,
    Symlink,
    _metrohash128,
    metadata_hash,
    normalize_initial_files,
)


def test_initial_files_default_to_read_only_and_accept_str() -> None:
    out = normalize_initial_files({"/a.txt": b"x", "/b.txt": "é", "/c": InitialFile(b"c", "read-write")})
    assert out["/a.txt"] == InitialFile(b"x", "read-only")
    assert out["/b.txt"].content == "é".encode()
    assert out["/c"].read_only is False


@pytest.mark.parametrize("path", ["a.txt", "/", "/a//b", "/a/./b", "/a/../b", "/a/", "", "/a\0b"])
def test_initial_file_paths_must_be_absolute_and_normalised(path: str) -> None:
    with pytest.raises(ValueError, match="initial file"):
        normalize_initial_files({path: b"x"})


def test_initial_file_below_a_file_is_rejected() -> None:
    with pytest.raises(ValueError, match="lies below '/a'"):
        normalize_initial_files({"/a": b"x", "/a/b": b"y"})


def test_initial_file_rejects_bad_values() -> None:
    with pytest.raises(ValueError, match="expected bytes"):
        normalize_initial_files({"/a": 3})
    with pytest.raises(ValueError, match="permission"):
        InitialFile(b"x", "write")  # type: ignore[arg-type]


def test_add_component_files_seed_every_worker_separately() -> None:
    with golem_fakes.Golem(seed=1) as g:
        g.add_component("c", files={"/static/a.txt": b"A", "/w.txt": InitialFile(b"w", "read-write")})
        w1 = g.add_worker("c", "one")
        w2 = g.add_worker("c", "two")
        fs1, fs2 = g.filesystem(w1), g.filesystem(w2)
        assert fs1 is not fs2 and fs1 is g.filesystem(w1)
        fs1["/w.txt"] = b"changed"
        assert fs2["/w.txt"] == b"w"
        assert fs1.is_read_only("/static/a.txt") and not fs1.is_read_only("/w.txt")
        assert fs1.snapshot() == {"/static/": b"", "/static/a.txt": b"A", "/w.txt": b"changed"}


def test_mapping_api() -> None:
    fs = FileSystem()
    fs["/x/y.txt"] = "text"
    assert fs["/x/y.txt"] == b"text"
    assert "/x/y.txt" in fs and "/x" in fs and "/nope" not in fs and 3 not in fs
    assert fs.listdir("/") == ["x"] and fs.listdir("/x") == ["y.txt"]
    with pytest.raises(KeyError):
        fs["/nope"]
    with pytest.raises(IsADirectoryError):
        fs["/x"]
    with pytest.raises(ValueError, match="absolute guest paths"):
        fs["relative"]
    fs.symlink("y.txt", "/x/l")
    assert fs["/x/l"] == b"text" and fs.readlink("/x/l") == "y.txt"
    assert fs.snapshot()["/x/l"] == Symlink("y.txt")
    assert list(fs) == ["/x/y.txt"]
    with pytest.raises(OSError, match="not empty"):
        del fs["/x"]
    del fs["/x/y.txt"]
    del fs["/x/l"]
    del fs["/x"]
    assert fs.snapshot() == {}
    with pytest.raises(KeyError):
        del fs["/x"]


def test_copy_from_a_real_folder(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "f.bin").write_bytes(b"\x00\x01")
    (tmp_path / "top.txt").write_text("top")
    fs = FileSystem()
    copied = fs.copy_from(tmp_path, "/data", read_only=True)
    assert sorted(copied) == ["/data/sub/f.bin", "/data/top.txt"]
    assert fs["/data/sub/f.bin"] == b"\x00\x01"
    assert fs.is_read_only("/data/top.txt")
    with pytest.raises(NotADirectoryError):
        fs.copy_from(tmp_path / "top.txt", "/x")


def test_add_preopen_names_must_be_unique() -> None:
    fs = FileSystem()
    fs.add_preopen("/data", guest_name="data")
    assert [n for _, n, _ in fs.preopens] == ["/", ".", "data"]
    with pytest.raises(ValueError, match="exists already"):
        fs.add_preopen("/other", guest_name="data")


def test_metrohash128_matches_reference_vectors() -> None:
    # Reference values computed with the C++ MetroHash128 (metrohash PyPI bindings),
    # the algorithm of the `metrohash` crate Golem uses.
    assert metadata_hash(0, 0, 0) == (2199799727664687693, 10234063416626126240)
    assert metadata_hash(None, 7, 0) == metadata_hash(0, 0, 0)
    assert metadata_hash(1735689600, 0, 5) == (4366944758458370112, 18096531545073539670)
    assert metadata_hash(1000000000, 5, 13) == (6204709694540892543, 10999773160266068011)
    for n in range(32):  # every tail length runs
        assert all(0 <= v < 2**64 for v in _metrohash128(bytes(range(n))))
