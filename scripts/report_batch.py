"""The adapter of the batch report: every video's report in, the batch's own page
out (see reelmake.pipeline.job.report_batch)."""

from reelmake.pipeline.job import report_batch

report_batch(snakemake)
