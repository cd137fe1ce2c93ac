"""Adapter for rule track_subjects: faces, shots and loudness of one video."""

from reelmake.pipeline import job as adapter
from reelmake.stages.framing import TrackOptions, track_subjects

adapter.run(
    snakemake.log,
    track_subjects,
    source=snakemake.input.source,
    video_json=snakemake.input.video_json,
    audio=snakemake.input.audio,
    subjects=snakemake.output.subjects,
    options=TrackOptions(**snakemake.params.options),
)
