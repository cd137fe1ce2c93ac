"""Adapter for rule transcribe_chunk: one chunk of a long video, in source time."""

from reelmake.pipeline import job as adapter
from reelmake.stages.transcript import TranscribeOptions, transcribe_chunk

adapter.run_timed(
    snakemake.log,
    transcribe_chunk,
    audio=snakemake.input.audio,
    plan=snakemake.input.plan,
    chunk=snakemake.wildcards.chunk,
    target=snakemake.output.transcript,
    options=TranscribeOptions(**snakemake.params.options, threads=snakemake.threads),
)
