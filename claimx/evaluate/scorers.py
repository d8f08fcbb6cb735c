"""Scorers: compare one prediction with one sample's gold, layer by layer.

- **Attributions** match one-to-one on content overlap / gold length, at ≥ 0.3
  (lenient) and ≥ 0.8 (strict), the GenderGapTracker definitions. On lenient
  matches, the speaker is right when the predicted speaker's mentions (or the
  attribution's own speaker words) overlap the gold source span, so a gold
  "he" is matched by the resolved actor; the cue is right on overlap or the same
  lower-cased words; the mode must be equal. Judging these on matched items
  only means a miss is not counted twice.
- **Claims** match one-to-one on a similarity: evidence-span overlap (Dice),
  fuzzy text, both (the default), or sentence embeddings.
- **Positions** match one-to-one on (holder, target): holders through actor
  matching, targets through text similarity; a match counts when the stance is
  equal too, and every matched pair enters the stance confusion matrix.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from claimx.evaluate.match import match
from claimx.evaluate.metrics import Accuracy, Counts
from claimx.evaluate.sample import Layer, Sample
from claimx.evaluate.similarity import (
    NameSet,
    SemanticModel,
    dice_matrix,
    overlap_ratios,
    pieces_of,
    sorted_words,
    text_similarity,
    topic_similarity,
    words_similarity,
)
from claimx.names import is_pronoun
from claimx.schema import Actor, Attribution, Claim, Extraction, Mode, Position, Stance

__all__ = [
    "AttributionMatch",
    "AttributionScore",
    "ClaimMatch",
    "ClaimScore",
    "ClaimSimilarity",
    "PositionMatch",
    "PositionScore",
    "SampleScores",
    "ScoringOptions",
    "match_actors",
    "score_sample",
]


class ClaimSimilarity(StrEnum):
    """How two claims are compared."""

    AUTO = "auto"  # mean of evidence overlap and fuzzy text when both have evidence, else fuzzy text
    SPAN = "span"  # evidence overlap only (Dice on characters)
    TEXT = "text"  # fuzzy text only (rapidfuzz token_sort_ratio)
    SEMANTIC = "semantic"  # like auto, with embedding cosine in place of fuzzy text


class ScoringOptions(BaseModel):
    """Every knob that changes a score; recorded in the run so a rescore can repeat it."""

    model_config = ConfigDict(extra="forbid")

    lenient: float = Field(0.3, description="Content overlap / gold length for a lenient match.")
    strict: float = Field(0.8, description="Content overlap / gold length for a strict match.")
    claim_similarity: ClaimSimilarity = ClaimSimilarity.AUTO
    claim_threshold: float = Field(0.5, description="Least claim similarity for a match.")
    target_threshold: float = Field(0.7, description="Least target similarity for a position match.")
    actor_threshold: float = Field(0.5, description="Least actor similarity for an actor match.")
    bootstrap: int = Field(1000, description="Bootstrap resamples for intervals (0: none).")
    seed: int = Field(0, description="Seed of the bootstrap's RNG.")


class AttributionMatch(BaseModel):
    """A gold attribution and the prediction matched to it."""

    gold: str
    pred: str
    overlap: float
    strict: bool
    speaker: bool
    cue: bool | None = Field(description="None when the gold has no cue.")
    mode: bool


class AttributionScore(BaseModel):
    """How one document's attributions fared."""

    lenient: Counts
    strict: Counts
    speaker: Accuracy
    cue: Accuracy
    mode: Accuracy
    matches: list[AttributionMatch]
    missed: list[str] = Field(description="Gold attributions nothing matched.")
    spurious: list[str] = Field(description="Predicted attributions that matched nothing.")


class ClaimMatch(BaseModel):
    """A gold claim and the predicted claim matched to it."""

    gold: str
    pred: str
    similarity: float


class ClaimScore(BaseModel):
    """How one document's claims fared."""

    counts: Counts
    matches: list[ClaimMatch]
    missed: list[str]
    spurious: list[str]


class PositionMatch(BaseModel):
    """A gold position and the predicted position with the same holder and a similar target."""

    gold: str
    pred: str
    target_similarity: float
    gold_stance: Stance
    pred_stance: Stance


