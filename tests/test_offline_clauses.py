"""``offline``: the subject a participle or a joined verb shares with its clause."""

from __future__ import annotations

import claimx
from claimx.document import Document
from claimx.offline.clauses import opens_sentence, shares_subject, subject_after, subject_start
from claimx.offline.tagger import TaggedSpan


def _cue(text: str, words: str) -> TaggedSpan:
    start = text.index(words)
    return TaggedSpan("CUE", start, start + len(words), 0)


def _subject(text: str, cue: str, cues: tuple[str, ...] = ()) -> str | None:
    """The words from where :func:`subject_start` puts the subject, up to the next comma or verb."""
    document = Document.from_text(text)
    start = subject_start(document, _cue(text, cue), [_cue(text, c) for c in cues])
    return None if start is None else " ".join(text[start:].split()[:2]).rstrip(",")


def test_which_cues_share_their_clauses_subject() -> None:
    text = "Lee spoke, saying no. Lee sang and said yes, according to Kim. Lee said so, including this."
    assert shares_subject(text, _cue(text, "saying"))
    assert shares_subject(text, _cue(text, "said yes"))
    assert not shares_subject(text, _cue(text, "according to"))  # (a frame of its own)
    assert not shares_subject(text, _cue(text, "including"))
    assert not shares_subject(text, _cue(text, "said so"))  # its subject stands before it


def test_the_subject_follows_an_opening_adverbial() -> None:
    text = "Earlier Wednesday, Mayor Ortiz appeared on a show and defended the budget."
    assert _subject(text, "defended") == "Mayor Ortiz"
    text = "At a rally in Ames, Iowa, on Sunday, Mayor Ortiz spoke, saying the cuts were needed."
    assert _subject(text, "saying") == "Mayor Ortiz"  # (the commas of a place and a day are passed)
    text = "A few minutes later, they reversed themselves and said the vote would go on."
    assert _subject(text, "said") == "they reversed"


def test_the_subject_follows_a_dateline_or_a_quotation() -> None:
    text = "WASHINGTON — Sen. Okafor defended the plan on Monday, saying it works."
    assert _subject(text, "saying") == "Sen. Okafor"
    text = "“We will fight this,” the union leader shouted, using a bullhorn."
    assert _subject(text, "using") == "the union"


def test_a_participle_after_a_reporting_frame_takes_its_source() -> None:
    text = "The parks will be protected, a senior aide said, adding that the vote was close."
    assert _subject(text, "adding", ("said",)) == "a senior"


def test_a_subordinate_clause_lends_its_subject_and_a_relative_clause_keeps_its_own() -> None:
    text = "The crowd cheered when Mayor Ortiz took the stage and said the parks were safe."
    assert _subject(text, "said") == "Mayor Ortiz"
    text = "She wrote a book which explored the past and discussed the future."
    assert _subject(text, "discussed") is None  # the relative clause's verb: left to the ranker


def test_a_scare_quote_does_not_end_the_clause() -> None:
    text = "In a statement, the union called the budget a “betrayal” of its members, citing the cuts."
    assert _subject(text, "citing") == "the union"


def test_an_opening_participle_takes_the_subject_after_its_comma() -> None:
    text = "After blasting the council for its delays, Mayor Ortiz called for a new vote."
    document = Document.from_text(text)
    blasting = _cue(text, "blasting")
    content = TaggedSpan("CON", text.index("the council"), text.index(", Mayor"), 0)
    assert opens_sentence(document, blasting)
    start = subject_after(document, blasting, content)
    assert start is not None and text[start:].startswith("Mayor Ortiz")
    assert not opens_sentence(document, _cue(text, "called for"))


def test_the_extractor_gives_a_participle_its_clauses_subject() -> None:
    # Without the rule the ranker took "The parks will be" and "a statement announcing the".
    text = (
        "Council approves budget.\n\nThe parks will be protected, a senior aide to the mayor said, adding "
        "that the vote was close.\n\nIn a statement announcing the vote, the Association of City Workers "
        "called the budget a “betrayal” of its members, citing the cuts to pensions.\n"
    )
    result = claimx.extract(text, model="offline", doc_id="t", cache=False)
    names = {a.id: a.name for a in result.actors}
    speakers = {a.cue.text: names.get(a.speaker_id or "") for a in result.attributions if a.cue}
    assert speakers["adding"] == "a senior aide to the mayor"
    assert speakers["citing"] == "the Association"


def test_a_participle_after_a_linking_preposition_shares_the_subject() -> None:
    text = "Mayor Ortiz praised the plan on the radio before claiming that taxes would fall."
    assert shares_subject(text, _cue(text, "claiming"))
    assert shares_subject(text, _cue(text, "before claiming"))
    assert _subject(text, "claiming") == "Mayor Ortiz"
    text = "Before leaving, Ortiz spoke."
    assert not shares_subject(text, _cue(text, "Before leaving"))  # (it opens the sentence)


def test_a_possessive_after_as_is_no_subordinate_subject() -> None:
    text = "She has sought to portray herself as Mr. Lee's successor, while raising questions."
    assert _subject(text, "raising") == "She has"


def test_an_opening_adverbial_runs_on_past_as_well_as() -> None:
    text = "Pressed by the reviews, as well as complaints over costs, Mayor Ortiz revised it, promising more."
    assert _subject(text, "promising") == "Mayor Ortiz"
