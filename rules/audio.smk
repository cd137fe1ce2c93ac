"""Audio extraction: the speech track as a 16 kHz mono WAV for Whisper.

input:  results/{video_hash}/source.<ext> (ancient) and the ingest record
output: results/{video_hash}/audio/audio.wav
"""


rule extract_audio:
    input:
        source=get_source,
        video_json=rules.ingest_video.output.video_json,
    output:
        audio=stage_path("audio", "audio_path"),
    log:
        "results/{video_hash}/logs/extract_audio.log",
    benchmark:
        "results/{video_hash}/benchmarks/extract_audio.tsv"
    localrule: True
    conda:
        "../environment.yml"
    params:
        sample_rate=config["audio"]["sample_rate"],
    script:
        "../scripts/extract_audio.py"
