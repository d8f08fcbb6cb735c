"""The OpenAI batch file format: request lines out, output and error lines in.

A request line is ``{"custom_id", "method": "POST", "url": "/v1/chat/completions",
"body"}`` whose ``body`` is spliced in as the exact bytes the realtime path sends, so
the request a batch engine runs is the realtime request, byte for byte. Output and
error lines (OpenAI's, ``vllm run-batch``'s) are ``{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}``.

Answers are found again by the request's body (:func:`body_digest`: the JSON read and
written back in one canonical form), so a request file another tool re-serialised still
matches. Output files are indexed by byte offset, not held: one answer is read from disk
when its request comes, so memory stays flat over any number of answers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from claimx.errors import InputError

__all__ = [
    "CHAT_COMPLETIONS",
    "AnswerIndex",
    "BatchAnswer",
    "BatchLine",
    "body_digest",
    "custom_id",
    "document_of",
    "read_batch_lines",
    "split_batch_file",
]

#: The OpenAI Batch API's limits per input file.
MAX_REQUESTS_PER_FILE = 50_000
MAX_BYTES_PER_FILE = 200 * 1024 * 1024

CHAT_COMPLETIONS = "/v1/chat/completions"
#: The longest line read from a batch file (a request: no provider takes more than a file's
#: 200 MB; an answer: the realtime reply cap is 32 MB). A longer one is an error, never read
#: whole: ``batch import requests.jsonl /dev/zero`` grew to 24 GB before the kernel killed it.
MAX_LINE_BYTES = MAX_BYTES_PER_FILE


def custom_id(doc_id: str, chunk: int | str, key: str) -> str:
    """A request's id in a batch: ``<doc_id>#<chunk>#<first 16 hex digits of its request hash>``.

    Stable: the same document, chunk and request (see :func:`claimx.models.base.request_hash`)
    always get the same id, so a batch built twice from the same inputs is the same batch.
    """
    return f"{doc_id}#{chunk}#{key[:16]}"


def document_of(cid: str) -> str:
    """The document a :func:`custom_id` names (``<doc_id>#<chunk>#<hash>``)."""
    return cid.rsplit("#", 2)[0]


def body_digest(body: bytes | str | dict[str, Any]) -> bytes:
    """The sha256 of a request body in canonical JSON (sorted keys, no spaces, UTF-8)."""
    data = json.loads(body) if isinstance(body, (bytes, str)) else body
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).digest()


@dataclass(frozen=True)
class BatchLine:
    """One request of a batch file: its id and the exact body the realtime path sends."""

    custom_id: str
    body: bytes
    url: str = CHAT_COMPLETIONS

    def to_json_line(self) -> str:
        """The line (no newline), ``body`` spliced in as its bytes: nothing re-serialised."""
        head = json.dumps(
            {"custom_id": self.custom_id, "method": "POST", "url": self.url}, ensure_ascii=False
        )
        text = self.body.decode("utf-8", "surrogatepass")
        if "\n" in text or "\r" in text:  # never from a JSON encoder, but a line must stay one line
            text = json.dumps(json.loads(text), ensure_ascii=False)
        return f'{head[:-1]}, "body": {text}}}'


def read_batch_lines(path: Path) -> Iterator[BatchLine]:
    """The request lines of a batch file, one at a time (bodies re-encoded compactly)."""
    with _open(path) as handle:
        for number, raw in enumerate(_lines(handle, path), 1):
            if not raw.strip():
                continue
            record = _record(raw, path, number)
            body = record.get("body")
            if not isinstance(record.get("custom_id"), str) or not isinstance(body, dict):
                raise InputError(f"{path}:{number} is not a batch request line (custom_id and body)")
            yield BatchLine(
                record["custom_id"],
                json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass"),
                str(record.get("url") or CHAT_COMPLETIONS),
            )


