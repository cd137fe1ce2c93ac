"""reelmake: long videos in, ranked highlight clips out.

Every artifact of a video lives under results/<video_hash>/. Run with
`snakemake --cores 4` (videos from config/config.yaml or --config) or `reelmake run`.
"""

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"


# One rule file per stage, in the stage registry's (pipeline) order.
for registered in stages.REGISTRY:

    include: f"rules/{registered.name}.smk"


rule all:
    default_target: True
    input:
        get_final_output,


# The batch table (results/summary.tsv), after every run that did something.
onsuccess:
    summary.write_summary(RESULTS, VIDEOS, PROBLEMS)


onerror:
    summary.write_summary(RESULTS, VIDEOS, PROBLEMS)
