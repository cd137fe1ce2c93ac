"""Adapter for rule stage_state: summarise the video's results folder."""

from reelmake import adapter
from reelmake.stages import write_state

adapter.run(
    snakemake.log,
    write_state,
    target=snakemake.output.state,
    threshold=snakemake.params.threshold,
)
