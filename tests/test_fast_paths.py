"""Every shortcut on the per-document hot path gives what the plain computation gives.

The fast paths (caches keyed per class or per document, searches narrowed before
the general one runs) exist for speed only: each test here computes a result both
ways, on the real classes or on random inputs, and asks for equality.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterable
from typing import Annotated, Literal

import instructor
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError
from pydantic.json_schema import model_json_schema
from rapidfuzz import fuzz

from claimx import document, faithful, textnorm
from claimx.align import Aligner, _Hit, _may_align
from claimx.batch import run_many
from claimx.chunking import estimate_tokens
from claimx.document import Document
from claimx.errors import InputError
from claimx.extract import _EMPTY, Extractor
from claimx.ground import _PARTICLES, _STEM, _titled_names, _vocabulary
from claimx.inputs import Source
from claimx.prompts import load_prompt
from claimx.response import OneOf, OutputLimits, Response, as_response, response_model_for
from claimx.schema import Alignment, Extraction
from claimx.textnorm import EDGE_QUOTES, is_word_char, normalize

PROFILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_cached_response_schema_is_pydantics_schema() -> None:
    models = [
        response_model_for(1, 1),
        response_model_for(3, 117),
        response_model_for(1, 40, OutputLimits(max_statements=5, max_text_chars=300)),
        response_model_for(1, 9, OutputLimits(compact=True), ("Ana Ruiz", "Tom Baker")),
    ]
    for model in models:
        for cls in (model, instructor.response_schema(model)):
            assert cls.model_json_schema() == model_json_schema(cls)
            assert cls.model_json_schema(mode="serialization") == model_json_schema(cls, mode="serialization")


def test_cached_response_schema_is_a_fresh_copy_each_time() -> None:
    model = response_model_for(1, 12)
    first = model.model_json_schema()
    first["properties"].clear()  # (instructor's tools mode adds keys to what it is given)
    first["title"] = "changed"
    assert model.model_json_schema() == model_json_schema(model)


# ---------------------------------------------------------------- grounding searches

WORDY = st.text(alphabet=st.sampled_from(list("Mayor Tom Bak de-'’.\nmayorSAb")), max_size=120)


@PROFILE
@given(WORDY, st.sampled_from(["Mayor", "Ma", "Tom"]))
def test_titled_names_are_finditers_matches(text: str, title: str) -> None:
    reference = re.compile(
        rf"\b{re.escape(title)}\s+([A-Z][\w'’-]+(?:\s+(?:(?:{_PARTICLES})\s+)?[A-Z][\w'’-]+){{0,2}})"
    )
    assert list(_titled_names(text, title)) == [m.group(1) for m in reference.finditer(text)]


@PROFILE
@given(WORDY, st.text(alphabet=st.sampled_from(list("Mayo Tb.'")), min_size=1, max_size=4), st.data())
def test_exact_whole_word_search_is_the_plain_scan(text: str, needle: str, data: st.DataObject) -> None:
    aligner = Aligner(Document.from_text(text + " ."))
    text = aligner.text
    lo = data.draw(st.integers(-50, len(text) + 50))
    hi = data.draw(st.one_of(st.none(), st.integers(lo, len(text) + 100)))
    last = len(text) if hi is None else hi
    expected = [
        (s, s + len(needle))
        for s in range(max(0, lo - len(needle)), len(text))
        if text.startswith(needle, s)
        and s <= last
        and aligner._whole_words(s, s + len(needle))  # (the plain definition of a whole-word hit)
    ]
    assert [(h.start, h.end) for h in aligner._exact_whole(needle, lo, hi)] == expected


@PROFILE
@given(st.text(alphabet=st.sampled_from(list("abcdeé_'’ \n\t\u00a0\u3000\u2028x1-.")), max_size=200))
def test_article_stems_are_the_stem_regexs_matches(text: str) -> None:
    assert _vocabulary(text) == set(_STEM.findall(text))


NEAR = st.text(alphabet=st.sampled_from(list("abcde ")), min_size=1, max_size=14)


@PROFILE
@given(NEAR, st.lists(NEAR, min_size=1, max_size=6), st.sampled_from([90.0, 85.0, 75.0, 95.5]), st.data())
def test_a_near_match_is_never_ruled_out(
    needle: str, pieces: list[str], threshold: float, data: st.DataObject
) -> None:
    # Haystacks holding copies of the needle with a few characters changed, and unrelated text.
    edited: list[str] = []
    for piece in pieces:
        copy = list(needle)
        for _ in range(data.draw(st.integers(0, 3))):
            at = data.draw(st.integers(0, len(copy)))
            copy[at : at + data.draw(st.integers(0, 1))] = data.draw(st.sampled_from(["", "a", "x"]))
        edited += [piece, "".join(copy)]
    haystack = " ".join(edited)
    if len(haystack) <= len(needle):
        return
    found = fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=threshold)
    if found is not None:
        assert _may_align(needle, haystack, threshold)


@PROFILE
@given(st.text(alphabet=st.sampled_from(list("abcdef ")), min_size=8, max_size=24), st.data())
def test_a_match_at_the_bound_or_at_an_end_is_never_ruled_out(needle: str, data: st.DataObject) -> None:
    # A copy with as many characters left out and added as the threshold allows, in filler that
    # shares no character with the needle (so pieces are absent), whole or cut at an end.
    threshold = data.draw(st.sampled_from([90.0, 85.0, 80.0]))
    copy = list(needle)
    for _ in range(int((100 - threshold) * len(needle) / 100)):
        del copy[data.draw(st.integers(0, len(copy) - 1))]
        copy.insert(data.draw(st.integers(0, len(copy))), data.draw(st.sampled_from("xyz")))
    stretch, cut = "".join(copy), data.draw(st.integers(0, len(copy)))
    filler = data.draw(
        st.text(alphabet=st.sampled_from(list("uvwxyz ")), min_size=3 * len(needle), max_size=80)
    )
    haystack = data.draw(
        st.sampled_from([filler + stretch + filler, stretch[cut:] + filler, filler + stretch[:cut]])
    )
    if len(haystack) <= len(needle):
        return
    if fuzz.partial_ratio_alignment(needle, haystack, score_cutoff=threshold) is not None:
        assert _may_align(needle, haystack, threshold)


# ---------------------------------------------------------------- the response model

LABELS = st.lists(st.from_regex(r"S[0-9]{1,3}", fullmatch=True), min_size=1, max_size=30, unique=True)


@PROFILE
@given(LABELS, st.lists(st.one_of(st.from_regex(r"S[0-9]{1,3}", fullmatch=True), st.text(max_size=4))))
def test_sentence_ids_validate_as_a_literal_does(labels: list[str], given_ids: list[str]) -> None:
    values = tuple(labels)
    ours = TypeAdapter(list[Annotated[str, OneOf(values)]])
    literal = TypeAdapter(list[Literal[values]])  # type: ignore[valid-type]
    assert ours.json_schema() == literal.json_schema()
    for validate in ("validate_python", "validate_json"):
        payload: object = given_ids if validate == "validate_python" else json.dumps(given_ids)
        outcomes = []
        for adapter in (ours, literal):
            try:
                outcomes.append(("ok", getattr(adapter, validate)(payload)))
            except ValidationError as exc:
                outcomes.append(("error", exc.errors(include_url=False)))
        assert outcomes[0] == outcomes[1]


def test_the_response_model_sends_sentence_ids_as_a_literal_would() -> None:
    labels = tuple(f"S{i}" for i in range(4, 41))
    schema = response_model_for(4, 40).model_json_schema()
    sentences = schema["$defs"]["Statement"]["properties"]["sentences"]
    assert sentences["items"] == TypeAdapter(Literal[labels]).json_schema()  # type: ignore[valid-type]


ANSWER_TEXT = st.text(alphabet=st.sampled_from(list("ab S1 ,.\t\n")), max_size=8)
ANSWERS = st.fixed_dictionaries(
    {
        "actors": st.lists(
            st.fixed_dictionaries(
                {"name": ANSWER_TEXT, "kind": st.sampled_from(["person", "group"])},
                optional={
                    "role": st.one_of(st.none(), ANSWER_TEXT),
                    "affiliation": ANSWER_TEXT,
                    "mentions": st.lists(ANSWER_TEXT, max_size=3),
                    "extra": ANSWER_TEXT,
                },
            ),
            max_size=3,
        ),
        "statements": st.lists(
            st.fixed_dictionaries(
                {
                    "sentences": st.lists(st.sampled_from(["S1", "S2", "S3"]), min_size=1, max_size=2),
                    "quote": ANSWER_TEXT,
                    "speaker": st.one_of(st.none(), ANSWER_TEXT),
                    "mode": st.sampled_from(["direct", "author"]),
                    "claim": ANSWER_TEXT,
                },
                optional={
                    "cue": st.one_of(st.none(), ANSWER_TEXT),
                    "kind": st.sampled_from(["fact", "hope"]),
                },
            ),
            max_size=3,
        ),
        "positions": st.lists(
            st.fixed_dictionaries(
                {
                    "holder": ANSWER_TEXT,
                    "target": ANSWER_TEXT,
                    "stance": st.sampled_from(["support", "mixed"]),
                },
                optional={"statements": st.lists(st.integers(-2, 5), max_size=3)},
            ),
            max_size=2,
        ),
    }
)


@PROFILE
@given(ANSWERS, st.sampled_from([None, OutputLimits(max_statements=5, max_text_chars=300)]))
def test_a_full_answer_is_the_response_its_round_trip_gives(
    answer: dict[str, object], limits: object
) -> None:
    """A full response model's answer is used as it is: what dumping and re-reading it gives."""
    model = response_model_for(1, 3, limits)  # type: ignore[arg-type]
    for cls in (model, instructor.response_schema(model)):  # (instructor parses into the latter)
        _the_answer_is_its_round_trip(cls.model_validate(answer))


