"""The OpenAI Files and Batches API, scripted, as ``ScriptedServer`` serves it.

:class:`claimx.testing.ScriptedServer` forwards ``/v1/files`` and ``/v1/batches`` here.

A batch moves through OpenAI's states one step per ``polls_per_step`` retrievals (or every
``seconds_per_step`` seconds), so tests are fast and deterministic::

    validating → in_progress → finalizing → completed
    validating → failed                     (an input file that breaks the rules or the limits)
    in_progress → finalizing → expired      (``expire_after``: only the first N items answered)
    cancelling → cancelled                  (after ``POST /v1/batches/{id}/cancel``)

Each line of the input file is answered, when the batch finalizes, by the server's own
responder applied to the line's body, exactly as that body would be answered over
``/v1/chat/completions``: one scripted logic answers realtime and batch. The server's
``batch_item_fault`` chooses items that fail instead (an error-file entry, a 4xx/5xx
status, any other reply).
Output and error files are in OpenAI's format, one ``{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}`` line per request.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any

__all__ = ["BatchItemError", "BatchLifecycle", "BatchService", "StoredFile"]


@dataclass(frozen=True)
class BatchItemError:
    """An item the provider could not run at all: an error-file entry with no response."""

    code: str = "server_error"
    message: str = "the scripted provider failed this request"


@dataclass
class BatchLifecycle:
    """How the scripted batches behave (change the fields at any time; new batches read them)."""

    #: Retrievals of a batch before it moves one state on (0: it never moves by retrievals).
    polls_per_step: int = 1
    #: Seconds before a batch moves one state on (None: time does not move it).
    seconds_per_step: float | None = None
    #: ``completed``, ``failed`` (validation fails) or ``expired`` (see ``expire_after``).
    outcome: str = "completed"
    #: With ``outcome="expired"``: how many items were answered before the window closed.
    expire_after: int = 0
    #: The server's limits on one input file, enforced at validation as OpenAI does.
    max_requests: int = 50_000
    max_file_bytes: int = 200 * 1024 * 1024


@dataclass
class StoredFile:
    """One file held by the server."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int

    def to_json(self) -> dict[str, Any]:
        """The OpenAI file object."""
        return {
            "id": self.id,
            "object": "file",
            "bytes": len(self.content),
            "created_at": self.created_at,
            "filename": self.filename,
            "purpose": self.purpose,
            "status": "processed",
        }


_STEPS = {"validating": "in_progress", "in_progress": "finalizing", "finalizing": "completed"}
_FINAL = {"completed", "failed", "expired", "cancelled"}


@dataclass
class _Batch:
    id: str
    input_file_id: str
    endpoint: str
    completion_window: str
    metadata: dict[str, Any] | None
    lifecycle: BatchLifecycle
    created_at: int
    status: str = "validating"
    polls: int = 0
    moved_at: float = field(default_factory=time.monotonic)
    times: dict[str, int] = field(default_factory=dict)
    output_file_id: str | None = None
    error_file_id: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"total": 0, "completed": 0, "failed": 0})

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "batch",
            "endpoint": self.endpoint,
            "errors": {"object": "list", "data": self.errors} if self.errors else None,
            "input_file_id": self.input_file_id,
            "completion_window": self.completion_window,
            "status": self.status,
            "output_file_id": self.output_file_id,
            "error_file_id": self.error_file_id,
            "created_at": self.created_at,
            "expires_at": self.created_at + 24 * 3600,
            **{f"{state}_at": self.times.get(state) for state in _TIMESTAMPED},
            "request_counts": dict(self.counts),
            "metadata": self.metadata,
        }


_TIMESTAMPED = ("in_progress", "finalizing", "completed", "failed", "expired", "cancelling", "cancelled")

#: Answers one line as the realtime route would: (custom_id, url, body) → (status, body) or an item error.
LineAnswer = Callable[[str, str, bytes], "tuple[int, bytes] | BatchItemError"]


