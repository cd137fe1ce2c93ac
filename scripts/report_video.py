"""Adapter for rule report_video: the HTML report of one video."""

from reelmake.pipeline import job as adapter
from reelmake.stages.report import video_report

adapter.run(
    snakemake.log,
    video_report,
    state_file=snakemake.input.state,
    target=snakemake.output.html,
)
