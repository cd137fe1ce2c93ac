"""The one exception type a user can cause, and how it is shown."""


class ReelmakeError(Exception):
    """A problem the user can fix: its message is one sentence naming the thing."""
