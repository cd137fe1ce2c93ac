"""Adapter for rule report_video: the HTML report of one video."""

from pathlib import Path

from reelmake import adapter
from reelmake.report import video_report

adapter.run(
    snakemake.log,
    video_report,
    folder=Path(snakemake.input.state).parent,
    target=snakemake.output.html,
)
