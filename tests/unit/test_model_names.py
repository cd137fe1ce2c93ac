"""Whisper models by faster-whisper's names: the local cache first, a download only
where the machine allows it, one line naming the model otherwise."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from reelmake.core.errors import ReelmakeError
from reelmake.pipeline import registry
from reelmake.stages import whisper
from tests.model_cache import prepare_hub_cache

pytestmark = pytest.mark.unit


@pytest.fixture()
def hub(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty hub cache for this test alone, downloads switched off."""
    folder = tmp_path / "hub"
    folder.mkdir()
    monkeypatch.setenv("HF_HUB_CACHE", str(folder))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    return folder


def _settings(model: str, **transcript: Any) -> dict[str, Any]:
    return {
        "transcript": {"model": model, "device": "auto", "compute_type": "int8",
                       **transcript},
        "run": {"model_cache": None},
    }  # fmt: skip


def test_standard_name_resolves_from_the_local_cache(hub: Path) -> None:
    snapshot = prepare_hub_cache(hub, "Systran/faster-whisper-small.en")
    assert whisper.resolve("small.en") == snapshot
    notes: list[str] = []
    whisper.preflight(_settings("small.en"), notes.append)
    assert notes == []  # found: nothing to download, nothing said
    # A hub id is taken as it is, as faster-whisper takes it.
    assert whisper.resolve("Systran/faster-whisper-small.en") == snapshot


def test_missing_model_with_downloads_off_is_one_line(hub: Path) -> None:
    with pytest.raises(ReelmakeError) as caught:
        whisper.preflight(_settings("large-v3"), print)
    message = str(caught.value)
    assert "\n" not in message
    assert "'large-v3'" in message
    assert "Systran/faster-whisper-large-v3" in message
    assert "HF_HUB_OFFLINE" in message
    assert list(hub.iterdir()) == []


def test_job_never_downloads(hub: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    with pytest.raises(whisper.NotCached, match="reelmake run downloads it"):
        whisper.resolve("turbo")


def test_failed_download_is_one_line(
    hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    real = whisper._download

    def refused(name: str, local_only: bool) -> Path:
        if local_only:
            return real(name, local_only)
        raise OSError("[Errno 111] Connection refused")

    monkeypatch.setattr(whisper, "_download", refused)
    notes: list[str] = []
    with pytest.raises(ReelmakeError) as caught:
        whisper.fetch("distil-large-v3", note=notes.append)
    assert notes == [
        "downloading Whisper model distil-large-v3 "
        f"(Systran/faster-distil-whisper-large-v3) once, into {hub}"
    ]
    message = str(caught.value)
    assert "\n" not in message
    assert "downloading it failed (OSError: [Errno 111] Connection refused)" in message


def test_unknown_name_fails_before_any_work(hub: Path) -> None:
    with pytest.raises(ReelmakeError) as caught:
        whisper.preflight(_settings("large-v9"), print, until="audio")
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith("transcript.model 'large-v9': not a Whisper model name")
    assert "did you mean large-v3?" in message


def test_missing_folder_is_named(hub: Path, tmp_path: Path) -> None:
    with pytest.raises(ReelmakeError, match="no such model folder"):
        whisper.resolve(str(tmp_path / "nowhere"))


def test_a_run_that_stops_before_transcription_fetches_nothing(hub: Path) -> None:
    whisper.preflight(_settings("large-v3"), print, until="extract_audio")
    whisper.preflight(_settings("large-v3"), print, dry_run=True)


def test_names_before_transcription_match_the_registry() -> None:
    before = {
        name
        for s in registry.REGISTRY
        if s.name in {"ingest", "audio"}
        for name in (s.name, s.key, *s.rules)
    }
    assert before == whisper.BEFORE_TRANSCRIPT


@pytest.mark.parametrize(
    ("device", "compute_type", "gpus", "expected"),
    [
        ("auto", "int8", 0, ("cpu", "int8")),
        ("auto", "float16", 0, ("cpu", "float32")),
        ("auto", "int8_float16", 0, ("cpu", "int8_float32")),
        ("auto", "float16", 1, ("cuda", "float16")),
        ("cuda", "int8", 2, ("cuda", "int8")),
        ("cpu", "float32", 1, ("cpu", "float32")),
    ],
)
def test_a_gpu_is_used_when_present_never_required(
    monkeypatch: pytest.MonkeyPatch,
    device: str,
    compute_type: str,
    gpus: int,
    expected: tuple[str, str],
) -> None:
    monkeypatch.setattr(whisper, "cuda_devices", lambda: gpus)
    assert whisper.placement(device, compute_type) == expected


def test_contradictory_device_settings_are_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(whisper, "cuda_devices", lambda: 0)
    with pytest.raises(ReelmakeError, match="sees no CUDA GPU"):
        whisper.placement("cuda", "int8")
    with pytest.raises(ReelmakeError, match="needs a GPU"):
        whisper.preflight(_settings("tiny.en", device="cpu", compute_type="float16"),
                          print)  # fmt: skip


def test_a_download_happens_once_where_allowed(
    hub: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HF_HUB_OFFLINE")
    real = whisper._download
    downloads: list[str] = []

    def download(name: str, local_only: bool) -> Path:
        if local_only:
            return real(name, local_only)
        downloads.append(name)  # the hub's client, as if it had fetched the files
        return prepare_hub_cache(hub, "Systran/faster-whisper-large-v3")

    monkeypatch.setattr(whisper, "_download", download)
    notes: list[str] = []
    folder = whisper.fetch("large-v3", note=notes.append)
    assert (folder / "model.bin").is_file()
    assert notes[0].startswith("downloading Whisper model large-v3")
    assert notes[1].startswith("downloaded large-v3: ")
    # The job later finds it without a network, and the next run downloads nothing.
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert whisper.resolve("large-v3") == folder
    assert whisper.fetch("large-v3", note=notes.append) == folder
    assert downloads == ["large-v3"] and len(notes) == 2


def test_an_interrupted_download_counts_as_missing(hub: Path) -> None:
    snapshot = prepare_hub_cache(hub, "Systran/faster-whisper-medium")
    (snapshot / "model.bin").unlink()
    with pytest.raises(whisper.NotCached, match="'medium'"):
        whisper.resolve("medium")