def split_batch_file(
    path: Path,
    parts: Callable[[int], Path],
    *,
    max_requests: int = MAX_REQUESTS_PER_FILE,
    max_bytes: int = MAX_BYTES_PER_FILE,
) -> list[Path]:
    """Copy the lines of ``path`` into as many files as the limits need; the files written.

    ``parts(n)`` names the n-th file (1-based); the caller chooses where, and whether an
    existing file may be replaced (nothing here checks). Lines are copied as they stand, one
    at a time: memory does not grow with the file. A single line over ``max_bytes`` is an
    error (no provider would take it).
    """
    written: list[Path] = []
    out: IO[bytes] | None = None
    count = size = 0
    try:
        with _open(path) as handle:
            for raw in _lines(handle, path):
                if not raw.strip():
                    continue
                line = raw if raw.endswith(b"\n") else raw + b"\n"
                if len(line) > max_bytes:
                    raise InputError(
                        f"{path}: a request of {len(line)} bytes is over the {max_bytes}-byte limit"
                    )
                if out is None or count >= max_requests or size + len(line) > max_bytes:
                    if out is not None:
                        out.close()
                    written.append(parts(len(written) + 1))
                    out = written[-1].open("wb")
                    count = size = 0
                out.write(line)
                count += 1
                size += len(line)
    finally:
        if out is not None:
            out.close()
    return written


@dataclass(frozen=True)
class BatchAnswer:
    """What the batch says of one request: the completion's JSON, or why there is none."""

    custom_id: str
    completion: bytes | None = None
    error: str | None = None


class AnswerIndex:
    """The requests of one or more batch files and where their answers are, by offset.

    ``requests``: the batch files sent (the first, and any follow-up batches);
    ``outputs``: their output and error files, in any order (a success wins over an error
    for the same ``custom_id``, whichever file comes first).
    """

    def __init__(self, requests: Sequence[Path], outputs: Sequence[Path]) -> None:
        self._by_body: dict[bytes, str] = {}
        #: Bodies sent by more than one request (documents with the same text): doc id → custom_id.
        self._twins: dict[bytes, dict[str, str]] = {}
        self._asked: set[str] = set()
        self._requests = list(requests)
        #: (doc_id, first 16 digits of the request hash) → the id of that request in the batch;
        #: built on first use (naming a follow-up request), which only failures need.
        self._origin: dict[tuple[str, str], str] | None = None
        for path in requests:
            with _open(path) as handle:
                for number, raw in enumerate(_lines(handle, path), 1):
                    if raw.strip():
                        self._add_request(_record(raw, path, number), path, number)
        self._paths = list(outputs)
        self._answers: dict[str, tuple[int, int]] = {}
        self._errors: dict[str, str] = {}
        self._digests: dict[str, int] = {}
        #: Requests answered twice with different answers (the first one read is used).
        self.conflicting: list[str] = []
        for which, path in enumerate(self._paths):
            self._index_outputs(which, path)
        #: Answers whose ``custom_id`` is no request of the batch files (another batch's outputs?).
        self.unknown: list[str] = sorted(
            cid for cid in (*self._answers, *self._errors) if cid not in self._asked
        )
        #: The request hashes (first 16 digits, from each ``custom_id``) the batch answered.
        self._answered_keys = {
            parts[2]
            for cid in self._answers
            if cid in self._asked and len(parts := cid.rsplit("#", 2)) == 3 and len(parts[2]) == 16
        }
        self._handles: dict[int, IO[bytes]] = {}

    def _add_request(self, record: dict[str, Any], path: Path, number: int) -> None:
        cid, body = record.get("custom_id"), record.get("body")
        if not isinstance(cid, str) or not isinstance(body, dict):
            raise InputError(f"{path}:{number} is not a batch request line (custom_id and body)")
        digest = body_digest(body)
        first = self._by_body.get(digest)
        if first is not None and first != cid:
            twins = self._twins.setdefault(digest, {document_of(first): first})
            twins.setdefault(document_of(cid), cid)
        self._by_body[digest] = cid
        self._asked.add(cid)

    def _index_outputs(self, which: int, path: Path) -> None:
        with _open(path) as handle:
            offset = 0
            for number, raw in enumerate(_lines(handle, path), 1):
                here, offset = offset, offset + len(raw)
                if not raw.strip():
                    continue
                record = _record(raw, path, number)
                cid = record.get("custom_id")
                if not isinstance(cid, str):
                    raise InputError(f"{path}:{number} is not a batch output line (no custom_id)")
                problem = _problem(record)
                if problem is None:
                    digest = hash(raw.strip())
                    first = self._digests.setdefault(cid, digest)
                    if first != digest and cid not in self.conflicting:
                        self.conflicting.append(cid)
                    self._answers.setdefault(cid, (which, here))
                    self._errors.pop(cid, None)
                elif cid not in self._answers:
                    self._errors[cid] = problem

    def __len__(self) -> int:
        return len(self._answers)

    def unanswered(self) -> list[str]:
        """The requests of the batch files with no completion in the outputs (an error, or nothing)."""
        return sorted(cid for cid in self._asked if cid not in self._answers)

    @property
    def failed(self) -> int:
        """Requests the batch answered with an error."""
        return len(self._errors)

    def request_id(self, body: bytes, doc_id: str | None = None) -> str | None:
        """The ``custom_id`` of the batch request with this body, if there is one.

        Two documents with the same text send the same request, and the batch answered (and
        billed) each: with ``doc_id``, the document's own request is named when it has an answer.
        """
        digest = body_digest(body)
        cid = self._by_body.get(digest)
        twins = self._twins.get(digest)
        if twins is not None and doc_id is not None:
            own = twins.get(doc_id)
            if own is not None and own in self._answers:
                return own
        return cid

    def answers_request(self, key: str) -> bool:
        """True when the batch holds a completion for the request with this hash (whatever it says)."""
        return key[:16] in self._answered_keys

    def original_id(self, doc_id: str, key: str) -> str | None:
        """The ``custom_id`` the batch gave to the request with this hash for this document."""
        if self._origin is None:
            self._origin = {}
            for path in self._requests:
                for line in read_batch_lines(path):
                    parts = line.custom_id.rsplit("#", 2)
                    if len(parts) == 3:
                        self._origin.setdefault((parts[0], parts[2]), line.custom_id)
        return self._origin.get((doc_id, key[:16]))

    def answer(self, cid: str) -> BatchAnswer:
        """The completion for ``cid`` (read from disk now), or the provider's error, or why missing."""
        where = self._answers.get(cid)
        if where is None:
            error = self._errors.get(cid, "the batch has no answer for it (missing or expired)")
            return BatchAnswer(cid, error=error)
        which, offset = where
        handle = self._handles.get(which)
        if handle is None:
            handle = self._handles[which] = self._paths[which].open("rb")
        handle.seek(offset)
        record = json.loads(handle.readline())
        body = record["response"]["body"]
        return BatchAnswer(
            cid, completion=json.dumps(body, ensure_ascii=False).encode("utf-8", "surrogatepass")
        )

    def close(self) -> None:
        """Close the output files."""
        for handle in self._handles.values():
            handle.close()
        self._handles.clear()


