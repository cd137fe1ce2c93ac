"""Metadata: title, description, hashtags, scores and timecodes per clip; a table.

input:  results/{video_hash}/highlights/highlights.json (and the clips, for the table)
output: results/{video_hash}/metadata/{clip}.json, metadata/clips.csv
"""


rule write_clip_metadata:
    input:
        highlights=stage_output("selection", "highlights_path"),
    output:
        json="results/{video_hash}/metadata/{clip}.json",
    log:
        "results/{video_hash}/logs/write_clip_metadata/{clip}.log",
    benchmark:
        "results/{video_hash}/benchmarks/write_clip_metadata/{clip}.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        llm=llm_options(),
    script:
        "../scripts/write_clip_metadata.py"


rule write_metadata:
    input:
        highlights=stage_output("selection", "highlights_path"),
        clips=get_clip_videos,
        jsons=get_clip_metadata,
    output:
        table=stage_output("metadata", "table_path"),
    log:
        "results/{video_hash}/logs/write_metadata.log",
    benchmark:
        "results/{video_hash}/benchmarks/write_metadata.tsv"
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/write_metadata.py"
