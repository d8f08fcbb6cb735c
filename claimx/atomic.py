"""Replace a file all at once: readers see the old file or the new one, never half of either."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import BinaryIO

__all__ = ["atomic_replace"]


@contextmanager
def atomic_replace(path: Path) -> Iterator[BinaryIO]:
    """Yield a binary handle whose contents replace ``path`` when the block ends without error.

    The data goes to a temporary file beside ``path``, is flushed to disk, and is renamed
    over ``path`` (atomic on POSIX and Windows); on any error, or an interrupt, the
    temporary file is removed and ``path`` is untouched. The file gets the permissions a
    plain ``open()`` would give (an existing file's, else the umask's), not the private
    ones of a temporary file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.chmod(tmp, _mode_for(path))
        with os.fdopen(fd, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _mode_for(path: Path) -> int:
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask
