"""The answer store: every language-model answer, kept by the content of what was
asked, in SQLite outside the results folders, so that no answer is paid for twice."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The store's name inside a shared cache folder, beside Snakemake's own entries.
SHARED_NAME = "reelmake-llm-answers.sqlite"


@dataclass(frozen=True)
class Answers:
    """Where answers are kept, and whether this run reads them (a re-score asks the
    model again and refills the store)."""

    path: Path
    refresh: bool = False

    @classmethod
    def locate(
        cls,
        configured: str | None,
        shared_cache: str | os.PathLike[str] | None = None,
        refresh: bool = False,
    ) -> Answers:
        """The configured store; else the shared cache folder's, when a run uses one
        (so machines that share transcripts share answers too); else the user's."""
        if configured:
            path = Path(os.path.expanduser(configured))
        elif shared_cache:
            path = Path(shared_cache) / SHARED_NAME
        else:
            root = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
            path = Path(root) / "reelmake" / "llm-answers.sqlite"
        return cls(path, refresh)

    def open(self) -> AnswerStore:
        return AnswerStore(self.path)


class AnswerStore:
    """Answers by content key in SQLite; safe for several processes at once."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, timeout=60, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT "
            "NULL, model TEXT, created TEXT DEFAULT CURRENT_TIMESTAMP)"
        )
        self._db.commit()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT answer FROM answers WHERE key = ?", (key,)
            ).fetchone()
        return json.loads(row[0]) if row else None

    def put_many(self, answers: dict[str, dict[str, Any]], model: str) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO answers (key, answer, model) VALUES (?, ?, ?)",
                [(k, json.dumps(v), model) for k, v in answers.items()],
            )
            self._db.commit()

    def close(self) -> None:
        self._db.close()
