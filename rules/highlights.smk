"""Selection (a checkpoint: the number of clips is known only after it runs).

input:  results/{video_hash}/segments/candidates.json, scores/scores.json,
        ingest/video.json (duration)
output: results/{video_hash}/highlights/highlights.json, in rank order, and beside it
        highlights/clips/{clip}.json, one description per clip, rewritten only when
        it changes (cut_clip reads its own; they are not declared outputs, so that a
        clip whose description did not change is not cut again)
"""


checkpoint select_highlights:
    input:
        candidates=rules.segment_transcript.output.candidates,
        scores=rules.score_segments.output.scores,
        video_json=rules.ingest_video.output.video_json,
    output:
        highlights=stage_path("highlights", "highlights_path"),
    log:
        "results/{video_hash}/logs/select_highlights.log",
    benchmark:
        "results/{video_hash}/benchmarks/select_highlights.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        options=select_options(),
        picture=clip_picture(),
        descriptions=per_clip_pattern("highlights", "description"),
    script:
        "../scripts/select_highlights.py"
