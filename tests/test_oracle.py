"""The oracle: gold answers served over real HTTP, through the whole pipeline.

What these tests hold the pipeline to: the seed gold comes back whole (every layer 1.0),
long articles read in chunks lose nothing, a few PolNeAR dev articles reach the goals of
evals/README.md, every slip a model makes is injected when asked for, the normalisation
slips cost nothing, and no fabrication reaches a result.
"""

from __future__ import annotations

import asyncio
import re

import pytest

import claimx
from claimx.errors import ConfigError, ModelError
from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.oracle import OraclePredictor, OracleSpec
from claimx.evaluate.oracle_noise import FABRICATIONS, NORMALISATIONS, Noise, Slip
from claimx.evaluate.predictors import make_predictor
from claimx.evaluate.sample import Gold, Sample
from claimx.evaluate.scorers import SampleScores, score_sample
from claimx.schema import Actor, ActorKind, Attribution, Claim, ClaimKind, Extraction, Mode, Position, Span
from claimx.testing import Reply, ScriptedServer

from .conftest import SHARED

POLNEAR_DEV = SHARED / "datasets" / "polnear" / "data" / "dev"


def _predict(spec: str, samples: list[Sample]) -> tuple[list[Extraction], OraclePredictor]:
    predictor = make_predictor(spec)
    assert isinstance(predictor, OraclePredictor)

    async def run() -> list[Extraction]:
        try:
            return list(await asyncio.gather(*(predictor.predict(s) for s in samples)))
        finally:
            await predictor.aclose()

    return asyncio.run(run()), predictor


def _f1s(scores: SampleScores) -> dict[str, float | None]:
    return {
        "attributions": scores.attributions.lenient.f1 if scores.attributions else None,
        "strict": scores.attributions.strict.f1 if scores.attributions else None,
        "speaker": scores.attributions.speaker.value if scores.attributions else None,
        "cue": scores.attributions.cue.value if scores.attributions else None,
        "mode": scores.attributions.mode.value if scores.attributions else None,
        "claims": scores.claims.counts.f1 if scores.claims else None,
        "positions": scores.positions.counts.f1 if scores.positions else None,
    }


# ------------------------------------------------------------------ the seed


def test_oracle_over_http_gives_back_the_seed_gold_whole() -> None:
    sample = load_dataset("seed").samples[0]
    [prediction], predictor = _predict("oracle", [sample])
    assert len(predictor.server.server.completions) == 1  # one real HTTP request, answered from gold
    assert prediction.meta.base_url == predictor.server.base_url
    assert prediction.verify(sample.text) == []
    assert set(_f1s(score_sample(sample, prediction)).values()) == {1.0}


def test_a_long_article_read_in_chunks_loses_nothing() -> None:
    sample = load_dataset("seed").samples[0]
    [prediction], predictor = _predict("oracle?chunk_tokens=150", [sample])
    assert prediction.meta.chunks > 2
    assert len(predictor.server.server.completions) == prediction.meta.chunks
    assert set(_f1s(score_sample(sample, prediction)).values()) == {1.0}
    assert predictor.skipped == {}  # every gold item was answered in some chunk


def test_a_request_about_an_unknown_article_is_refused() -> None:
    predictor = OraclePredictor("oracle")
    try:
        with pytest.raises(ModelError, match="400"):
            predictor.extractor.extract("Nobody registered this article. It is not a sample.")
    finally:
        asyncio.run(predictor.aclose())


def test_specs_are_checked() -> None:
    assert OracleSpec.parse("oracle").noise is None
    noisy = OracleSpec.parse("oracle:noisy?seed=3&rate=0.25&slips=normalisation,changed_number")
    assert noisy.noise == Noise(3, 0.25, NORMALISATIONS | {Slip.CHANGED_NUMBER})
    assert OracleSpec.parse("oracle?chunk_tokens=500").chunk_tokens == 500
    for bad in ("oracle?seed=1", "oracle:noisy?rate=2", "oracle:noisy?slips=typo", "oracle:loud"):
        with pytest.raises(ConfigError):
            OracleSpec.parse(bad)


# ------------------------------------------------------------ the slips

TEXT = (
    "Mayor Jane Doyle said the city will hire 120 new teachers next year.\n\n"
    "“We do not  intend to raise taxes,” Doyle told reporters on Monday.\n\n"
    "The budget director, Omar Haddad, said the council’s plan was affordable, overdue and long "
    "awaited by every school in the district.\n\n"
    "According to Haddad, the city has 14 schools without a library."
)


