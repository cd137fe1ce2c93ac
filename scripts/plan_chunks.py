"""Adapter for checkpoint plan_chunks: where a long video's transcription is split."""

from reelmake.pipeline import job as adapter
from reelmake.stages.transcript import ChunkOptions, plan_chunks

adapter.run(
    snakemake.log,
    plan_chunks,
    audio=snakemake.input.audio,
    plan=snakemake.output.plan,
    options=ChunkOptions(**snakemake.params.options),
)
