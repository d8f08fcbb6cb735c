"""No-LLM extractors by name: they read a document and write the answer a model would.

A no-LLM extractor stands wherever a model does (``claimx extract -m baseline``,
``claimx.extract(text, model="baseline")``, ``claimx eval run -m baseline``): it
writes the model-facing :class:`~claimx.response.Response`, which goes through the
same grounding and linking as a model's answer, so it is held to the same rules.

Each one registers a factory under its name in :data:`FACTORIES` (imported only
when the name is asked for). ``note`` says what it can and cannot find; the page,
the terminal table and the command line show it beside its results.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from claimx.document import Document
from claimx.response import Response

__all__ = ["FACTORIES", "RuleExtractor", "get", "names"]


@dataclass(frozen=True)
class RuleExtractor:
    """A deterministic extractor without a language model."""

    #: The name users write as the model ("baseline").
    name: str
    #: Its version, recorded where a model's prompt id goes ("baseline@v1").
    version: str
    #: A fingerprint of its rules (lexicons, patterns), recorded where a prompt's sha256 goes.
    sha256: str
    #: What it finds in a document, in the model-facing schema.
    read: Callable[[Document], Response]
    #: What it can and cannot find, in a sentence or two, for readers of its results.
    note: str
    #: How it reads a document instead of a language model, in a few words ("rules only").
    method: str = "rules only"


def _baseline() -> RuleExtractor:
    from claimx.baseline import BASELINE

    return BASELINE


def _offline() -> RuleExtractor:
    from claimx.offline import OFFLINE

    return OFFLINE


#: Name → factory. A new extractor adds one line here. The order is the order messages
#: suggest them in: offline (the default without a key, and the stronger) first.
FACTORIES: dict[str, Callable[[], RuleExtractor]] = {"offline": _offline, "baseline": _baseline}


def names() -> tuple[str, ...]:
    """The names of every registered no-LLM extractor."""
    return tuple(FACTORIES)


def get(name: str) -> RuleExtractor | None:
    """The extractor registered under ``name``, or None when it is not one."""
    factory = FACTORIES.get(name.strip())
    return factory() if factory is not None else None