class PositionScore(BaseModel):
    """How one document's positions fared."""

    counts: Counts = Field(description="(holder, target, stance) all right.")
    pairs: Counts = Field(description="(holder, target) right, whatever the stance.")
    stance: Accuracy
    confusion: dict[str, dict[str, int]] = Field(description="gold stance → predicted stance → count.")
    matches: list[PositionMatch]
    missed: list[str]
    spurious: list[str]


class SampleScores(BaseModel):
    """One document's scores; a layer its gold does not label is None."""

    attributions: AttributionScore | None = None
    claims: ClaimScore | None = None
    positions: PositionScore | None = None


TextSimilarity = Callable[[str, str], float]


def score_sample(
    sample: Sample,
    prediction: Extraction | None,
    options: ScoringOptions | None = None,
    semantic: SemanticModel | None = None,
) -> SampleScores:
    """Score a prediction (None: nothing predicted, e.g. the model failed) against the sample's gold."""
    options = options or ScoringOptions()
    pred_actors = prediction.actors if prediction else []
    pred_claims = prediction.claims if prediction else []
    pred_atts = prediction.attributions if prediction else []
    pred_positions = prediction.positions if prediction else []
    if not sample.author_statements:
        # The gold does not mark the article's own voice: its absence there is not a miss.
        dropped = {a.claim_id for a in pred_atts if a.mode is Mode.AUTHOR}
        pred_atts = [a for a in pred_atts if a.mode is not Mode.AUTHOR]
        kept = {a.claim_id for a in pred_atts}
        pred_claims = [c for c in pred_claims if c.id not in dropped or c.id in kept]
    out = SampleScores()
    actor_map: dict[str, str] | None = None  # (the same for attributions and positions: matched once)
    if sample.scores_layer(Layer.ATTRIBUTIONS):
        actor_map = match_actors(sample.gold.actors, pred_actors, options.actor_threshold)
        out.attributions = _score_attributions(sample, pred_atts, pred_actors, actor_map, options)
    if sample.scores_layer(Layer.CLAIMS):
        similarity: TextSimilarity = text_similarity
        if options.claim_similarity is ClaimSimilarity.SEMANTIC:
            if semantic is None:
                raise ValueError("semantic claim similarity needs a SemanticModel")
            similarity = semantic.similarity
        out.claims = _score_claims(sample.gold.claims, pred_claims, options, similarity)
    if sample.scores_layer(Layer.POSITIONS):
        if actor_map is None:
            actor_map = match_actors(sample.gold.actors, pred_actors, options.actor_threshold)
        out.positions = _score_positions(sample.gold.positions, pred_positions, actor_map, options)
    return out


# --------------------------------------------------------------- attributions


def _score_attributions(
    sample: Sample,
    preds: list[Attribution],
    pred_actors: list[Actor],
    actor_map: dict[str, str],
    options: ScoringOptions,
) -> AttributionScore:
    golds = sample.gold.attributions
    gold_pieces = [sample.content_segments.get(g.id) or [(g.content.start, g.content.end)] for g in golds]
    overlap = overlap_ratios([pieces_of([p.content]) for p in preds], gold_pieces)
    lenient = match(overlap, options.lenient)
    strict = match(overlap, options.strict)
    strict_pairs = {(pair.gold, pair.pred) for pair in strict}
    actors = {a.id: a for a in pred_actors}
    gold_actors = {a.id: a for a in sample.gold.actors}
    speaker, cue, mode = Accuracy(), Accuracy(), Accuracy()
    matches = []
    for pair in lenient:
        g, p = golds[pair.gold], preds[pair.pred]
        speaker_ok = _speaker_right(g, p, actors, gold_actors, actor_map)
        cue_ok = _cue_right(g, p)
        mode_ok = g.mode is p.mode
        speaker = speaker + Accuracy(correct=int(speaker_ok), total=1)
        if cue_ok is not None:
            cue = cue + Accuracy(correct=int(cue_ok), total=1)
        mode = mode + Accuracy(correct=int(mode_ok), total=1)
        matches.append(
            AttributionMatch(
                gold=g.id,
                pred=p.id,
                overlap=round(pair.score, 4),
                strict=(pair.gold, pair.pred) in strict_pairs,
                speaker=speaker_ok,
                cue=cue_ok,
                mode=mode_ok,
            )
        )
    matched_gold = {pair.gold for pair in lenient}
    matched_pred = {pair.pred for pair in lenient}
    return AttributionScore(
        lenient=Counts(tp=len(lenient), n_pred=len(preds), n_gold=len(golds)),
        strict=Counts(tp=len(strict), n_pred=len(preds), n_gold=len(golds)),
        speaker=speaker,
        cue=cue,
        mode=mode,
        matches=matches,
        missed=[g.id for i, g in enumerate(golds) if i not in matched_gold],
        spurious=[p.id for i, p in enumerate(preds) if i not in matched_pred],
    )


