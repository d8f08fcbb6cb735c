"""The job folder's manifest: the whole state of a batch job, in one JSON file.

A job folder holds ``manifest.json`` (this), ``documents.jsonl`` (every document's id
and text, as read at submit), ``requests.jsonl`` (``custom_id`` ↔ document, chunk,
request hash, input file), the input files as uploaded (``input-000.jsonl``…) and the
output and error files as downloaded. The manifest is replaced atomically after every
step that costs or creates something (an upload, a batch), so a crash between steps
loses nothing and ``submit`` run again picks up where it stopped. It never holds a key.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from claimx.atomic import atomic_replace
from claimx.capped import read_capped
from claimx.errors import ConfigError

__all__ = ["FORMAT", "MANIFEST", "BatchEntry", "JobError", "Manifest", "load", "save"]

FORMAT = "claimx-batch-job/1"
MANIFEST = "manifest.json"
#: A manifest names a job's batches and files: kilobytes. Read no more than this, so that a
#: manifest that is a link to a device or a huge file is an error, not memory without end.
MAX_MANIFEST_BYTES = 16 * 1024 * 1024
#: States after which a batch never changes.
FINAL_STATES = frozenset({"completed", "failed", "expired", "cancelled"})


class JobError(ConfigError):
    """A job folder that cannot be used as asked (missing, foreign, other settings, a failed batch)."""


@dataclass
class BatchEntry:
    """One input file and the batch running it."""

    #: The file in the job folder (``input-000.jsonl``; follow-ups ``retry1-000.jsonl``).
    input: str
    requests: int
    bytes: int
    #: 0 for the first submit, 1, 2… for follow-up batches of failed items.
    round: int = 0
    file_id: str | None = None
    batch_id: str | None = None
    state: str = "planned"
    done: int = 0
    failed: int = 0
    total: int = 0
    created_at: int | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    #: The downloaded output and error files, once collected.
    output: str | None = None
    errors: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def final(self) -> bool:
        """True once the batch can no longer change."""
        return self.state in FINAL_STATES


@dataclass
class Manifest:
    """Settings, documents, requests, files and batches of one job."""

    job_id: str
    settings: dict[str, Any]
    documents: int
    requests: int
    batches: list[BatchEntry] = field(default_factory=list)
    format: str = FORMAT
    #: True once every input file is uploaded and its batch created.
    submitted: bool = False
    #: Items asked again, in realtime or in follow-up batches, over all collects.
    retried: int = 0

    @property
    def started(self) -> int:
        """Batches started so far (each with the id the provider gave it)."""
        return sum(1 for entry in self.batches if entry.batch_id is not None)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written."""
        return asdict(self)


def load(folder: Path) -> Manifest:
    """The manifest of the job in ``folder``; a :class:`JobError` when there is none."""
    path = folder / MANIFEST
    if not folder.is_dir():
        raise JobError(
            f"no batch job at {folder}: the folder does not exist (run `claimx batch submit` first)"
        )
    try:
        data = read_capped(path, MAX_MANIFEST_BYTES)
        if data is None:
            raise JobError(
                f"{path} is over {MAX_MANIFEST_BYTES // (1024 * 1024)} MB: not a claimx batch job "
                "manifest (a link to a device or another file?)"
            )
        raw = json.loads(data.decode("utf-8"))
    except FileNotFoundError:
        raise JobError(f"{folder} is not a claimx batch job: it has no {MANIFEST}") from None
    except (OSError, ValueError) as exc:
        raise JobError(f"cannot read {path}: {exc}") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise JobError(f"{path} is not a claimx batch job manifest (format {FORMAT})")
    try:
        batches = [BatchEntry(**entry) for entry in raw.pop("batches")]
        return Manifest(**raw, batches=batches)
    except (TypeError, KeyError) as exc:
        raise JobError(f"{path} is damaged: {exc}") from None


def save(folder: Path, manifest: Manifest) -> None:
    """Replace the manifest at once (readers see the old one or the new one)."""
    data = json.dumps(manifest.to_json(), indent=2, ensure_ascii=False).encode() + b"\n"
    with atomic_replace(folder / MANIFEST) as handle:
        handle.write(data)
