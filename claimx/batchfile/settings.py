"""What a batch was made with, and the documents file that travels beside its requests.

The request lines stay standard (any engine that reads OpenAI batch files accepts them),
so what import needs besides the answers, the documents' texts and the settings that
shaped the requests, goes to a documents file written next to the requests:
``requests.jsonl`` → ``requests.claimx.jsonl``. Its first line is the header
(:class:`BatchSettings` and the prompt's fingerprint); then one line per document, in
input order: its id, text and origin and the ``custom_id`` of each of its requests, or
the error that kept it out of the batch.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from claimx.errors import InputError
from claimx.extract import ExtractOptions
from claimx.htmltext import PageText
from claimx.inputs import Source
from claimx.models.base import RetryPolicy
from claimx.profiles import Profile
from claimx.response import OutputLimits
from claimx.urls import display_url

__all__ = [
    "FORMAT",
    "BatchSettings",
    "DocumentRecord",
    "RetryMode",
    "documents_path_for",
    "read_documents",
]


class RetryMode(StrEnum):
    """What becomes of a request the batch did not answer well.

    (Here, beside the settings, not with the transports of :mod:`claimx.batchfile.wire` that act
    on it: the CLI names it in its options, and so needs it without loading the HTTP layer.)
    """

    #: Ask the server now (re-asks carry the validation error), within the retry policy.
    REALTIME = "realtime"
    #: Report the document as failed.
    NONE = "none"
    #: Report it as failed for now and hand its request to a follow-up batch.
    BATCH = "batch"


#: The documents file's format version (its header says which).
FORMAT = 1


def documents_path_for(requests: str | os.PathLike[str]) -> Path:
    """Where the documents file of ``requests`` lives: ``x.jsonl`` → ``x.claimx.jsonl``."""
    requests = Path(requests)
    return requests.with_name(f"{requests.name.removesuffix('.jsonl')}.claimx.jsonl")


@dataclass(frozen=True)
class BatchSettings:
    """The realtime settings a batch repeats: model, server, prompt, model and extraction options."""

    model: str
    base_url: str | None = None
    prompt: str | None = None
    #: The model's options, as ``claimx.extract(..., model_options=...)`` takes them.
    model_options: Mapping[str, Any] = field(default_factory=dict)
    options: ExtractOptions = field(default_factory=ExtractOptions)

    def to_json(self) -> dict[str, Any]:
        """JSON-able; :meth:`from_json` reads it back."""
        model_options = dict(self.model_options)
        if isinstance(model_options.get("retry"), RetryPolicy):
            model_options["retry"] = dataclasses.asdict(model_options["retry"])
        return {
            "model": self.model,
            "base_url": display_url(self.base_url),  # never its credentials: import takes them again
            "prompt": self.prompt,
            "model_options": model_options,
            "options": dataclasses.asdict(self.options),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> BatchSettings:
        """The settings :meth:`to_json` wrote."""
        model_options = dict(data.get("model_options") or {})
        if isinstance(model_options.get("retry"), dict):
            model_options["retry"] = RetryPolicy(**model_options["retry"])
        options = dict(data.get("options") or {})
        profile = options.get("profile")
        if isinstance(profile, dict):
            limits = profile.get("limits")
            options["profile"] = Profile(
                prompt=profile["prompt"], limits=OutputLimits(**limits) if isinstance(limits, dict) else None
            )
        return cls(
            model=str(data["model"]),
            base_url=data.get("base_url"),
            prompt=data.get("prompt"),
            model_options=model_options,
            options=ExtractOptions(**options),
        )


@dataclass(frozen=True)
class DocumentRecord:
    """One document of a batch: what import needs to read it again, and its requests' ids."""

    doc_id: str
    text: str = ""
    origin: str | None = None
    requests: tuple[str, ...] = ()
    line: int | None = None
    page: PageText | None = None
    #: Why the document is not in the batch (it could not be read): its error line at import.
    error: str | None = None

    @classmethod
    def of(cls, source: Source, requests: tuple[str, ...]) -> DocumentRecord:
        """The record of a document read for the batch."""
        return cls(source.doc_id, source.text, source.origin, requests, source.line, source.page)

    def to_json_line(self) -> str:
        """One line of the documents file (no newline)."""
        data: dict[str, Any] = {"doc_id": self.doc_id}
        if self.error is not None:
            data["error"] = self.error
        else:
            data.update(text=self.text, origin=self.origin, requests=list(self.requests))
            if self.line is not None:
                data["line"] = self.line
            if self.page is not None:
                data["page"] = dataclasses.asdict(self.page)
        return json.dumps(data, ensure_ascii=False)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocumentRecord:
        """The record :meth:`to_json_line` wrote."""
        page = data.get("page")
        return cls(
            doc_id=str(data["doc_id"]),
            text=str(data.get("text", "")),
            origin=data.get("origin"),
            requests=tuple(data.get("requests") or ()),
            line=data.get("line"),
            page=PageText(**page) if isinstance(page, dict) else None,
            error=data.get("error"),
        )

    def source(self) -> Source | InputError:
        """The document as realtime reads it, or the error it met when it was read."""
        if self.error is not None:
            return InputError(self.error, doc_id=self.doc_id)
        return Source(
            doc_id=self.doc_id,
            text=self.text,
            origin=self.origin or self.doc_id,
            converted_from_html=self.page is not None,
            line=self.line,
            page=self.page,
        )


def header_line(settings: BatchSettings, prompt_sha256: str, requests: str) -> str:
    """The documents file's first line."""
    return json.dumps(
        {
            "claimx_batch_documents": FORMAT,
            "requests": requests,
            "prompt_sha256": prompt_sha256,
            "settings": settings.to_json(),
        },
        ensure_ascii=False,
    )


@dataclass(frozen=True)
class DocumentsHeader:
    """The documents file's first line, read."""

    settings: BatchSettings
    prompt_sha256: str
    requests: str


def read_header(path: Path) -> DocumentsHeader:
    """The settings a documents file records (its first line)."""
    with _open(path) as handle:
        first = handle.readline()
    try:
        data = json.loads(first)
        if data.get("claimx_batch_documents") != FORMAT:
            raise ValueError("not a claimx batch documents file")
        return DocumentsHeader(
            BatchSettings.from_json(data["settings"]), data["prompt_sha256"], data["requests"]
        )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"{path} is not a claimx batch documents file (written by claimx batch export beside "
            f"its requests): {str(exc)[:200]}"
        ) from exc


def read_documents(path: str | os.PathLike[str]) -> Iterator[DocumentRecord]:
    """The documents of a documents file, one at a time (its header skipped)."""
    path = Path(path)
    with _open(path) as handle:
        handle.readline()
        for number, raw in enumerate(handle, 2):
            if not raw.strip():
                continue
            try:
                yield DocumentRecord.from_json(json.loads(raw))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise InputError(f"{path}:{number} is not a document record: {str(exc)[:200]}") from exc


def _open(path: Path) -> Any:
    try:
        return path.open("rb")
    except FileNotFoundError as exc:
        raise InputError(
            f"no such file: {path} (claimx batch export writes it beside the requests file)"
        ) from exc
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}") from exc
