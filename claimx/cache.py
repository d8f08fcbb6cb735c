"""A response cache on disk, so no answer is paid for twice, and a bad cache never stops work.

Keyed by :func:`claimx.models.base.request_hash`: the sha256 of the exact request
claimx sends (messages, schema, model identity, sampling, output limit). Each
entry keeps the validated answer, its token usage and the raw completion it
was read from (``claimx cache show KEY``), never a key or a header. Grounding
and linking run again on every hit, so improvements to them apply to cached
answers.

SQLite in WAL mode: safe for many coroutines of one process and for several
processes sharing a folder. The async methods run SQLite on a worker thread, off
the event loop. A damaged entry is a miss (and is replaced by the next answer);
a damaged database file is set aside (renamed, with one warning naming it) and a
fresh one started; a cache that cannot be written at all (read-only folder, no
home directory) is turned off with one warning, and the run goes on without it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError

from claimx.errors import redact
from claimx.schema import Usage

__all__ = ["CACHE_FILE", "CacheEntry", "ResponseCache", "StoredAnswer", "default_cache_dir"]

log = logging.getLogger("claimx.cache")
T = TypeVar("T")

#: The database file inside the cache folder.
CACHE_FILE = "responses.sqlite3"
#: Earlier layouts, whose keys no request hashes to any more.
_OLD_TABLES = ("responses",)


def default_cache_dir() -> Path:
    """``$CLAIMX_CACHE_DIR``, else ``~/.cache/claimx``."""
    env = os.environ.get("CLAIMX_CACHE_DIR")
    return Path(env) if env else Path.home() / ".cache" / "claimx"


@dataclass(frozen=True)
class CacheEntry:
    """One stored answer: what the model said, what it cost, and about which request."""

    key: str
    output: str
    usage: Usage
    raw_completion: str | None
    label: dict[str, Any]
    created: float
    hits: int


@dataclass(frozen=True)
class StoredAnswer:
    """What is stored for a request: the validated answer, its cost, the raw reply, a label."""

    output: str
    usage: Usage
    #: The completion as the server sent it, to inspect a failure later (``claimx cache show``).
    raw_completion: str | None = None
    #: What the request was about (model, prompt, document, sentences), for people listing entries.
    label: dict[str, Any] = field(default_factory=dict)


class _Damaged(Exception):
    """A row that cannot be read back; the caller treats it as a miss."""


class ResponseCache:
    """Validated model responses, by request hash."""

    def __init__(self, folder: Path | str | None = None) -> None:
        self.hits = 0
        self.misses = 0
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False
        #: Opened at first use, not here: an Extractor built inside a coroutine builds its
        #: cache on the caller's event loop, and SQLite's connect, pragmas and table creation
        #: (which wait up to 30 s on a database another process holds) belong off it, with
        #: every other access (:meth:`aget`, :meth:`aput`).
        self._opened = False
        self._disabled: str | None = None
        try:
            self.folder = Path(folder) if folder else default_cache_dir()
        except RuntimeError as exc:  # no home directory to put it in
            self.folder = Path(".")
            self.path = self.folder / CACHE_FILE
            self._opened = True
            self._disable(f"no folder for it ({exc})")
            return
        self.path = self.folder / CACHE_FILE

    @property
    def disabled(self) -> str | None:
        """Why the cache is off, when it is (None: in use); opens it to know."""
        with self._lock:
            if not self._closed:
                self._open_once()
            return self._disabled

    # ------------------------------------------------------------ opening

    def _open_once(self) -> None:
        """Open the database at first use (the lock held)."""
        if not self._opened:
            self._opened = True
            self._open()

    def _open(self) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._db = self._connect()
        except sqlite3.DatabaseError as exc:
            if _is_damage(exc):
                self._set_aside(exc)
            else:
                self._disable(str(exc))
        except OSError as exc:
            self._disable(exc.strerror or str(exc))

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, check_same_thread=False, timeout=30, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            for table in _OLD_TABLES:
                db.execute(f"DROP TABLE IF EXISTS {table}")
            db.execute(
                "CREATE TABLE IF NOT EXISTS answers ("
                " key TEXT PRIMARY KEY, output TEXT NOT NULL, usage TEXT NOT NULL,"
                " raw_completion TEXT, label TEXT NOT NULL DEFAULT '{}',"
                " created REAL NOT NULL, hits INTEGER NOT NULL DEFAULT 0)"
            )
        except BaseException:
            db.close()
            raise
        return db

    def _set_aside(self, exc: sqlite3.DatabaseError) -> None:
        """Rename a damaged database out of the way (keeping it for inspection) and start afresh."""
        if self._db is not None:
            self._db.close()
            self._db = None
        aside = self.path.with_name(f"{self.path.name}.damaged-{time.strftime('%Y%m%dT%H%M%S')}")
        try:
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                companion = self.path.with_name(self.path.name + suffix)
                if companion.exists():
                    companion.replace(aside.with_name(aside.name + suffix))
            self._db = self._connect()
        except (OSError, sqlite3.Error) as again:
            self._disable(f"it is damaged ({exc}) and could not be replaced ({again})")
            return
        log.warning(
            "claimx: the response cache %s was damaged (%s); it is set aside as %s and a fresh one started",
            self.path,
            exc,
            aside,
        )

    def _disable(self, reason: str) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None
        if self._disabled is None:
            log.warning(
                "claimx: the response cache %s cannot be used (%s); going on without it", self.path, reason
            )
        self._disabled = reason

    # ------------------------------------------------------------ guarded access

    def _run(self, operation: Callable[[sqlite3.Connection], T], default: T, retry: bool = False) -> T:
        """Run ``operation`` on the database; on damage set it aside, on other failures turn it off."""
        with self._lock:
            if self._closed:  # as SQLite itself says it: using a closed cache is a bug of the caller
                raise sqlite3.ProgrammingError(f"the response cache {self.path} is closed")
            self._open_once()
            for _ in range(2 if retry else 1):
                if self._db is None:
                    return default
                try:
                    return operation(self._db)
                except sqlite3.DatabaseError as exc:
                    if _is_busy(exc):
                        log.debug("claimx: the response cache is busy (%s); skipped", exc)
                        return default
                    if _is_damage(exc):
                        self._set_aside(exc)
                    else:
                        self._disable(str(exc))
            return default

    # ------------------------------------------------------------ the cache

    def get(self, key: str) -> CacheEntry | None:
        """The stored answer for ``key``, or None (a damaged entry is a miss, and is removed)."""

        def read(db: sqlite3.Connection) -> CacheEntry | None:
            row = db.execute(
                "SELECT key, output, usage, raw_completion, label, created, hits FROM answers WHERE key = ?",
                (key,),
            ).fetchone()
            if row is None:
                return None
            try:
                entry = _entry(row)
            except _Damaged as damaged:
                log.info("claimx: cache entry %s is damaged (%s); asking again", key[:12], damaged)
                db.execute("DELETE FROM answers WHERE key = ?", (key,))
                return None
            db.execute("UPDATE answers SET hits = hits + 1 WHERE key = ?", (key,))
            return entry

        entry = self._run(read, None)
        if entry is None:
            self.misses += 1
        else:
            self.hits += 1
        return entry

    def put(self, key: str, answer: StoredAnswer) -> None:
        """Store a validated answer (replacing any entry under ``key``)."""
        row = (
            key,
            answer.output,
            answer.usage.model_dump_json(),
            # A server may echo the request's headers in its reply: the key never goes to disk.
            redact(answer.raw_completion) if answer.raw_completion is not None else None,
            json.dumps(answer.label, ensure_ascii=False, default=str),
            time.time(),
        )

        def write(db: sqlite3.Connection) -> None:
            db.execute(
                "INSERT OR REPLACE INTO answers (key, output, usage, raw_completion, label, created)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                row,
            )

        self._run(write, None, retry=True)

    def discard(self, key: str) -> None:
        """Forget one entry (its answer no longer reads as a response)."""
        self._run(lambda db: db.execute("DELETE FROM answers WHERE key = ?", (key,)), None)

    async def aget(self, key: str) -> CacheEntry | None:
        """:meth:`get`, off the event loop."""
        return await asyncio.to_thread(self.get, key)

    async def aput(self, key: str, answer: StoredAnswer) -> None:
        """:meth:`put`, off the event loop."""
        await asyncio.to_thread(self.put, key, answer)

    def find(self, prefix: str) -> list[str]:
        """Keys starting with ``prefix`` (at most 10), to name an entry by a short key."""
        pattern = prefix.replace("\\", "").replace("%", "").replace("_", "") + "%"
        rows: list[Any] = self._run(
            lambda db: db.execute("SELECT key FROM answers WHERE key LIKE ? LIMIT 10", (pattern,)).fetchall(),
            [],
        )
        return [str(r[0]) for r in rows]

    def entries(self, limit: int = 50) -> list[CacheEntry]:
        """The most recent entries first (damaged ones left out)."""
        rows: list[Any] = self._run(
            lambda db: db.execute(
                "SELECT key, output, usage, raw_completion, label, created, hits FROM answers"
                " ORDER BY created DESC LIMIT ?",
                (limit,),
            ).fetchall(),
            [],
        )
        found = []
        for row in rows:
            try:
                found.append(_entry(row))
            except _Damaged:
                continue
        return found

    def __len__(self) -> int:
        return int(self._run(lambda db: db.execute("SELECT COUNT(*) FROM answers").fetchone()[0], 0))

    def clear(self) -> int:
        """Forget every stored response; returns how many there were."""
        return int(self._run(lambda db: db.execute("DELETE FROM answers").rowcount, 0))

    def close(self) -> None:
        """Close the database; the cache may not be used afterwards."""
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None

    def __repr__(self) -> str:
        state = f" (off: {self._disabled})" if self._disabled else ""
        return f"<ResponseCache {self.path}{state}>"


def _entry(row: tuple[Any, ...]) -> CacheEntry:
    key, output, usage, raw, label, created, hits = row
    try:
        if not isinstance(output, str):
            raise TypeError(f"output is {type(output).__name__}")
        json.loads(output)
        parsed_label = json.loads(label) if label else {}
        return CacheEntry(
            key=str(key),
            output=output,
            usage=Usage.model_validate_json(usage),
            raw_completion=raw if isinstance(raw, str) else None,
            label=parsed_label if isinstance(parsed_label, dict) else {},
            created=float(created),
            hits=int(hits),
        )
    except (ValueError, TypeError, ValidationError) as exc:
        raise _Damaged(str(exc).splitlines()[0][:200]) from exc


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    """A file that is not (or no longer) a sound SQLite database, as opposed to one we may not write."""
    text = str(exc).lower()
    if "malformed" in text or "not a database" in text or "corrupt" in text:
        return True
    return not isinstance(exc, sqlite3.OperationalError) and not isinstance(exc, sqlite3.IntegrityError)
