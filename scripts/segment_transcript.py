"""Adapter for rule segment_transcript: sentences, pauses, candidates."""

from reelmake.pipeline import job as adapter
from reelmake.stages.segments import SegmentOptions, segment_transcript

adapter.run(
    snakemake.log,
    segment_transcript,
    transcript=snakemake.input.transcript,
    candidates=snakemake.output.candidates,
    video_hash=snakemake.wildcards.video_hash,
    options=SegmentOptions(**snakemake.params.options),
)
