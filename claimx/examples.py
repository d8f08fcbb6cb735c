"""Few-shot examples: read from YAML, and checked against their own text when loaded.

A bad example teaches the model to invent, so each example's answer is held to
the rules a model's answer is: every quote, cue, speaker word, actor name and
mention must be in the example's own text (exactly, or in normal form), where
the answer says it is. Lives apart from :mod:`claimx.prompts` so that loading a
prompt needs only the aligner, not the stages that turn answers into results.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from claimx.align import Aligner
from claimx.document import Document
from claimx.errors import PromptError
from claimx.names import is_pronoun
from claimx.response import AUTHOR, Response, response_model_for

__all__ = ["Example", "check_example", "load_examples"]


@dataclass(frozen=True)
class Example:
    """A few-shot example: an article and the answer the model should give for it."""

    name: str
    document: Document
    output: Response


def load_examples(raw: bytes, prompt_id: str, path: Path) -> tuple[Example, ...]:
    """The examples of ``prompt_id`` in ``raw`` (the YAML of ``path``), each checked."""
    import yaml  # (here, not at the top: only a prompt's loading reads YAML, and the offline path loads none)

    try:
        data = yaml.safe_load(raw) or []
    except yaml.YAMLError as exc:
        raise PromptError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, list):
        raise PromptError(f"{path}: expected a list of examples")
    out: list[Example] = []
    for i, entry in enumerate(data):
        label = f"{prompt_id} example {entry.get('name', i + 1) if isinstance(entry, dict) else i + 1}"
        if not isinstance(entry, dict) or "text" not in entry or "output" not in entry:
            raise PromptError(f"{label}: each example needs 'text' and 'output'")
        document = Document.from_text(entry["text"], doc_id=str(entry.get("name", i + 1)))
        try:
            output = response_model_for(1, len(document.sentences)).model_validate(entry["output"])
        except ValueError as exc:
            raise PromptError(f"{label}: output does not fit the response schema: {exc}") from exc
        problems = check_example(document, output)
        if problems:
            raise PromptError(f"{label}: " + "; ".join(problems))
        out.append(Example(str(entry.get("name", i + 1)), document, output))
    return tuple(out)


def check_example(document: Document, output: Response) -> list[str]:
    """Everything an example's answer quotes must be in its own text, where it says."""
    aligner = Aligner(document, fuzzy_threshold=101)  # exact or normalized only
    problems: list[str] = []
    names = {a.name for a in output.actors}
    for actor in output.actors:
        for words in [actor.name, *actor.mentions]:
            if not aligner.locate_all(words) and not is_pronoun(words):
                problems.append(f"actor text {words!r} is not in the example text")
    for n, st in enumerate(output.statements, 1):
        span = aligner.locate(st.quote, st.sentences)
        if span is None:
            problems.append(f"statement {n} quote {st.quote!r} is not in the example text")
            continue
        for near in (st.cue, st.speaker_words):
            if near and aligner.locate_near(near, span.start, span.end, window=400) is None:
                problems.append(f"statement {n}: {near!r} is not near its quote")
        if st.speaker != AUTHOR and st.speaker not in names:
            problems.append(f"statement {n}: speaker {st.speaker!r} is not one of the actors")
    for n, pos in enumerate(output.positions, 1):
        if pos.holder != AUTHOR and pos.holder not in names:
            problems.append(f"position {n}: holder {pos.holder!r} is not one of the actors")
        bad = [k for k in pos.statements if not 1 <= k <= len(output.statements)]
        if bad:
            problems.append(f"position {n}: statements {bad} do not exist")
    return problems
