"""Adapter for rule score_segments: raw scores for every candidate."""

from reelmake import adapter
from reelmake.config import RunSettings
from reelmake.scores.common import ScoreOptions
from reelmake.scores.stage import score_segments

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
