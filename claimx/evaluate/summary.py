"""Aggregate scores: from one record per document to the figures of a whole run.

``summary.json`` is a :class:`Summary`: ``{"samples", "attributions": {"precision", "recall",
"f1", …}, "claims": {…}, "positions": {…}, "usage": {…}, "scoring", "documents"}``. Headline
figures are micro averages (pooled counts); ``macro`` averages per document; ``ci`` holds
bootstrap 95% intervals. Attributions' headline is the lenient (≥ 0.3 overlap) match, with
``strict`` beside it. A layer no document's gold labels has null figures.

A figure that was not computed (an interval from too few documents, the parts of a layer no
document labels) is left out of the JSON rather than written as null: each model below writes
only the fields it was given (:class:`Written`), so the file keeps the shape it has always had.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from claimx.evaluate.metrics import Accuracy, Counts, accuracy_interval, bootstrap, macro, micro
from claimx.evaluate.runlog import SampleRecord
from claimx.evaluate.scorers import ClaimSimilarity, ScoringOptions

__all__ = [
    "LAYERS",
    "MIN_INTERVAL_DOCUMENTS",
    "AccuracyFigures",
    "AttributionFigures",
    "ClaimFigures",
    "DocumentFigures",
    "DocumentRow",
    "Figures",
    "MacroFigures",
    "PositionFigures",
    "RunUsage",
    "SampleCounts",
    "StrictFigures",
    "Summary",
    "Written",
    "headline_counts",
    "run_cost",
    "summarize",
]


class Written(BaseModel):
    """A part of a written report: fields never given are left out of its JSON, not written as null.

    So "not computed" (absent) stays distinct from "computed, and there is none" (null), as the
    report's readers expect; reading the JSON back gives the same fields set, and the same bytes.
    """

    model_config = ConfigDict(extra="forbid")

    @model_serializer(mode="wrap")
    def _given_fields_only(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        return {key: value for key, value in data.items() if key in self.model_fields_set}


class MacroFigures(Written):
    """Precision, recall and F1 averaged over documents."""

    precision: float | None
    recall: float | None
    f1: float | None


class Figures(Written):
    """Precision, recall and F1 of pooled counts, with the counts behind them and 95% intervals.

    With no document, only the (null) figures and ``documents`` are given.
    """

    precision: float | None
    recall: float | None
    f1: float | None
    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0
    documents: int
    macro: MacroFigures = Field(default_factory=lambda: MacroFigures(precision=None, recall=None, f1=None))
    ci: dict[str, list[float]] = Field(
        default_factory=dict, description="95% bootstrap interval per figure, from enough documents."
    )

    def interval(self, figure: str) -> list[float] | None:
        """The 95% interval of ``figure`` ('precision', 'recall', 'f1'), when there is one."""
        return self.ci.get(figure) or None


class StrictFigures(Figures):
    """The attributions' figures at the strict overlap threshold."""

    threshold: float


class AccuracyFigures(Written):
    """Right / judged on matched items, pooled over documents, with its 95% interval."""

    value: float | None
    correct: int
    total: int
    ci: list[float] = Field(default_factory=list)

    def interval(self, figure: str = "value") -> list[float] | None:
        """The 95% interval of the accuracy, when there is one."""
        return self.ci or None


class AttributionFigures(Figures):
    """Attributions: the lenient match's figures, the strict match's, and accuracies on matches."""

    threshold: float | None = None
    strict: StrictFigures | None = None
    speaker_accuracy: float | None = None
    speaker: AccuracyFigures | None = None
    cue_accuracy: float | None = None
    cue: AccuracyFigures | None = None
    mode_accuracy: float | None = None
    mode: AccuracyFigures | None = None


class ClaimFigures(Figures):
    """Claims, and how they were compared."""

    similarity: ClaimSimilarity | None = None
    threshold: float | None = None


class PositionFigures(Figures):
    """Positions (holder, target and stance), holder and target alone, and stance accuracy."""

    holder_target: Figures | None = None
    stance_accuracy: float | None = None
    stance: AccuracyFigures | None = None
    confusion: dict[str, dict[str, int]] = Field(
        default_factory=dict, description="gold stance → predicted stance → count."
    )


class SampleCounts(Written):
    """How many documents the run had, failed and scored."""

    total: int
    failed: int
    scored: int
    #: Documents of the dataset the run never started (it stopped at its cost limit); absent when none.
    not_run: int | None = None


