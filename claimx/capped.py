"""Read a file no further than a cap.

Files named by a user (an article, a prices table, a batch job's manifest) may turn out to be a
device or an archive: ``/dev/zero`` read whole grows memory until the process is killed. Read
one byte past the cap and the caller knows, having read no more, that the file is too large
to be what it was named as, and says so in its own words.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["read_capped"]


def read_capped(path: Path, limit: int) -> bytes | None:
    """The bytes of ``path``; None when it holds more than ``limit`` (read no further).

    ``OSError`` (no such file, a directory, no permission) is the caller's to word.
    """
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    return data if len(data) <= limit else None
