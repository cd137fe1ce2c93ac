"""Transcription: word-timed speech to text with faster-whisper, offline.

input:  results/{video_hash}/audio/audio.wav
output: results/{video_hash}/transcript/transcript.{json,srt,vtt}
A video longer than transcribe.chunk.above_minutes is split at pauses
(transcript/chunks/plan.json); each chunk is its own job (transcript/chunks/NNN.json)
and transcribe_audio stitches them. Every setting that changes the words is a param,
so changing it re-runs this stage. Transcripts are kept in the between-workflow cache
when Snakemake runs with --cache; the jobs write their own timing (benchmarks/), as a
cached rule may not have a benchmark.
"""


checkpoint plan_chunks:
    input:
        audio=rules.extract_audio.output.audio,
    output:
        plan=stage_path("transcript", "plan"),
    log:
        "results/{video_hash}/logs/transcribe_audio-chunks/plan.log",
    localrule: True
    conda:
        "../environment.yml"
    params:
        options=config["transcribe"]["chunk"],
    script:
        "../scripts/plan_chunks.py"


rule transcribe_chunk:
    input:
        audio=rules.extract_audio.output.audio,
        plan=rules.plan_chunks.output.plan,
    output:
        transcript=stage_path("transcript", "chunk"),
    log:
        "results/{video_hash}/logs/transcribe_audio-chunks/{chunk}.log",
    cache: SHARED_CACHE
    conda:
        "../environment.yml"
    threads: config["transcribe"]["threads"]
    resources:
        mem_mb=2000,
        gpu=config["transcribe"]["gpus"],
    params:
        options=transcribe_options(),
    script:
        "../scripts/transcribe_chunk.py"


rule transcribe_audio:
    input:
        unpack(get_transcribe_input),
    output:
        transcript=report(
            stage_path("transcript", "transcript_path"),
            caption="../report/transcript.rst",
            category="Transcripts",
        ),
        srt=stage_path("transcript", "srt_path"),
        vtt=stage_path("transcript", "vtt_path"),
    log:
        "results/{video_hash}/logs/transcribe_audio.log",
    cache: SHARED_CACHE
    conda:
        "../environment.yml"
    threads: config["transcribe"]["threads"]
    resources:
        mem_mb=2000,
        gpu=config["transcribe"]["gpus"],
    params:
        options=transcribe_options(),
    script:
        "../scripts/transcribe_audio.py"
