"""Compare two runs document by document: what changed, how sure we are, and where.

Only documents present (and labelled) in both runs are compared. Per layer, the
change in micro F1 gets a paired-bootstrap interval (the same resampled
documents on both sides, so document difficulty cancels out). Per document,
the change in F1 is explained by its counts: matches, predictions and gold,
and by failures.
"""

from __future__ import annotations

import json

from pydantic import Field

from claimx.evaluate.metrics import Accuracy, Counts, micro, paired_bootstrap
from claimx.evaluate.runlog import Run, SampleRecord
from claimx.evaluate.summary import LAYERS, MIN_INTERVAL_DOCUMENTS, Written, headline_counts

__all__ = [
    "AccuracyChange",
    "Change",
    "CommonDocuments",
    "Comparison",
    "DocumentDelta",
    "F1Change",
    "LayerChange",
    "MovedCounts",
    "RunSide",
    "compare_runs",
    "document_deltas",
]


class RunSide(Written):
    """Which run one side of a comparison is."""

    path: str
    model: str
    prompt_id: str | None
    prompt_sha256: str | None
    dataset: str
    run_id: str


class CommonDocuments(Written):
    """How many documents both runs hold, and which only one of them holds."""

    common: int
    only_a: list[str]
    only_b: list[str]


class Change(Written):
    """A figure in A and in B, and B − A."""

    a: float
    b: float
    delta: float


class F1Change(Change):
    """The change in F1, with its paired-bootstrap 95% interval from enough documents."""

    ci: list[float] = Field(default_factory=list)
    p_not_better: float | None = Field(default=None, description="Share of resamples where B is not better.")

    def interval(self) -> list[float] | None:
        """The paired 95% interval of the change, when there is one."""
        return self.ci or None


class LayerChange(Written):
    """One layer's micro precision, recall and F1 in both runs, over the documents both label."""

    documents: int
    precision: Change
    recall: Change
    f1: F1Change


class AccuracyChange(Written):
    """An accuracy on matched items in both runs (None where nothing was judged)."""

    a: float | None
    b: float | None
    delta: float | None


class MovedCounts(Written):
    """How many documents got worse, better, or stayed."""

    worse: int
    better: int
    unchanged: int


def _accuracies(record: SampleRecord) -> dict[str, Accuracy]:
    out: dict[str, Accuracy] = {}
    if record.scores.attributions is not None:
        out["speaker"] = record.scores.attributions.speaker
        out["cue"] = record.scores.attributions.cue
        out["mode"] = record.scores.attributions.mode
    if record.scores.positions is not None:
        out["stance"] = record.scores.positions.stance
    return out


def _explain(layer: str, a: Counts, b: Counts) -> str:
    return (
        f"{layer} F1 {a.f1:.2f}→{b.f1:.2f} "
        f"(matched {a.tp}→{b.tp} of {b.n_gold} gold; predicted {a.n_pred}→{b.n_pred})"
    )


def _missed(record: SampleRecord, layer: str) -> list[str]:
    scores = getattr(record.scores, layer)
    return list(scores.missed) if scores is not None else []


def _gold_words(record: SampleRecord, layer: str, item_id: str) -> str:
    """A short description of a gold item, for "newly missed …" lines."""
    gold = record.gold
    words = ""
    if layer == "attributions":
        words = next((a.content.text for a in gold.attributions if a.id == item_id), "")
    elif layer == "claims":
        words = next((c.text for c in gold.claims if c.id == item_id), "")
    elif layer == "positions":
        pos = next((p for p in gold.positions if p.id == item_id), None)
        if pos is not None:
            holder = next((a.name for a in gold.actors if a.id == pos.holder_id), "the author")
            words = f"{holder} {pos.stance.value} {pos.target}"
    words = " ".join(words.split())
    return f"{item_id} “{words[:70]}{'…' if len(words) > 70 else ''}”"


def _item_changes(layer: str, ra: SampleRecord, rb: SampleRecord) -> list[str]:
    before, after = set(_missed(ra, layer)), set(_missed(rb, layer))
    lines = []
    lost = [i for i in _missed(rb, layer) if i not in before]
    found = [i for i in _missed(ra, layer) if i not in after]
    if lost:
        more = f" and {len(lost) - 2} more" if len(lost) > 2 else ""
        lines.append(f"B misses {', '.join(_gold_words(rb, layer, i) for i in lost[:2])}{more}")
    if found:
        more = f" and {len(found) - 2} more" if len(found) > 2 else ""
        lines.append(f"B finds {', '.join(_gold_words(rb, layer, i) for i in found[:2])}{more}")
    return lines


class DocumentDelta(Written):
    """How one document's headline F1 moved from run A to run B (mean over the layers both label)."""

    id: str
    delta_f1: float
    why: list[str]


class Comparison(Written):
    """Two runs compared (``claimx eval compare --json``): per layer, accuracies, documents that moved."""

    a: RunSide
    b: RunSide
    documents: CommonDocuments
    layers: dict[str, LayerChange]
    accuracies: dict[str, AccuracyChange]
    worse: list[DocumentDelta]
    better: list[DocumentDelta]
    counts: MovedCounts

    def to_json(self) -> str:
        """The comparison as ``claimx eval compare --json`` prints it."""
        return json.dumps(self.model_dump(mode="json"), indent=2, ensure_ascii=False)


