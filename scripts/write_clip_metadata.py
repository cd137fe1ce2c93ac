"""Adapter for rule write_clip_metadata: the JSON that goes with one clip."""

from reelmake import adapter
from reelmake.metadata import write_clip_metadata

adapter.run(
    snakemake.log,
    write_clip_metadata,
    highlights=snakemake.input.highlights,
    clip=snakemake.wildcards.clip,
    target=snakemake.output.json,
    llm=snakemake.params.llm,
)