class RunUsage(Written):
    """What the run asked of the model, summed over documents, and how long documents took."""

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    requests: int
    transport_retries: int
    reasks: int
    cached_samples: int
    #: Dollars the documents' calls cost, failed ones' too (answers from the cache: 0); null when a price is
    #: unknown; absent from runs written before claimx priced usage.
    cost_usd: float | None = None
    #: Seconds summed over documents; of no document, the integer 0 (as ``summary.json`` has it).
    latency_s: float | int
    latency_s_mean: float
    latency_s_max: float


class DocumentFigures(Written):
    """One document's headline F1 for one layer and its counts."""

    f1: float
    tp: int
    n_pred: int
    n_gold: int


class DocumentRow(Written):
    """One document's line of the summary: its layers' figures, or why it failed."""

    attributions: DocumentFigures | None = None
    claims: DocumentFigures | None = None
    positions: DocumentFigures | None = None
    error: str | None = None

    def layer(self, name: str) -> DocumentFigures | None:
        """The figures of layer ``name``, None when the document's gold does not label it."""
        figures: DocumentFigures | None = getattr(self, name)
        return figures


class Summary(Written):
    """A run's figures (``summary.json``): per layer, usage, scoring options, per document."""

    samples: SampleCounts
    attributions: AttributionFigures
    claims: ClaimFigures
    positions: PositionFigures
    usage: RunUsage
    scoring: ScoringOptions
    documents: dict[str, DocumentRow]
    #: Why the run stopped before its last document (its cost limit); absent when it did not.
    stopped: str | None = None

    def rows(self) -> list[tuple[str, Figures]]:
        """The figures every report lists, in order, keyed.

        Headline and strict attributions (``attributions``, ``attributions_strict``), ``claims``,
        ``positions`` and holder and target alone (``positions_pairs``); a layer no document
        labels is not there.
        """
        rows: list[tuple[str, Figures]] = []
        att, claims, positions = self.attributions, self.claims, self.positions
        if att.documents and att.strict is not None:
            rows += [("attributions", att), ("attributions_strict", att.strict)]
        if claims.documents:
            rows.append(("claims", claims))
        if positions.documents and positions.holder_target is not None:
            rows += [("positions", positions), ("positions_pairs", positions.holder_target)]
        return rows

    def accuracies(self) -> list[tuple[str, AccuracyFigures]]:
        """The accuracies on matched items that judged something: speaker, cue, mode, stance."""
        blocks = {
            "speaker": self.attributions.speaker,
            "cue": self.attributions.cue,
            "mode": self.attributions.mode,
            "stance": self.positions.stance,
        }
        return [(name, block) for name, block in blocks.items() if block is not None and block.total]

    def to_json(self) -> str:
        """The text of ``summary.json``."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


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


def _figures(per_doc: Sequence[Counts], options: ScoringOptions, seed_offset: int) -> dict[str, Any]:
    """The fields of a :class:`Figures` for these documents' counts (only those computed)."""
    if not per_doc:
        return {"precision": None, "recall": None, "f1": None, "documents": 0}
    pooled = micro(per_doc)
    fields: dict[str, Any] = {
        "precision": _round(pooled.precision),
        "recall": _round(pooled.recall),
        "f1": _round(pooled.f1),
        "tp": pooled.tp,
        "n_pred": pooled.n_pred,
        "n_gold": pooled.n_gold,
        "documents": len(per_doc),
        "macro": MacroFigures(**{k: _round(v) for k, v in macro(per_doc).items()}),
    }
    enough = len(per_doc) >= MIN_INTERVAL_DOCUMENTS
    intervals = (
        bootstrap(per_doc, resamples=options.bootstrap, seed=options.seed + seed_offset) if enough else None
    )
    if intervals:
        fields["ci"] = {k: v.as_list() for k, v in intervals.items()}
    return fields


def _accuracy(per_doc: Sequence[Accuracy], options: ScoringOptions, seed_offset: int) -> AccuracyFigures:
    pooled = Accuracy()
    for item in per_doc:
        pooled = pooled + item
    enough = len(per_doc) >= MIN_INTERVAL_DOCUMENTS
    interval = (
        accuracy_interval(per_doc, resamples=options.bootstrap, seed=options.seed + seed_offset)
        if enough
        else None
    )
    if interval:
        return AccuracyFigures(
            value=_round(pooled.value), correct=pooled.correct, total=pooled.total, ci=interval.as_list()
        )
    return AccuracyFigures(value=_round(pooled.value), correct=pooled.correct, total=pooled.total)