def _common(a: Run, b: Run) -> list[tuple[SampleRecord, SampleRecord]]:
    records_b = {r.id: r for r in b.records}
    return [(ra, records_b[ra.id]) for ra in a.records if ra.id in records_b]


def _document_delta(ra: SampleRecord, rb: SampleRecord) -> DocumentDelta | None:
    deltas = []
    reasons = []
    for layer in LAYERS:
        ca, cb = headline_counts(ra, layer), headline_counts(rb, layer)
        if ca is None or cb is None:
            continue
        deltas.append(cb.f1 - ca.f1)
        if (ca.tp, ca.n_pred, ca.n_gold) != (cb.tp, cb.n_pred, cb.n_gold):
            reasons.append(_explain(layer, ca, cb))
            if layer != "claims":  # claims mirror attributions in most gold; keep the list short
                reasons.extend(_item_changes(layer, ra, rb))
    if ra.error and not rb.error:
        reasons.insert(0, f"A failed: {ra.error.message}")
    if rb.error and not ra.error:
        reasons.insert(0, f"B failed: {rb.error.message}")
    if not deltas:
        return None
    return DocumentDelta(id=ra.id, delta_f1=round(sum(deltas) / len(deltas), 4), why=reasons)


def document_deltas(a: Run, b: Run) -> list[DocumentDelta]:
    """Every document both runs hold and both score, in A's order, with its change in F1 and why.

    The same figures ``compare_runs`` ranks for its most-worse and most-better lists; the HTML
    report charts and tabulates all of them.
    """
    return [d for ra, rb in _common(a, b) if (d := _document_delta(ra, rb)) is not None]


def compare_runs(a: Run, b: Run, *, top: int = 5, resamples: int = 1000, seed: int = 0) -> Comparison:
    """Per-layer deltas (B − A) with paired-bootstrap intervals, and the documents that moved most."""
    records_b = {r.id: r for r in b.records}
    common = _common(a, b)
    only_a = [r.id for r in a.records if r.id not in records_b]
    only_b = sorted(set(records_b) - {r.id for r in a.records})
    layers: dict[str, LayerChange] = {}
    for offset, layer in enumerate(LAYERS):
        pairs = [
            (ca, cb)
            for ra, rb in common
            if (ca := headline_counts(ra, layer)) is not None
            and (cb := headline_counts(rb, layer)) is not None
        ]
        if not pairs:
            continue
        side_a, side_b = micro([p[0] for p in pairs]), micro([p[1] for p in pairs])
        changes = {}
        for name in ("precision", "recall", "f1"):
            va, vb = getattr(side_a, name), getattr(side_b, name)
            changes[name] = {"a": round(va, 4), "b": round(vb, 4), "delta": round(vb - va, 4)}
        result = (
            paired_bootstrap(
                [p[0] for p in pairs], [p[1] for p in pairs], resamples=resamples, seed=seed + offset
            )
            if len(pairs) >= MIN_INTERVAL_DOCUMENTS
            else None
        )
        f1 = F1Change(**changes["f1"])
        if result is not None:
            interval, not_better = result
            f1 = F1Change(**changes["f1"], ci=interval.as_list(), p_not_better=round(not_better, 4))
        layers[layer] = LayerChange(
            documents=len(pairs),
            precision=Change(**changes["precision"]),
            recall=Change(**changes["recall"]),
            f1=f1,
        )
    accuracies: dict[str, AccuracyChange] = {}
    for name in ("speaker", "cue", "mode", "stance"):
        acc_a, acc_b = Accuracy(), Accuracy()
        for ra, rb in common:
            xa, xb = _accuracies(ra).get(name), _accuracies(rb).get(name)
            if xa is not None and xb is not None:
                acc_a, acc_b = acc_a + xa, acc_b + xb
        if acc_a.total or acc_b.total:
            va, vb = acc_a.value, acc_b.value
            accuracies[name] = AccuracyChange(
                a=None if va is None else round(va, 4),
                b=None if vb is None else round(vb, 4),
                delta=None if va is None or vb is None else round(vb - va, 4),
            )
    documents = document_deltas(a, b)
    worse = sorted((d for d in documents if d.delta_f1 < 0), key=lambda d: (d.delta_f1, d.id))
    better = sorted((d for d in documents if d.delta_f1 > 0), key=lambda d: (-d.delta_f1, d.id))
    return Comparison(
        a=_side(a),
        b=_side(b),
        documents=CommonDocuments(common=len(common), only_a=only_a, only_b=only_b),
        layers=layers,
        accuracies=accuracies,
        worse=worse[:top],
        better=better[:top],
        counts=MovedCounts(
            worse=len(worse), better=len(better), unchanged=len(documents) - len(worse) - len(better)
        ),
    )


def _side(run: Run) -> RunSide:
    h = run.header
    return RunSide(
        path=str(run.path),
        model=h.model,
        prompt_id=h.prompt_id,
        prompt_sha256=h.prompt_sha256,
        dataset=h.dataset.spec,
        run_id=h.run_id,
    )
