"""Transcription: word-timed speech to text with faster-whisper, offline.

input:  results/{video_hash}/audio/audio.wav
output: results/{video_hash}/transcript/transcript.{json,srt,vtt}
Every setting that changes the words is a param, so changing it re-runs this rule.
"""


rule transcribe_audio:
    input:
        audio=stage_output("audio_extraction", "audio_path"),
    output:
        transcript=report(
            stage_output("transcription", "transcript_path"),
            caption="../report/transcript.rst",
            category="Transcripts",
        ),
        srt=stage_output("transcription", "srt_path"),
        vtt=stage_output("transcription", "vtt_path"),
    log:
        "results/{video_hash}/logs/transcribe_audio.log",
    benchmark:
        "results/{video_hash}/benchmarks/transcribe_audio.tsv"
    conda:
        "../environment.yml"
    threads: config["transcribe"]["threads"]
    resources:
        mem_mb=2000,
    params:
        options={
            key: config["transcribe"][key]
            for key in (
                "model",
                "language",
                "vad",
                "beam_size",
                "compute_type",
                "batch_size",
            )
        },
    script:
        "../scripts/transcribe_audio.py"
