"""Property-based tests: offsets always verify, whatever the text and whatever is asked for."""

from __future__ import annotations

import itertools
import unicodedata

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from claimx.chunking import plan_chunks
from claimx.document import Document
from claimx.ground import Aligner, normalize
from claimx.link import link
from claimx.response import Response, StatementItem
from claimx.schema import Alignment, Mode

# Letters from several scripts, digits, punctuation, quotes, dashes, emoji and odd whitespace.
ALPHABET = st.sampled_from(
    list("abcdefghij ABC .,;:!?\"'“”‘’«»—–-\n\r\t\u00a0")
    + list("абвгдЖЗИ")
    + list("가나다라")
    + list("中文字。！")
    + ["😀", "👍", "\U0001f3fd", "\u200d", "İ", "ß", "ﬁ", "\u0301"]
)
TEXTS = st.text(alphabet=ALPHABET, min_size=1, max_size=400).filter(lambda t: t.strip() and "\x00" not in t)
PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROFILE
@given(TEXTS, st.data())
def test_any_returned_span_verifies(text: str, data: st.DataObject) -> None:
    doc = Document.from_text(text)
    aligner = Aligner(doc)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = data.draw(st.one_of(st.just(text[start:end]), st.text(alphabet=ALPHABET, max_size=40)))
    cited = data.draw(st.lists(st.integers(0, len(doc.sentences) + 2), max_size=3))
    span = aligner.locate(quote, cited)
    if span is not None:
        assert 0 <= span.start <= span.end <= len(text)
        assert text[span.start : span.end] == span.text
    for found in aligner.locate_all(quote):
        assert text[found.start : found.end] == found.text


@PROFILE
@given(TEXTS, st.data())
def test_exact_substrings_are_found_exactly(text: str, data: st.DataObject) -> None:
    doc = Document.from_text(text)
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    quote = text[start:end]
    assume(
        quote.strip()
        and quote == quote.strip()
        and not any(c in "\"'“”‘’«»,;:" for c in (quote[0], quote[-1]))
    )
    aligner = Aligner(doc)
    span = aligner.locate(quote)
    if span is not None and span.alignment is not Alignment.FUZZY:
        assert text[span.start : span.end] == span.text
        assert normalize(span.text) in normalize(quote) or normalize(quote) in normalize(span.text)
    if aligner._whole_words(start, end):
        # A whole-word occurrence exists, so an exact match (maybe an earlier twin) is found.
        assert span is not None and span.alignment is Alignment.EXACT and span.text in quote


@PROFILE
@given(TEXTS)
def test_sentences_tile_the_text(text: str) -> None:
    doc = Document.from_text(text)
    previous_end = 0
    for sentence in doc.sentences:
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.start >= previous_end and sentence.text.strip() == sentence.text
        previous_end = sentence.end
    # Nothing but whitespace (and a recognised header) falls between sentences.
    covered = "".join(s.text for s in doc.sentences)
    header = doc.metadata.header.text if doc.metadata.header else ""
    assert len("".join((header + covered).split())) == len("".join(text.split()))


WORDS = st.sampled_from(
    ["alpha", "beta", "gamma", "delta", "minister", "said", "would", "never", "agree", "talks"]
)


@settings(max_examples=100, deadline=None)
@given(
    st.lists(st.lists(WORDS, min_size=3, max_size=10), min_size=2, max_size=40),
    st.integers(20, 200),
    st.integers(0, 3),
)
def test_chunks_cover_and_merges_have_no_duplicates(
    sentences: list[list[str]], budget: int, overlap: int
) -> None:
    text = " ".join(f"{' '.join(words).capitalize()} {i}." for i, words in enumerate(sentences))
    doc = Document.from_text(text)
    chunks = plan_chunks(doc, budget, overlap)
    covered = {n for first, last in chunks for n in range(first, last + 1)}
    assert covered == set(range(1, len(doc.sentences) + 1))
    assert all(first <= last for first, last in chunks)
    # Each chunk's answer quotes every sentence it saw; overlaps repeat statements.
    statements = [
        StatementItem(
            sentences=[f"S{n}"],
            quote=doc.sentences[n - 1].text.rstrip("."),
            speaker="author",
            mode=Mode.AUTHOR,
            claim=doc.sentences[n - 1].text,
        )
        for first, last in chunks
        for n in range(first, last + 1)
    ]
    linked = link(doc, Response(statements=statements))
    contents = [(a.content.start, a.content.end) for a in linked.attributions]
    assert len(contents) == len(set(contents))
    spans = sorted(contents)
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))  # no overlapping duplicates


MARKED = st.sampled_from(
    [
        *"abcde éñ .,'\n",
        "\u0301",
        "\u0303",
        "\u00ad",
        "\u200b",
        "\u200d",
        "\ufeff",
        "ب",
        "ت",
        "\u064e",
        "\u0650",
        "\u0651",
    ]
)


@PROFILE
@given(st.text(alphabet=MARKED, min_size=1, max_size=200), st.data())
def test_any_unicode_form_of_a_stretch_grounds_into_the_original(text: str, data: st.DataObject) -> None:
    """Composed or decomposed, with or without invisible marks: a found span indexes ``text``."""
    assume(text.strip())
    start = data.draw(st.integers(0, len(text) - 1))
    end = data.draw(st.integers(start + 1, len(text)))
    form = data.draw(st.sampled_from(["NFC", "NFD"]))
    quote = unicodedata.normalize(form, text[start:end])
    if data.draw(st.booleans()):
        quote = "".join(c for c in quote if c not in "\u00ad\u200b\u200d\ufeff\u064e\u0650\u0651")
    aligner = Aligner(Document.from_text(text))
    span = aligner.locate(quote)
    if span is not None:
        assert text[span.start : span.end] == span.text
        if span.alignment is not Alignment.FUZZY:
            assert normalize(quote).strip("\"' ") in normalize(span.text) or normalize(
                span.text
            ) in normalize(quote)
    for found in aligner.locate_all(quote):
        assert text[found.start : found.end] == found.text
