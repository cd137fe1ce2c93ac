"""Segmentation: sentences, pauses and candidate windows on clean boundaries.

input:  results/{video_hash}/transcript/transcript.json
output: results/{video_hash}/segments/candidates.json
"""


rule segment_transcript:
    input:
        transcript=rules.transcribe_audio.output.transcript,
    output:
        candidates=stage_path("segments", "candidates_path"),
    log:
        "results/{video_hash}/logs/segment_transcript.log",
    benchmark:
        "results/{video_hash}/benchmarks/segment_transcript.tsv"
    conda:
        "../environment.yml"
    params:
        options=segment_options(),
    script:
        "../scripts/segment_transcript.py"
