"""The adapter of every rule: calls the package function of the rule's step (see
src/reelmake/pipeline/registry.py) with the job's named inputs, outputs and options,
logging to the job's log."""

from reelmake.pipeline.job import run_step

run_step(snakemake)
