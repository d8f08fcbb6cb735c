"""The scorer, validated by planted perturbations of gold whose right answers are known exactly."""

from __future__ import annotations

from fractions import Fraction

import pytest

from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.match import match
from claimx.evaluate.metrics import Accuracy, Counts, bootstrap, macro, micro, paired_bootstrap
from claimx.evaluate.sample import Gold, Layer, Sample, gold_extraction
from claimx.evaluate.scorers import ScoringOptions, score_sample
from claimx.schema import Actor, Attribution, Claim, Extraction, Mode, Span, Stance


@pytest.fixture(scope="module")
def seed() -> Sample:
    return load_dataset("seed").samples[0]


def _gold(sample: Sample) -> Extraction:
    return gold_extraction(sample)


def _span(text: str, start: int, end: int) -> Span:
    return Span(start=start, end=end, text=text[start:end])


def test_gold_against_itself_is_perfect(seed: Sample) -> None:
    scores = score_sample(seed, _gold(seed))
    assert scores.attributions is not None and scores.claims is not None and scores.positions is not None
    n = len(seed.gold.attributions)
    assert scores.attributions.lenient == Counts(tp=n, n_pred=n, n_gold=n)
    assert scores.attributions.strict.tp == n
    for acc in (scores.attributions.speaker, scores.attributions.mode):
        assert acc.correct == acc.total == n
    assert (
        scores.attributions.cue.correct == scores.attributions.cue.total == 9
    )  # two author statements: no cue
    assert scores.claims.counts.f1 == 1.0
    assert scores.positions.counts.f1 == 1.0
    assert scores.positions.confusion == {"support": {"support": 1}, "oppose": {"oppose": 2}}


@pytest.mark.parametrize("k", [1, 3, 11])
def test_dropping_k_attributions(seed: Sample, k: int) -> None:
    pred = _gold(seed)
    n = len(pred.attributions)
    pred.attributions = pred.attributions[k:]
    att = score_sample(seed, pred).attributions
    assert att is not None
    assert Fraction(att.lenient.tp, att.lenient.n_gold) == Fraction(n - k, n)  # recall (n−k)/n
    assert att.lenient.recall == pytest.approx((n - k) / n)
    assert att.lenient.precision == (1.0 if k < n else 0.0)
    assert att.strict.recall == pytest.approx((n - k) / n)
    assert att.missed == [a.id for a in seed.gold.attributions[:k]]
    assert att.spurious == []


@pytest.mark.parametrize("k", [1, 4])
def test_dropping_k_claims(seed: Sample, k: int) -> None:
    pred = _gold(seed)
    n = len(pred.claims)
    pred.claims = pred.claims[:-k]
    claims = score_sample(seed, pred).claims
    assert claims is not None
    assert claims.counts.recall == pytest.approx((n - k) / n)
    assert claims.counts.precision == 1.0
    assert claims.missed == [c.id for c in seed.gold.claims[-k:]]


def test_dropping_a_position(seed: Sample) -> None:
    pred = _gold(seed)
    n = len(pred.positions)
    pred.positions = pred.positions[1:]
    pos = score_sample(seed, pred).positions
    assert pos is not None
    assert pos.counts.recall == pytest.approx((n - 1) / n) and pos.counts.precision == 1.0


def test_extra_prediction_lowers_precision_only(seed: Sample) -> None:
    pred = _gold(seed)
    text = seed.text
    n = len(pred.attributions)
    start = text.index("Destabilizing factors")
    extra = Attribution(
        id="Q99",
        claim_id="C1",
        speaker_id=None,
        mode=Mode.AUTHOR,
        content=_span(text, start, start + len("Destabilizing factors")),
    )
    pred.attributions.append(extra)
    att = score_sample(seed, pred).attributions
    assert att is not None
    assert att.lenient.recall == 1.0
    assert att.lenient.precision == pytest.approx(n / (n + 1))
    assert att.spurious == ["Q99"]


