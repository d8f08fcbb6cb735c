"""Submit, watch, collect and cancel an OpenAI batch job kept in one folder.

Everything a job needs later is written into its folder first (documents, requests,
input files, then the manifest), and the manifest is rewritten after each upload and
each batch created: so ``status`` and ``collect`` work from another shell or after a
reboot, and ``submit`` run again on the same folder resumes instead of paying twice.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claimx.atomic import atomic_replace, output_kind
from claimx.batch import BatchResult, DocumentError, extract_many
from claimx.batch_api.manifest import MANIFEST, BatchEntry, JobError, Manifest, load, save
from claimx.batch_api.requests import PlannedRequest, plan_document, request_line, store_answer
from claimx.cache import ResponseCache
from claimx.errors import InputError, OutputError
from claimx.extract import Extractor
from claimx.inputs import Source, iter_sources
from claimx.models.openai_batches import BatchInfo, OpenAIBatches
from claimx.urls import display_url

__all__ = ["BatchStatus", "CollectReport", "cancel", "collect", "status", "submit"]

#: The provider's limits on one batch input file (OpenAI's).
MAX_REQUESTS_PER_FILE = 50_000
MAX_BYTES_PER_FILE = 200 * 1024 * 1024
RETRY_MODES = ("realtime", "batch", "none")


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


@dataclass(frozen=True)
class CollectReport:
    """What ``collect`` wrote, and whether work is still pending."""

    output: Path | None
    extracted: int
    failed: int
    #: Items asked again (in realtime or in follow-up batches), over all collects of the job.
    retried: int
    #: Follow-up batches submitted and not finished: collect again later.
    pending: int = 0

    @property
    def exit_code(self) -> int:
        """0 when every document was extracted, 1 when some failed (as ``claimx extract``)."""
        return 1 if self.failed else 0


# --------------------------------------------------------------------------- submit


def submit(
    inputs: Iterable[str | Path | Source | tuple[str, str] | dict[str, Any]],
    *,
    model: str,
    job: str | Path,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: str | None = None,
    max_requests_per_file: int = MAX_REQUESTS_PER_FILE,
    max_bytes_per_file: int = MAX_BYTES_PER_FILE,
) -> Manifest:
    """Write the job's requests into ``job`` and start its batches; the manifest.

    ``inputs`` are file, folder or glob names (as ``claimx extract`` takes), or documents
    as ``(id, text)``, ``{"id", "text"}`` or :class:`~claimx.inputs.Source`. Requests are
    split into as many files as the limits require. Run again on the same folder, it
    uploads and creates only what is missing; with other settings or inputs it refuses.
    """
    folder = Path(job)
    settings = _settings(model, base_url, prompt, max_requests_per_file, max_bytes_per_file)
    existing = folder / MANIFEST
    with Extractor(model, prompt=prompt, cache=False, base_url=base_url, api_key=api_key) as extractor:
        sources = list(_sources(inputs, folder))
        settings["inputs_sha256"] = _digest_sources(sources)
        if existing.exists():
            manifest = load(folder)
            if manifest.settings != settings:
                changed = sorted(k for k in settings if manifest.settings.get(k) != settings[k])
                raise JobError(
                    f"{folder} holds a job with other settings ({', '.join(changed)}): give another --job "
                    "folder, or the same inputs and options"
                )
        else:
            if folder.exists() and any(folder.iterdir()):
                raise JobError(
                    f"{folder} is not empty and holds no batch job: give a new or empty --job folder"
                )
            folder.mkdir(parents=True, exist_ok=True)
            manifest = _plan(folder, extractor, sources, settings)
    client = OpenAIBatches(base_url, api_key)
    try:
        _start(folder, manifest, client)
    finally:
        client.close()
    return manifest


def _settings(
    model: str, base_url: str | None, prompt: str | None, max_requests: int, max_bytes: int
) -> dict[str, Any]:
    return {
        "model": model,
        "base_url": display_url(base_url),
        "prompt": prompt,
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "max_requests_per_file": max_requests,
        "max_bytes_per_file": max_bytes,
    }


def _sources(
    inputs: Iterable[str | Path | Source | tuple[str, str] | dict[str, Any]], folder: Path
) -> Iterator[Source]:
    specs: list[str] = []
    for index, item in enumerate(inputs):
        if isinstance(item, (str, Path)):
            specs.append(str(item))
        elif isinstance(item, Source):
            yield item
        elif isinstance(item, tuple):
            yield Source(item[0], item[1], origin="<api>")
        else:
            yield Source(str(item.get("id", index)), str(item["text"]), origin="<api>")
    for read in iter_sources(specs, output=folder / MANIFEST):
        if isinstance(read, InputError):
            raise read
        yield read


def _digest_sources(sources: list[Source]) -> str:
    digest = hashlib.sha256()
    for source in sources:
        digest.update(json.dumps([source.doc_id, source.text], ensure_ascii=False).encode())
    return digest.hexdigest()


def _plan(folder: Path, extractor: Extractor, sources: list[Source], settings: dict[str, Any]) -> Manifest:
    """Write documents, requests and input files; the manifest, nothing uploaded yet."""
    documents: list[bytes] = []
    requests: list[bytes] = []
    files: list[list[bytes]] = [[]]
    sizes = [0]
    for index, source in enumerate(sources):
        documents.append(
            _json_line({"index": index, "id": source.doc_id, "text": source.text, "origin": source.origin})
        )
        for planned in plan_document(extractor, source.document(), index):
            line = _json_line(request_line(extractor, planned))
            full = len(files[-1]) >= settings["max_requests_per_file"]
            if files[-1] and (full or sizes[-1] + len(line) > settings["max_bytes_per_file"]):
                files.append([])
                sizes.append(0)
            files[-1].append(line)
            sizes[-1] += len(line)
            requests.append(_json_line(_request_record(planned, index, len(files) - 1)))
    _write(folder / "documents.jsonl", documents)
    _write(folder / "requests.jsonl", requests)
    manifest = Manifest(
        job_id=uuid.uuid4().hex, settings=settings, documents=len(documents), requests=len(requests)
    )
    for number, lines in enumerate(files):
        if not lines:
            continue
        name = f"input-{number:03d}.jsonl"
        _write(folder / name, lines)
        manifest.batches.append(BatchEntry(input=name, requests=len(lines), bytes=sum(map(len, lines))))
    save(folder, manifest)
    return manifest


def _request_record(planned: PlannedRequest, index: int, file: int) -> dict[str, Any]:
    return {
        "custom_id": planned.custom_id,
        "doc": index,
        "doc_id": planned.doc_id,
        "chunk": planned.chunk,
        "hash": planned.hash,
        "file": file,
    }


def _start(folder: Path, manifest: Manifest, client: OpenAIBatches) -> None:
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


# --------------------------------------------------------------------------- status, cancel


def status(job: str | Path, *, base_url: str | None = None, api_key: str | None = None) -> list[BatchStatus]:
    """Each batch of the job as the provider reports it now (the manifest is updated)."""
    folder = Path(job)
    manifest = load(folder)
    client = OpenAIBatches(base_url or manifest.settings["base_url"], api_key)
    try:
        _refresh(folder, manifest, client)
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


def _refresh(folder: Path, manifest: Manifest, client: OpenAIBatches) -> None:
    changed = False
    for entry in manifest.batches:
        if entry.batch_id is not None and not entry.final:
            _record(entry, client.retrieve(entry.batch_id))
            changed = True
    if changed:
        save(folder, manifest)


def cancel(job: str | Path, *, base_url: str | None = None, api_key: str | None = None) -> list[BatchStatus]:
    """Ask the provider to stop every unfinished batch of the job; their states after."""
    folder = Path(job)
    manifest = load(folder)
    client = OpenAIBatches(base_url or manifest.settings["base_url"], api_key)
    try:
        for entry in manifest.batches:
            if entry.batch_id is not None and not entry.final and entry.state != "cancelling":
                _record(entry, client.cancel(entry.batch_id))
        save(folder, manifest)
    finally:
        client.close()
    return status(folder, base_url=base_url, api_key=api_key)


# --------------------------------------------------------------------------- collect


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

    Answers fill the response cache (``cache``: a folder, or the default one); then every
    document is extracted by the realtime extractor reading that cache, so its results are
    exactly realtime's. Items that failed in the batch (provider error, invalid or
    truncated answer, expired) are asked again: ``realtime`` (by that extractor, with its
    re-asks), ``batch`` (a follow-up batch, recorded in the manifest) or ``none``; at most
    ``max_retries`` items (default: all). With ``wait``, polls every ``poll_s`` seconds until
    the batches end; without, refuses while any is running.
    """
    if retry_failed not in RETRY_MODES:
        raise JobError(f"--retry-failed must be one of {', '.join(RETRY_MODES)}, not {retry_failed!r}")
    folder = Path(job)
    manifest = load(folder)
    out = _checked_output(Path(output), folder, overwrite)
    url = base_url or manifest.settings["base_url"]
    client = OpenAIBatches(url, api_key)
    owned = not isinstance(cache, ResponseCache)
    store = cache if isinstance(cache, ResponseCache) else ResponseCache(cache)
    started = time.monotonic()
    try:
        with Extractor(
            manifest.settings["model"],
            prompt=manifest.settings["prompt"],
            cache=store,
            base_url=url,
            api_key=api_key,
        ) as extractor:
            planned = _replan(folder, extractor)
            while True:
                _wait_for(folder, manifest, client, wait, poll_s, timeout_s, started)
                failed = _store_answers(folder, manifest, client, store, extractor, planned)
                budget = _budget(failed, max_retries, manifest)
                if retry_failed != "batch" or not failed or budget == 0:
                    break
                _follow_up(folder, manifest, client, sorted(failed)[:budget])
                if not wait:
                    pending = sum(1 for e in manifest.batches if not e.final)
                    return CollectReport(None, 0, 0, manifest.retried, pending)
            realtime_budget = _budget(failed, max_retries, manifest) if retry_failed == "realtime" else 0
            report = _write_results(folder, out, extractor, planned, failed, realtime_budget)
            manifest.retried += report.retried
            save(folder, manifest)
            return dataclasses.replace(report, retried=manifest.retried)
    finally:
        client.close()
        if owned:
            store.close()


