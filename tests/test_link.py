"""Linking, case by case: who said what once every name, mention and quote is grounded.

Each row is an article of a few sentences written for this test, a model's answer, and
who must end up speaking each quote. ``None`` is the article's own voice or a speaker
left unresolved (an actor of its own, never one of the named people it might be).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from claimx.document import Document
from claimx.ground import ground
from claimx.link import Linked, link
from claimx.response import Response
from claimx.schema import Stance


def actor(name: str, *mentions: str, kind: str = "person", role: str | None = None) -> dict[str, Any]:
    return {"name": name, "kind": kind, "role": role, "mentions": list(mentions)}


def said(
    quote: str, speaker: str, words: str | None = None, sentence: int | None = None, mode: str = "indirect"
) -> dict[str, Any]:
    return {
        "sentences": [f"S{sentence}"] if sentence else [],
        "quote": quote,
        "speaker": speaker,
        "speaker_words": words,
        "cue": None,
        "mode": mode,
        "claim": "",
        "kind": "fact",
    }


@dataclass
class Case:
    name: str
    text: str
    actors: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    #: quote → the name of the actor who must speak it (None: nobody named; see the module doc)
    speakers: dict[str, str | None]
    #: names that must be actors, each exactly once
    actor_names: set[str] = field(default_factory=set)
    #: names that must not be any actor's
    not_actors: set[str] = field(default_factory=set)


SMITHS = (
    "John Smith, the minister of transport, said the railway would reopen in May. "
    "Jane Smith, the minister of health, said the clinics would stay open. "
    "The minister added that the timetable was final."
)

CASES = [
    Case(
        "a surname and a full name are one person",
        "Alexander Timonin said the talks were useful. Timonin added that more talks would follow.",
        [actor("Alexander Timonin"), actor("Timonin")],
        [said("the talks were useful", "Alexander Timonin"), said("more talks would follow", "Timonin")],
        {"the talks were useful": "Alexander Timonin", "more talks would follow": "Alexander Timonin"},
        {"Alexander Timonin"},
        {"Timonin"},
    ),
    Case(
        "two named people sharing a description stay two (defect 1)",
        SMITHS,
        [actor("John Smith", "the minister"), actor("Jane Smith", "the minister")],
        [
            said("the railway would reopen in May", "John Smith"),
            said("the clinics would stay open", "Jane Smith"),
            said("the timetable was final", "John Smith", "The minister"),
        ],
        {
            "the railway would reopen in May": "John Smith",
            "the clinics would stay open": "Jane Smith",
            "the timetable was final": "John Smith",
        },
        {"John Smith", "Jane Smith"},
    ),
    Case(
        "an ambiguous surname as a speaker is credited to neither (defect 2, resolve)",
        SMITHS + " Smith said the budget was approved.",
        [actor("John Smith"), actor("Jane Smith")],
        [said("the budget was approved", "Smith")],
        {"the budget was approved": None},
        {"John Smith", "Jane Smith"},
    ),
    Case(
        "an ambiguous surname listed as an actor merges into neither (defect 2, merge)",
        SMITHS + " Smith said the budget was approved.",
        [actor("John Smith"), actor("Jane Smith"), actor("Smith")],
        [said("the budget was approved", "Smith"), said("the railway would reopen in May", "John Smith")],
        {"the budget was approved": None, "the railway would reopen in May": "John Smith"},
        {"John Smith", "Jane Smith"},
    ),
    Case(
        "a description fitting one named actor is that actor",
        "Ambassador Harry Harris spoke in Seoul on Monday. The ambassador said the drills would go ahead.",
        [actor("Harry Harris", role="ambassador")],
        [said("the drills would go ahead", "the ambassador")],
        {"the drills would go ahead": "Harry Harris"},
        {"Harry Harris"},
    ),
    Case(
        "a description fitting two named actors is neither's",
        "Ambassador Harry Harris spoke first. Ambassador Alexander Timonin spoke next. "
        "The ambassador said the drills would go ahead.",
        [actor("Harry Harris", role="ambassador"), actor("Alexander Timonin", role="ambassador")],
        [said("the drills would go ahead", "the ambassador")],
        {"the drills would go ahead": None},
        {"Harry Harris", "Alexander Timonin"},
    ),
    Case(
        "a pronoun is a mention only where a statement uses it",
        "Maria Lopez said the plan was affordable. He said nothing. She said taxes would fall.",
        [actor("Maria Lopez", "she")],
        [said("the plan was affordable", "Maria Lopez"), said("taxes would fall", "Maria Lopez", "She")],
        {"the plan was affordable": "Maria Lopez", "taxes would fall": "Maria Lopez"},
        {"Maria Lopez"},
    ),
    Case(
        "a speaker named in the text but not listed becomes an actor",
        "Critics led by Omar Haddad said the plan was rushed.",
        [],
        [said("the plan was rushed", "Omar Haddad")],
        {"the plan was rushed": "Omar Haddad"},
        {"Omar Haddad"},
    ),
    Case(
        "the article's own voice has no speaker",
        "The bridge opened in 1932. Engineers said it was sound.",
        [],
        [said("The bridge opened in 1932", "author", mode="author")],
        {"The bridge opened in 1932": None},
    ),
    Case(
        "an organisation is not a person's surname",
        "Ford said sales rose. Henry Ford founded the company long ago.",
        [actor("Ford", kind="organization"), actor("Henry Ford")],
        [said("sales rose", "Ford")],
        {"sales rose": "Ford"},
        {"Ford", "Henry Ford"},
    ),
]


def run(case: Case) -> Linked:
    document = Document.from_text(case.text)
    response = Response.model_validate(
        {"actors": case.actors, "statements": case.statements, "positions": []}
    )
    return link(ground(document, response))


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_linking(case: Case) -> None:
    linked = run(case)
    names = {a.id: a.name for a in linked.actors}
    for quote, expected in case.speakers.items():
        attribution = next(a for a in linked.attributions if a.content.text == quote)
        speaker = names.get(attribution.speaker_id or "")
        if expected is None:
            assert speaker not in case.actor_names, f"{quote!r} credited to {speaker!r}"
        else:
            assert speaker == expected, f"{quote!r} credited to {speaker!r}, not {expected!r}"
    all_names = [a.name for a in linked.actors]
    for name in case.actor_names:
        assert all_names.count(name) == 1, all_names
    assert not case.not_actors & set(all_names)
    document_text = case.text
    for a in linked.actors:
        assert all(m.verifies(document_text) for m in a.mentions)
    # Mentions are each one actor's.
    spans = [(m.start, m.end) for a in linked.actors for m in a.mentions]
    assert len(spans) == len(set(spans))


def test_a_shared_description_is_nobodys_mention_but_where_a_statement_says_whose() -> None:
    linked = run(CASES[1])
    by_name = {a.name: a for a in linked.actors}
    john, jane = by_name["John Smith"], by_name["Jane Smith"]
    assert {m.text for m in john.mentions} == {"John Smith", "The minister"}  # only at his statement
    assert {m.text for m in jane.mentions} == {"Jane Smith"}


# ---------------------------------------------------------------- overlapping chunks (defect 3)

CHUNKED = (
    "The council met on Tuesday. "
    "Mayor Tom Baker said the new bridge would open in the spring. "
    "Baker said the bridge would cost less than planned. "
    "Residents welcomed the news."
)


def test_overlapping_chunks_quote_one_sentence_once() -> None:
    document = Document.from_text(CHUNKED)
    baker = actor("Tom Baker", "Baker")
    first = Response.model_validate(
        {
            "actors": [baker],
            "statements": [
                said("the new bridge would open in the spring", "Tom Baker", sentence=2),
                said("the bridge would cost less than planned", "Tom Baker", sentence=3),
            ],
            "positions": [
                {"holder": "Tom Baker", "target": "the new bridge", "stance": "support", "statements": [1]}
            ],
        }
    )
    second = (
        Response.model_validate(  # the next chunk starts at S3, and words the same things a bit differently
            {
                "actors": [baker],
                "statements": [
                    said("Baker said the bridge would cost less than planned", "Tom Baker", sentence=3),
                    said("Residents welcomed the news", "author", sentence=4, mode="author"),
                ],
                "positions": [
                    {"holder": "Tom Baker", "target": "new bridge", "stance": "support", "statements": [1]}
                ],
            }
        )
    )
    linked = link(ground(document, [first, second]))
    contents = [a.content.text for a in linked.attributions]
    assert contents == [
        "the new bridge would open in the spring",
        "Baker said the bridge would cost less than planned",
        "Residents welcomed the news",
    ]
    assert len({a.name for a in linked.actors}) == len(linked.actors) == 1
    (position,) = linked.positions
    assert position.stance is Stance.SUPPORT
    assert len(position.claim_ids) == 2  # both chunks' statements show the one stance
    claim_ids = {c.id for c in linked.claims}
    assert set(position.claim_ids) <= claim_ids


def test_different_speakers_of_overlapping_words_stay_apart() -> None:
    text = "Tom Baker and Ana Ruiz both said the vote was fair and final."
    document = Document.from_text(text)
    response = Response.model_validate(
        {
            "actors": [actor("Tom Baker"), actor("Ana Ruiz")],
            "statements": [
                said("the vote was fair and final", "Tom Baker"),
                said("the vote was fair", "Ana Ruiz"),
            ],
            "positions": [],
        }
    )
    linked = link(ground(document, response))
    assert len(linked.attributions) == 2


def test_link_of_a_response_grounds_it_first() -> None:
    """``link(document, response)``: the call earlier code made, still the same result."""
    case = CASES[0]
    document = Document.from_text(case.text)
    response = Response.model_validate(
        {"actors": case.actors, "statements": case.statements, "positions": []}
    )
    assert link(document, response) == link(ground(document, response))


def test_one_answer_may_quote_a_clause_and_its_sentence_apart() -> None:
    """Within one chunk's answer, only the very same words are one statement."""
    document = Document.from_text(CHUNKED)
    response = Response.model_validate(
        {
            "actors": [actor("Tom Baker", "Baker")],
            "statements": [
                said("the bridge would cost less than planned", "Tom Baker", sentence=3),
                said("the bridge would cost less", "Tom Baker", sentence=3),
                said("the bridge would cost less", "Tom Baker", sentence=3),
            ],
            "positions": [],
        }
    )
    linked = link(ground(document, response))
    assert [a.content.text for a in linked.attributions] == [  # (in text order: start, then end)
        "the bridge would cost less",
        "the bridge would cost less than planned",
    ]


