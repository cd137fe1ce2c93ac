"""Adapter for rule score_segments: raw scores for every candidate."""

from reelmake.core.config import RunSettings
from reelmake.pipeline import job as adapter
from reelmake.stages.scores.common import ScoreOptions
from reelmake.stages.scores.stage import score_segments

run = RunSettings.of(snakemake.config)
adapter.run_timed(
    snakemake.log,
    score_segments,
    candidates=snakemake.input.candidates,
    audio=snakemake.input.audio,
    scores=snakemake.output.scores,
    options=ScoreOptions.of(snakemake.params.backend, snakemake.params.llm),
    shared_cache=run.shared_cache,
    rescore=run.rescore,
)
