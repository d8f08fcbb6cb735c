"""The offline tagger's decoding shortcuts give exactly the labels of the general code."""

from __future__ import annotations

import random

from claimx.offline.tagger import Weights, _decode_any, _decode_four


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
