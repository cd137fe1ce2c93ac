import hashlib
from pathlib import Path

import pytest

from reelmake.core.errors import ReelmakeError
from reelmake.stages import whisper as models

pytestmark = pytest.mark.unit


def _parts(tmp_path: Path) -> tuple[list[Path], Path, str]:
    a, b, cfg = tmp_path / "p1", tmp_path / "p2", tmp_path / "config.json"
    a.write_bytes(b"first half ")
    b.write_bytes(b"second half")
    cfg.write_text("{}")
    return [a, b], cfg, hashlib.sha256(b"first half second half").hexdigest()


def test_split_model_is_joined_once_and_checked(tmp_path: Path) -> None:
    parts, cfg, sha = _parts(tmp_path)
    target = tmp_path / "cache" / "model"
    assert models.join_split_model(parts, [cfg], target, sha) == target
    assert (target / "model.bin").read_bytes() == b"first half second half"
    assert (target / "config.json").is_file()
    parts[0].unlink()  # a second call reuses the joined folder
    assert models.join_split_model(parts, [cfg], target, sha) == target


def test_checksum_mismatch_leaves_nothing(tmp_path: Path) -> None:
    parts, cfg, _ = _parts(tmp_path)
    target = tmp_path / "cache" / "model"
    with pytest.raises(ReelmakeError, match="SHA-256"):
        models.join_split_model(parts, [cfg], target, "0" * 64)
    assert list((tmp_path / "cache").iterdir()) == []


def test_folder_without_tokenizer_is_refused(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(b"x")
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(ReelmakeError, match=r"missing tokenizer\.json"):
        models.resolve(str(tmp_path))


def test_unknown_name_is_a_clear_error() -> None:
    with pytest.raises(ReelmakeError, match="large-v9"):
        models.resolve("large-v9")


def test_tiny_en_ships_in_a_package() -> None:
    folder = models.resolve("tiny.en")
    assert (folder / "model.bin").stat().st_size > 30_000_000
