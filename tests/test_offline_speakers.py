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
