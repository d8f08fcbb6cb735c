"""``offline``: who a source span names (:mod:`claimx.offline.speakers`)."""

from __future__ import annotations

from claimx.document import Document
from claimx.offline.speakers import Resolver


def _resolve(text: str, words: str) -> str | None:
    speaker = Resolver(Document.from_text(text)).resolve(words, text.index(words))
    return speaker.name if speaker is not None else None


def test_a_description_takes_the_name_its_title_gives() -> None:
    text = "Mayor Tom Baker opened the bridge.\n\nThe mayor said it would carry 10,000 cars a day.\n"
    assert _resolve(text, "The mayor") == "Tom Baker"


def test_a_thing_is_not_titled_by_a_capitalised_headline_word() -> None:
    # "Poll Shows Minor Post-Debate" is a headline's capitals, not a poll called "Shows Minor".
    text = (
        "New Poll Shows Minor Post-Debate Bump For Clinton\n\n"
        "The Reuters/Ipsos poll showed Clinton doing better than in other polls.\n"
    )
    assert _resolve(text, "The Reuters/Ipsos poll") == "The Reuters/Ipsos poll"


def _resolve_last(text: str, words: str) -> str | None:
    speaker = Resolver(Document.from_text(text)).resolve(words, text.rindex(words))
    return speaker.name if speaker is not None else None


def test_they_with_no_earlier_speaker_is_the_group_the_sentence_before_opens_with() -> None:
    text = (
        "Rules Face Key Test In Court.\n\n"
        "Twenty-seven states led by West Virginia are challenging the rules before 10 judges.\n\n"
        "They argue that the agency overstepped its authority.\n"
    )
    assert _resolve(text, "They") == "Twenty-seven states"


def test_they_looks_past_sentences_that_open_with_they_again() -> None:
    text = (
        "Many Democrats are frustrated with the party. They dwell on the missed chances. "
        "They want more now.\n"
    )
    assert _resolve_last(text, "They") == "Many Democrats"


def test_they_stays_unresolved_when_the_sentence_before_names_no_group() -> None:
    text = "The proposal was rejected on Monday. They argue that it was rushed.\n"
    assert _resolve(text, "They") is None
    text = "In Iowa, the vote was close. They argue that it was rushed.\n"
    assert _resolve(text, "They") is None


def test_they_after_a_subordinate_clause_is_that_clauses_plural_subject() -> None:
    text = "The race tightened. As Republicans scrambled to raise cash, they proposed sweeping overhauls.\n"
    assert _resolve(text, "they") == "Republicans"
