"""``offline``: the trained ranker that picks each content's cue and source."""

from __future__ import annotations

from collections.abc import Callable

import claimx
from claimx.document import Document
from claimx.offline.assemble import (
    Attribution,
    _around_their_cue,
    _closing_frame,
    _gerund_subject,
    _in_a_poll,
    _may_speak,
    _names_someone,
    _object_subject,
    _parenthetical_frame,
    _passive_report,
    _possessor,
    _progressive_subject,
    _quantifier_subject,
    _subordinate_subject,
    _swallowed_frame,
    _verbs_out_of_sources,
    _with_antecedent,
    source_candidates,
    tagged_runs,
)
from claimx.offline.pairing import Runs, SourceCandidate, load_pair_weights, rank
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
    span = _spans_in(text)
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


def _spans_in(text: str) -> Callable[[str, str], TaggedSpan]:
    """A maker of the spans of a one-paragraph text, each given by its words (the first occurrence)."""

    def span(words: str, label: str) -> TaggedSpan:
        start = text.index(words)
        return TaggedSpan(label, start, start + len(words), 0)

    return span


def _runs(text: str, marked: list[tuple[str, str]]) -> tuple[Runs, dict[str, TaggedSpan]]:
    """The runs of a one-paragraph text whose tagged spans are given as (words, label), by their words."""
    spans = {}
    for words, label in marked:
        start = text.index(words)
        spans[words] = TaggedSpan(label, start, start + len(words), 0)
    return tagged_runs(sorted(spans.values(), key=lambda s: s.start), Document.from_text(text)), spans


def test_a_frame_closing_the_sentence_takes_the_whole_sentence() -> None:
    # "X called for Y, sources said.": the sources speak, and they say the whole sentence.
    text = "The agency called for the mayor to resign at once, sources said. Then it rained."
    marked = [("The agency", "SRC"), ("called for", "CUE"), ("the mayor to resign at once", "CON")]
    where, s = _runs(text, [*marked, ("sources", "SRC"), ("said", "CUE")])
    found = _closing_frame(s["the mayor to resign at once"], s["called for"], where)
    assert found is not None
    content, frame = found
    assert text[content.start : content.end] == "The agency called for the mayor to resign at once"
    assert frame == s["said"]
    # The source named after the verb: "…, said John Smith, an official."
    text = "The move led to their removal, said John Smith, an official with the board."
    marked = [("The move", "SRC"), ("led", "CUE"), ("to their removal", "CON"), ("said", "CUE")]
    where, s = _runs(text, marked)
    found = _closing_frame(s["to their removal"], s["led"], where)
    assert found is not None and found[1] == s["said"]
    # A day and a time of day after the frame: "…, a source said Tuesday night."
    text = "The agency called for the mayor to resign at once, a source said Tuesday night."
    marked = [("The agency", "SRC"), ("called for", "CUE"), ("the mayor to resign at once", "CON")]
    where, s = _runs(text, [*marked, ("a source", "SRC"), ("said", "CUE")])
    found = _closing_frame(s["the mayor to resign at once"], s["called for"], where)
    assert found is not None and found[1] == s["said"]
    # The comma inside the content's closing quotation marks: "… a stark choice,'' Mr. Kamin said."
    text = "The plan offers ''a stark choice,'' Mr. Kamin said."
    where, s = _runs(
        text, [("The plan", "SRC"), ("offers", "CUE"), ("''a stark choice,''", "CON"), ("said", "CUE")]
    )
    found = _closing_frame(s["''a stark choice,''"], s["offers"], where)
    assert found is not None and found[1] == s["said"]


