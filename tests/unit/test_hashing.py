from pathlib import Path

import pytest
import xxhash

from reelmake.core import hashing
from reelmake.core.hashing import HashIndex, hash_file, short

pytestmark = pytest.mark.unit


def test_hash_is_xxh3_128_of_the_bytes(tmp_path: Path) -> None:
    data = b"reelmake" * 1_000_003
    f = tmp_path / "a.mp4"
    f.write_bytes(data)
    assert hash_file(f) == xxhash.xxh3_128(data).hexdigest()
    assert short(hash_file(f)) == xxhash.xxh3_128(data).hexdigest()[:16]


def test_same_bytes_same_hash_changed_bytes_new_hash(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a.mp4", tmp_path / "b.mov", tmp_path / "c.mp4"
    a.write_bytes(b"x" * 4096)
    b.write_bytes(b"x" * 4096)
    c.write_bytes(b"x" * 4095 + b"y")  # same size, one byte differs
    assert hash_file(a) == hash_file(b)
    assert hash_file(a) != hash_file(c)


def test_index_hashes_an_unchanged_file_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = hashing.hash_file

    def counting(path: str) -> str:
        calls.append(str(path))
        return real(path)

    monkeypatch.setattr(hashing, "hash_file", counting)
    video = tmp_path / "v.mp4"
    video.write_bytes(b"abc" * 1000)
    index_path = tmp_path / "idx" / "hash_index.json"
    first = HashIndex(index_path).hash(video)
    # A new index object (a new Snakefile parse) reads the stored entry.
    assert HashIndex(index_path).hash(video) == first
    assert len(calls) == 1
    # Changed bytes at the same path and size are noticed.
    video.write_bytes(b"abd" * 1000)
    assert HashIndex(index_path).hash(video) != first
    assert len(calls) == 2


def test_damaged_index_only_costs_a_rehash(tmp_path: Path) -> None:
    video = tmp_path / "v.mp4"
    video.write_bytes(b"data")
    index_path = tmp_path / "hash_index.json"
    index_path.write_text("{not json")
    assert HashIndex(index_path).hash(video) == hash_file(video)
    assert HashIndex(index_path).lookup(video) == hash_file(video)


def test_index_merges_entries_written_by_another_process(tmp_path: Path) -> None:
    a, b = tmp_path / "a.mp4", tmp_path / "b.mp4"
    a.write_bytes(b"a")
    b.write_bytes(b"b")
    index_path = tmp_path / "hash_index.json"
    first, second = HashIndex(index_path), HashIndex(index_path)
    first.hash(a)
    second.hash(b)  # loaded before a was written: must not drop it
    fresh = HashIndex(index_path)
    assert fresh.lookup(a) == hash_file(a)
    assert fresh.lookup(b) == hash_file(b)
