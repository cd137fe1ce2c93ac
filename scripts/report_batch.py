"""Adapter for rule report_batch: one page listing every video's report."""

from reelmake.pipeline import job as adapter
from reelmake.stages.report import batch_report

adapter.run(
    snakemake.log,
    batch_report,
    reports=list(snakemake.input.reports),
    target=snakemake.output.html,
)
