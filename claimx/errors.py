"""Errors claimx raises: each says what went wrong, where, and what to do about it.

Messages are written for the person at the terminal; they never contain an
API key (see :func:`redact`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from claimx.schema import Usage

__all__ = [
    "ClaimxError",
    "ConfigError",
    "InputError",
    "InvalidOutputError",
    "ModelError",
    "OutputError",
    "PromptError",
    "RefusalError",
    "TruncatedOutputError",
    "redact",
    "secret_replacer",
]

_KEY_PATTERN = re.compile(r"\b(sk-[A-Za-z0-9_\-]{8,}|Bearer\s+[A-Za-z0-9_\-\.]{8,})")
#: ``user:password@`` in a URL, and the value of a query parameter whose name says it is a secret.
_URL_USERINFO = re.compile(r"(?<=://)[^/@\s?#]+@")
_URL_SECRET_PARAM = re.compile(
    r"(?i)([?&;](?:api[-_]?key|key|token|access[-_]?token|auth|authorization|secret|password|passwd"
    r"|sig|signature|code)=)[^&#\s'\"]*"
)
_known_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember a secret so that :func:`redact` removes it from any message."""
    if secret and len(secret) >= 4:
        _known_secrets.add(secret)


def secret_replacer(secrets: Iterable[str | None]) -> Callable[[str], str]:
    """A function replacing each of ``secrets`` (the longest first) by ``***`` in a text.

    Exact strings only, none shorter than 4 characters. Built once where it runs on every
    answer (a model's words are otherwise left as they are, to be grounded).
    """
    kept = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def replace(text: str) -> str:
        for secret in kept:
            text = text.replace(secret, "***")
        return text

    return replace


def redact(message: str) -> str:
    """``message`` with API keys (known ones and anything key-shaped) replaced by ``***``."""
    message = secret_replacer([*_known_secrets, os.environ.get("OPENAI_API_KEY")])(message)
    message = _URL_USERINFO.sub("***@", message)
    message = _URL_SECRET_PARAM.sub(r"\1***", message)
    return _KEY_PATTERN.sub("***", message)


class ClaimxError(Exception):
    """Base of every error claimx raises on purpose.

    ``doc_id`` names the document concerned, when there is one; ``cause`` is a
    short machine-readable category (``input``, ``config``, ``transport``,
    ``invalid_output``, ``truncated``, ``prompt``) used in batch error lines.
    """

    cause = "error"
    #: True when every other document would fail the same way (a rejected key, a model
    #: that does not exist): a batch stops at once instead of paying for each of them.
    fails_every_document = False

    def __init__(self, message: str, *, doc_id: str | None = None) -> None:
        self.message = redact(message)
        self.doc_id = doc_id
        #: What the model calls made before this error cost (they were billed all the same),
        #: when the error comes from a model; None otherwise.
        self.usage: Usage | None = None
        super().__init__(self.message)

    def __str__(self) -> str:
        prefix = f"{self.doc_id}: " if self.doc_id else ""
        return prefix + self.message

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able description, as written to batch output lines."""
        return {"type": type(self).__name__, "cause": self.cause, "message": self.message}


class ConfigError(ClaimxError):
    """claimx is not set up to do what was asked (missing key, unknown model, …).

    The message names what the Python API takes (``api_key=``, ``base_url=``);
    ``cli_message``, when given, says the same for the command line (``--base-url``).
    """

    cause = "config"

    def __init__(self, message: str, *, doc_id: str | None = None, cli_message: str | None = None) -> None:
        super().__init__(message, doc_id=doc_id)
        self.cli_message = redact(cli_message) if cli_message else None


class InputError(ClaimxError):
    """The document cannot be read as text (empty, binary, wrong encoding, …)."""

    cause = "input"


class OutputError(ClaimxError):
    """The output cannot be written where asked (it exists, is an input, is locked, is no file, …)."""

    cause = "output"


class PromptError(ClaimxError):
    """A prompt template or its few-shot examples are broken."""

    cause = "prompt"


#: HTTP statuses that no other document can escape: a rejected API key, a key without permission
#: (for the model, the project, the organization or the region), an unknown model or route.
_FAILS_EVERY_DOCUMENT = frozenset({401, 403, 404})


class ModelError(ClaimxError):
    """The model could not be reached, or kept failing, after the retries allowed."""

    cause = "transport"

    def __init__(
        self, message: str, *, doc_id: str | None = None, status: int | None = None, attempts: int = 0
    ) -> None:
        super().__init__(message, doc_id=doc_id)
        self.status = status
        self.attempts = attempts
        self.fails_every_document = status in _FAILS_EVERY_DOCUMENT

    def to_dict(self) -> dict[str, Any]:
        """The base description plus what this error knows about the attempts."""
        out = super().to_dict()
        out.update(status=self.status, attempts=self.attempts)
        return out


class InvalidOutputError(ClaimxError):
    """The model's output never passed validation, even after re-asking.

    ``last_output`` keeps the raw text of the last attempt so it can be inspected.
    """

    cause = "invalid_output"

    def __init__(
        self,
        message: str,
        *,
        doc_id: str | None = None,
        attempts: int = 0,
        last_output: str | None = None,
    ) -> None:
        super().__init__(message, doc_id=doc_id)
        self.attempts = attempts
        self.last_output = last_output

    def to_dict(self) -> dict[str, Any]:
        """The base description plus what this error knows about the attempts."""
        out = super().to_dict()
        out.update(attempts=self.attempts)
        if self.last_output is not None:
            out["last_output"] = redact(self.last_output[:2000])
        return out


class RefusalError(InvalidOutputError):
    """The model declined to answer (an explicit refusal rather than a malformed answer)."""

    cause = "refusal"


class TruncatedOutputError(InvalidOutputError):
    """The model stopped at its output limit before finishing its answer."""

    cause = "truncated"
