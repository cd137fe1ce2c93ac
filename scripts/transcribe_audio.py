"""Adapter for rule transcribe_audio: word-timed transcript and full-video captions
(transcribed, or stitched from the chunks of a long video)."""

from reelmake.pipeline import job as adapter
from reelmake.stages.transcript import TranscribeOptions, transcribe_audio

adapter.run_timed(
    snakemake.log,
    transcribe_audio,
    audio=snakemake.input.audio,
    transcript=snakemake.output.transcript,
    srt=snakemake.output.srt,
    vtt=snakemake.output.vtt,
    options=TranscribeOptions(**snakemake.params.options, threads=snakemake.threads),
    chunks=snakemake.input.chunks,
)
