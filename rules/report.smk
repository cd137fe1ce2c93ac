"""Report: what a creator looks at.

input:  the stage state and every stage output of the video
output: results/{video_hash}/report.html; results/report.html for the batch
"""


rule report_video:
    input:
        state=rules.stage_state.output.state,
        files=get_stage_files,
    output:
        html=report(
            stage_path("report", "html"),
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
        html=str(RESULTS / stages.BATCH_REPORT),
    log:
        "results/.reelmake/logs/report_batch.log",
    localrule: True
    conda:
        "../environment.yml"
    script:
        "../scripts/report_batch.py"