def _speaker_right(
    gold: Attribution,
    pred: Attribution,
    pred_actors: dict[str, Actor],
    gold_actors: dict[str, Actor],
    actor_map: dict[str, str],
) -> bool:
    if gold.speaker_id is None and gold.speaker_mention is None:
        return pred.speaker_id is None  # nobody named in the gold: the prediction must not invent one
    if gold.speaker_mention is not None:
        actor = pred_actors.get(pred.speaker_id or "")
        spans = list(actor.mentions) if actor else []
        if pred.speaker_mention is not None:
            spans.append(pred.speaker_mention)
        return any(s.overlap(gold.speaker_mention) > 0 for s in spans)
    # A gold speaker without a source span: the predicted actor must be the gold actor's match.
    return pred.speaker_id is not None and actor_map.get(pred.speaker_id) == gold.speaker_id


def _cue_right(gold: Attribution, pred: Attribution) -> bool | None:
    if gold.cue is None:
        return None
    if pred.cue is None:
        return False
    same_words = " ".join(gold.cue.text.lower().split()) == " ".join(pred.cue.text.lower().split())
    return same_words or gold.cue.overlap(pred.cue) > 0


# --------------------------------------------------------------------- actors


def _names(actor: Actor) -> list[str]:
    return [actor.name, *(m.text for m in actor.mentions if not is_pronoun(m.text))]


class _Mentions:
    """An actor's names and mention spans (sorted), read once for every actor it is compared with."""

    def __init__(self, actor: Actor) -> None:
        self.names = NameSet(_names(actor))
        self.spans = [(m.start, m.end) for m in actor.mentions]
        self.spans.sort()
        self.starts = [start for start, _ in self.spans]
        self.reach: list[int] = []  # the furthest end among the spans up to each one
        for _, end in self.spans:
            self.reach.append(max(end, self.reach[-1]) if self.reach else end)

    def hits(self, other: _Mentions) -> int:
        """How many of these spans share a character with one of ``other``'s."""
        count = 0
        for start, end in self.spans:
            # ``other``'s spans that start before this one ends overlap it when one ends after it starts.
            before = bisect_left(other.starts, end)
            count += before > 0 and other.reach[before - 1] > start and end > start
        return count


def _actor_similarity(gold: _Mentions, pred: _Mentions) -> float:
    mention_score = 0.0
    if gold.spans and pred.spans:
        mention_score = (gold.hits(pred) + pred.hits(gold)) / (len(gold.spans) + len(pred.spans))
    if mention_score >= 1.0:  # (no name can do better)
        return mention_score
    return max(mention_score, gold.names.similarity(pred.names))


def match_actors(gold: list[Actor], pred: list[Actor], threshold: float = 0.5) -> dict[str, str]:
    """Predicted actor id → the gold actor id it is matched to (one-to-one, by mentions and names)."""
    gold_mentions = [_Mentions(a) for a in gold]
    pred_mentions = [_Mentions(a) for a in pred]
    similarity = [[_actor_similarity(g, p) for p in pred_mentions] for g in gold_mentions]
    return {pred[pair.pred].id: gold[pair.gold].id for pair in match(similarity, threshold)}


# --------------------------------------------------------------------- claims


