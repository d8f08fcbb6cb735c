"""A job's batches at the provider: start them, follow them, cancel them.

Each step that creates something the provider keeps (an uploaded file, a batch) is
recorded in the manifest at once, so a job cut short anywhere resumes without paying
twice: a batch created but never recorded is found again by the metadata it was created
with (the job's id and the input file's name).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from claimx.atomic import atomic_replace
from claimx.batch_api.manifest import BatchEntry, JobError, Manifest, load, save
from claimx.errors import ConfigError
from claimx.urls import display_url

if TYPE_CHECKING:  # the SDK loads when a client is made, not with every command of the CLI
    from claimx.models.openai_batches import BatchInfo, OpenAIBatches

__all__ = ["BatchStatus", "cancel", "refresh", "start_batches", "status", "wait_for"]


@dataclass(frozen=True)
class BatchStatus:
    """One batch of a job, as ``claimx batch status`` shows it."""

    batch_id: str | None
    input: str
    round: int
    state: str
    done: int
    failed: int
    total: int
    age_s: float | None


def client_for(manifest: Manifest, base_url: str | None, api_key: str | None) -> OpenAIBatches:
    """A client for the job's server (``base_url`` repeats it with credentials the manifest leaves out)."""
    from claimx.models.openai_batches import OpenAIBatches

    stored = manifest.settings["batch"]["base_url"]
    if base_url is not None and display_url(base_url) != (stored or None):
        # (as collect's replay refuses it: the job's batches and files are at its own server)
        raise JobError(
            f"the job was submitted to {stored or 'OpenAI'}, not {display_url(base_url)}: its batches "
            "and files are there (base_url only repeats that server's URL with its credentials)",
            cli_message=f"the job was submitted to {stored or 'OpenAI'}, not {display_url(base_url)}: "
            "its batches and files are there (--base-url only repeats that server's URL with its "
            "credentials)",
        )
    if base_url is None and isinstance(stored, str) and "***" in stored:
        # The manifest keeps the URL with its credentials as ``***``: sent as they are, they
        # were the server's password and token, and its 401 blamed the API key.
        raise ConfigError(
            f"the job's server {stored} was given with credentials, which the job folder does not "
            "keep: give its URL again with base_url=...",
            cli_message=f"the job's server {stored} was given with credentials, which the job "
            "folder does not keep: give its URL again with --base-url",
        )
    return OpenAIBatches(base_url or stored, api_key)


def start_batches(folder: Path, manifest: Manifest, client: OpenAIBatches) -> None:
    """Upload each input file and create its batch, recording each step as it happens."""
    for entry in manifest.batches:
        tag = {"claimx_job": manifest.job_id, "claimx_input": entry.input}
        if entry.batch_id is None and entry.file_id is not None:
            found = client.find(tag)  # created before a crash, never recorded: do not pay twice
            if found is not None:
                _record(entry, found)
                save(folder, manifest)
                continue
        if entry.file_id is None:
            entry.file_id = client.upload(entry.input, (folder / entry.input).read_bytes())
            save(folder, manifest)
        if entry.batch_id is None:
            _record(entry, client.create(entry.file_id, tag))
            save(folder, manifest)
    manifest.submitted = True
    save(folder, manifest)


def _record(entry: BatchEntry, info: BatchInfo) -> None:
    entry.batch_id = info.id
    entry.state = info.status
    entry.done, entry.failed, entry.total = info.completed, info.failed, info.total or entry.requests
    entry.created_at = entry.created_at or info.created_at or int(time.time())
    entry.output_file_id = info.output_file_id
    entry.error_file_id = info.error_file_id
    entry.problems = info.errors


def refresh(folder: Path, manifest: Manifest, client: OpenAIBatches) -> None:
    """Ask the provider about every unfinished batch; record what it says."""
    changed = False
    for entry in manifest.batches:
        if entry.batch_id is not None and not entry.final:
            _record(entry, client.retrieve(entry.batch_id))
            changed = True
    if changed:
        save(folder, manifest)


def wait_for(
    folder: Path,
    manifest: Manifest,
    client: OpenAIBatches,
    *,
    wait: bool,
    poll_s: float,
    deadline: float | None,
) -> None:
    """Return once every batch has ended.

    Refuses a batch the provider failed and, without ``wait``, a batch still running.
    """
    if not manifest.submitted:
        raise JobError(f"the job in {folder} was not fully submitted: run `claimx batch submit` again first")
    while True:
        refresh(folder, manifest, client)
        for entry in manifest.batches:
            if entry.state == "failed":
                why = "; ".join(entry.problems[:3]) or "no reason given"
                raise JobError(f"batch {entry.batch_id} ({entry.input}) failed at the provider: {why}")
        running = [e for e in manifest.batches if not e.final]
        if not running:
            return
        if not wait:
            states = ", ".join(sorted({e.state for e in running}))
            raise JobError(
                f"{len(running)} of {len(manifest.batches)} batch(es) not finished ({states}): "
                "collect again later, or add --wait"
            )
        if deadline is not None and time.monotonic() > deadline:
            raise JobError(f"the batches of {folder} did not finish in time: collect again later")
        time.sleep(poll_s)


def status(job: str | Path, *, base_url: str | None = None, api_key: str | None = None) -> list[BatchStatus]:
    """Each batch of the job as the provider reports it now (the manifest is updated)."""
    folder = Path(job)
    manifest = load(folder)
    client = client_for(manifest, base_url, api_key)
    try:
        refresh(folder, manifest, client)
    finally:
        client.close()
    now = time.time()
    return [
        BatchStatus(
            e.batch_id,
            e.input,
            e.round,
            e.state,
            e.done,
            e.failed,
            e.total or e.requests,
            now - e.created_at if e.created_at else None,
        )
        for e in manifest.batches
    ]


def cancel(job: str | Path, *, base_url: str | None = None, api_key: str | None = None) -> list[BatchStatus]:
    """Ask the provider to stop every unfinished batch of the job; their states after."""
    folder = Path(job)
    manifest = load(folder)
    client = client_for(manifest, base_url, api_key)
    try:
        for entry in manifest.batches:
            if entry.batch_id is not None and not entry.final and entry.state != "cancelling":
                _record(entry, client.cancel(entry.batch_id))
        save(folder, manifest)
    finally:
        client.close()
    return status(folder, base_url=base_url, api_key=api_key)


def write_file(path: Path, chunks: list[bytes]) -> None:
    """Write a whole file of the job folder at once."""
    with atomic_replace(path) as handle:
        for chunk in chunks:
            handle.write(chunk)


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON objects of a JSONL file of the job folder."""
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                record = json.loads(raw)
                if isinstance(record, dict):
                    yield record