def run_cost(records: Sequence[SampleRecord]) -> float | None:
    """What the run's samples cost in dollars (from the cache: 0); None when any is unknown.

    A failed sample counts what its calls cost, as its error recorded them; one failed
    before any call (or recorded before errors kept their usage) counts nothing.
    """
    costs = [r.usage.cost_usd for r in records if r.error is None or r.usage.requests]
    if any(cost is None for cost in costs):
        return None
    return round(sum(cost for cost in costs if cost is not None), 8)


def _attributions(records: Sequence[SampleRecord], options: ScoringOptions) -> AttributionFigures:
    atts = [r.scores.attributions for r in records if r.scores.attributions is not None]
    fields = _figures([a.lenient for a in atts], options, 1)
    if atts:
        fields["threshold"] = options.lenient
        fields["strict"] = StrictFigures(
            **_figures([a.strict for a in atts], options, 2), threshold=options.strict
        )
        for name, seed_offset in (("speaker", 3), ("cue", 4), ("mode", 5)):
            block = _accuracy([getattr(a, name) for a in atts], options, seed_offset)
            fields[f"{name}_accuracy"] = block.value
            fields[name] = block
    return AttributionFigures(**fields)


def _claims(records: Sequence[SampleRecord], options: ScoringOptions) -> ClaimFigures:
    claims = [r.scores.claims for r in records if r.scores.claims is not None]
    fields = _figures([c.counts for c in claims], options, 6)
    if claims:
        fields["similarity"] = options.claim_similarity
        fields["threshold"] = options.claim_threshold
    return ClaimFigures(**fields)


def _positions(records: Sequence[SampleRecord], options: ScoringOptions) -> PositionFigures:
    positions = [r.scores.positions for r in records if r.scores.positions is not None]
    fields = _figures([p.counts for p in positions], options, 7)
    if positions:
        fields["holder_target"] = Figures(**_figures([p.pairs for p in positions], options, 8))
        stance = _accuracy([p.stance for p in positions], options, 9)
        fields["stance_accuracy"] = stance.value
        fields["stance"] = stance
        confusion: dict[str, dict[str, int]] = {}
        for p in positions:
            for gold, predicted in p.confusion.items():
                for pred, n in predicted.items():
                    confusion.setdefault(gold, {})
                    confusion[gold][pred] = confusion[gold].get(pred, 0) + n
        fields["confusion"] = confusion
    return PositionFigures(**fields)


def _usage(records: Sequence[SampleRecord]) -> RunUsage:
    latencies = sorted(r.latency_s for r in records)
    return RunUsage(
        prompt_tokens=sum(r.usage.prompt_tokens for r in records),
        completion_tokens=sum(r.usage.completion_tokens for r in records),
        total_tokens=sum(r.usage.total_tokens for r in records),
        requests=sum(r.usage.requests for r in records),
        transport_retries=sum(r.usage.transport_retries for r in records),
        reasks=sum(r.usage.reasks for r in records),
        cached_samples=sum(1 for r in records if r.usage.cached),
        cost_usd=run_cost(records),
        latency_s=round(sum(latencies), 4),
        latency_s_mean=round(sum(latencies) / len(latencies), 4) if latencies else 0.0,
        latency_s_max=round(latencies[-1], 4) if latencies else 0.0,
    )


def _document_row(record: SampleRecord) -> DocumentRow:
    fields: dict[str, Any] = {}
    for layer in LAYERS:
        counts = headline_counts(record, layer)
        if counts is not None:
            fields[layer] = DocumentFigures(
                f1=round(counts.f1, 4), tp=counts.tp, n_pred=counts.n_pred, n_gold=counts.n_gold
            )
    if record.error is not None:
        fields["error"] = record.error.message
    return DocumentRow(**fields)


def summarize(records: Sequence[SampleRecord], options: ScoringOptions) -> Summary:
    """The run's figures, per layer, plus usage and a per-document table."""
    failed = sum(1 for r in records if r.error is not None)
    return Summary(
        samples=SampleCounts(total=len(records), failed=failed, scored=len(records) - failed),
        attributions=_attributions(records, options),
        claims=_claims(records, options),
        positions=_positions(records, options),
        usage=_usage(records),
        scoring=options,
        documents={r.id: _document_row(r) for r in records},
    )
