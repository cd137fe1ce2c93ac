"""Ingest: probe the source video.

input:  results/{video_hash}/source.<ext>, the stable link made at registration
        (read through ancient(), so renaming or touching the original re-runs nothing)
output: results/{video_hash}/ingest/video.json (duration, streams, codecs)
"""


rule ingest_video:
    input:
        source=get_source,
    output:
        video_json=stage_path("ingest", "video_json"),
    log:
        "results/{video_hash}/logs/ingest_video.log",
    benchmark:
        "results/{video_hash}/benchmarks/ingest_video.tsv"
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/ingest_video.py"
