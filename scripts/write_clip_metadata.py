"""Adapter for rule write_clip_metadata: the JSON that goes with one clip."""

from reelmake.core.config import RunSettings
from reelmake.pipeline import job as adapter
from reelmake.stages.metadata import write_clip_metadata
from reelmake.stages.scores.common import LLMOptions

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
