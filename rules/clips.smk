"""Clips: one frame-exact clip per highlight, with its captions.

input:  the source (ancient), the clip's own description (highlights/clips/{clip}.json,
        not the whole selection), transcript.json, video.json, and framing/subjects.json
        when the crop follows a face
output: results/{video_hash}/clips/{clip}.{mp4,srt,vtt}, and {clip}.crop.json, the crop
        window of every frame; {clip} names the span and the picture settings (see
        selection.clip_key), ranked names are links in ranked/
"""


rule cut_clip:
    input:
        source=get_source,
        highlight=stage_path("highlights", "description"),
        transcript=rules.transcribe_audio.output.transcript,
        video_json=rules.ingest_video.output.video_json,
        subjects=get_subjects,
    output:
        video=report(
            stage_path("clips", "video"),
            caption="../report/clip.rst",
            category="Clips",
            subcategory="{video_hash}",
        ),
        srt=stage_path("clips", "srt"),
        vtt=stage_path("clips", "vtt"),
        crop=stage_path("clips", "crop"),
    log:
        "results/{video_hash}/logs/cut_clip/{clip}.log",
    benchmark:
        "results/{video_hash}/benchmarks/cut_clip/{clip}.tsv"
    conda:
        "../environment.yml"
    threads: clip_threads
    params:
        options=clip_picture(),
    script:
        "../scripts/cut_clip.py"
