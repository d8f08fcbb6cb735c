"""The offline extractor's weight files: gzipped JSON, read and built once per file version.

The tagger (``attribution.json.gz``), the pairing rankers (``pairing.json.gz``) and the
stance models (``stances.json.gz``) each turn one such file into their own weights object,
which is asked for once per document. Each was cached by ``lru_cache(maxsize=1)`` on its
arguments: the default path and the same path given explicitly were two keys, so calls
alternating between them (or between two files) read the file again every time, and a
file rewritten in place (weights retrained in the same process) was never read again.
Here the objects are kept one per file and builder, for as long as the file's
modification time and size stay the same: the cache holds as many entries as there are
files in use, never evicts one another, and never serves a replaced file.
"""

from __future__ import annotations

import gzip
import json
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

__all__ = ["load_weight_file"]

_T = TypeVar("_T")

#: (builder, path) → ((mtime_ns, size), built object)
_loaded: dict[tuple[Callable[[Any], object], Path], tuple[tuple[int, int], object]] = {}
_lock = threading.Lock()


def load_weight_file(path: Path | str, build: Callable[[Any], _T]) -> _T | None:
    """``build`` applied to the JSON in gzipped ``path``, or None when there is no such file.

    The result is shared: the same file, unchanged, gives the same object (whose cached
    tables are then built once), whoever asks and however the path is spelt as a
    :class:`~pathlib.Path` or ``str``.
    """
    path = path if isinstance(path, Path) else Path(path)  # (making a Path costs as much as the stat)
    try:
        stat = os.stat(path)
    except FileNotFoundError:
        return None
    version = (stat.st_mtime_ns, stat.st_size)
    key: tuple[Callable[[Any], object], Path] = (build, path)
    known = _loaded.get(key)
    if known is not None and known[0] == version:
        return cast("_T", known[1])
    with _lock:  # (two threads asking at once read the file once)
        known = _loaded.get(key)
        if known is not None and known[0] == version:
            return cast("_T", known[1])
        with gzip.open(path, "rt", encoding="utf-8") as f:
            built = build(json.load(f))
        _loaded[key] = (version, built)
        return built
