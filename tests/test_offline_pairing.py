"""``offline``: the trained ranker that picks each content's cue and source."""

from __future__ import annotations

import claimx
from claimx.document import Document
from claimx.offline.pairing import load_pair_weights, rank
from claimx.offline.speakers import Resolver
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
