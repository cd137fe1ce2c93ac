"""Clips: each highlight made ready to post.

Two steps per clip. :func:`plan.plan_clip` decides everything offline and writes the
clip's edit plan (``clips/<clip>.plan.json``: the source ranges kept after trimming,
the layout and crop windows, the caption words on the clip's timeline and their
style, the title card, the sound's gain) with its caption files; :func:`render.
render_clip` renders the plan in one ffmpeg pass (or smart-cuts a plan that keeps
the source untouched). Formats and caption styles are data (``config/presets.yaml``,
:mod:`styles`).
"""
