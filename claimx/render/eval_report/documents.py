"""One document of the report: its text once, its marked items in every run, and its marks for the script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claimx.evaluate.runlog import Run, SampleRecord
from claimx.evaluate.summary import LAYERS, headline_counts
from claimx.render.eval_report.items import (
    SIDE_ORDER,
    Item,
    clip,
    gold_items_of,
    judge,
    layer_score,
    predicted_items,
)
from claimx.render.htmlkit import Mark


@dataclass
class ReportDocument:
    """What the page holds for one document: its text once, its marked items, a few facts."""

    id: str
    text: str
    records: dict[str, SampleRecord]  # run → its record of this document
    items: list[Item]
    unscored: dict[str, int]  # run → predicted items scoring left out (the article's own voice)


def build_document(records: dict[str, SampleRecord]) -> ReportDocument:
    """Gold and predicted items of every scored layer, with their outcomes in each run."""
    first = next(iter(records.values()))
    items: list[Item] = []
    unscored: dict[str, int] = {}
    for layer in LAYERS:
        scored = {run: s for run, r in records.items() if (s := layer_score(r, layer)) is not None}
        if not scored:
            continue
        gold_items = gold_items_of(first, layer)
        gold = {item.id: item for item in gold_items}
        items.extend(gold_items)
        for run, record in records.items():
            if run not in scored:
                continue
            predicted = predicted_items(record.prediction, "a" if run == "a" else "b", layer)
            pred = {item.id: item for item in predicted}
            judge(run, scored[run], gold, pred)
            kept = [item for item in predicted if item.outcome]
            unscored[run] = unscored.get(run, 0) + len(predicted) - len(kept)
            items.extend(kept)
    return ReportDocument(first.id, first.text, records, items, unscored)


def runs_by_document(runs: dict[str, Run]) -> list[dict[str, SampleRecord]]:
    """Every document of the runs (A's order, then any only B has), with each run's record of it.

    A record of B whose text differs from A's (another dataset under the same id) is left out:
    its offsets would mark the wrong words.
    """
    order: list[str] = []
    by_id: dict[str, dict[str, SampleRecord]] = {}
    for run, data in runs.items():
        for record in data.records:
            entry = by_id.get(record.id)
            if entry is None:
                order.append(record.id)
                by_id[record.id] = {run: record}
            elif next(iter(entry.values())).text == record.text:
                entry[run] = record
    return [by_id[doc] for doc in order]


def marks_of(document: ReportDocument) -> tuple[list[Mark], list[bool]]:
    """The spans to wrap, each naming its item by index; and whether each item could be placed.

    An item's first stretch carries class ``m``; its further stretches ``m cont``, like the
    continuation pieces :func:`marked_text` makes, so ``.m:not(.cont)`` counts items.
    """
    n = len(document.text)
    marks: list[Mark] = []
    placed: list[bool] = []
    for index, item in enumerate(document.items):
        spans = [(s, e) for s, e in item.spans if 0 <= s < e <= n]
        for number, (start, end) in enumerate(spans):
            classes = "m" if number == 0 else "m cont"
            marks.append(Mark(start, end, classes, {"data-m": index}, layer=SIDE_ORDER[item.side]))
        placed.append(bool(spans))
    return marks, placed


def _facts(document: ReportDocument, names: dict[str, str]) -> list[str]:
    """One line per run on this document: its scores per layer and anything that went wrong."""
    lines = []
    for run, record in document.records.items():
        parts = []
        for layer in LAYERS:
            counts = headline_counts(record, layer)
            if counts is not None:
                parts.append(
                    f"{layer} F1 {counts.f1:.2f} ({counts.tp} matched / {counts.n_pred} predicted / "
                    f"{counts.n_gold} gold)"
                )
        if record.error:
            parts.append(f"failed: {record.error.message}")
        if document.unscored.get(run):
            parts.append(
                f"{document.unscored[run]} predicted item(s) in the article’s own voice not scored "
                "(the gold does not mark it)"
            )
        lines.append(f"{names[run]}: " + "; ".join(parts))
    return lines


OUTCOME_CODE = {"hit": "h", "miss": "m", "fp": "f"}


def document_data(document: ReportDocument, placed: list[bool], names: dict[str, str]) -> dict[str, Any]:
    """The document's marks for the script, compactly: a PolNeAR dev report holds ~10,000.

    Each mark is ``[side, layer, id, {run: [outcome, partner, how]}]``, plus a label when the
    words in the text do not say what the item is (a position, or an item with no place in the
    text): ``side`` g/a/b, ``layer`` an index into the page's layer names, ``outcome`` h(it),
    m(iss) or f(alse positive), ``partner`` the index of the paired item (-1: none) and ``how``
    how they matched (on gold items only; a prediction shows its partner's).
    """
    index = {id(item): i for i, item in enumerate(document.items)}
    marks: list[list[Any]] = []
    for item, is_placed in zip(document.items, placed, strict=True):
        runs: dict[str, list[Any]] = {}
        for run, outcome in item.outcome.items():
            entry: list[Any] = [OUTCOME_CODE[outcome]]
            partner = item.partner.get(run)
            if partner is not None:
                entry.append(index.get(id(partner), -1))
                if item.side == "g":
                    entry.append(item.how.get(run, ""))
            runs[run] = entry
        mark: list[Any] = [item.side, LAYERS.index(item.layer), item.id, runs]
        if item.layer == "positions" or not is_placed:
            mark.append(clip(item.label, 140))
        marks.append(mark)
    return {
        "id": document.id,
        "runs": list(document.records),
        "marks": marks,
        "facts": _facts(document, names),
    }


def mean_f1(record: SampleRecord) -> float | None:
    """A document's headline F1 averaged over the layers its gold labels (None: none scored)."""
    values = [c.f1 for layer in LAYERS if (c := headline_counts(record, layer)) is not None]
    return sum(values) / len(values) if values else None
