"""``offline``: the trained ranker that picks each content's cue and source."""

from __future__ import annotations

import claimx
from claimx.document import Document
from claimx.offline.assemble import _may_speak, _names_someone, _passive_report, source_candidates
from claimx.offline.pairing import SourceCandidate, load_pair_weights, rank
from claimx.offline.speakers import Resolver
from claimx.offline.tagger import TaggedSpan
from claimx.offline.train_pairing import fit


def test_fit_ranks_the_candidate_the_data_marks_right() -> None:
    # Two candidates per ranking: the right one is "near" three times in four, never "far".
    data = [
        ([["bias", "near"], ["bias", "far"]], [True, False]),
        ([["bias", "far"], ["bias", "near"]], [False, True]),
        ([["bias", "near", "said"], ["bias", "far"]], [True, False]),
        ([["bias", "far", "said"], ["bias", "near"]], [True, False]),
    ] * 3
    weights = fit(data, epochs=20)
    assert weights["near"] > weights.get("far", 0.0)
    assert rank(weights, [["bias", "far"], ["bias", "near"]]) == 1


def test_the_shipped_ranker_is_loaded() -> None:
    weights = load_pair_weights()
    assert weights is not None and weights.cue and weights.source
    assert "none" in weights.source  # "nobody" is one of the source candidates


def test_a_cue_with_nobody_before_it_is_said_by_no_one() -> None:
    text = (
        "The weather service issued a warning on Monday.\n\nHeavy rain is expected to reach the coast by "
        "Friday, and flooding seems likely in the low-lying towns.\n"
    )
    result = claimx.extract(text, model="offline", doc_id="t", cache=False)
    expected = [a for a in result.attributions if a.cue and a.cue.text == "is expected"]
    assert expected and all(a.speaker_id is None for a in expected)


def test_a_name_written_with_the_is_the_name() -> None:
    text = "The New York Times reported the closures on Monday.\n\nAll times EDT.\n"
    speaker = Resolver(Document.from_text(text)).resolve("The New York Times", 0)
    assert speaker is not None and speaker.name == "The New York Times"


def test_source_candidates_reach_past_the_tagger() -> None:
    # The name after the cue, a name taken into the cue, the sentence's first phrase, and nobody.
    text = (
        '"We will win," said 9/11 widow Terry Strada.\n\nMook further asserted that the polls were wrong.\n'
    )
    document = Document.from_text(text)

    def span(words: str, label: str) -> TaggedSpan:
        start = text.index(words)
        return TaggedSpan(label, start, start + len(words), text.count("\n\n", 0, start))

    said, asserted = span("said", "CUE"), span("Mook further asserted", "CUE")
    quote, claim = span("We will win,", "CON"), span("that the polls were wrong", "CON")
    named = {text[o.span.start : o.span.end] for o in source_candidates(quote, said, [], document) if o.span}
    assert any("Terry Strada" in n for n in named)
    options = source_candidates(claim, asserted, [], document)
    assert "Mook" in {text[o.span.start : o.span.end] for o in options if o.span}
    assert options[-1].span is None  # nobody is always a candidate


def test_a_connective_alone_names_no_source() -> None:
    # "But don't expect …", "Nor is it clear …": the ranker may not take the connective for a speaker.
    text = "But don't expect a change. Rather than wait, But Trump said so."

    def candidate(words: str) -> SourceCandidate:
        start = text.index(words)
        return SourceCandidate(TaggedSpan("SRC", start, start + len(words), 0), frozenset({"tagged"}))

    assert not _names_someone(candidate("But"), text)
    assert not _names_someone(candidate("Rather than"), text)
    assert _names_someone(candidate("But Trump"), text)
    assert _names_someone(SourceCandidate(None, frozenset()), text)  # "nobody" stays a candidate


def test_the_subject_of_a_passive_report_is_not_its_source() -> None:
    # "He has been criticized for …": he is spoken of; "by his rivals" (after the cue) may speak.
    text = "He has been harshly criticized by his rivals. Braynard is quoted as saying so."

    def span(words: str, label: str) -> TaggedSpan:
        start = text.index(words)
        return TaggedSpan(label, start, start + len(words), 0)

    criticized, quoted = span("criticized", "CUE"), span("is quoted as saying", "CUE")
    he, rivals = (
        SourceCandidate(span("He", "SRC"), frozenset()),
        SourceCandidate(span("his rivals", "SRC"), frozenset()),
    )
    nobody = SourceCandidate(None, frozenset())
    passive = _passive_report(text, criticized)
    assert passive and not _may_speak(he, criticized, passive, text)
    assert _may_speak(rivals, criticized, passive, text) and _may_speak(nobody, criticized, passive, text)
    braynard = SourceCandidate(span("Braynard", "SRC"), frozenset())
    assert not _passive_report(text, quoted) and _may_speak(braynard, quoted, False, text)


def test_the_subject_facing_criticism_is_not_its_source() -> None:
    text = "Trump has faced questions about his foundation. Cruz faced the voters and argued for it."

    def cue(words: str) -> TaggedSpan:
        start = text.index(words)
        return TaggedSpan("CUE", start, start + len(words), 0)

    assert _passive_report(text, cue("questions about"))
    assert not _passive_report(text, cue("argued"))
