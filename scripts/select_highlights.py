"""Adapter for checkpoint select_highlights: ranked, non-overlapping clips."""

from reelmake.pipeline import job as adapter
from reelmake.stages.highlights import SelectOptions, select_highlights

adapter.run(
    snakemake.log,
    select_highlights,
    candidates=snakemake.input.candidates,
    scores=snakemake.input.scores,
    video_json=snakemake.input.video_json,
    highlights=snakemake.output.highlights,
    descriptions=snakemake.params.descriptions,
    options=SelectOptions(**snakemake.params.options),
    picture=snakemake.params.picture,
)