def _budget(failed: dict[str, str], max_retries: int | None, manifest: Manifest) -> int:
    """How many failed items may still be asked again (the cap counts over all collects)."""
    return len(failed) if max_retries is None else max(0, max_retries - manifest.retried)


def _checked_output(out: Path, folder: Path, overwrite: bool) -> Path:
    kind = output_kind(out)
    if kind == "file" and out.stat().st_size and not overwrite:
        raise OutputError(f"{out} already exists: add --overwrite to replace it")
    if out.resolve().is_relative_to(folder.resolve()):
        raise OutputError(f"{out} is inside the job folder {folder}: write the results elsewhere")
    return out


def _replan(folder: Path, extractor: Extractor) -> dict[str, tuple[PlannedRequest, Source]]:
    """custom_id → its planned request and document, re-derived from the folder (and checked)."""
    recorded = {r["custom_id"] for r in _read_jsonl(folder / "requests.jsonl")}
    planned: dict[str, tuple[PlannedRequest, Source]] = {}
    for record in _read_jsonl(folder / "documents.jsonl"):
        source = Source(record["id"], record["text"], origin=record.get("origin") or "<job>")
        for request in plan_document(extractor, source.document(), record["index"]):
            planned[request.custom_id] = (request, source)
    if set(planned) != recorded:
        raise JobError(
            f"the requests of {folder} no longer match what this claimx version would send "
            "(another prompt or version): submit the inputs again in a new --job folder"
        )
    return planned


