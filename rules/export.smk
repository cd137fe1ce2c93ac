"""Export: the clips as timelines an editor imports.

input:  the source (ancient), highlights/highlights.json, ingest/video.json
output: results/{video_hash}/export/timeline.{otio,edl,xml}
"""


rule export_timeline:
    input:
        source=get_source,
        highlights=rules.select_highlights.output.highlights,
        video_json=rules.ingest_video.output.video_json,
    output:
        otio=stage_path("export", "otio"),
        edl=stage_path("export", "edl"),
        xml=stage_path("export", "xml"),
    log:
        "results/{video_hash}/logs/export_timeline.log",
    localrule: True
    conda:
        "../environment.yml"
    params:
        crops=per_clip_pattern("clips", "crop"),
    script:
        "../scripts/export_timeline.py"
