"""Adapter for rule transcribe_audio: word-timed transcript and full-video captions."""

from reelmake import adapter
from reelmake.transcribe import TranscribeOptions, transcribe_audio

adapter.run(
    snakemake.log,
    transcribe_audio,
    audio=snakemake.input.audio,
    transcript=snakemake.output.transcript,
    srt=snakemake.output.srt,
    vtt=snakemake.output.vtt,
    options=TranscribeOptions(**snakemake.params.options, threads=snakemake.threads),
)
