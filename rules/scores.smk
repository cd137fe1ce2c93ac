"""Scoring: a raw 0-10 score, sub-scores, reason and title for every candidate.

input:  results/{video_hash}/segments/candidates.json, audio/audio.wav (loudness)
output: results/{video_hash}/scores/scores.json
Thresholds are not applied here, so changing them never re-scores. Scores are kept in
the between-workflow cache when Snakemake runs with --cache; the job writes its own
timing (benchmarks/score_segments.tsv), as a cached rule may not have a benchmark.
"""


rule score_segments:
    input:
        candidates=rules.segment_transcript.output.candidates,
        audio=rules.extract_audio.output.audio,
    output:
        scores=stage_path("scores", "scores_path"),
    log:
        "results/{video_hash}/logs/score_segments.log",
    cache: SHARED_CACHE
    conda:
        "../environment.yml"
    params:
        backend=config["score"]["backend"],
        llm=llm_options(),
        # A new version of the offline scorer re-scores: its scores mean more.
        heuristic_version=HEURISTIC_VERSION,
    script:
        "../scripts/score_segments.py"