# ------------------------------------------------------- a speaker's words around another's name

ATTORNEY = (
    "Attorney General Eric Schneiderman opened an inquiry on Monday. "
    "New York keeps a register of charities. "
    "The New York state attorney general is confirming that the foundation is not registered."
)


def test_a_speakers_words_may_hold_another_actors_name() -> None:
    """The words "The New York state attorney general" are the speaker's; "New York" stays the state's."""
    document = Document.from_text(ATTORNEY)
    response = Response.model_validate(
        {
            "actors": [actor("Eric Schneiderman"), actor("New York", kind="other")],
            "statements": [
                said(
                    "that the foundation is not registered",
                    "Eric Schneiderman",
                    "The New York state attorney general",
                )
            ],
            "positions": [],
        }
    )
    linked = link(ground(document, response))
    (attribution,) = linked.attributions
    assert attribution.speaker_mention is not None
    assert attribution.speaker_mention.text == "The New York state attorney general"
    by_name = {a.name: a for a in linked.actors}
    assert attribution.speaker_id == by_name["Eric Schneiderman"].id
    assert {m.text for m in by_name["New York"].mentions} == {"New York"}
    assert len(by_name["New York"].mentions) == 2  # its own, and the one inside the speaker's words


def test_an_actor_named_only_inside_anothers_words_is_no_one() -> None:
    """A speaker whose name occurs only inside another actor's ("Donald" in "Donald Trump") stays out."""
    text = "Donald Trump spoke in Ohio. Donald Trump's tweet was mocking, he said, the debate."
    document = Document.from_text(text)
    response = Response.model_validate(
        {
            "actors": [actor("Donald Trump"), actor("Donald")],
            "statements": [said("the debate", "Donald", "Donald Trump's tweet")],
            "positions": [],
        }
    )
    linked = link(ground(document, response))
    assert not linked.attributions
    assert [a.name for a in linked.actors] == ["Donald Trump"]