def _problem(record: dict[str, Any]) -> str | None:
    """Why an output line carries no completion (None when it does)."""
    error = record.get("error")
    response = record.get("response")
    if (
        isinstance(response, dict)
        and response.get("status_code") == 200
        and isinstance(response.get("body"), dict)
    ) and not error:
        return None
    if isinstance(error, dict) and error:
        return (
            f"the batch reported an error: {error.get('code') or 'error'}: {str(error.get('message'))[:300]}"
        )
    if isinstance(response, dict):
        status = response.get("status_code")
        body = response.get("body")
        inner = body.get("error", body) if isinstance(body, dict) else body
        message = inner.get("message", inner) if isinstance(inner, dict) else inner
        return f"the batch's request failed with status {status}: {str(message)[:300]}"
    return "the batch's output line carries neither a response nor an error"


def _lines(handle: IO[bytes], path: Path) -> Iterator[bytes]:
    """The lines of ``handle``, each read no further than :data:`MAX_LINE_BYTES`."""
    number = 0
    while line := handle.readline(MAX_LINE_BYTES + 1):
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise InputError(
                f"{path}:{number} is longer than {MAX_LINE_BYTES // (1024 * 1024)} MB (not a batch file's "
                "line; a device or an archive named by mistake?): read no further",
                doc_id=path.name,
            )
        yield line


def _open(path: Path) -> IO[bytes]:
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise InputError(f"no such file: {path}", doc_id=path.name) from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", doc_id=path.name) from exc


def _record(raw: bytes, path: Path, number: int) -> dict[str, Any]:
    try:
        record = json.loads(raw)
    except ValueError as exc:
        raise InputError(f"{path}:{number} is not JSON: {exc}") from exc
    if not isinstance(record, dict):
        raise InputError(f"{path}:{number} is not a JSON object")
    return record
