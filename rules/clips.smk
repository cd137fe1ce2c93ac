"""Clips: one frame-exact re-encoded clip per highlight, with its captions.

input:  the source (ancient), highlights/highlights.json, transcript.json, video.json
output: results/{video_hash}/clips/{clip}.{mp4,srt,vtt}, {clip} = rank + title slug
"""


rule cut_clip:
    input:
        source=get_source,
        highlights=stage_output("selection", "highlights_path"),
        transcript=stage_output("transcription", "transcript_path"),
        video_json=stage_output("ingest", "video_json"),
    output:
        video=report(
            "results/{video_hash}/clips/{clip}.mp4",
            caption="../report/clip.rst",
            category="Clips",
            subcategory="{video_hash}",
        ),
        srt="results/{video_hash}/clips/{clip}.srt",
        vtt="results/{video_hash}/clips/{clip}.vtt",
    log:
        "results/{video_hash}/logs/cut_clip/{clip}.log",
    benchmark:
        "results/{video_hash}/benchmarks/cut_clip/{clip}.tsv"
    conda:
        "../environment.yml"
    threads: config["clips"]["threads"]
    params:
        options={k: v for k, v in config["clips"].items() if k != "threads"},
    script:
        "../scripts/cut_clip.py"
