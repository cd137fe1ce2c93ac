"""Adapter for rule score_segments: raw scores for every candidate."""

from reelmake import adapter
from reelmake.scoring import score_segments

adapter.run_timed(
    snakemake.log,
    score_segments,
    candidates=snakemake.input.candidates,
    audio=snakemake.input.audio,
    scores=snakemake.output.scores,
    backend=snakemake.params.backend,
    llm=snakemake.params.llm,
)