def _the_answer_is_its_round_trip(output: Response) -> None:
    plain = Response.model_validate(output.model_dump())  # (what Extractor._answer did)
    ours = as_response(output)
    assert ours is output
    assert ours.model_dump(mode="json") == plain.model_dump(mode="json")
    assert ours.model_dump_json() == plain.model_dump_json()
    for mine, theirs in zip(
        ours.actors + ours.statements + ours.positions,
        plain.actors + plain.statements + plain.positions,
        strict=True,
    ):
        assert isinstance(mine, type(theirs))
        assert mine.model_dump(mode="json") == theirs.model_dump(mode="json")
        assert list(type(mine).model_fields) == list(type(theirs).model_fields)


def test_a_compact_answer_is_read_into_the_full_response() -> None:
    compact = response_model_for(1, 3, OutputLimits(compact=True))
    output = compact.model_validate(
        {"statements": [{"sentences": ["S2"], "quote": " We will. ", "speaker": "Ana", "mode": "direct"}]}
    )
    ours = as_response(output)
    assert type(ours) is Response
    assert ours == Response.model_validate(output.model_dump())
    assert ours.statements[0].claim == "" and ours.statements[0].kind == "other"


# ---------------------------------------------------------------- batches

BATCH_ITEMS = st.lists(
    st.one_of(
        st.text(max_size=5),
        st.tuples(st.sampled_from(["a", "b", "c"]), st.text(max_size=5)),
        st.fixed_dictionaries({"id": st.sampled_from(["a", "b", "d"]), "text": st.text(max_size=5)}),
        st.integers(),
    ),
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(BATCH_ITEMS, st.lists(st.sampled_from(["a", "doc-1", "d"]), max_size=2), st.integers(1, 4))
def test_a_list_is_taken_as_an_iterator_is(items: list[object], skip: list[str], width: int) -> None:
    """Items of a list or tuple are taken on the event loop, others in a thread: the same results."""

    async def work(source: Source) -> Extraction:
        raise InputError(f"read {source.text!r}", doc_id=source.doc_id)

    async def results(documents: Iterable[object]) -> list[tuple[str, str, str | None]]:
        found = [
            (r.doc_id, r.error.message if r.error else "", r.origin)
            async for r in run_many(documents, work, width=width, skip_ids=skip)  # type: ignore[arg-type]
        ]
        return sorted(found)

    expected = asyncio.run(results(iter(items)))
    assert asyncio.run(results(items)) == expected
    assert asyncio.run(results(tuple(items))) == expected


# ---------------------------------------------------------------- faithfulness checks

NUMBERISH = st.text(alphabet=st.sampled_from(list("ab 12.,%$€٣۴\u00a0-percnt")), max_size=40)


@PROFILE
@given(NUMBERISH)
def test_numbers_skip_only_texts_without_a_digit(text: str) -> None:
    expected = []
    for match in faithful._NUMBER.finditer(normalize(text)):  # (the plain scan, as before)
        currency, digits, percent = match.groups()
        if faithful._THOUSANDS.fullmatch(digits):
            digits = digits.replace(",", "")
        elif "," in digits and "." not in digits:
            digits = digits.replace(",", ".")
        expected.append(f"{currency or ''}{digits}{'%' if percent else ''}")
    assert faithful.numbers(text) == expected


# ---------------------------------------------------------------- chunk budgets


def test_the_chunk_budget_counts_the_prompt_of_the_day() -> None:
    """The prompt's own tokens are counted once per prompt, and again for another prompt."""
    extractor = Extractor("openai/bench", base_url="http://127.0.0.1:9/v1", api_key="sk-test", cache=False)

    def plain() -> int:  # the budget as computed for every document before
        overhead = estimate_tokens("".join(m["content"] for m in extractor.prompt.render(_EMPTY)))
        room = extractor.model.context_tokens - extractor.model.max_output_tokens - overhead - 256
        return max(256, min(6000, room))

    extractor.model.context_tokens = 7000  # (so the prompt's size shows in the budget)
    assert extractor._chunk_budget() == plain()
    assert extractor._chunk_budget() == plain()
    first = extractor._chunk_budget()
    extractor.prompt = load_prompt("extract-small@v1")
    assert extractor._chunk_budget() == plain() != first
    extractor.close()


# ---------------------------------------------------------------- normal form and its map

FOLDABLE = st.text(alphabet=st.sampled_from(list("aB İ“”‘’—–-\t\n\u00a0\u3000＂'\"x")), max_size=60)
FOLDABLE_LONG = st.text(
    alphabet=st.sampled_from(list("aB İ“”‘’—–-\t\n\u00a0\u3000＂'\"x")), min_size=160, max_size=400
)


@PROFILE
@given(st.one_of(FOLDABLE, FOLDABLE_LONG))
def test_folding_replaces_each_character_as_the_table_says(text: str) -> None:
    """Short texts (a regex) and long ones (str.replace per character present) alike."""
    plain = "".join(textnorm._PLAIN.get(c, c) for c in text)  # (the plain computation: one lookup each)
    lowered = plain.lower()
    expected = (
        lowered
        if len(lowered) == len(plain)
        else "".join(c.lower() if len(c.lower()) == 1 else c for c in plain)
    )
    assert textnorm._fold(text) == expected


@PROFILE
@given(FOLDABLE)
def test_from_original_is_the_first_index_mapping_at_or_after_it(text: str) -> None:
    mirror = textnorm._RunMirror(text)
    for index in range(-2, len(text) + 3):
        lo, hi = 0, len(mirror.text)  # (the binary search over to_original, as before)
        while lo < hi:
            mid = (lo + hi) // 2
            if mirror.to_original(mid) < index:
                lo = mid + 1
            else:
                hi = mid
        assert mirror.from_original(index) == lo


SNAPPABLE = st.text(alphabet=st.sampled_from(list("ab 9,;:\"'“”字.")), min_size=1, max_size=30)


def _plain_snap(text: str, hit: _Hit, reach: int) -> _Hit | None:
    """``Aligner._snap`` as it was, one path for every reach."""
    start, end = hit.start, hit.end
    while start < end and (text[start].isspace() or text[start] in EDGE_QUOTES):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in EDGE_QUOTES + ",;:"):
        end -= 1
    if start >= end:
        return None
    new_start, new_end = start, end
    while new_start > 0 and is_word_char(text[new_start - 1]) and is_word_char(text[new_start]):
        new_start -= 1
    while new_end < len(text) and is_word_char(text[new_end - 1]) and is_word_char(text[new_end]):
        new_end += 1
    if start - new_start > reach or new_end - end > reach:
        return None
    alignment = Alignment.FUZZY if (new_start, new_end) != (start, end) else hit.alignment
    return _Hit(new_start, new_end, alignment)


