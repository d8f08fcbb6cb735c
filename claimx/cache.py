"""A response cache on disk, so no answer is paid for twice.

Keyed by everything that changes the model's answer: the model's identity
(provider, name, base URL, sampling parameters), the prompt's sha256, the
response schema's sha256 and the sha256 of the exact text sent. It stores the
validated response and its token usage, never a key or a header. Grounding and
linking run again on every hit, so improvements to them apply to cached answers.

SQLite in WAL mode: safe for many coroutines of one process and for several
processes sharing a folder.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

from claimx.schema import Usage

__all__ = ["ResponseCache", "default_cache_dir"]

_FORMAT = 1


def default_cache_dir() -> Path:
    """``$CLAIMX_CACHE_DIR``, else ``~/.cache/claimx``."""
    env = os.environ.get("CLAIMX_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "claimx"


class ResponseCache:
    """Validated model responses, by request fingerprint."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.folder = Path(folder) if folder else default_cache_dir()
        self.folder.mkdir(parents=True, exist_ok=True)
        self.path = self.folder / "responses.sqlite3"
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS responses ("
            " key TEXT PRIMARY KEY, output TEXT NOT NULL, usage TEXT NOT NULL,"
            " created REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0)"
        )
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(parts: dict[str, Any]) -> str:
        """The fingerprint of a request: sha256 of its answer-changing parts."""
        canonical = json.dumps({"format": _FORMAT, **parts}, sort_keys=True, default=str)
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()

    def get(self, key: str) -> tuple[str, Usage] | None:
        """The stored response JSON and its original usage, or None."""
        with self._lock:
            row = self._db.execute("SELECT output, usage FROM responses WHERE key = ?", (key,)).fetchone()
            if row is None:
                self.misses += 1
                return None
            self.hits += 1
            self._db.execute("UPDATE responses SET hits = hits + 1 WHERE key = ?", (key,))
        return row[0], Usage.model_validate_json(row[1])

    def put(self, key: str, output_json: str, usage: Usage) -> None:
        """Store a validated response."""
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO responses (key, output, usage, created) VALUES (?, ?, ?, ?)",
                (key, output_json, usage.model_dump_json(), time.time()),
            )

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM responses").fetchone()[0])

    def clear(self) -> None:
        """Forget every stored response."""
        with self._lock:
            self._db.execute("DELETE FROM responses")

    def close(self) -> None:
        """Close the database; the cache may not be used afterwards."""
        with self._lock:
            self._db.close()

    def __repr__(self) -> str:
        return f"<ResponseCache {self.path}>"
