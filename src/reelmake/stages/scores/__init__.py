"""Scoring: how good a highlight each candidate would make, on a 0-10 scale.

Scores are stored raw; thresholds and top-k belong to the highlights stage, so
changing them never re-scores. The modules, from the bottom up:

- ``common``: the score record, the scorer protocol, the typed options, where each
  candidate sits in the talk;
- ``heuristic``: the offline scorer (the default);
- ``store``: the answer store that keeps every language-model answer by content;
- ``llm``: the language-model client, the per-passage scorer and the clips' copy;
- ``picks``: the language-model scorer that reads the transcript once;
- ``stage``: the stage itself: choose the scorer, score, write ``scores.json``.

Nothing imports upwards, so there is no cycle.
"""
