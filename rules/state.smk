"""Stage state: the per-video summary of what is done, as the design notes describe.

input:  every stage output of the video
output: results/{video_hash}/stage_state.json
"""


rule stage_state:
    input:
        get_stage_files,
    output:
        state=report(
            stage_path("state", "state"),
            caption="../report/summary.rst",
            category="Summaries",
        ),
    log:
        "results/{video_hash}/logs/stage_state.log",
    benchmark:
        "results/{video_hash}/benchmarks/stage_state.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        # The count of high-quality scores is taken at the selection's threshold.
        threshold=config["select"]["threshold"],
    script:
        "../scripts/stage_state.py"
