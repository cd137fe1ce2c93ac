"""reelmake: long videos in, ranked highlight clips out.

Every artifact of a video lives under results/<video_hash>/. Run with
`snakemake --cores 4` (videos from config/config.yaml or --config) or `reelmake run`.

Every rule is made here from a step of the pipeline's registry
(src/reelmake/pipeline/registry.py): each step names its inputs, outputs, settings and
the package function it runs, which scripts/run_step.py calls. rules/common.smk turns
a step into Snakemake's terms.
"""

import os

from snakemake.utils import min_version

min_version("9.0")


configfile: os.path.join(workflow.basedir, "config", "config.yaml")


report: "report/workflow.rst"


include: "rules/common.smk"


# One rule per step, in pipeline order; a step that lists the items later steps run
# once for (the clips of a selection, the chunks of a long transcription) is a
# checkpoint.
for step in registry.steps():
    if step.lists:

        checkpoint:
            name:
                step.rule
            input:
                **step_inputs(step),
            output:
                **step_outputs(step),
            log:
                step.log(),
            cache: step_cache(step)
            priority: step.priority
            localrule: step.local
            conda:
                "environment.yml"
            threads: step_threads(step)
            resources:
                **step_resources(step),
            params:
                **step_params(step),
            script:
                "scripts/run_step.py"

    else:

        rule:
            name:
                step.rule
            input:
                **step_inputs(step),
            output:
                **step_outputs(step),
            log:
                step.log(),
            cache: step_cache(step)
            priority: step.priority
            localrule: step.local
            conda:
                "environment.yml"
            threads: step_threads(step)
            resources:
                **step_resources(step),
            params:
                **step_params(step),
            script:
                "scripts/run_step.py"


# The batch's own page: a card per video, linking to each video's report.
rule report_batch:
    input:
        reports=get_video_reports,
    output:
        html=str(RESULTS / registry.BATCH_REPORT),
    log:
        "results/.reelmake/logs/report_batch.log",
    localrule: True
    conda:
        "environment.yml"
    script:
        "scripts/report_batch.py"


rule all:
    default_target: True
    input:
        get_final_output,


# The batch table (results/summary.tsv), after every run that did something;
# reelmake run writes it itself once it has checked its videos (run.summary: false).
onsuccess:
    write_summary()


onerror:
    write_summary()
