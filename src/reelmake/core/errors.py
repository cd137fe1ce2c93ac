"""The one exception type a user can cause, and how it is shown."""

from __future__ import annotations

import logging


class ReelmakeError(Exception):
    """A problem the user can fix: its message is one sentence naming the thing."""


# Lines a job writes for the person who runs it (a damaged source, a fallback to the
# offline scorer), one each: `reelmake run` shows them on the console after the run;
# the job's log keeps them.
NOTICE = "reelmake.notice"


def notice() -> logging.Logger:
    return logging.getLogger(NOTICE)
