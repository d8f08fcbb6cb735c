"""The offline tagger's decoding shortcuts give exactly the labels of the general code."""

from __future__ import annotations

import random
from pathlib import Path

from claimx.offline.features import context_columns, paragraph_columns, paragraphs, tokenize
from claimx.offline.tagger import (
    MODEL_PATH,
    Weights,
    _decode_any,
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
        # Scores as the tagger passes them: scaled by 10⁴ and multiplied by the number of labels.
        scores = [[rng.randint(-3, 3) * 10_000 * 4 for _ in range(4)] for _ in range(length)]
        general = _decode_any(weights, scores)
        assert _decode_four(weights, scores) == general
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