def test_a_closing_frame_needs_a_report_ending_its_sentence() -> None:
    # The same verb twice is one report, the first stands.
    text = "She said the plan would work in the end, she said."
    where, s = _runs(text, [("She", "SRC"), ("said", "CUE"), ("the plan would work in the end", "CON")])
    where.cues.append(TaggedSpan("CUE", text.rindex("said"), text.rindex("said") + 4, 0))
    assert _closing_frame(s["the plan would work in the end"], s["said"], where) is None
    # "According to" may vouch for the last clause alone.
    text = "He praised the plan and won the vote, according to the polls."
    marked = [("He", "SRC"), ("praised", "CUE"), ("the plan and won the vote", "CON")]
    where, s = _runs(text, [*marked, ("according to", "CUE")])
    assert _closing_frame(s["the plan and won the vote"], s["praised"], where) is None
    # A verb with its object after it ("accused Cruz of lying") closes nothing.
    text = "Citing a theory, Trump accused Cruz of lying."
    where, s = _runs(text, [("Citing", "CUE"), ("a theory", "CON"), ("Trump", "SRC"), ("accused", "CUE")])
    assert _closing_frame(s["a theory"], s["Citing"], where) is None


def test_a_frame_set_off_by_commas_gives_its_sentence() -> None:
    # "The museum, Mr. Bush said, celebrated …": Mr. Bush says it, not the museum.
    text = "The museum, Mr. Bush said, celebrated several of his heroes. It rained."
    marked = [("Mr. Bush", "SRC"), ("said", "CUE"), ("celebrated", "CUE"), ("several of his heroes", "CON")]
    where, s = _runs(text, marked)
    found = _parenthetical_frame(s["several of his heroes"], s["celebrated"], where)
    assert found is not None
    content, frame = found
    assert frame == s["said"] and text[content.start : content.end] == "celebrated several of his heroes"
    # A frame opening the sentence, or a participle after it, is a report of its own.
    text = "Trump said, adding that he would win the state."
    marked = [("Trump", "SRC"), ("said", "CUE"), ("adding", "CUE"), ("that he would win", "CON")]
    where, s = _runs(text, marked)
    assert _parenthetical_frame(s["that he would win"], s["adding"], where) is None


def test_a_closing_frame_the_content_ran_over_is_the_cue() -> None:
    # "…, the source added.": the tagger read the frame as the content's last words.
    text = "Clinton had told police officials that she didn’t want the escort, the source added. It rained."
    content = "that she didn’t want the escort, the source added"
    where, s = _runs(text, [("Clinton", "SRC"), ("had told", "CUE"), (content, "CON")])
    found = _swallowed_frame(s[content], s["had told"], where)
    assert found is not None
    content_span, frame = found
    assert text[frame.start : frame.end] == "added"
    assert (
        text[content_span.start : content_span.end]
        == "Clinton had told police officials that she didn’t want the escort"
    )
    # A frame the tagger left untagged after the content, a day and a time of day after its verb.
    text = "The campaign plans to make the records public soon, a spokesman announced Monday morning."
    content = "to make the records public soon"
    where, s = _runs(text, [("The campaign", "SRC"), ("plans", "CUE"), (content, "CON")])
    found = _swallowed_frame(s[content], s["plans"], where)
    assert found is not None and text[found[1].start : found[1].end] == "announced"
    assert text[found[0].start : found[0].end] == "The campaign plans to make the records public soon"
    # A noun ending the sentence, or words that are no subject before a verb, close nothing.
    for text, content in [
        (
            "Trump said he could crack the areas, of the state. It rained.",
            "he could crack the areas, of the state",
        ),
        ("He said the story, is bleak and seldom told. It rained.", "the story, is bleak and seldom told"),
    ]:
        where, s = _runs(
            text, [("He" if text.startswith("He") else "Trump", "SRC"), ("said", "CUE"), (content, "CON")]
        )
        assert _swallowed_frame(s[content], s["said"], where) is None
    # A quotation around its frame is one statement already.
    text = "He said “we will win, the voters decided.” It rained."
    content = "“we will win, the voters decided.”"
    where, s = _runs(text, [("He", "SRC"), ("said", "CUE"), (content, "CON")])
    assert _swallowed_frame(s[content], s["said"], where) is None


