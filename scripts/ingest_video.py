"""Adapter for rule ingest_video: probe the source, write video.json."""

from reelmake.pipeline import job as adapter
from reelmake.stages.ingest import ingest_video

adapter.run(
    snakemake.log,
    ingest_video,
    source=snakemake.input.source,
    video_json=snakemake.output.video_json,
    video_hash=snakemake.wildcards.video_hash,
)
