"""Adapter for rule stage_state: summarise the video's results folder."""

from reelmake.pipeline import job as adapter
from reelmake.pipeline.registry import write_state

adapter.run(
    snakemake.log,
    write_state,
    target=snakemake.output.state,
    threshold=snakemake.params.threshold,
)
