"""What the oracle found the pipeline losing, each fixed and held here (a model's answer over HTTP).

- an attribution to no one named ("it was reported that") had no way into the schema;
- a cue in the gap of a quote written with an ellipsis was refused as being inside the quote
  (also when the quote's own words hold the cue's word: "I never said …," he said, "…");
- speaker words and cues were taken from inside the quote ("he" in "he has not yet…")
  when the right occurrence was just outside it;
- a name beginning with "The" ("The New York Times") was checked as a description against
  the "title" the article gives it ("Times Square").
"""

from __future__ import annotations

from typing import Any

from claimx.schema import Extraction, Mode

from .helpers import extract_answer


def _extract(text: str, statements: list[dict[str, Any]], actors: list[dict[str, Any]]) -> Extraction:
    return extract_answer(text, {"actors": actors, "statements": statements, "positions": []})


def test_words_attributed_to_no_one_named_keep_their_mode_and_no_speaker() -> None:
    text = "It was reported on Monday that the factory will close in the spring of next year."
    statement = {
        "sentences": ["S1"],
        "quote": "the factory will close in the spring of next year",
        "speaker": None,
        "cue": "reported",
        "mode": "indirect",
        "claim": "The factory will close in the spring of next year.",
    }
    result = _extract(text, [statement], [])
    [attribution] = result.attributions
    assert attribution.speaker_id is None
    assert attribution.mode is Mode.INDIRECT
    assert attribution.cue is not None and attribution.cue.text == "reported"
    assert result.rejected == []


def test_the_author_is_still_the_author() -> None:
    text = "The factory will close in the spring of next year, the company confirmed."
    statement = {
        "sentences": ["S1"],
        "quote": "The factory will close in the spring of next year",
        "speaker": "author",
        "mode": "indirect",
        "claim": "The factory will close in the spring of next year.",
    }
    [attribution] = _extract(text, [statement], []).attributions
    assert attribution.mode is Mode.AUTHOR and attribution.speaker_id is None


def test_a_cue_in_the_gap_of_an_ellipsis_is_kept() -> None:
    text = '"We will rebuild the bridge," the mayor said, "and we will do it before the winter comes."'
    statement = {
        "sentences": ["S1"],
        "quote": "We will rebuild the bridge ... and we will do it before the winter comes",
        "speaker": "the mayor",
        "speaker_words": "the mayor",
        "cue": "said",
        "mode": "direct",
        "claim": "The city will rebuild the bridge before the winter.",
    }
    actors = [{"name": "the mayor", "kind": "person", "mentions": []}]
    result = _extract(text, [statement], actors)
    [attribution] = result.attributions
    assert attribution.cue is not None and attribution.cue.text == "said"
    assert attribution.content.text.startswith("We will rebuild")
    assert attribution.content.text.endswith("winter comes")
    assert attribution.speaker_mention is not None and attribution.speaker_mention.text == "the mayor"


def test_a_cue_in_the_gap_of_an_ellipsis_is_kept_when_the_quote_says_it_too() -> None:
    # The quote's own "said" is not the cue: the one in the gap is ("…," the mayor said, "…").
    text = '"I never said we would lose," the mayor said, "and we will win before the winter comes."'
    statement = {
        "sentences": ["S1"],
        "quote": "I never said we would lose ... and we will win before the winter comes",
        "speaker": "the mayor",
        "speaker_words": "the mayor",
        "cue": "said",
        "mode": "direct",
        "claim": "The mayor never said they would lose.",
    }
    actors = [{"name": "the mayor", "kind": "person", "mentions": []}]
    [attribution] = _extract(text, [statement], actors).attributions
    assert attribution.cue is not None and attribution.cue.start == text.index("said", text.index("mayor"))


def test_speaker_words_and_cue_are_found_outside_the_quote() -> None:
    text = (
        "Paul Stone runs the bank. Asked about the losses, he said he has not yet been told of any "
        "wrongdoing. Stone said: the rule is simple: nobody on his staff broke the law."
    )
    actors = [{"name": "Paul Stone", "kind": "person", "mentions": ["Stone"]}]
    pronoun = {
        "sentences": ["S2"],
        "quote": "he has not yet been told of any wrongdoing",
        "speaker": "Paul Stone",
        "speaker_words": "he",
        "cue": "said",
        "mode": "indirect",
        "claim": "Paul Stone has not been told of any wrongdoing.",
    }
    colon = {
        "sentences": ["S3"],
        "quote": "the rule is simple: nobody on his staff broke the law",
        "speaker": "Paul Stone",
        "speaker_words": "Stone",
        "cue": ":",
        "mode": "indirect",
        "claim": "Nobody on Paul Stone's staff broke the law.",
    }
    result = _extract(text, [pronoun, colon], actors)
    assert result.rejected == []
    first, second = result.attributions
    assert first.speaker_mention is not None
    assert first.speaker_mention.end <= first.content.start  # the "he" before "said", not the quote's
    assert second.cue is not None and second.cue.end <= second.content.start


def test_a_name_with_the_is_not_a_title_to_check() -> None:
    text = (
        "The New York Times reported that the mayor will resign next week. "
        "Crowds gathered in Times Square on Sunday evening."
    )
    statement = {
        "sentences": ["S1"],
        "quote": "the mayor will resign next week",
        "speaker": "The New York Times",
        "speaker_words": "The New York Times",
        "cue": "reported",
        "mode": "indirect",
        "claim": "The mayor will resign next week.",
    }
    actors = [{"name": "The New York Times", "kind": "media", "mentions": []}]
    result = _extract(text, [statement], actors)
    assert result.rejected == []
    [attribution] = result.attributions
    assert result.actor(attribution.speaker_id or "") is not None
