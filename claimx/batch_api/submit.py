"""``submit``: documents → request files in the job folder → uploaded files and running batches.

The request lines are :mod:`claimx.batchfile`'s (the realtime requests, byte for byte);
this module only splits them into files within the provider's limits, writes the
documents file beside them, and starts one batch per file.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from claimx.batch_api.job import start_batches
from claimx.batch_api.manifest import MANIFEST, BatchEntry, JobError, Manifest, load, save
from claimx.batchfile import BatchSettings, batch_requests
from claimx.batchfile.export import export_extractor
from claimx.batchfile.lines import (
    MAX_BYTES_PER_FILE,
    MAX_REQUESTS_PER_FILE,
    document_of,
)  # (limits: OpenAI's)
from claimx.batchfile.settings import header_line
from claimx.batchfile.wire import CaptureTransport
from claimx.budget import check_estimate
from claimx.errors import InputError
from claimx.inputs import PendingFile, Source, iter_documents, plan_inputs
from claimx.pricing import CostEstimate, PriceTable, estimate_request_cost

__all__ = ["DOCUMENTS", "MAX_BYTES_PER_FILE", "MAX_REQUESTS_PER_FILE", "pending_cost", "submit"]

#: The documents file of a job (claimx.batchfile's format: a header, then one record per document).
DOCUMENTS = "documents.jsonl"

JobInput = str | Path | Source | tuple[str, str] | dict[str, Any]


def submit(
    inputs: Iterable[JobInput],
    *,
    model: str,
    job: str | Path,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: str | None = None,
    max_requests_per_file: int = MAX_REQUESTS_PER_FILE,
    max_bytes_per_file: int = MAX_BYTES_PER_FILE,
    max_cost: float | None = None,
    prices: PriceTable | None = None,
) -> Manifest:
    """Write the job's requests into ``job`` and start its batches; the manifest.

    With ``max_cost`` (US dollars), the requests not yet sent are estimated first, at the
    Batch API's price (:func:`pending_cost`, with ``prices`` or the built-in table and
    ``$CLAIMX_PRICES``): over the limit, :class:`~claimx.budget.CostLimitError` is raised and
    nothing is uploaded; the job folder keeps its plan, so a rerun with a higher limit submits it.

    ``inputs`` are file, folder or glob names (as ``claimx extract`` takes them), or
    documents as ``(id, text)``, ``{"id", "text"}`` or :class:`~claimx.inputs.Source`.
    Requests are split into as many files as the limits require. Run again on the same
    folder, it uploads and creates only what is missing; with other settings or other
    inputs it refuses.
    """
    folder = Path(job)
    batch = BatchSettings(model=model, base_url=base_url, prompt=prompt)
    settings: dict[str, Any] = {
        "batch": batch.to_json(),
        "endpoint": "/v1/chat/completions",
        "completion_window": "24h",
        "max_requests_per_file": max_requests_per_file,
        "max_bytes_per_file": max_bytes_per_file,
    }
    from claimx.models.openai_batches import OpenAIBatches  # (the SDK loads only to upload)

    fresh = not (folder / MANIFEST).exists()
    # A new job uploads: its server and key are checked now, before anything is written.
    client = OpenAIBatches(base_url, api_key) if fresh else None
    try:
        manifest = _prepared(folder, inputs, batch, settings)
        if max_cost is not None:
            check_estimate(pending_cost(folder, manifest, prices), max_cost, model)
        if not manifest.submitted or any(e.batch_id is None for e in manifest.batches):
            client = client or OpenAIBatches(base_url, api_key)
            start_batches(folder, manifest, client)
    finally:
        if client is not None:
            client.close()
    return manifest


def _prepared(
    folder: Path, inputs: Iterable[JobInput], batch: BatchSettings, settings: dict[str, Any]
) -> Manifest:
    """The job in ``folder``: planned now into a new or empty folder, or the one it holds (same settings).

    A job that never uploaded anything (a plan refused by ``max_cost``, an upload that failed)
    is planned again with the new settings: nothing was paid for it.
    """
    digest = hashlib.sha256()
    if (folder / MANIFEST).exists():
        manifest = load(folder)
        inputs = inputs if isinstance(inputs, (list, tuple)) else list(inputs)  # (maybe read twice)
        for _ in _digested(_sources(inputs, folder), digest):
            pass
        wanted = {**settings, "inputs_sha256": digest.hexdigest()}
        if manifest.settings == wanted:
            return manifest
        changed = "; ".join(_differences(manifest.settings, wanted))
        if any(e.file_id is not None or e.batch_id is not None for e in manifest.batches):
            raise JobError(
                f"{folder} holds a job already uploaded with other settings ({changed}): give another "
                "--job folder, or the same inputs and options as then"
            )
        _forget_plan(folder, manifest)
        digest = hashlib.sha256()
    else:
        if folder.exists() and not folder.is_dir():
            raise JobError(f"{folder} is not a folder: give a new or empty --job folder")
        if folder.exists() and any(folder.iterdir()):
            raise JobError(f"{folder} is not empty and holds no batch job: give a new or empty --job folder")
    folder.mkdir(parents=True, exist_ok=True)
    before = set(folder.iterdir())  # (a re-plan's folder may hold the user's other files: kept)
    try:
        manifest = _plan(folder, batch, _digested(_sources(inputs, folder), digest), settings, digest)
    except BaseException:
        for written in set(folder.iterdir()) - before:  # leave the folder as it was, to start again
            written.unlink()
        raise
    return manifest


#: The options a job's settings come from, as the command line names them.
_OPTIONS = {
    "base_url": "--base-url",
    "model": "--model",
    "prompt": "--prompt",
    "max_requests_per_file": "--max-requests-per-file",
    "max_bytes_per_file": "--max-file-mb (bytes)",
}


def _differences(then: dict[str, Any], now: dict[str, Any], within: str = "") -> list[str]:
    """What differs between two jobs' settings, one phrase each (``base_url: none then, http://… now``)."""
    found: list[str] = []
    for key in sorted(set(then) | set(now), key=str):
        old, new = then.get(key), now.get(key)
        if old == new:
            continue
        if isinstance(old, dict) and isinstance(new, dict):
            found += _differences(old, new, "" if key == "batch" else f"{within}{key}.")
        elif key == "inputs_sha256":
            found.append("the inputs (other documents or texts)")
        else:
            name = _OPTIONS.get(key, f"{within}{key}") if not within else f"{within}{key}"
            found.append(f"{name}: {_shown(old)} then, {_shown(new)} now")
    return found


