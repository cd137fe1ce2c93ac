"""Adapter for rule write_metadata: clips.csv for the video."""

from reelmake.pipeline import job as adapter
from reelmake.stages.metadata import write_table

adapter.run(
    snakemake.log,
    write_table,
    highlights=snakemake.input.highlights,
    clip_jsons=snakemake.input.jsons,
    table=snakemake.output.table,
    folder=snakemake.params.folder,
)
