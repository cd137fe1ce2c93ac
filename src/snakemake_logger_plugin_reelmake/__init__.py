"""Snakemake logger plugin of reelmake: Snakemake's structured log events, one JSON
line each, in the file ``--logger-reelmake-events`` names.

``reelmake run`` reads that file while Snakemake runs to show a compact display (see
``reelmake.console``); Snakemake's full text goes to a log file. The plugin only
records: it prints nothing and decides nothing.
"""

# No postponed annotations here: Snakemake builds the plugin's command-line options
# from the settings' field types, which must be real types.
import json
import logging
from dataclasses import dataclass, field
from typing import Any, Optional, TextIO

from snakemake_interface_logger_plugins.base import LogHandlerBase
from snakemake_interface_logger_plugins.settings import LogHandlerSettingsBase

# The events reelmake's display uses, and the fields it reads of them.
FIELDS = {
    "run_info": ("stats",),
    "job_info": ("jobid", "rule_name", "wildcards", "log", "output"),
    "job_finished": ("job_id",),
    "job_error": ("jobid", "rule_name", "log"),
    "progress": ("done", "total"),
    "error": ("exception", "rule", "file", "line"),
}


@dataclass
class LogHandlerSettings(LogHandlerSettingsBase):
    events: Optional[str] = field(  # noqa: UP045 - a type argparse can call
        default=None,
        metadata={"help": "the file the JSON lines are appended to", "required": True},
    )


def _plain(value: Any) -> Any:
    """A JSON-safe copy: Snakemake passes its own list and dict types."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class LogHandler(LogHandlerBase):
    def __post_init__(self) -> None:
        settings = self.settings
        if not isinstance(settings, LogHandlerSettings) or not settings.events:
            raise ValueError("the reelmake logger needs --logger-reelmake-events FILE")
        self._out: TextIO = open(settings.events, "a", encoding="utf-8")  # noqa: SIM115

    def emit(self, record: logging.LogRecord) -> None:
        event = getattr(record, "event", None)
        name = str(event) if event is not None else None
        if name not in FIELDS:
            return
        data = {"event": name, "time": record.created}
        for key in FIELDS[name]:
            if hasattr(record, key):
                data[key] = _plain(getattr(record, key))
        if name == "error":
            data["msg"] = record.getMessage()
        self._out.write(json.dumps(data) + "\n")
        self._out.flush()

    def close(self) -> None:
        if not self._out.closed:
            self._out.close()
        super().close()

    @property
    def writes_to_stream(self) -> bool:
        return False

    @property
    def writes_to_file(self) -> bool:
        # An event feed, not a log: Snakemake should not name it as one.
        return False

    @property
    def has_filter(self) -> bool:
        # Every event is wanted, whatever the quietness settings.
        return True

    @property
    def has_formatter(self) -> bool:
        return True

    @property
    def needs_rulegraph(self) -> bool:
        return False