class BatchService:
    """Files and batches in memory, behind the routes :class:`ScriptedServer` forwards here."""

    def __init__(self, answer: LineAnswer) -> None:
        self._answer = answer
        self._lock = threading.RLock()
        self._ids = 0
        self.lifecycle = BatchLifecycle()
        self.files: dict[str, StoredFile] = {}
        self.batches: dict[str, _Batch] = {}
        #: Every line answered (custom_id order of answering), for tests to count.
        self.answered: list[str] = []

    # ------------------------------------------------------------------ routes

    def handle(self, method: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        """(status, body, content type) for a request under /v1/files or /v1/batches."""
        parts = [p for p in path.split("?")[0].split("/") if p][1:]  # drop "v1"
        with self._lock:
            if parts == ["files"] and method == "POST":
                return self._upload(headers, body)
            if parts == ["files"] and method == "GET":
                return _ok({"object": "list", "data": [f.to_json() for f in self.files.values()]})
            if len(parts) >= 2 and parts[0] == "files" and parts[1] in self.files:
                stored = self.files[parts[1]]
                if len(parts) == 2 and method == "GET":
                    return _ok(stored.to_json())
                if len(parts) == 2 and method == "DELETE":
                    del self.files[stored.id]
                    return _ok({"id": stored.id, "object": "file", "deleted": True})
                if parts[2:] == ["content"] and method == "GET":
                    return 200, stored.content, "application/octet-stream"
            if parts == ["batches"] and method == "POST":
                return self._create(body)
            if parts == ["batches"] and method == "GET":
                data = [self._advance(b).to_json() for b in self.batches.values()]
                return _ok({"object": "list", "data": data, "has_more": False})
            if len(parts) >= 2 and parts[0] == "batches" and parts[1] in self.batches:
                batch = self.batches[parts[1]]
                if len(parts) == 2 and method == "GET":
                    batch.polls += 1
                    return _ok(self._advance(batch).to_json())
                if parts[2:] == ["cancel"] and method == "POST":
                    return self._cancel(batch)
        return _error(404, f"no such object or route: {method} {path}")

    def _new_id(self, prefix: str) -> str:
        self._ids += 1
        return f"{prefix}-scripted{self._ids:05d}"

    def _upload(self, headers: dict[str, str], body: bytes) -> tuple[int, bytes, str]:
        fields = _multipart(headers.get("content-type", ""), body)
        if "file" not in fields:
            return _error(400, "the upload has no 'file' part")
        purpose = fields.get("purpose", (None, b""))[1].decode()
        if purpose not in ("batch", "fine-tune", "assistants", "user_data", "evals"):
            return _error(400, f"invalid purpose {purpose!r}")
        filename, content = fields["file"]
        stored = StoredFile(
            self._new_id("file"), filename or "upload.jsonl", purpose, content, int(time.time())
        )
        self.files[stored.id] = stored
        return _ok(stored.to_json())

    def _create(self, body: bytes) -> tuple[int, bytes, str]:
        try:
            request = json.loads(body)
        except ValueError:
            return _error(400, "the request body is not JSON")
        file_id = request.get("input_file_id")
        if file_id not in self.files:
            return _error(400, f"no file {file_id!r}")
        if self.files[file_id].purpose != "batch":
            return _error(400, f"file {file_id} was not uploaded with purpose 'batch'")
        if request.get("completion_window") != "24h":
            return _error(400, "completion_window must be '24h'")
        endpoint = request.get("endpoint")
        if endpoint not in ("/v1/chat/completions", "/v1/responses", "/v1/embeddings", "/v1/completions"):
            return _error(400, f"unsupported endpoint {endpoint!r}")
        batch = _Batch(
            self._new_id("batch"),
            file_id,
            endpoint,
            "24h",
            request.get("metadata"),
            lifecycle=_copy(self.lifecycle),
            created_at=int(time.time()),
        )
        self.batches[batch.id] = batch
        return _ok(batch.to_json())

    def _cancel(self, batch: _Batch) -> tuple[int, bytes, str]:
        if batch.status in _FINAL:
            return _error(409, f"cannot cancel a batch that is {batch.status}")
        if batch.status != "cancelling":
            self._enter(batch, "cancelling")
        return _ok(batch.to_json())

    # --------------------------------------------------------------- lifecycle

    def advance_all(self) -> None:
        """Move every unfinished batch to its end at once (a test that does not want to poll)."""
        with self._lock:
            for batch in self.batches.values():
                while batch.status not in _FINAL:
                    self._step(batch)

    def _advance(self, batch: _Batch) -> _Batch:
        life = batch.lifecycle
        while batch.status not in _FINAL:
            by_polls = life.polls_per_step > 0 and batch.polls >= life.polls_per_step
            waited = time.monotonic() - batch.moved_at
            by_time = life.seconds_per_step is not None and waited >= life.seconds_per_step
            if not (by_polls or by_time):
                break
            self._step(batch)
            if by_polls:
                break  # one retrieval moves one step
        return batch

    def _enter(self, batch: _Batch, status: str) -> None:
        batch.status = status
        batch.polls = 0
        batch.moved_at = time.monotonic()
        batch.times[status] = int(time.time())

    def _step(self, batch: _Batch) -> None:
        if batch.status == "cancelling":
            self._enter(batch, "cancelled")
            return
        if batch.status == "validating":
            problems = self._validate(batch)
            if problems:
                batch.errors = problems
                self._enter(batch, "failed")
                return
        if batch.status == "in_progress":
            self._run(batch)
        if batch.status == "finalizing" and batch.lifecycle.outcome == "expired":
            self._enter(batch, "expired")
            return
        self._enter(batch, _STEPS[batch.status])

    def _lines(self, batch: _Batch) -> list[bytes]:
        return [line for line in self.files[batch.input_file_id].content.splitlines() if line.strip()]

    def _validate(self, batch: _Batch) -> list[dict[str, Any]]:
        life = batch.lifecycle
        if life.outcome == "failed":
            return [
                {
                    "code": "scripted_failure",
                    "message": "the scripted provider failed this batch",
                    "line": None,
                }
            ]
        content = self.files[batch.input_file_id].content
        lines = self._lines(batch)
        if len(content) > life.max_file_bytes:
            return [{"code": "file_too_large", "message": f"over {life.max_file_bytes} bytes", "line": None}]
        if len(lines) > life.max_requests:
            return [
                {"code": "too_many_requests", "message": f"over {life.max_requests} requests", "line": None}
            ]
        seen: set[str] = set()
        problems = []
        for number, raw in enumerate(lines, 1):
            try:
                line = json.loads(raw)
                custom_id = line["custom_id"]
                assert line["method"] == "POST" and isinstance(line["body"], dict)
                assert line["url"] == batch.endpoint
            except (ValueError, KeyError, AssertionError, TypeError):
                problems.append(
                    {"code": "invalid_request", "message": "not a batch request line", "line": number}
                )
                continue
            if custom_id in seen:
                problems.append(_problem("duplicate_custom_id", custom_id, number))
            seen.add(custom_id)
        batch.counts["total"] = len(lines)
        return problems

    def _run(self, batch: _Batch) -> None:
        """Answer the items (all, or the first ``expire_after`` of a batch that expires)."""
        lines = [json.loads(raw) for raw in self._lines(batch)]
        if batch.lifecycle.outcome == "expired":
            answered, unanswered = (
                lines[: batch.lifecycle.expire_after],
                lines[batch.lifecycle.expire_after :],
            )
        else:
            answered, unanswered = lines, []
        outputs: list[bytes] = []
        errors: list[bytes] = []
        for line in answered:
            custom_id = line["custom_id"]
            result = self._answer(custom_id, line["url"], json.dumps(line["body"]).encode())
            self.answered.append(custom_id)
            item_id = self._new_id("batch_req")
            if isinstance(result, BatchItemError):
                error = {"code": result.code, "message": result.message}
                errors.append(_line(item_id, custom_id, None, error))
                batch.counts["failed"] += 1
                continue
            status, body = result
            try:
                parsed: Any = json.loads(body) if body else None
            except ValueError:
                parsed = body.decode("utf-8", "replace")  # kept as a string, as a provider might
            response = {"status_code": status, "request_id": self._new_id("req"), "body": parsed}
            if 200 <= status < 300:
                outputs.append(_line(item_id, custom_id, response, None))
                batch.counts["completed"] += 1
            else:
                errors.append(_line(item_id, custom_id, response, None))
                batch.counts["failed"] += 1
        for line in unanswered:
            error = {
                "code": "batch_expired",
                "message": "This request could not be executed before the completion window expired.",
            }
            errors.append(_line(self._new_id("batch_req"), line["custom_id"], None, error))
        batch.output_file_id = self._store(batch, "output", outputs)
        batch.error_file_id = self._store(batch, "error", errors)

    def _store(self, batch: _Batch, kind: str, lines: list[bytes]) -> str | None:
        if not lines:
            return None
        stored = StoredFile(
            self._new_id("file"),
            f"{batch.id}_{kind}.jsonl",
            f"batch_{kind}",
            b"".join(lines),
            int(time.time()),
        )
        self.files[stored.id] = stored
        return stored.id


def _copy(lifecycle: BatchLifecycle) -> BatchLifecycle:
    return BatchLifecycle(**vars(lifecycle))


def _problem(code: str, message: str, line: int | None = None) -> dict[str, Any]:
    return {"code": code, "message": message, "line": line}


def _line(
    item_id: str, custom_id: str, response: dict[str, Any] | None, error: dict[str, Any] | None
) -> bytes:
    record = {"id": item_id, "custom_id": custom_id, "response": response, "error": error}
    return json.dumps(record).encode() + b"\n"


def _ok(payload: Any) -> tuple[int, bytes, str]:
    return 200, json.dumps(payload).encode(), "application/json"


def _error(status: int, message: str) -> tuple[int, bytes, str]:
    body = {"error": {"message": message, "type": "invalid_request_error", "code": status}}
    return status, json.dumps(body).encode(), "application/json"


def _multipart(content_type: str, body: bytes) -> dict[str, tuple[str | None, bytes]]:
    """The parts of a multipart/form-data body: name → (filename, bytes)."""
    if not content_type.startswith("multipart/form-data"):
        return {}
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + body
    )
    fields: dict[str, tuple[str | None, bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True)
        if isinstance(name, str) and isinstance(payload, bytes):
            fields[name] = (part.get_filename(), payload)
    return fields
