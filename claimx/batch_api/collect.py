"""``collect``: finished batches → the results ``claimx extract`` writes.

The answers are downloaded into the job folder, then handed to
:func:`claimx.batchfile.replay_extractor`, which runs every document through the realtime
path with the batch's answers in place of the network: validated, grounded and linked as
in realtime, stored in the response cache, failed items re-asked as the retry mode says.
In ``batch`` mode the requests still to answer are written to a follow-up input file and
started as a new batch (a new round in the manifest), and collect goes round again.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from claimx.atomic import atomic_replace, output_kind
from claimx.batch import extract_many
from claimx.batch_api.job import client_for, read_jsonl, start_batches, wait_for, write_file
from claimx.batch_api.manifest import BatchEntry, JobError, Manifest, load, save
from claimx.batch_api.submit import DOCUMENTS
from claimx.batchfile import AnswerIndex, BatchLine, RetryMode, document_sources, replay_extractor
from claimx.cache import ResponseCache
from claimx.errors import OutputError
from claimx.pricing import default_prices
from claimx.schema import Usage

if TYPE_CHECKING:  # the SDK loads when a client is made (job.client_for)
    from claimx.models.openai_batches import OpenAIBatches

__all__ = ["CollectReport", "collect"]

RETRY_MODES = tuple(mode.value for mode in RetryMode)


@dataclass(frozen=True)
class CollectReport:
    """What ``collect`` wrote, and whether work is still pending."""

    output: Path | None
    extracted: int
    failed: int
    #: Items asked again, in realtime or in follow-up batches, over all collects of the job.
    retried: int
    #: Follow-up batches submitted and not finished: collect again later.
    pending: int = 0
    #: Batches that ended before answering everything: ``"<batch id> expired"`` / ``"… cancelled"``.
    ended_early: tuple[str, ...] = ()
    #: Dollars the results' calls cost (the batch's answers at its price, what was asked again
    #: included, failed documents' calls too); None when the model's price is unknown.
    cost_usd: float | None = 0.0

    @property
    def exit_code(self) -> int:
        """0 when every document was extracted, 1 when some failed (as ``claimx extract``)."""
        return 1 if self.failed else 0


def collect(
    job: str | Path,
    output: str | Path,
    *,
    wait: bool = False,
    retry_failed: str = "realtime",
    max_retries: int | None = None,
    overwrite: bool = False,
    base_url: str | None = None,
    api_key: str | None = None,
    cache: ResponseCache | str | Path | None = None,
    poll_s: float = 30.0,
    timeout_s: float | None = None,
) -> CollectReport:
    """Download the job's answers and write the same JSONL as ``claimx extract`` to ``output``.

    Items the batch did not answer well (a provider error, an answer that is not JSON, does
    not fit the schema or was cut off, an expired batch) are asked again: ``realtime`` (the
    validation error fed back), ``batch`` (a follow-up batch, recorded in the manifest) or
    ``none``; ``max_retries`` caps the items asked again over the whole job. With ``wait``,
    polls every ``poll_s`` seconds until the batches end; without, refuses while any runs.
    Answers fill the response cache (``cache``: a folder, or the default one).
    """
    if retry_failed not in RETRY_MODES:
        raise JobError(f"--retry-failed must be one of {', '.join(RETRY_MODES)}, not {retry_failed!r}")
    folder = Path(job)
    manifest = load(folder)
    out = _checked_output(Path(output), folder, overwrite)
    deadline = None if timeout_s is None else time.monotonic() + timeout_s
    client = client_for(manifest, base_url, api_key)
    store = cache if isinstance(cache, ResponseCache) else ResponseCache(cache)
    try:
        while True:
            wait_for(folder, manifest, client, wait=wait, poll_s=poll_s, deadline=deadline)
            _download(folder, manifest, client)
            mode = RetryMode(retry_failed)
            if mode is RetryMode.REALTIME:
                _check_cap(folder, manifest, max_retries)
            follow_ups: list[BatchLine] = []
            try:
                # Streamed into the file as each document finishes (memory stays flat); the file
                # appears only if no follow-up batch is needed.
                with atomic_replace(out) as handle:
                    extracted, failed, asked, cost = _replay(
                        folder, manifest, mode, store, base_url, api_key, follow_ups.append, handle.write
                    )
                    budget = _budget(manifest, max_retries, len(follow_ups))
                    if mode is RetryMode.BATCH and follow_ups and budget:
                        raise _FollowUpNeeded
            except _FollowUpNeeded:
                _follow_up(folder, manifest, client, follow_ups[:budget])
                if wait:
                    continue
                pending = sum(1 for e in manifest.batches if not e.final)
                return CollectReport(None, 0, 0, manifest.retried, pending)
            manifest.retried += asked
            save(folder, manifest)
            early = tuple(
                f"{e.batch_id} {e.state}" for e in manifest.batches if e.state in ("expired", "cancelled")
            )
            return CollectReport(out, extracted, failed, manifest.retried, ended_early=early, cost_usd=cost)
    finally:
        client.close()
        if not isinstance(cache, ResponseCache):
            store.close()


class _FollowUpNeeded(Exception):
    """Raised inside the output's atomic write to drop it: a follow-up batch comes first."""