@PROFILE
@given(SNAPPABLE, st.data())
def test_snapping_is_the_plain_snap(text: str, data: st.DataObject) -> None:
    aligner = Aligner(Document.from_text(text + " ."))
    start = data.draw(st.integers(0, len(aligner.text) - 1))
    end = data.draw(st.integers(start + 1, len(aligner.text)))
    for alignment in (Alignment.EXACT, Alignment.NORMALIZED):
        for reach in (0, 1, 2):
            hit = _Hit(start, end, alignment)
            assert aligner._snap(hit, reach) == _plain_snap(aligner.text, hit, reach)


@PROFILE
@given(
    st.lists(st.one_of(st.integers(-2, 9), st.sampled_from(["S1", "s2", " S3", "S9", "x", ""])), max_size=3)
)
def test_a_region_of_one_citation_is_the_general_region(labels: list[str | int]) -> None:
    document = Document.from_text("One. Two here. Three now. Four. Five! Six? Seven.")
    for pad in (0, 1, 2):
        numbers = sorted(s.number for s in (document.sentence(x) for x in labels) if s is not None)
        expected = None
        if numbers:
            first = document.sentences[max(0, numbers[0] - 1 - pad)]
            last = document.sentences[min(len(document.sentences), numbers[-1] + pad) - 1]
            expected = (first.start, last.end)
        assert document.region(labels, pad) == expected


