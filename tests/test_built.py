"""Objects built without validation are the very objects validation makes, or are not built."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from claimx.built import built, text_span
from claimx.document import Document
from claimx.link import link
from claimx.response import Response
from claimx.schema import (
    Actor,
    ActorKind,
    Alignment,
    Attribution,
    Claim,
    ClaimKind,
    Mode,
    Position,
    Span,
    Stance,
)

TEXT = "Alexander Timonin said the talks would resume. Timonin added that no date was set."


def same(made: BaseModel, validated: BaseModel) -> None:
    """Equal, of one class, with the same fields set, dumped alike (Python and JSON)."""
    assert type(made) is type(validated)
    assert made == validated
    assert made.model_fields_set == validated.model_fields_set
    assert made.model_dump() == validated.model_dump()
    assert made.model_dump_json() == validated.model_dump_json()
    assert repr(made) == repr(validated)


@pytest.mark.parametrize("alignment", list(Alignment))
def test_a_span_of_the_text_is_the_validated_span(alignment: Alignment) -> None:
    made = text_span(TEXT, 0, 17, alignment)
    validated = Span(start=0, end=17, text="Alexander Timonin", alignment=alignment)
    same(made, validated)
    assert hash(made) == hash(validated)
    assert {made: 1}[validated] == 1
    with pytest.raises(ValidationError):
        made.start = 1  # type: ignore[misc]  # (frozen, like the validated one)


@pytest.mark.parametrize(("start", "end"), [(5, 3), (-1, 4), (80, 200)])
def test_offsets_that_do_not_hold_are_validated_and_refused(start: int, end: int) -> None:
    with pytest.raises(ValidationError):
        text_span(TEXT, start, end, Alignment.EXACT)


def test_a_span_of_an_alignment_given_as_a_string_is_validated() -> None:
    made = text_span(TEXT, 0, 9, "fuzzy")  # type: ignore[arg-type]
    assert made.alignment is Alignment.FUZZY


def test_built_result_objects_are_the_validated_ones() -> None:
    a, b = Span(start=0, end=17, text="Alexander Timonin"), Span(start=18, end=22, text="said")
    cases: list[tuple[type[BaseModel], dict[str, Any]]] = [
        (Claim, {"id": "C1", "text": "Talks resume.", "kind": ClaimKind.FACT, "evidence": [a]}),
        (
            Attribution,
            {
                "id": "Q1",
                "claim_id": "C1",
                "speaker_id": None,
                "mode": Mode.AUTHOR,
                "cue": None,
                "content": a,
                "speaker_mention": b,
            },
        ),
        (
            Actor,
            {
                "id": "A1",
                "name": "Timonin",
                "kind": ActorKind.PERSON,
                "role": None,
                "affiliation": "x",
                "mentions": [],
            },
        ),
        (
            Position,
            {
                "id": "P1",
                "holder_id": "A1",
                "target": "talks",
                "target_actor_id": None,
                "stance": Stance.SUPPORT,
                "claim_ids": ["C1"],
                "evidence": [a, b],
            },
        ),
    ]
    for cls, fields in cases:
        same(built(cls, dict(fields)), cls(**fields))


def test_built_refuses_fields_missing_or_out_of_order() -> None:
    with pytest.raises(TypeError):
        built(Claim, {"id": "C1", "text": "x", "kind": ClaimKind.FACT})
    with pytest.raises(TypeError):
        built(Claim, {"text": "x", "id": "C1", "kind": ClaimKind.FACT, "evidence": []})


def test_a_linked_extraction_equals_its_validated_copy() -> None:
    """The benchmark's article and answer (every grounding stage at work), through link."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    try:
        from _corpus import article
    finally:
        sys.path.pop(0)
    text, answer = article(statements=40, chars=8_000)
    document = Document.from_text(text, "bench")
    linked = link(document, Response.model_validate(answer))
    assert linked.claims and linked.attributions and linked.positions and linked.actors
    for made in [*linked.claims, *linked.attributions, *linked.positions, *linked.actors]:
        same(made, type(made).model_validate(made.model_dump()))
    spans = [s for m in linked.actors for s in m.mentions] + [a.content for a in linked.attributions]
    for span in spans:
        same(span, Span.model_validate(span.model_dump()))
        assert span.verifies(text)