def test_a_poll_opening_its_sentence_reports_the_clause_after_it() -> None:
    # "In a September Post-ABC News poll, [75 percent of Republicans said …]": the poll speaks.
    text = "It rained. In a September Post-ABC News poll, 75 percent of Republicans said most people lie."
    document = Document.from_text(text)

    def span(words: str, label: str, within: str = text) -> TaggedSpan:
        start = within.index(words)
        return TaggedSpan(label, start, start + len(words), 0)

    found = _in_a_poll(span("most people lie", "CON"), span("said", "CUE"), document)
    assert found is not None
    content, cue, source = found
    assert text[content.start : content.end] == "75 percent of Republicans said most people lie"
    assert (
        text[cue.start : cue.end] == "In"
        and text[source.start : source.end] == "a September Post-ABC News poll"
    )
    # A clause with no cue at all ("In the CBS poll, Trump's lead remained …") too.
    text = "In the CBS poll, Trump's lead over Cruz remained in double digits."
    assert _in_a_poll(span("Trump's lead over Cruz", "CON", text), None, Document.from_text(text)) is not None
    # A name reporting the poll speaks itself; "polls" in a memo's clause opens no poll's report.
    for text, content, verb in [
        (
            "In an online poll of 800 voters, conducted in May, Democracy Corp found that voters lie.",
            "that voters lie",
            "found",
        ),
        (
            "In a memo released as polls closed, Mook acknowledged that they split.",
            "that they split",
            "acknowledged",
        ),
    ]:
        cue = span(verb, "CUE", text)
        assert _in_a_poll(span(content, "CON", text), cue, Document.from_text(text)) is None


def test_a_verb_the_tagger_read_into_a_source_is_a_cue() -> None:
    # '"…," an angry Hollande retaliated. "…"': the verb is the cue, the name the source.
    text = "“France will always be France,” an angry Hollande retaliated. “It never gives up.”"
    quote = "France will always be France,"
    where, _ = _runs(
        text, [(quote, "CON"), ("an angry Hollande retaliated", "SRC"), ("It never gives up.", "CON")]
    )
    split = _verbs_out_of_sources(where)
    assert [text[c.start : c.end] for c in split.cues] == ["retaliated"]
    assert [text[c.start : c.end] for c in split.sources] == ["an angry Hollande"]
    # A noun ending the run ("… poll,", "… administrations.") stays in the source.
    for text, source in [
        ("In the Washington Post-ABC News poll, voters were split.", "the Washington Post-ABC News poll"),
        (
            "“He is able,” said a fellow who worked in two Clinton administrations.",
            "two Clinton administrations",
        ),
    ]:
        where, _ = _runs(text, [(source, "SRC")])
        assert _verbs_out_of_sources(where) is where


def test_a_participle_between_quotations_is_the_second_ones_cue() -> None:
    # '"A," Trump said, adding later, "B."': two statements, the second cued by "adding later".
    text = "“We can’t afford it,” Trump said, adding later, “NATO is costing us a fortune.”"
    span = _spans_in(text)
    said, trump = span("said", "CUE"), span("Trump", "SRC")
    first, second = span("“We can’t afford it,”", "CON"), span("“NATO is costing us a fortune.”", "CON")
    out = _around_their_cue([Attribution(first, said, trump), Attribution(second, said, trump)], text)
    assert [text[a.cue.start : a.cue.end] for a in out if a.cue] == ["said", "adding later"]
    assert out[1].source == trump and out[1].content == second
    # Without the participle the quotation goes on around its cue: one statement.
    text = "“We can’t afford it,” Trump said. “NATO is costing us a fortune.”"
    span = _spans_in(text)
    said, trump = span("said", "CUE"), span("Trump", "SRC")
    first, second = span("“We can’t afford it,”", "CON"), span("“NATO is costing us a fortune.”", "CON")
    out = _around_their_cue([Attribution(first, said, trump), Attribution(second, said, trump)], text)
    assert len(out) == 1 and out[0].pieces == (first, second)