def _shown(value: Any) -> str:
    if value is None:
        return "none"
    return json.dumps(value, ensure_ascii=False)[:80] if not isinstance(value, str) else value[:80]


def _forget_plan(folder: Path, manifest: Manifest) -> None:
    """Remove the files a job that uploaded nothing planned, so that the folder is planned anew."""
    names = {MANIFEST, DOCUMENTS, "requests.jsonl", *(e.input for e in manifest.batches)}
    for name in names:
        (folder / name).unlink(missing_ok=True)


def pending_cost(folder: Path, manifest: Manifest, prices: PriceTable | None = None) -> CostEstimate:
    """The estimated cost, at the Batch API's price, of the job's requests no batch runs yet.

    Read from the request files line by line (memory stays flat): each body's input as
    rendered and its whole output budget (:func:`claimx.pricing.estimate_request_cost`), and
    the documents they belong to.
    """
    documents: set[str] = set()

    def bodies() -> Iterator[dict[str, Any]]:
        for entry in manifest.batches:
            if entry.batch_id is not None:
                continue
            with (folder / entry.input).open("rb") as lines:
                for line in lines:
                    if line.strip():
                        request = json.loads(line)
                        documents.add(document_of(str(request.get("custom_id", ""))))
                        body: dict[str, Any] = request["body"]
                        yield body

    estimate = estimate_request_cost(bodies(), prices, batch=True)
    return dataclasses.replace(estimate, documents=len(documents))


def _sources(inputs: Iterable[JobInput], folder: Path) -> Iterator[Source | InputError]:
    """Every document, read now (the job keeps their texts), an unreadable one as its error."""
    specs: list[str] = []
    for index, item in enumerate(inputs):
        if isinstance(item, (str, Path)):
            specs.append(str(item))
        elif isinstance(item, Source):
            yield item
        elif isinstance(item, tuple):
            yield Source(item[0], item[1], origin=item[0])
        else:
            doc_id = str(item.get("id", index))
            yield Source(doc_id, str(item["text"]), origin=doc_id)
    if specs:
        for read in iter_documents(plan_inputs(specs, output=folder / MANIFEST)):
            yield read.read() if isinstance(read, PendingFile) else read


def _digested(sources: Iterator[Source | InputError], digest: Any) -> Iterator[Source | InputError]:
    """``sources`` as they pass, their ids and texts added to ``digest`` (what makes the inputs the same)."""
    for source in sources:
        pair = [source.doc_id, source.text] if isinstance(source, Source) else [source.doc_id, str(source)]
        digest.update(json.dumps(pair, ensure_ascii=False).encode("utf-8", "surrogatepass"))
        yield source


def _plan(
    folder: Path,
    batch: BatchSettings,
    sources: Iterator[Source | InputError],
    settings: dict[str, Any],
    digest: Any,
) -> Manifest:
    """Write the documents file, the request files and the manifest; nothing uploaded yet.

    Lines go to disk as each document is exported, a new request file begun whenever the
    next line would break a limit: memory does not grow with the job.
    """
    probe = export_extractor(batch, CaptureTransport(lambda _: None))
    prompt_sha256 = probe.provenance.prompt_sha256 or ""  # collect checks the prompt is still this one
    probe.close()
    entries: list[BatchEntry] = []
    documents = requests = 0
    part: IO[bytes] | None = None
    try:
        with (folder / DOCUMENTS).open("wb") as docs_out, (folder / "requests.jsonl").open("wb") as index:
            docs_out.write((header_line(batch, prompt_sha256, "input-000.jsonl") + "\n").encode())
            for exported in batch_requests(sources, batch):
                docs_out.write((exported.record.to_json_line() + "\n").encode("utf-8", "surrogatepass"))
                documents += 1
                for line in exported.lines:
                    raw = (line.to_json_line() + "\n").encode("utf-8", "surrogatepass")
                    last = entries[-1] if entries else None
                    if (
                        part is None
                        or last is None
                        or last.requests >= settings["max_requests_per_file"]
                        or last.bytes + len(raw) > settings["max_bytes_per_file"]
                    ):
                        if part is not None:
                            part.close()
                        entries.append(
                            BatchEntry(input=f"input-{len(entries):03d}.jsonl", requests=0, bytes=0)
                        )
                        part = (folder / entries[-1].input).open("wb")
                    part.write(raw)
                    entries[-1].requests += 1
                    entries[-1].bytes += len(raw)
                    requests += 1
                    record = {
                        "custom_id": line.custom_id,
                        "doc_id": exported.record.doc_id,
                        "file": entries[-1].input,
                    }
                    index.write(
                        (json.dumps(record, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
                    )
    finally:
        if part is not None:
            part.close()
    settings["inputs_sha256"] = digest.hexdigest()
    manifest = Manifest(
        job_id=uuid.uuid4().hex, settings=settings, documents=documents, requests=requests, batches=entries
    )
    save(folder, manifest)
    return manifest
