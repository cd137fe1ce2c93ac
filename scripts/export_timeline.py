"""Adapter for rule export_timeline: OTIO, CMX 3600 EDL and FCP XML of the clips."""

from reelmake.pipeline import job as adapter
from reelmake.stages.export import export_timeline

adapter.run(
    snakemake.log,
    export_timeline,
    highlights=snakemake.input.highlights,
    video_json=snakemake.input.video_json,
    source=snakemake.input.source,
    otio_file=snakemake.output.otio,
    edl_file=snakemake.output.edl,
    xml_file=snakemake.output.xml,
    crops=snakemake.params.crops,
)
