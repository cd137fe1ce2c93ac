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
        highlight="results/{video_hash}/highlights/clips/{clip}.json",
        transcript=stage_output("transcription", "transcript_path"),
        video_json=stage_output("ingest", "video_json"),
        subjects=get_subjects,
    output:
        video=report(
            "results/{video_hash}/clips/{clip}.mp4",
            caption="../report/clip.rst",
            category="Clips",
            subcategory="{video_hash}",
        ),
        srt="results/{video_hash}/clips/{clip}.srt",
        vtt="results/{video_hash}/clips/{clip}.vtt",
        crop="results/{video_hash}/clips/{clip}.crop.json",
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
