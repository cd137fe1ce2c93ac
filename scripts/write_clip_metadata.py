"""Adapter for rule write_clip_metadata: the JSON that goes with one clip."""

from reelmake import adapter
from reelmake.config import RunSettings
from reelmake.metadata import write_clip_metadata
from reelmake.scores.common import LLMOptions

adapter.run(
    snakemake.log,
    write_clip_metadata,
    highlights=snakemake.input.highlights,
    clip=snakemake.wildcards.clip,
    target=snakemake.output.json,
    files=snakemake.params.files,
    llm=LLMOptions.from_params(snakemake.params.llm),
    shared_cache=RunSettings.of(snakemake.config).shared_cache,
)
