"""One layer's items, gold and predicted, and their outcomes (hit, miss, false positive)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from claimx.evaluate.runlog import SampleRecord
from claimx.evaluate.scorers import AttributionScore, ClaimScore, PositionScore
from claimx.schema import Extraction

Side = Literal["g", "a", "b"]  # gold, run A's prediction, run B's prediction


Outcome = Literal["hit", "miss", "fp"]


SIDE_ORDER: dict[str, int] = {"g": 0, "a": 1, "b": 2}


LAYER_NOUN = {"attributions": "attribution", "claims": "claim", "positions": "position"}


@dataclass
class Item:
    """One gold or predicted item of one layer, as the report marks it in the text."""

    side: Side
    layer: str
    id: str
    spans: list[tuple[int, int]]
    label: str
    outcome: dict[str, Outcome] = field(default_factory=dict)  # run → how this item fared in it
    partner: dict[str, Item] = field(default_factory=dict)  # run → the item it was paired with
    how: dict[str, str] = field(default_factory=dict)  # run → a few words on the pairing


def clip(text: str, width: int = 90) -> str:
    """``text`` on one line, cut to ``width`` characters with an ellipsis."""
    words = " ".join(text.split())
    return words if len(words) <= width else words[: width - 1] + "…"


def _holder(names: dict[str, str], holder_id: str | None) -> str:
    return names.get(holder_id or "", "the article") if holder_id else "the article"


def gold_items_of(record: SampleRecord, layer: str) -> list[Item]:
    """The gold items of a layer with the stretches of text that show them."""
    gold = record.gold
    if layer == "attributions":
        return [
            Item(
                "g",
                layer,
                a.id,
                list(record.content_segments.get(a.id) or [(a.content.start, a.content.end)]),
                a.content.text,
            )
            for a in gold.attributions
        ]
    if layer == "claims":
        return [Item("g", layer, c.id, [(s.start, s.end) for s in c.evidence], c.text) for c in gold.claims]
    names = {a.id: a.name for a in gold.actors}
    return [
        Item(
            "g",
            layer,
            p.id,
            [(s.start, s.end) for s in p.evidence],
            f"{_holder(names, p.holder_id)} {p.stance.value} {p.target}",
        )
        for p in gold.positions
    ]


def predicted_items(prediction: Extraction | None, side: Side, layer: str) -> list[Item]:
    """A run's predicted items of a layer (its author-voice statements included: scoring decides)."""
    if prediction is None:
        return []
    if layer == "attributions":
        return [
            Item(side, layer, a.id, [(a.content.start, a.content.end)], a.content.text)
            for a in prediction.attributions
        ]
    if layer == "claims":
        return [
            Item(side, layer, c.id, [(s.start, s.end) for s in c.evidence], c.text) for c in prediction.claims
        ]
    names = {a.id: a.name for a in prediction.actors}
    return [
        Item(
            side,
            layer,
            p.id,
            [(s.start, s.end) for s in p.evidence],
            f"{_holder(names, p.holder_id)} {p.stance.value} {p.target}",
        )
        for p in prediction.positions
    ]


def _pair(
    run: str, gold: Item | None, pred: Item | None, outcomes: tuple[Outcome, Outcome], how: str
) -> None:
    """Record a matched pair on both items (either may be absent from an inconsistent record)."""
    if gold is not None:
        gold.outcome[run] = outcomes[0]
        gold.how[run] = how
        if pred is not None:
            gold.partner[run] = pred
    if pred is not None:
        pred.outcome[run] = outcomes[1]
        pred.how[run] = how
        if gold is not None:
            pred.partner[run] = gold


def yes(value: bool | None) -> str:
    """A tick, a cross, or a dash when the criterion does not apply."""
    return "–" if value is None else "✓" if value else "✗"


def judge(
    run: str,
    score: AttributionScore | ClaimScore | PositionScore,
    gold: dict[str, Item],
    pred: dict[str, Item],
) -> None:
    """Set each item's outcome in ``run`` from the scorer's matches, misses and spurious items.

    A position matched on holder and target but not on stance is a miss and a false positive,
    exactly as the headline counts have it.
    """
    if isinstance(score, AttributionScore):
        for m in score.matches:
            how = (
                f"overlap {m.overlap:.2f}{' strict' if m.strict else ''}; speaker {yes(m.speaker)} "
                f"cue {yes(m.cue)} mode {yes(m.mode)}"
            )
            _pair(run, gold.get(m.gold), pred.get(m.pred), ("hit", "hit"), how)
    elif isinstance(score, ClaimScore):
        for c in score.matches:
            _pair(run, gold.get(c.gold), pred.get(c.pred), ("hit", "hit"), f"similarity {c.similarity:.2f}")
    else:
        for p in score.matches:
            if p.gold_stance is p.pred_stance:
                _pair(
                    run,
                    gold.get(p.gold),
                    pred.get(p.pred),
                    ("hit", "hit"),
                    f"target {p.target_similarity:.2f}",
                )
            else:
                how = (
                    f"same holder and target ({p.target_similarity:.2f}) but {p.pred_stance.value} "
                    f"for {p.gold_stance.value}"
                )
                _pair(run, gold.get(p.gold), pred.get(p.pred), ("miss", "fp"), how)
    for gid in score.missed:
        if gid in gold:
            gold[gid].outcome[run] = "miss"
    for pid in score.spurious:
        if pid in pred:
            pred[pid].outcome[run] = "fp"


def layer_score(record: SampleRecord, layer: str) -> AttributionScore | ClaimScore | PositionScore | None:
    """The scorer's record of one layer for one document (None: layer not labelled)."""
    score: AttributionScore | ClaimScore | PositionScore | None = getattr(record.scores, layer)
    return score
