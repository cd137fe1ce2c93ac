"""``reelmake review``: a local web page where a person decides on a video's clips.

:mod:`.model` says what the page shows and writes the decisions (through
:mod:`reelmake.stages.decisions`), :mod:`.renders` runs the workflow for a video and
reports its progress, :mod:`.guard` keeps the server to this machine and to the
results folder, and :mod:`.app` is the web app and its server.
"""
