"""What made a result, and what it can and cannot find, in words shown beside the result.

A result from the bundled demonstration model or from a no-LLM extractor looks like any
other; without a word, "Diplomat's Day · 3 statements" reads as fact. The page, the terminal
table and the command line show the caveat this module gives for the result's model.
"""

from __future__ import annotations

from dataclasses import dataclass

from claimx import rules

__all__ = ["DEMONSTRATION_MODELS", "Caveat", "caveat"]

#: Model ids of the demonstration models claimx bundles, and what to expect of them.
DEMONSTRATION_MODELS = {
    "local": (
        "Gemma 3 270M, the small model bundled to prove the in-process path, made this result: "
        "expect few, rough statements, wrong speakers and missing cues. For real quality use a "
        "GGUF of your own (--model local:/path/model.gguf), OpenAI, or any OpenAI-compatible server."
    ),
}


@dataclass(frozen=True)
class Caveat:
    """A warning to show beside a result."""

    #: What made it, in a few words ("a demonstration model", "no language model").
    kind: str
    #: What it can and cannot find.
    text: str


def caveat(model_id: str) -> Caveat | None:
    """The caveat for results of ``model_id`` (``Meta.model``), or None for an ordinary model."""
    if model_id in DEMONSTRATION_MODELS:
        return Caveat("a demonstration model", DEMONSTRATION_MODELS[model_id])
    no_llm = rules.get(model_id)
    if no_llm is not None:
        return Caveat(f"no language model ({no_llm.name}: {no_llm.method})", no_llm.note)
    return None
