"""Metadata: title, description, hashtags, scores and timecodes per clip; a table.

input:  results/{video_hash}/highlights/highlights.json (and the clips, for the table)
output: results/{video_hash}/metadata/{clip}.json, metadata/clips.csv
"""


rule write_clip_metadata:
    input:
        highlights=rules.select_highlights.output.highlights,
    output:
        json=stage_path("metadata", "json"),
    log:
        "results/{video_hash}/logs/write_clip_metadata/{clip}.log",
    benchmark:
        "results/{video_hash}/benchmarks/write_clip_metadata/{clip}.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        llm=llm_options(),
        files=clip_files,
    script:
        "../scripts/write_clip_metadata.py"


rule write_metadata:
    input:
        highlights=rules.select_highlights.output.highlights,
        clips=get_clip_videos,
        jsons=get_clip_metadata,
    output:
        table=stage_path("metadata", "table_path"),
    log:
        "results/{video_hash}/logs/write_metadata.log",
    benchmark:
        "results/{video_hash}/benchmarks/write_metadata.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        folder=get_video_folder,
    script:
        "../scripts/write_metadata.py"
