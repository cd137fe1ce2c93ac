"""Adapter for rule extract_audio: decode the source's audio to a 16 kHz mono WAV."""

from reelmake.pipeline import job as adapter
from reelmake.stages.audio import extract_audio

adapter.run(
    snakemake.log,
    extract_audio,
    source=snakemake.input.source,
    audio=snakemake.output.audio,
    sample_rate=snakemake.params.sample_rate,
)
