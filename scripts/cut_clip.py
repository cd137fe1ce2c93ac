"""Adapter for rule cut_clip: one clip and its caption files."""

from reelmake import adapter
from reelmake.clips import ClipOptions, cut_clip

adapter.run(
    snakemake.log,
    cut_clip,
    source=snakemake.input.source,
    highlights=snakemake.input.highlights,
    transcript=snakemake.input.transcript,
    video_json=snakemake.input.video_json,
    clip=snakemake.wildcards.clip,
    video=snakemake.output.video,
    srt=snakemake.output.srt,
    vtt=snakemake.output.vtt,
    options=ClipOptions(**snakemake.params.options),
    threads=snakemake.threads,
)