def _checked_output(out: Path, folder: Path, overwrite: bool) -> Path:
    """A regular file, absent or empty or ``overwrite``, outside the job folder and not an input."""
    kind = output_kind(out)
    if kind == "file" and out.stat().st_size and not overwrite:
        raise OutputError(f"{out} already exists: add --overwrite to replace it")
    target = out.resolve()
    if target.is_relative_to(folder.resolve()):
        raise OutputError(f"{out} is inside the job folder {folder}: write the results elsewhere")
    documents = folder / DOCUMENTS
    if documents.exists():
        for record in itertools.islice(read_jsonl(documents), 1, None):  # (the header first)
            origin = record.get("origin")
            if isinstance(origin, str) and origin and Path(origin).resolve() == target:
                raise OutputError(f"{out} is one of the job's inputs: write the results elsewhere")
    return out


def _download(folder: Path, manifest: Manifest, client: OpenAIBatches) -> None:
    """Fetch each ended batch's output and error files into the folder (once)."""
    for entry in manifest.batches:
        stem = Path(entry.input).stem
        if entry.output_file_id is not None and entry.output is None:
            write_file(folder / f"{stem}.output.jsonl", [client.content(entry.output_file_id)])
            entry.output = f"{stem}.output.jsonl"
            save(folder, manifest)
        if entry.error_file_id is not None and entry.errors is None:
            write_file(folder / f"{stem}.errors.jsonl", [client.content(entry.error_file_id)])
            entry.errors = f"{stem}.errors.jsonl"
            save(folder, manifest)


def _files(folder: Path, manifest: Manifest) -> tuple[list[Path], list[Path]]:
    requests = [folder / e.input for e in manifest.batches if e.batch_id is not None]
    outputs = [folder / name for e in manifest.batches for name in (e.output, e.errors) if name is not None]
    return requests, outputs


def _check_cap(folder: Path, manifest: Manifest, max_retries: int | None) -> None:
    """Refuse to ask more unanswered items in realtime than the cap allows (before paying for any)."""
    if max_retries is None:
        return
    requests, outputs = _files(folder, manifest)
    index = AnswerIndex(requests, outputs)
    try:
        unanswered = manifest.requests - len(index)
    finally:
        index.close()
    budget = max(0, max_retries - manifest.retried)
    if unanswered > budget:
        raise JobError(
            f"{unanswered} request(s) have no answer in the batch, more than the {budget} --max-retries "
            "allows in realtime: raise it, or collect with --retry-failed batch or none"
        )


def _budget(manifest: Manifest, max_retries: int | None, wanted: int) -> int:
    return wanted if max_retries is None else max(0, min(wanted, max_retries - manifest.retried))


def _replay(
    folder: Path,
    manifest: Manifest,
    mode: RetryMode,
    cache: ResponseCache,
    base_url: str | None,
    api_key: str | None,
    follow_up: Callable[[BatchLine], None],
    write: Callable[[bytes], object],
) -> tuple[int, int, int, float | None]:
    """Write every document's result line, from the batches' answers.

    Returns (extracted, failed, asked again, their cost in dollars or None when unknown).
    """
    requests, outputs = _files(folder, manifest)
    documents = folder / DOCUMENTS
    replay = replay_extractor(
        documents,
        requests,
        outputs,
        retry=mode,
        cache=cache,
        api_key=api_key,
        base_url=base_url,
        follow_up=follow_up,
        # The answers came from the Batch API, billed at half price (a realtime re-ask is
        # priced so too: its share is small, and the job's usage says how many there were).
        prices=default_prices().for_batch(),
    )
    extracted = failed = 0
    spent = Usage(cost_usd=0.0)  # (Usage.add: the cost unknown once any part of it is)
    try:
        for result in extract_many(document_sources(documents), extractor=replay.extractor):
            write(result.to_json_line().encode("utf-8", "surrogatepass") + b"\n")
            extracted += result.ok
            failed += not result.ok
            if result.usage is not None:
                spent = spent.add(result.usage)
        asked = replay.sent_on if mode is RetryMode.REALTIME else 0
    finally:
        replay.close()
    return extracted, failed, asked, spent.cost_usd


def _follow_up(folder: Path, manifest: Manifest, client: OpenAIBatches, lines: list[BatchLine]) -> None:
    """Start a follow-up batch of ``lines``, recorded in the manifest as the next round."""
    round_ = max(e.round for e in manifest.batches) + 1
    name = f"retry{round_}-000.jsonl"
    raw = [(line.to_json_line() + "\n").encode("utf-8", "surrogatepass") for line in lines]
    write_file(folder / name, raw)
    manifest.batches.append(BatchEntry(input=name, requests=len(raw), bytes=sum(map(len, raw)), round=round_))
    manifest.retried += len(raw)
    manifest.submitted = False
    save(folder, manifest)
    start_batches(folder, manifest, client)