def _wait_for(
    folder: Path,
    manifest: Manifest,
    client: OpenAIBatches,
    wait: bool,
    poll_s: float,
    timeout_s: float | None,
    started: float,
) -> None:
    if not manifest.submitted:
        raise JobError(f"the job in {folder} was not fully submitted: run `claimx batch submit` again first")
    while True:
        _refresh(folder, manifest, client)
        running = [e for e in manifest.batches if not e.final]
        for entry in manifest.batches:
            if entry.state == "failed":
                why = "; ".join(entry.problems[:3]) or "no reason given"
                raise JobError(f"batch {entry.batch_id} ({entry.input}) failed at the provider: {why}")
        if not running:
            return
        if not wait:
            states = ", ".join(sorted({e.state for e in running}))
            raise JobError(
                f"{len(running)} of {len(manifest.batches)} batch(es) not finished ({states}): "
                "collect again later, or add --wait"
            )
        if timeout_s is not None and time.monotonic() - started > timeout_s:
            raise JobError(f"the batches of {folder} did not finish within {timeout_s:g}s")
        time.sleep(poll_s)


def _store_answers(
    folder: Path,
    manifest: Manifest,
    client: OpenAIBatches,
    cache: ResponseCache,
    extractor: Extractor,
    planned: dict[str, tuple[PlannedRequest, Source]],
) -> dict[str, str]:
    """Download every batch's files, store good answers; custom_id → why it failed, for the rest."""
    answered: dict[str, str | None] = {}
    for entry in manifest.batches:  # later rounds last: a follow-up's answer replaces the failure
        for kind, file_id in (("errors", entry.error_file_id), ("output", entry.output_file_id)):
            if file_id is None:
                continue
            name = f"{Path(entry.input).stem}.{kind}.jsonl"
            if getattr(entry, kind) is None:
                _write(folder / name, [client.content(file_id)])
                setattr(entry, kind, name)
                save(folder, manifest)
            for record in _read_jsonl(folder / name):
                custom_id = record.get("custom_id")
                if custom_id not in planned:
                    continue
                if answered.get(custom_id, "") is None:
                    continue  # already answered well
                answered[custom_id] = store_answer(cache, extractor, planned[custom_id][0], record)
    for entry in manifest.batches:
        if entry.state in ("expired", "cancelled"):
            for custom_id in _custom_ids(folder / entry.input):
                answered.setdefault(custom_id, f"the batch was {entry.state} before this request ran")
    return {cid: why for cid, why in answered.items() if why is not None} | {
        cid: "no answer in the batch's files" for cid in planned if cid not in answered
    }


