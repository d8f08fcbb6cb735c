"""Aggregate scores: from one record per document to the figures of a whole run.

``summary.json`` is shaped ``{"attributions": {"precision", "recall", "f1", …},
"claims": {…}, "positions": {…}, "usage": {…}, …}``. Headline figures are micro
averages (pooled counts); ``macro`` averages per document; ``ci`` holds
bootstrap 95% intervals. Attributions' headline is the lenient (≥ 0.3 overlap)
match, with ``strict`` beside it. A layer no document's gold labels has null figures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from claimx.evaluate.metrics import Accuracy, Counts, accuracy_interval, bootstrap, macro, micro, prf
from claimx.evaluate.runlog import SampleRecord
from claimx.evaluate.scorers import ScoringOptions

__all__ = ["LAYERS", "MIN_INTERVAL_DOCUMENTS", "headline_counts", "summarize"]

LAYERS = ("attributions", "claims", "positions")
#: Below this many documents a bootstrap interval is degenerate ([0.842, 0.842] from one
#: document): none is computed, and the tables say n and why.
MIN_INTERVAL_DOCUMENTS = 5


def headline_counts(record: SampleRecord, layer: str) -> Counts | None:
    """The counts behind a layer's headline figure for one document (None: layer not labelled)."""
    scores = record.scores
    if layer == "attributions":
        return scores.attributions.lenient if scores.attributions else None
    if layer == "claims":
        return scores.claims.counts if scores.claims else None
    if layer == "positions":
        return scores.positions.counts if scores.positions else None
    raise ValueError(f"unknown layer {layer!r}")


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _prf_block(per_doc: Sequence[Counts], options: ScoringOptions, seed_offset: int) -> dict[str, Any]:
    if not per_doc:
        return {"precision": None, "recall": None, "f1": None, "documents": 0}
    pooled = micro(per_doc)
    block: dict[str, Any] = {k: _round(v) if isinstance(v, float) else v for k, v in prf(pooled).items()}
    block["documents"] = len(per_doc)
    block["macro"] = {k: _round(v) for k, v in macro(per_doc).items()}
    enough = len(per_doc) >= MIN_INTERVAL_DOCUMENTS
    intervals = (
        bootstrap(per_doc, resamples=options.bootstrap, seed=options.seed + seed_offset) if enough else None
    )
    if intervals:
        block["ci"] = {k: v.as_list() for k, v in intervals.items()}
    return block


def _accuracy_block(per_doc: Sequence[Accuracy], options: ScoringOptions, seed_offset: int) -> dict[str, Any]:
    pooled = Accuracy()
    for item in per_doc:
        pooled = pooled + item
    block: dict[str, Any] = {"value": _round(pooled.value), "correct": pooled.correct, "total": pooled.total}
    enough = len(per_doc) >= MIN_INTERVAL_DOCUMENTS
    interval = (
        accuracy_interval(per_doc, resamples=options.bootstrap, seed=options.seed + seed_offset)
        if enough
        else None
    )
    if interval:
        block["ci"] = interval.as_list()
    return block


def run_cost(records: Sequence[SampleRecord]) -> float | None:
    """What the run's extracted samples cost in dollars (from the cache: 0); None when any is unknown.

    A failed sample has no usage to price (its calls' tokens are not known), as its tokens count 0.
    """
    costs = [r.usage.cost_usd for r in records if r.error is None]
    if any(cost is None for cost in costs):
        return None
    return round(sum(cost for cost in costs if cost is not None), 8)


def summarize(records: Sequence[SampleRecord], options: ScoringOptions) -> dict[str, Any]:
    """The run's figures, per layer, plus usage and a per-document table."""
    atts = [r.scores.attributions for r in records if r.scores.attributions is not None]
    claims = [r.scores.claims for r in records if r.scores.claims is not None]
    positions = [r.scores.positions for r in records if r.scores.positions is not None]

    attributions: dict[str, Any] = _prf_block([a.lenient for a in atts], options, 1)
    if atts:
        attributions["threshold"] = options.lenient
        attributions["strict"] = _prf_block([a.strict for a in atts], options, 2) | {
            "threshold": options.strict
        }
        for name, seed_offset in (("speaker", 3), ("cue", 4), ("mode", 5)):
            block = _accuracy_block([getattr(a, name) for a in atts], options, seed_offset)
            attributions[f"{name}_accuracy"] = block["value"]
            attributions[name] = block

    claim_block: dict[str, Any] = _prf_block([c.counts for c in claims], options, 6)
    if claims:
        claim_block["similarity"] = options.claim_similarity.value
        claim_block["threshold"] = options.claim_threshold

    position_block: dict[str, Any] = _prf_block([p.counts for p in positions], options, 7)
    if positions:
        position_block["holder_target"] = _prf_block([p.pairs for p in positions], options, 8)
        stance = _accuracy_block([p.stance for p in positions], options, 9)
        position_block["stance_accuracy"] = stance["value"]
        position_block["stance"] = stance
        confusion: dict[str, dict[str, int]] = {}
        for p in positions:
            for gold, predicted in p.confusion.items():
                for pred, n in predicted.items():
                    confusion.setdefault(gold, {})
                    confusion[gold][pred] = confusion[gold].get(pred, 0) + n
        position_block["confusion"] = confusion

    failed = [r for r in records if r.error is not None]
    latencies = sorted(r.latency_s for r in records)
    usage = {
        "prompt_tokens": sum(r.usage.prompt_tokens for r in records),
        "completion_tokens": sum(r.usage.completion_tokens for r in records),
        "total_tokens": sum(r.usage.total_tokens for r in records),
        "requests": sum(r.usage.requests for r in records),
        "transport_retries": sum(r.usage.transport_retries for r in records),
        "reasks": sum(r.usage.reasks for r in records),
        "cached_samples": sum(1 for r in records if r.usage.cached),
        "cost_usd": run_cost(records),
        "latency_s": round(sum(latencies), 4),
        "latency_s_mean": round(sum(latencies) / len(latencies), 4) if latencies else 0.0,
        "latency_s_max": round(latencies[-1], 4) if latencies else 0.0,
    }
    documents: dict[str, dict[str, Any]] = {}
    for r in records:
        row: dict[str, Any] = {}
        for layer in LAYERS:
            counts = headline_counts(r, layer)
            if counts is not None:
                row[layer] = {
                    "f1": round(counts.f1, 4),
                    "tp": counts.tp,
                    "n_pred": counts.n_pred,
                    "n_gold": counts.n_gold,
                }
        if r.error is not None:
            row["error"] = r.error.message
        documents[r.id] = row
    return {
        "samples": {"total": len(records), "failed": len(failed), "scored": len(records) - len(failed)},
        "attributions": attributions,
        "claims": claim_block,
        "positions": position_block,
        "usage": usage,
        "scoring": options.model_dump(mode="json"),
        "documents": documents,
    }
