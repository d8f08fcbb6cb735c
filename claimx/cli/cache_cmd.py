"""``claimx cache list|show|clear``: what the response cache holds, and the raw reply behind an answer.

An entry is named by its request hash (any unique prefix of it will do). ``show``
prints the stored answer, its usage, what it was for (model, prompt, document,
sentences) and the raw completion the answer was read from, as one JSON object.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from pathlib import Path

import typer

from claimx.cache import CACHE_FILE, CacheEntry, ResponseCache, default_cache_dir
from claimx.cli import app, helptext
from claimx.cli.common import EXIT_USAGE, stderr

__all__ = ["cache_app"]

cache_app = typer.Typer(
    cls=helptext.Group,
    help="Inspect or empty the response cache (answers keyed by request hash).",
    no_args_is_help=True,
    epilog="Example: [bold]claimx cache list && claimx cache show 3fa1c2[/bold]",
)
app.add_typer(cache_app, name="cache")

_DIR = typer.Option(None, "--cache-dir", help="Cache folder (default: $CLAIMX_CACHE_DIR or ~/.cache/claimx).")


def _missing(cache_dir: Path | None) -> str | None:
    """Where the cache would be, when it has no database there; None when it has one.

    Looking must not create one: ``ResponseCache`` makes its folder and database on opening,
    so ``cache list --cache-dir typo`` left a new folder with an empty database behind.
    """
    try:
        folder = cache_dir or default_cache_dir()
    except RuntimeError:  # no home folder: nothing could have been cached there
        return "~/.cache/claimx (no home folder)"
    return None if (folder / CACHE_FILE).exists() else str(folder)


def _open(cache_dir: Path | None) -> ResponseCache:
    cache = ResponseCache(cache_dir)
    if cache.disabled is not None:
        stderr.print(f"claimx: error: no usable cache at {cache.path}: {cache.disabled}", markup=False)
        raise typer.Exit(EXIT_USAGE)
    return cache


@cache_app.command("list", cls=helptext.Command, epilog="Example: [bold]claimx cache list -n 10[/bold]")
def list_entries(
    cache_dir: Path | None = _DIR,
    limit: int = typer.Option(50, "--limit", "-n", min=1, help="Show at most this many (newest first)."),
) -> None:
    """List the newest entries: key, when, model, prompt, document and tokens."""
    missing = _missing(cache_dir)
    if missing is not None:
        stderr.print(f"claimx: no response cache in {missing}: 0 entries", markup=False)
        sys.stdout.write("key\tstored\tmodel\tprompt\tdocument\tsentences\ttokens\thits\n")
        return
    cache = _open(cache_dir)
    try:
        entries, total = cache.entries(limit), len(cache)
    finally:
        cache.close()
    # One tab-separated line per entry (full key first), so it pipes into cut, grep and show.
    noun = "entry" if total == 1 else "entries"
    stderr.print(f"claimx: {cache.path}: {total} {noun}, newest first", markup=False)
    sys.stdout.write("key\tstored\tmodel\tprompt\tdocument\tsentences\ttokens\thits\n")
    for entry in entries:
        label = entry.label
        sentences = label.get("sentences") or []
        fields = [
            entry.key,
            time.strftime("%Y-%m-%dT%H:%M:%S", time.localtime(entry.created)),
            str(label.get("model", "")),
            str(label.get("prompt", "")),
            str(label.get("doc_id", "")),
            "-".join(str(n) for n in sentences),
            str(entry.usage.total_tokens),
            str(entry.hits),
        ]
        sys.stdout.write("\t".join(f.replace("\t", " ").replace("\n", " ") for f in fields) + "\n")


@cache_app.command("show", cls=helptext.Command, epilog="Example: [bold]claimx cache show 3fa1c2[/bold]")
def show(
    key: str = typer.Argument(..., help="The request hash, or a unique prefix of it (6 characters or more)."),
    cache_dir: Path | None = _DIR,
) -> None:
    """Print one entry as JSON: the answer, its usage, what it was for, and the raw completion."""
    if len(key) < 6:
        stderr.print("claimx: error: give at least 6 characters of the key", markup=False)
        raise typer.Exit(EXIT_USAGE)
    missing = _missing(cache_dir)
    if missing is not None:
        stderr.print(f"claimx: error: no response cache in {missing}", markup=False)
        raise typer.Exit(EXIT_USAGE)
    cache = _open(cache_dir)
    try:
        matches = cache.find(key.lower())
        if len(matches) != 1:
            problem = "no entry" if not matches else f"{len(matches)} entries"
            stderr.print(
                f"claimx: error: {problem} with a key starting {key!r} in {cache.path}", markup=False
            )
            raise typer.Exit(EXIT_USAGE)
        entry = cache.get(matches[0])
    finally:
        cache.close()
    if entry is None:
        stderr.print(f"claimx: error: the entry {matches[0]} is damaged and was removed", markup=False)
        raise typer.Exit(EXIT_USAGE)
    sys.stdout.write(json.dumps(_as_json(entry), ensure_ascii=False, indent=2) + "\n")


@cache_app.command(
    "clear",
    cls=helptext.Command,
    epilog="Example: [bold]claimx cache clear --cache-dir ~/.cache/claimx[/bold]",
)
def clear(cache_dir: Path | None = _DIR) -> None:
    """Forget every stored answer (the next runs ask the model again)."""
    missing = _missing(cache_dir)
    if missing is not None:
        stderr.print(f"claimx: no response cache in {missing}: nothing to remove", markup=False)
        return
    cache = _open(cache_dir)
    try:
        removed = cache.clear()
    finally:
        cache.close()
    stderr.print(
        f"claimx: removed {removed} entr{'y' if removed == 1 else 'ies'} from {cache.path}", markup=False
    )


def _as_json(entry: CacheEntry) -> dict[str, object]:
    raw: object = entry.raw_completion
    if entry.raw_completion is not None:
        with contextlib.suppress(ValueError):
            raw = json.loads(entry.raw_completion)
    return {
        "key": entry.key,
        "stored": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(entry.created)),
        "hits": entry.hits,
        **entry.label,
        "usage": entry.usage.model_dump(mode="json"),
        "output": json.loads(entry.output),
        "raw_completion": raw,
    }
