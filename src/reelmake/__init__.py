"""reelmake: turn long videos into ranked, ready-to-post highlight clips."""

from reelmake.core.errors import ReelmakeError

__version__ = "0.1.0"

__all__ = ["ReelmakeError", "__version__"]