def test_a_question_word_or_an_empty_opening_alone_names_no_source() -> None:
    # "Why not just say:", "Whatever he said", "Similarly, it's hard to know", "There's reason to
    # believe": words that open a sentence, not a speaker; "A:" of an interview still may be one.
    text = "Why not just say: no. Whatever the reason, Similarly, There's reason to believe. A: Yes."

    def candidate(words: str) -> SourceCandidate:
        start = text.index(words)
        return SourceCandidate(TaggedSpan("SRC", start, start + len(words), 0), frozenset({"tagged"}))

    for words in ("Why", "Whatever", "Similarly,", "There's"):
        assert not _names_someone(candidate(words), text), words
    assert _names_someone(candidate("A"), text)


def test_a_relative_clause_chosen_as_source_is_taken_with_its_subject() -> None:
    text = (
        "Donna Sampson Rawlings, 59, of Ashton, Md., who watched the ceremony on a screen, "
        "said the event brought back memories of her father.\n"
    )
    document = Document.from_text(text)
    span = _spans_in(text)
    cue, content = span("said", "CUE"), span("the event brought back memories of her father", "CON")
    clause = span("who watched the ceremony on a screen,", "SRC")
    where = Runs(document, [cue], [clause], [content])
    taken = _with_antecedent(clause, cue, content, where)
    assert text[taken.start : taken.end].startswith("Donna Sampson Rawlings, 59,")
    assert taken.end == clause.end
    # A name chosen as the source, or a clause that is no aside before the cue, stays as chosen.
    name = span("Donna Sampson Rawlings", "SRC")
    assert _with_antecedent(name, cue, content, where) == name
    plain = "Voters who watched the ceremony said the event mattered.\n"
    document = Document.from_text(plain)
    at = plain.index("who watched")
    clause = TaggedSpan("SRC", at, at + len("who watched the ceremony"), 0)
    cue = TaggedSpan("CUE", plain.index("said"), plain.index("said") + 4, 0)
    content = TaggedSpan("CON", plain.index("the event"), plain.index(" mattered") + 9, 0)
    assert _with_antecedent(clause, cue, content, Runs(document, [cue], [clause], [content])) == clause


