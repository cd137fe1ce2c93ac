"""Adapter for rule write_metadata: clips.csv for the video."""

from pathlib import Path

from reelmake import adapter
from reelmake.metadata import write_table

adapter.run(
    snakemake.log,
    write_table,
    highlights=snakemake.input.highlights,
    clip_jsons=snakemake.input.jsons,
    clips_dir=Path(snakemake.output.table).parent.parent / "clips",
    table=snakemake.output.table,
)
