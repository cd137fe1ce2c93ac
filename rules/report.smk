"""Report and export: what a creator looks at, and what an editor imports.

input:  every stage output of the video (through its stage state)
output: results/{video_hash}/report.html; results/{video_hash}/export/timeline.{otio,edl,xml};
        results/report.html for the batch
"""


rule export_timeline:
    input:
        source=get_source,
        highlights=stage_output("selection", "highlights_path"),
        video_json=stage_output("ingest", "video_json"),
    output:
        otio="results/{video_hash}/export/timeline.otio",
        edl="results/{video_hash}/export/timeline.edl",
        xml="results/{video_hash}/export/timeline.xml",
    log:
        "results/{video_hash}/logs/export_timeline.log",
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/export_timeline.py"


rule report_video:
    input:
        state="results/{video_hash}/stage_state.json",
        files=get_stage_files,
    output:
        html=report(
            "results/{video_hash}/report.html",
            caption="../report/summary.rst",
            category="Summaries",
        ),
    log:
        "results/{video_hash}/logs/report_video.log",
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/report_video.py"


rule report_batch:
    input:
        reports=get_video_reports,
    output:
        html="results/report.html",
    log:
        "results/.reelmake/logs/report_batch.log",
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/report_batch.py"