def _follow_up(folder: Path, manifest: Manifest, client: OpenAIBatches, failed: list[str]) -> None:
    """Submit the failed items' lines again as follow-up batch(es), recorded in the manifest."""
    lines = {}
    for entry in manifest.batches:
        for raw in (folder / entry.input).read_bytes().splitlines(keepends=True):
            custom_id = json.loads(raw)["custom_id"]
            if custom_id in failed and custom_id not in lines:
                lines[custom_id] = raw
    round_ = max(e.round for e in manifest.batches) + 1
    name = f"retry{round_}-000.jsonl"
    chosen = [lines[c] for c in failed if c in lines]
    _write(folder / name, chosen)
    manifest.batches.append(
        BatchEntry(input=name, requests=len(chosen), bytes=sum(map(len, chosen)), round=round_)
    )
    manifest.retried += len(chosen)
    manifest.submitted = False
    save(folder, manifest)
    _start(folder, manifest, client)


def _write_results(
    folder: Path,
    out: Path,
    extractor: Extractor,
    planned: dict[str, tuple[PlannedRequest, Source]],
    failed: dict[str, str],
    realtime_budget: int,
) -> CollectReport:
    """Extract every document (from the cache, failed items in realtime within the budget); write JSONL."""
    why_by_doc: dict[int, str] = {}
    for custom_id, why in failed.items():
        request, _ = planned[custom_id]
        index = int(custom_id.split("-", 1)[0][1:])
        why_by_doc.setdefault(index, f"chunk {request.chunk}: {why}")
    sources: dict[int, Source] = {}
    for custom_id, (_, source) in planned.items():
        sources.setdefault(int(custom_id.split("-", 1)[0][1:]), source)
    realtime = sorted(why_by_doc)[:realtime_budget]
    given_up = {i: why_by_doc[i] for i in why_by_doc if i not in set(realtime)}
    to_extract = [sources[i] for i in sorted(sources) if i not in given_up]
    lines: list[bytes] = []
    extracted = failed_docs = 0
    for result in extract_many(to_extract, extractor=extractor, concurrency=extractor.options.concurrency):
        lines.append(result.to_json_line().encode() + b"\n")
        extracted += result.ok
        failed_docs += not result.ok
    for index, why in sorted(given_up.items()):
        error = DocumentError(
            type="BatchItemError", cause="model", message=f"not answered in the batch: {why}"
        )
        lines.append(BatchResult(sources[index].doc_id, error=error).to_json_line().encode() + b"\n")
        failed_docs += 1
    _write(out, lines)
    return CollectReport(out, extracted, failed_docs, len(realtime))


# --------------------------------------------------------------------------- files


def _json_line(record: dict[str, Any]) -> bytes:
    return json.dumps(record, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _write(path: Path, chunks: list[bytes]) -> None:
    with atomic_replace(path) as handle:
        for chunk in chunks:
            handle.write(chunk)


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open("rb") as handle:
        for raw in handle:
            if raw.strip():
                record = json.loads(raw)
                if isinstance(record, dict):
                    yield record


def _custom_ids(path: Path) -> Iterator[str]:
    for record in _read_jsonl(path):
        yield str(record["custom_id"])
