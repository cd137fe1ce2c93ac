"""Adapter for rule cut_clip: one clip and its caption files."""

from reelmake.pipeline import job as adapter
from reelmake.stages.clips import ClipOptions, cut_clip

adapter.run(
    snakemake.log,
    cut_clip,
    source=snakemake.input.source,
    highlight=snakemake.input.highlight,
    transcript=snakemake.input.transcript,
    video_json=snakemake.input.video_json,
    video=snakemake.output.video,
    srt=snakemake.output.srt,
    vtt=snakemake.output.vtt,
    crop=snakemake.output.crop,
    options=ClipOptions(**snakemake.params.options),
    threads=snakemake.threads,
    subjects=snakemake.input.subjects or None,
)