def _claim_similarities(
    golds: list[Claim], preds: list[Claim], options: ScoringOptions, text: TextSimilarity
) -> list[list[float]]:
    """Every gold claim (rows) against every predicted one (columns), for matching.

    Evidence overlap is Dice on characters where both claims have evidence, else 0; with
    ``auto`` it is averaged with the fuzzy text score, which stands alone for a claim
    without evidence. Each claim's evidence is merged once, not once per pair. A pair that
    cannot reach ``options.claim_threshold`` may be scored lower than its similarity (the
    fuzzy score told what it would need, and stopping short of it): :func:`match` never
    pairs either, so the pairs and their scores are the same.
    """
    spans = dice_matrix([pieces_of(p.evidence) for p in preds], [pieces_of(g.evidence) for g in golds])
    threshold = options.claim_threshold
    fuzzy = text is text_similarity
    kind = options.claim_similarity
    # (each claim's words sorted once, not once per pair: the fuzzy score's own first step)
    pred_words = [sorted_words(p.text) for p in preds] if fuzzy else []
    rows = []
    for gold, span_row in zip(golds, spans, strict=True):
        row = []
        gold_words = sorted_words(gold.text) if fuzzy else ""
        for j, (pred, span_score) in enumerate(zip(preds, span_row, strict=True)):
            has_spans = bool(gold.evidence and pred.evidence)
            if not has_spans:
                span_score = 0.0
            if kind is ClaimSimilarity.SPAN:
                row.append(span_score)
                continue
            alone = kind is ClaimSimilarity.TEXT or not has_spans
            if fuzzy:  # the least text score that reaches the threshold, alone or averaged
                text_score = words_similarity(
                    gold_words, pred_words[j], threshold if alone else 2 * threshold - span_score
                )
            else:
                text_score = text(gold.text, pred.text)
            row.append(text_score if alone else (span_score + text_score) / 2)
        rows.append(row)
    return rows


def _score_claims(
    golds: list[Claim], preds: list[Claim], options: ScoringOptions, text: TextSimilarity
) -> ClaimScore:
    similarity = _claim_similarities(golds, preds, options, text)
    pairs = match(similarity, options.claim_threshold)
    matched_gold = {pair.gold for pair in pairs}
    matched_pred = {pair.pred for pair in pairs}
    return ClaimScore(
        counts=Counts(tp=len(pairs), n_pred=len(preds), n_gold=len(golds)),
        matches=[
            ClaimMatch(gold=golds[p.gold].id, pred=preds[p.pred].id, similarity=round(p.score, 4))
            for p in pairs
        ],
        missed=[g.id for i, g in enumerate(golds) if i not in matched_gold],
        spurious=[p.id for i, p in enumerate(preds) if i not in matched_pred],
    )


# ------------------------------------------------------------------ positions

_STANCE_TIE_BREAK = 1e-3  # among equally good (holder, target) pairs, prefer the one with the same stance


def _target_similarity(gold: Position, pred: Position, actor_map: dict[str, str]) -> float:
    if (
        gold.target_actor_id is not None
        and pred.target_actor_id is not None
        and actor_map.get(pred.target_actor_id) == gold.target_actor_id
    ):
        return 1.0
    return topic_similarity(gold.target, pred.target)


def _holder_right(gold: Position, pred: Position, actor_map: dict[str, str]) -> bool:
    if gold.holder_id is None or pred.holder_id is None:
        return gold.holder_id is None and pred.holder_id is None
    return actor_map.get(pred.holder_id) == gold.holder_id


def _score_positions(
    golds: list[Position], preds: list[Position], actor_map: dict[str, str], options: ScoringOptions
) -> PositionScore:
    targets = [
        [_target_similarity(g, p, actor_map) if _holder_right(g, p, actor_map) else 0.0 for p in preds]
        for g in golds
    ]
    weights = [
        [
            t + (_STANCE_TIE_BREAK if t >= options.target_threshold and g.stance is p.stance else 0.0)
            for t, p in zip(row, preds, strict=True)
        ]
        for row, g in zip(targets, golds, strict=True)
    ]
    pairs = match(weights, options.target_threshold)
    confusion: dict[str, dict[str, int]] = {}
    matches = []
    right = 0
    for pair in pairs:
        g, p = golds[pair.gold], preds[pair.pred]
        row = confusion.setdefault(g.stance.value, {})
        row[p.stance.value] = row.get(p.stance.value, 0) + 1
        right += g.stance is p.stance
        matches.append(
            PositionMatch(
                gold=g.id,
                pred=p.id,
                target_similarity=round(targets[pair.gold][pair.pred], 4),
                gold_stance=g.stance,
                pred_stance=p.stance,
            )
        )
    matched_gold = {pair.gold for pair in pairs}
    matched_pred = {pair.pred for pair in pairs}
    return PositionScore(
        counts=Counts(tp=right, n_pred=len(preds), n_gold=len(golds)),
        pairs=Counts(tp=len(pairs), n_pred=len(preds), n_gold=len(golds)),
        stance=Accuracy(correct=right, total=len(pairs)),
        confusion=confusion,
        matches=matches,
        missed=[g.id for i, g in enumerate(golds) if i not in matched_gold],
        spurious=[p.id for i, p in enumerate(preds) if i not in matched_pred],
    )