def test_a_subordinate_clauses_subject_is_its_cues_source_across_an_aside() -> None:
    text = (
        "Trump has been targeting Machado since Clinton, at Monday's debate, cited derogatory "
        "comments Trump had made about her.\n"
    )
    document = Document.from_text(text)
    span = _spans_in(text)
    cue, content = span("cited", "CUE"), span("derogatory comments Trump had made about her", "CON")
    where = Runs(document, [cue], [span("Trump", "SRC")], [content])
    options = source_candidates(content, cue, where.sources, document)
    found = _subordinate_subject(options, [True] * len(options), cue, content, where)
    assert found is not None and text[found.start : found.end] == "Clinton"
    plain = text.replace("since Clinton, at Monday's debate, cited", "and cited")
    document = Document.from_text(plain)
    cue = TaggedSpan("CUE", plain.index("cited"), plain.index("cited") + 5, 0)
    at = plain.index("derogatory")
    content = TaggedSpan("CON", at, at + len("derogatory comments Trump had made about her"), 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    assert _subordinate_subject(options, [True] * len(options), cue, content, where) is None


def test_the_object_of_forced_or_urged_is_the_source_of_what_follows_its_to() -> None:
    text = (
        "The senator also forced Stumpf, who was under questioning from the committee, to admit "
        "that no executive had been fired.\n"
    )
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("to admit"), text.index("to admit") + 8, 0)
    at = text.index("that no")
    content = TaggedSpan("CON", at, len(text) - 2, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    found = _object_subject(options, [True] * len(options), cue, content, where)
    assert found is not None and text[found.start : found.end] == "Stumpf"
    other = text.replace("forced Stumpf, who was under questioning from the committee, to", "wanted")
    document = Document.from_text(other)
    cue = TaggedSpan("CUE", other.index("admit"), other.index("admit") + 5, 0)
    at = other.index("that no")
    content = TaggedSpan("CON", at, len(other) - 2, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    assert _object_subject(options, [True] * len(options), cue, content, where) is None


def test_a_participle_after_footage_of_a_name_takes_that_name() -> None:
    text = "The ad uses footage of Hillary Clinton asking, “Why aren't I 50 points ahead?”\n"
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("asking"), text.index("asking") + 6, 0)
    content = TaggedSpan("CON", text.index("“"), len(text) - 1, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    found = _gerund_subject(options, [True] * len(options), cue, content, where)
    assert found is not None and "Hillary Clinton" in text[found.start : found.end]
    assert "The ad" not in text[found.start : found.end]
    other = "The ad, asking voters, ends with “Why aren't I 50 points ahead?”\n"
    document = Document.from_text(other)
    cue = TaggedSpan("CUE", other.index("asking"), other.index("asking") + 6, 0)
    content = TaggedSpan("CON", other.index("“"), len(other) - 1, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    assert _gerund_subject(options, [True] * len(options), cue, content, where) is None


def test_a_possessive_before_a_noun_of_saying_is_its_source() -> None:
    text = "Politifact seized on Mr. Trump's claim that there were thousands of shootings.\n"
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("claim"), text.index("claim") + 5, 0)
    at = text.index("that there")
    content = TaggedSpan("CON", at, len(text) - 2, 0)
    where = Runs(document, [cue], [], [content])
    found = _possessor(cue, content, where)
    assert found is not None and text[found.start : found.end] == "Mr. Trump's"
    text = "Despite Trump's claim that there were thousands of shootings, the police disagreed.\n"
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("claim"), text.index("claim") + 5, 0)
    content = TaggedSpan("CON", text.index("that there"), text.index(", the police"), 0)
    found = _possessor(cue, content, Runs(document, [cue], [], [content]))
    assert found is not None and text[found.start : found.end] == "Trump's"
    cue = TaggedSpan("CUE", text.index("disagreed"), text.index("disagreed") + 9, 0)
    assert _possessor(cue, content, Runs(document, [cue], [], [content])) is None  # no noun of saying


def test_the_subject_before_is_is_the_source_of_a_participle_cue_without_it() -> None:
    text = "The first sentence has been clarified to reflect that Fowler is calling for a process.\n"
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("calling for"), text.index("calling for") + 11, 0)
    content = TaggedSpan("CON", text.index("a process"), text.index("a process") + 9, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    found = _progressive_subject(options, [True] * len(options), cue, content, where)
    assert found is not None and text[found.start : found.end] == "Fowler"
    text = "Fowler, calling for a process, left.\n"
    document = Document.from_text(text)
    cue = TaggedSpan("CUE", text.index("calling for"), text.index("calling for") + 11, 0)
    content = TaggedSpan("CON", text.index("a process"), text.index("a process") + 9, 0)
    where = Runs(document, [cue], [], [content])
    options = source_candidates(content, cue, [], document)
    assert _progressive_subject(options, [True] * len(options), cue, content, where) is None


def test_each_or_one_inside_a_participle_cue_is_its_source() -> None:
    text = "Trump and Clinton vied for the title, each touting their own experience.\n"
    cue = TaggedSpan("CUE", text.index("each touting"), text.index("each touting") + 12, 0)
    found = _quantifier_subject(cue, text)
    assert found is not None and (found.start, found.end) == (text.index("each"), text.index("each") + 4)
    text = "The postings included one saying that the house should burn.\n"
    cue = TaggedSpan("CUE", text.index("included"), text.index(" that"), 0)
    found = _quantifier_subject(cue, text)
    assert found is not None and text[found.start : found.end] == "one"
    cue = TaggedSpan("CUE", text.index("included"), text.index(" one"), 0)
    assert _quantifier_subject(cue, text) is None  # no participle: "included" has its own subject
