"""The offline tagger's decoding shortcuts give exactly the labels of the general code."""

from __future__ import annotations

import random
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from claimx.offline.features import context_columns, paragraph_columns, paragraphs, tokenize
from claimx.offline.tagger import (
    _FIELD,
    _HALF,
    MODEL_PATH,
    Weights,
    _decode,
    _decode_four,
    _totals,
    _word_scores,
    load_weights,
)

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_a52612c81e7ad0d0.txt"


def _weights(rng: random.Random, labels: int) -> Weights:
    # Few distinct values: ties between paths are common, and must break the same way.
    transitions = tuple(tuple(float(rng.randint(-2, 2)) for _ in range(labels)) for _ in range(labels))
    return Weights(labels=tuple(f"L{k}" for k in range(labels)), transitions=transitions, features={})


def test_four_label_viterbi_is_the_general_one_ties_included() -> None:
    rng = random.Random(11)
    steered = 0
    for _ in range(400):
        weights = _weights(rng, 4)
        length = rng.randint(0, 12)
        # Scores scaled by 10⁴; the general loop reads them times the number of labels, the
        # four-label one packed as :func:`_totals` adds them up (each field biased by half).
        scaled = [[rng.randint(-3, 3) * 10_000 for _ in range(4)] for _ in range(length)]
        scores = [[score * 4 for score in row] for row in scaled]
        packed = [sum((score + _HALF) << (_FIELD * k) for k, score in enumerate(row)) for row in scaled]
        general = _decode(weights, scores)
        assert _decode_four(weights, packed) == general
        argmax = [weights.labels[max(range(4), key=row.__getitem__)] for row in scores]
        steered += general != argmax
    assert steered > 50  # the transitions, not the scores alone, decided many of these paths


def test_word_form_sums_are_the_word_templates_looked_up_one_by_one() -> None:
    """The tagger's path (words summed per form) scores every token as the full columns do."""
    weights = load_weights(MODEL_PATH)
    text = (
        SEED.read_text(encoding="utf-8")
        + '\n"We will (not) go," said Mr. O\'Neil, according to aides.\nSaid.\nHe said: no\n'
    )
    checked = 0
    for start, end in paragraphs(text):
        tokens = tokenize(text, start, end)
        words = [t.text for t in tokens]
        fast = _totals(weights, context_columns(words), _word_scores(weights, words))
        assert fast == _totals(weights, paragraph_columns(tokens))
        checked += len(tokens)
    assert checked > 100 and len(weights.by_word) > 50


def _reference_context(words: list[str]) -> dict[str, list[str | None]]:
    """Sentence and cue-distance columns computed token by token, as the tagger was trained."""
    from claimx.offline.features import CUE_WORDS, _bucket

    n = len(words)
    lower = [w.lower() for w in words]
    sentence, current = [], 0
    for i, w in enumerate(words):
        sentence.append(current)
        if (w in ".!?" and (i + 1 == n or words[i + 1] not in "”’»")) or (
            w in "”’»" and i > 0 and words[i - 1] in ".!?"
        ):
            current += 1
    cue = [w in CUE_WORDS for w in lower]
    before: list[int | None] = []
    last = None
    for i in range(n):
        last = None if i and sentence[i] != sentence[i - 1] else last
        before.append(None if last is None else i - last)
        last = i if cue[i] else last
    after: list[int | None] = [None] * n
    last = None
    for i in range(n - 1, -1, -1):
        last = None if i + 1 < n and sentence[i] != sentence[i + 1] else last
        after[i] = None if last is None else last - i
        last = i if cue[i] else last
    length = [sentence.count(k) for k in sentence]
    position = [sentence[:i].count(sentence[i]) for i in range(n)]
    bit = {False: "0", True: "1"}
    return {
        "cb=": [_bucket(d) for d in before],
        "ca=": [_bucket(d) for d in after],
        "sf=": [bit[position[i] == 0] for i in range(n)],
        "rp=": [str(int(position[i] / length[i] * 4)) for i in range(n)],
        "para0=": [bit[k == 0] for k in sentence],
        "hc=": [bit[any(cue[j] for j in range(n) if sentence[j] == k)] for k in sentence],
        "nc=": [lower[i + d] if d is not None else "-" for i, d in enumerate(after)],
        "pc=": [lower[i - d] if d is not None else "-" for i, d in enumerate(before)],
        "te=": [_bucket(length[i] - position[i] - 1) for i in range(n)],
        "between_cues": [
            "" if b is not None and a is not None else None for b, a in zip(before, after, strict=True)
        ],
    }


#: Sentence ends, closing marks, cue words (and "according to"), others: every kind of run.
_WORDS = ["said", "he", "told", ".", "!", "”", "Mr", "x", "according", "to"]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=40))
def test_context_columns_built_by_runs_are_the_token_by_token_values(words: list[str]) -> None:
    columns = dict(context_columns(words))
    for prefix, values in _reference_context(words).items():
        assert list(columns[prefix]) == values, prefix