def _span(text: str, words: str, after: int = 0) -> Span:
    start = text.index(words, after)
    return Span(start=start, end=start + len(words), text=words)


def _synthetic() -> Sample:
    """A small article whose statements leave room for every slip (numbers, "not", curly quotes…)."""
    text = TEXT
    contents = [
        ("the city will hire 120 new teachers next year", "Mayor Jane Doyle", "said", Mode.INDIRECT, "A1"),
        ("We do not  intend to raise taxes", "Doyle", "told", Mode.DIRECT, "A1"),
        (
            "the council’s plan was affordable, overdue and long awaited by every school in the district",
            "Omar Haddad",
            "said",
            Mode.INDIRECT,
            "A2",
        ),
        ("the city has 14 schools without a library", "Haddad", "According to", Mode.INDIRECT, "A2"),
    ]
    attributions, claims = [], []
    for i, (content, source, cue, mode, actor) in enumerate(contents, 1):
        span = _span(text, content)
        sentence = next(s for s in claimx.Document.from_text(text).sentences if s.start <= span.start < s.end)
        claims.append(
            Claim(
                id=f"C{i}",
                text=content,
                kind=ClaimKind.FACT,
                evidence=[Span(start=sentence.start, end=sentence.end, text=sentence.text)],
            )
        )
        near = max(0, span.start - 60)
        attributions.append(
            Attribution(
                id=f"Q{i}",
                claim_id=f"C{i}",
                speaker_id=actor,
                mode=mode,
                cue=_span(text, cue, near),
                content=span,
                speaker_mention=_span(text, source, near),
            )
        )
    actors = [
        Actor(
            id="A1",
            name="Jane Doyle",
            kind=ActorKind.PERSON,
            mentions=[_span(text, "Mayor Jane Doyle"), _span(text, "Doyle", 20)],
        ),
        Actor(
            id="A2",
            name="Omar Haddad",
            kind=ActorKind.PERSON,
            mentions=[_span(text, "Omar Haddad"), _span(text, "Haddad", text.index("According"))],
        ),
    ]
    position = Position(
        id="P1",
        holder_id="A1",
        target="raising taxes",
        stance=claimx.schema.Stance.OPPOSE,
        claim_ids=["C2"],
        evidence=[attributions[1].content],
    )
    gold = Gold(actors=actors, claims=claims, attributions=attributions, positions=[position])
    return Sample(id="synthetic", text=text, gold=gold)


def test_the_synthetic_article_comes_back_whole() -> None:
    sample = _synthetic()
    [prediction], _ = _predict("oracle", [sample])
    assert set(_f1s(score_sample(sample, prediction)).values()) == {1.0}


@pytest.mark.parametrize("slip", sorted(NORMALISATIONS))
def test_each_normalisation_slip_is_injected_and_absorbed(slip: Slip) -> None:
    sample = _synthetic()
    [prediction], predictor = _predict(f"oracle:noisy?slips={slip.value}&rate=1&seed=7", [sample])
    assert predictor.audit is not None
    assert predictor.audit.injected[slip.value] >= 1
    assert set(predictor.audit.injected) == {slip.value}
    figures = _f1s(score_sample(sample, prediction))
    assert figures["attributions"] == figures["strict"] == figures["claims"] == 1.0
    if slip is Slip.DROPPED_CUE:
        assert figures["cue"] == 0.0  # nothing to find: the slip is visible, not papered over
    elif slip is not Slip.PRONOUN_SPEAKER_WORDS:
        assert figures["speaker"] == figures["cue"] == figures["mode"] == 1.0


def test_slips_are_seeded_and_counted() -> None:
    samples = [_synthetic(), load_dataset("seed").samples[0]]
    _, first = _predict("oracle:noisy?seed=11&rate=0.5", samples)
    _, again = _predict("oracle:noisy?seed=11&rate=0.5", samples)
    _, other = _predict("oracle:noisy?seed=12&rate=0.5", samples)
    assert first.audit is not None and again.audit is not None and other.audit is not None
    assert first.audit.as_dict() == again.audit.as_dict()
    assert first.audit.injected != other.audit.injected
    assert sum(first.audit.injected.values()) >= 5