def test_half_shifted_span_is_a_lenient_match_and_a_strict_miss(seed: Sample) -> None:
    pred = _gold(seed)
    n = len(pred.attributions)
    target = next(a for a in pred.attributions if a.id == "Q8")  # a long content with no neighbour inside
    length = target.content.end - target.content.start
    shift = length // 2
    moved = _span(seed.text, target.content.start + shift, target.content.end + shift)
    pred.attributions = [
        a.model_copy(update={"content": moved}) if a.id == "Q8" else a for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None
    overlap = (length - shift) / length
    assert 0.3 <= overlap < 0.8
    assert att.lenient.tp == n and att.strict.tp == n - 1
    q8 = next(m for m in att.matches if m.gold == "Q8")
    assert q8.overlap == pytest.approx(overlap, abs=1e-4) and not q8.strict


def test_overlap_below_lenient_threshold_is_a_miss(seed: Sample) -> None:
    pred = _gold(seed)
    target = pred.attributions[-1]
    length = target.content.end - target.content.start
    keep = int(length * 0.2)
    shrunk = _span(seed.text, target.content.start, target.content.start + keep)
    pred.attributions = [
        a.model_copy(update={"content": shrunk}) if a.id == target.id else a for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None
    assert att.missed == [target.id] and att.spurious == [target.id]


def test_changing_one_speaker_costs_exactly_one_nth(seed: Sample) -> None:
    pred = _gold(seed)
    n = len(pred.attributions)
    pred.attributions = [
        a.model_copy(update={"speaker_id": "A1", "speaker_mention": None}) if a.id == "Q1" else a
        for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None
    assert att.speaker.total == n
    assert Fraction(att.speaker.correct, att.speaker.total) == 1 - Fraction(1, n)
    assert [m.gold for m in att.matches if not m.speaker] == ["Q1"]
    assert att.lenient.f1 == 1.0  # a wrong speaker is not also a missed attribution


def test_pronoun_speaker_is_right_when_the_resolved_actor_holds_the_mention(seed: Sample) -> None:
    """Gold source "he" (Q4): right when the predicted actor's mentions include that "he"."""
    pred = _gold(seed)
    pred.attributions = [
        a.model_copy(update={"speaker_mention": None}) if a.id == "Q4" else a for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None and next(m for m in att.matches if m.gold == "Q4").speaker
    he = next(a.speaker_mention for a in seed.gold.attributions if a.id == "Q4")
    assert he is not None and he.text == "he"
    pred.actors = [
        a.model_copy(update={"mentions": [m for m in a.mentions if m != he]}) if a.id == "A2" else a
        for a in pred.actors
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None and not next(m for m in att.matches if m.gold == "Q4").speaker


def test_cue_and_mode(seed: Sample) -> None:
    pred = _gold(seed)
    text = seed.text
    said = text.index("said", 1700)  # Timonin's "said" after Q9, not Q1's cue
    pred.attributions = [
        a.model_copy(update={"cue": _span(text, said, said + 4), "mode": Mode.INDIRECT})
        if a.id == "Q1"
        else a
        for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None
    q1 = next(m for m in att.matches if m.gold == "Q1")
    assert q1.cue is True  # same lower-cased words ("said") count, as in GenderGapTracker
    assert q1.mode is True  # Q1 is indirect in the gold
    pred.attributions = [
        a.model_copy(update={"cue": None, "mode": Mode.DIRECT}) if a.id == "Q1" else a
        for a in pred.attributions
    ]
    att = score_sample(seed, pred).attributions
    assert att is not None
    assert att.cue.correct == att.cue.total - 1
    assert att.mode.correct == att.mode.total - 1


def test_flipping_a_stance_shows_in_the_confusion_matrix(seed: Sample) -> None:
    pred = _gold(seed)
    n = len(pred.positions)
    pred.positions = [
        p.model_copy(update={"stance": Stance.SUPPORT}) if p.id == "P2" else p for p in pred.positions
    ]
    pos = score_sample(seed, pred).positions
    assert pos is not None
    assert pos.confusion == {"support": {"support": 1}, "oppose": {"support": 1, "oppose": 1}}
    assert pos.pairs.tp == n  # holder and target still match
    assert pos.counts.tp == n - 1 and pos.counts.recall == pytest.approx((n - 1) / n)
    assert Fraction(pos.stance.correct, pos.stance.total) == Fraction(n - 1, n)


def test_positions_match_actors_by_mentions_not_ids(seed: Sample) -> None:
    pred = _gold(seed)
    rename = {"A1": "X7", "A2": "X3"}
    pred.actors = [a.model_copy(update={"id": rename[a.id], "name": a.name.upper()}) for a in pred.actors]
    pred.attributions = [
        a.model_copy(update={"speaker_id": rename.get(a.speaker_id or "")}) for a in pred.attributions
    ]
    pred.positions = [
        p.model_copy(update={"holder_id": rename.get(p.holder_id or "")}) for p in pred.positions
    ]
    scores = score_sample(seed, pred)
    assert scores.positions is not None and scores.positions.counts.f1 == 1.0
    assert scores.attributions is not None and scores.attributions.speaker.correct == len(pred.attributions)
    pred.positions = [p.model_copy(update={"holder_id": "X7"}) for p in pred.positions]  # Russia, not Timonin
    scores = score_sample(seed, pred)
    assert scores.positions is not None and scores.positions.pairs.tp == 0


def test_nothing_predicted(seed: Sample) -> None:
    scores = score_sample(seed, None)
    assert scores.attributions is not None and scores.claims is not None and scores.positions is not None
    for counts in (scores.attributions.lenient, scores.claims.counts, scores.positions.counts):
        assert (counts.precision, counts.recall, counts.f1) == (0.0, 0.0, 0.0)
    assert scores.attributions.speaker.value is None


def test_unlabelled_layers_are_not_scored(seed: Sample) -> None:
    only_positions = seed.model_copy(update={"layers": [Layer.POSITIONS]})
    scores = score_sample(only_positions, _gold(seed))
    assert scores.attributions is None and scores.claims is None and scores.positions is not None


def test_author_statements_are_ignored_when_the_gold_does_not_mark_them(seed: Sample) -> None:
    gold = seed.gold.model_copy(
        update={"attributions": [a for a in seed.gold.attributions if a.mode is not Mode.AUTHOR]}
    )
    gold.claims = [c for c in gold.claims if c.id in {a.claim_id for a in gold.attributions}]
    strict_sample = seed.model_copy(update={"gold": gold, "author_statements": True})
    lenient_sample = seed.model_copy(update={"gold": gold, "author_statements": False})
    pred = _gold(seed)  # still has the two author statements
    assert score_sample(strict_sample, pred).attributions.lenient.precision < 1.0  # type: ignore[union-attr]
    scores = score_sample(lenient_sample, pred)
    assert scores.attributions is not None and scores.attributions.lenient.f1 == 1.0
    assert scores.claims is not None and scores.claims.counts.f1 == 1.0


def test_discontinuous_gold_content_is_measured_on_its_pieces() -> None:
    text = "“We will win,” the senator said. “And we will win big.”"
    first = (1, 13)  # We will win,
    second = (33, text.index("”", 33))  # And we will win big.
    content = Span(start=first[0], end=second[1], text=text[first[0] : second[1]])
    gold = Gold(
        actors=[Actor(id="A1", name="the senator", mentions=[Span(start=15, end=26, text=text[15:26])])],
        claims=[Claim(id="C1", text="We will win big.")],
        attributions=[
            Attribution(id="E1", claim_id="C1", speaker_id="A1", mode=Mode.DIRECT, content=content)
        ],
    )
    sample = Sample(
        id="d", text=text, gold=gold, layers=[Layer.ATTRIBUTIONS], content_segments={"E1": [first, second]}
    )
    pred = gold_extraction(sample)
    pred.attributions = [
        pred.attributions[0].model_copy(update={"content": Span(start=1, end=13, text=text[1:13])})
    ]
    att = score_sample(sample, pred).attributions
    assert att is not None
    pieces = (first[1] - first[0]) + (second[1] - second[0])
    assert att.matches[0].overlap == pytest.approx((first[1] - first[0]) / pieces, abs=1e-4)
    # The whole cover (which includes "the senator said") still overlaps every piece fully.
    assert score_sample(sample, gold_extraction(sample)).attributions.matches[0].overlap == 1.0  # type: ignore[union-attr]


def test_matching_is_optimal_not_greedy() -> None:
    # Greedy would take the 0.9 pair and leave the second gold item unmatched.
    pairs = match([[0.9, 0.8], [0.85, 0.0]], 0.3)
    assert [(p.gold, p.pred) for p in pairs] == [(0, 1), (1, 0)]
    assert match([[0.2]], 0.3) == []
    assert [(p.gold, p.pred) for p in match([[0.5], [0.9], [0.4]], 0.3)] == [(1, 0)]


def test_counts_and_averages() -> None:
    docs = [Counts(tp=1, n_pred=2, n_gold=4), Counts(tp=3, n_pred=3, n_gold=4), Counts()]
    pooled = micro(docs)
    assert (pooled.tp, pooled.n_pred, pooled.n_gold) == (4, 5, 8)
    assert pooled.precision == pytest.approx(0.8) and pooled.recall == pytest.approx(0.5)
    averaged = macro(docs)
    assert averaged["precision"] == pytest.approx((0.5 + 1.0 + 1.0) / 3)
    assert Accuracy(correct=0, total=0).value is None


def test_bootstrap_is_seeded_and_brackets_the_estimate() -> None:
    docs = [Counts(tp=i % 4, n_pred=4, n_gold=5) for i in range(40)]
    first = bootstrap(docs, resamples=300, seed=7)
    again = bootstrap(docs, resamples=300, seed=7)
    assert first is not None and first == again
    f1 = micro(docs).f1
    assert first["f1"].low < f1 < first["f1"].high
    same = paired_bootstrap(docs, docs, resamples=200)
    assert same is not None and same[0].low == same[0].high == 0.0 and same[1] == 1.0
    better = [Counts(tp=4, n_pred=4, n_gold=5) for _ in docs]
    gain = paired_bootstrap(docs, better, resamples=200)
    assert gain is not None and gain[0].low > 0 and gain[1] == 0.0


def test_options_change_the_claim_similarity(seed: Sample) -> None:
    pred = _gold(seed)
    pred.claims = [c.model_copy(update={"evidence": []}) for c in pred.claims]  # text only
    text_only = score_sample(seed, pred, ScoringOptions(claim_similarity="text"))
    span_only = score_sample(seed, pred, ScoringOptions(claim_similarity="span"))
    assert text_only.claims is not None and text_only.claims.counts.f1 == 1.0
    assert span_only.claims is not None and span_only.claims.counts.tp == 0


def test_bootstrap_draws_are_randrange_draws() -> None:
    """The bootstrap's fast draws are randrange's numbers, leaving the generator where it would."""
    import random

    from claimx.evaluate.metrics import _draws

    for seed in range(5):
        for n in (1, 2, 3, 7, 64, 84, 100, 1000):
            fast, slow = random.Random(seed), random.Random(seed)
            for _ in range(3):
                assert _draws(fast, n) == [slow.randrange(n) for _ in range(n)]
            assert fast.random() == slow.random()


def test_bootstrap_resamples_are_randrange_draws() -> None:
    """All resamples' draws at once (bytes of top bits) are the resamples of randrange, in turn."""
    import random

    from claimx.evaluate.metrics import _resamples

    for seed in range(3):
        for n in (1, 2, 3, 7, 64, 84, 128, 255, 256, 1000):
            slow = random.Random(seed)
            expected = [[slow.randrange(n) for _ in range(n)] for _ in range(40)]
            assert [list(picks) for picks in _resamples(random.Random(seed), n, 40)] == expected


def test_packed_sums_are_the_column_sums() -> None:
    """Counts packed in one integer sum to each column's own sum (wide values and negatives too)."""
    import random

    from claimx.evaluate.metrics import _Packed

    rng = random.Random(1)
    for top in (1, 9, 1000, 2**40):
        for low in (0, -5):
            columns = [[rng.randint(low, top) for _ in range(30)] for _ in range(3)]
            packed = _Packed(columns)
            for _ in range(20):
                picks = [rng.randrange(30) for _ in range(30)]
                assert packed.sums(picks) == [sum(c[i] for i in picks) for c in columns]


def test_span_matrices_are_the_pairwise_measures() -> None:
    """Merging each side once gives overlap_ratio and dice exactly, overlapping gold pieces included."""
    import random

    from claimx.evaluate.similarity import Pieces, dice, dice_matrix, overlap_ratio, overlap_ratios

    rng = random.Random(3)

    def pieces() -> Pieces:
        out = []
        for _ in range(rng.choice((0, 1, 1, 1, 2, 3))):
            start = rng.randrange(0, 200)
            out.append((start, start + rng.randrange(0, 40)))
        return out

    preds, golds = [pieces() for _ in range(30)], [pieces() for _ in range(25)]
    assert overlap_ratios(preds, golds) == [[overlap_ratio(p, g) for p in preds] for g in golds]
    assert dice_matrix(preds, golds) == [[dice(p, g) for p in preds] for g in golds]
    assert any(0 < x < 1 for row in overlap_ratios(preds, golds) for x in row)


def test_a_text_similarity_cut_short_is_below_what_it_was_asked_to_reach() -> None:
    """Below ``at_least`` the score may come back as 0; at or above it, it is the exact score."""
    from claimx.evaluate.similarity import text_similarity

    pairs = [
        ("The senator said the bill would pass.", "the bill would pass, the senator said"),
        ("Taxes will rise next year.", "The economy is growing fast."),
        ("abc", "abd"),
    ]
    for a, b in pairs:
        exact = text_similarity(a, b)
        for at_least in (0.0, exact / 2, exact, min(1.0, exact + 0.01), 1.0):
            cut = text_similarity(a, b, at_least)
            assert cut == exact if exact >= at_least else cut < at_least