# ---------------------------------------------------------------- sentence segmentation

BLOCKS = st.text(alphabet=st.sampled_from(list('Ab c1.!?…"”’) \n\t。？Mr.U.S.no 5:,;')), max_size=80)
_PLAIN_LATIN_END = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)|[.!?…]+[\"'”’»)\]]*$")


def _plain_split_block(block: str, offset: int) -> list[tuple[int, int]]:
    """``document._split_block`` as it was: two-branch pattern, trimming by generator, cuts sorted."""
    cuts: list[int] = []
    for match in _PLAIN_LATIN_END.finditer(block):
        end = match.end()
        punct = match.group(0).rstrip(document._CLOSERS)
        nxt = document._next_visible(block, end)
        if not nxt or nxt.islower() or nxt in ",;:":
            continue
        if punct == "." and document._is_abbreviation(block, match.start()):
            continue
        if punct == "." and match.start() > 0 and block[match.start() - 1].isdigit() and nxt.isdigit():
            continue
        cuts.append(end)
    if "。" in block or "！" in block or "？" in block:
        cuts.extend(m.end() for m in document._CJK_END.finditer(block) if m.end() < len(block))
    out: list[tuple[int, int]] = []
    start = 0
    for cut in sorted(set(cuts)) if len(cuts) > 1 else cuts:
        out.extend(document._trimmed(block, start, cut, offset))
        start = cut
    out.extend(document._trimmed(block, start, len(block), offset))
    return out


@PROFILE
@given(BLOCKS, st.integers(0, 9))
def test_a_block_splits_as_it_did(block: str, offset: int) -> None:
    assert [m.span() for m in document._LATIN_END.finditer(block)] == [
        m.span() for m in _PLAIN_LATIN_END.finditer(block)
    ]
    assert document._split_block(block, offset) == _plain_split_block(block, offset)