def _fabrications_are_rejected() -> bool:
    """Whether grounding rejects a quote whose number was changed (the checks of ground.py)."""
    text = "The ministry said it paid 12 million dollars for the new bridge last year."
    answer = {
        "actors": [],
        "statements": [
            {
                "sentences": ["S1"],
                "quote": "it paid 13 million dollars for the new bridge last year",
                "speaker": "author",
                "mode": "author",
                "claim": "The ministry paid 13 million dollars for the new bridge last year.",
            }
        ],
        "positions": [],
    }
    with ScriptedServer() as server:
        server.enqueue(Reply.completion(answer))
        result = claimx.extract(text, model="openai/probe", base_url=server.base_url, cache=False)
    return not result.claims


@pytest.mark.xfail(
    not _fabrications_are_rejected(),
    reason="grounding accepts a changed number or a dropped 'not' as a fuzzy match until ground.py "
    "checks numbers and negations (issue 12, section 3)",
    strict=True,
)
def test_no_fabrication_reaches_the_result() -> None:
    samples = [_synthetic(), load_dataset("seed").samples[0]]
    _, predictor = _predict("oracle:noisy?slips=fabrication&rate=1&seed=3", samples)
    audit = predictor.audit
    assert audit is not None
    assert audit.injected[Slip.CHANGED_NUMBER.value] >= 2
    assert audit.injected[Slip.DROPPED_NOT.value] >= 1
    assert audit.fabrications_sent == sum(audit.injected[s.value] for s in FABRICATIONS)
    assert audit.fabrications_reached == 0, audit.reached


def test_fabrications_are_counted_when_they_get_through() -> None:
    """The audit itself: a fabricated claim that is in the result counts as reached."""
    sample = _synthetic()
    [prediction], predictor = _predict("oracle:noisy?slips=changed_number&rate=1&seed=3", [sample])
    audit = predictor.audit
    assert audit is not None and audit.fabrications_sent == 2  # the two quotes with a number
    claims = {c.text for c in prediction.claims}
    reached = sum(1 for r in audit.reached if r["claim"] in claims)
    assert audit.fabrications_reached == reached
    assert audit.fabrications_reached + audit.fabrications_rejected == audit.fabrications_sent


# ------------------------------------------------------------ PolNeAR dev


def _one_word(att: Attribution) -> bool:
    return len(re.findall(r"\w+", att.content.text)) < 2


@pytest.mark.skipif(not POLNEAR_DEV.is_dir(), reason="PolNeAR dev is not in ../shared/datasets")
def test_a_polnear_dev_slice_reaches_the_goals() -> None:
    samples = load_dataset(f"brat:{POLNEAR_DEV}", limit=8).samples
    predictions, predictor = _predict("oracle", samples)
    lenient = strict = speaker = cue = mode = (0, 0)

    def add(pair: tuple[int, int], right: int, total: int) -> tuple[int, int]:
        return pair[0] + right, pair[1] + total

    for sample, prediction in zip(samples, predictions, strict=True):
        # A one-word content ("criticised Trump") carries no claim: claimx refuses it by design
        # (a documented limit), so it is left out of what the pipeline is held to here.
        kept = [a for a in sample.gold.attributions if not _one_word(a)]
        trimmed = sample.model_copy(update={"gold": sample.gold.model_copy(update={"attributions": kept})})
        scores = score_sample(trimmed, prediction).attributions
        assert scores is not None
        one_word = len(sample.gold.attributions) - len(kept)
        lenient = add(lenient, scores.lenient.tp, scores.lenient.n_gold)
        strict = add(strict, scores.strict.tp, scores.strict.n_gold)
        assert scores.lenient.n_pred - scores.lenient.tp <= one_word  # nothing spurious but those
        speaker = add(speaker, scores.speaker.correct, scores.speaker.total)
        cue = add(cue, scores.cue.correct, scores.cue.total)
        mode = add(mode, scores.mode.correct, scores.mode.total)
    # Recall on these 56 contents (precision is 1.0): the full dev set measures 0.996 without the
    # one-word contents (evals/README.md); here one discontinuous quote is merged with the
    # statement nested in its gap (a documented limit of single-span contents), 1 of 56.
    assert lenient[0] / lenient[1] >= 0.98
    assert strict[0] / strict[1] >= 0.97
    assert speaker[0] / speaker[1] >= 0.98
    assert cue[0] / cue[1] >= 0.98
    assert mode[0] / mode[1] >= 0.95
    assert len(predictor.server.server.completions) == len(samples)
