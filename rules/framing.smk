"""Framing: the faces of a video, so that a vertical or square crop follows a speaker.

input:  the source (ancient), video.json, audio.wav (loudness gates mouth movement)
output: results/{video_hash}/framing/subjects.json: shot cuts, face tracks with their
        mouth movement, and the audio level, at framing.sample_fps. Only clips whose
        shape differs from the source's, with clips.reframe: face, ask for it.
"""


rule track_subjects:
    input:
        source=get_source,
        video_json=rules.ingest_video.output.video_json,
        audio=rules.extract_audio.output.audio,
    output:
        subjects=stage_path("framing", "subjects"),
    log:
        "results/{video_hash}/logs/track_subjects.log",
    benchmark:
        "results/{video_hash}/benchmarks/track_subjects.tsv"
    conda:
        "../environment.yml"
    # ffmpeg decodes beside the detector.
    threads: 2
    params:
        options=config["framing"],
    script:
        "../scripts/track_subjects.py"
