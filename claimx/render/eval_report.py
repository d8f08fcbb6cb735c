"""An eval run, or two runs compared, as one self-contained HTML page.

The page answers, in order: how good is it (per-layer precision, recall and F1 with their
bootstrap intervals, as a table and as bars), which documents are weak or moved (a table of
documents sortable by any score, and for a comparison a bar per document), and why (for any
document, gold and prediction side by side with every matched, missed and false-positive item
marked in the text).

Nothing is matched here: which predicted item matched which gold item, and which are misses
and false positives, is read from the scorer's own record of the run (``SampleScores``), so the
page shows exactly what the figures count. Each document's text is embedded once, in a
``<template>``, with its marks as ``<span data-m>`` elements; a small script clones it into the
two panes and colours each mark for the pane (gold against run A, run B's prediction, …). The
page needs no network, like every page :mod:`claimx.render.htmlkit` builds.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from claimx.evaluate.compare import DocumentDelta, compare_runs, document_deltas
from claimx.evaluate.report import fmt
from claimx.evaluate.runlog import Run, SampleRecord
from claimx.evaluate.scorers import AttributionScore, ClaimScore, PositionScore
from claimx.evaluate.summary import LAYERS, headline_counts, summarize
from claimx.render.htmlkit import Bar, Mark, attrs, bar_chart, esc, marked_text, page
from claimx.schema import Extraction

__all__ = ["eval_report_html"]

Side = Literal["g", "a", "b"]  # gold, run A's prediction, run B's prediction
Outcome = Literal["hit", "miss", "fp"]

_SIDE_ORDER: dict[str, int] = {"g": 0, "a": 1, "b": 2}
_LAYER_NOUN = {"attributions": "attribution", "claims": "claim", "positions": "position"}


# --- items and their outcomes --------------------------------------------------------------------


@dataclass
class _Item:
    """One gold or predicted item of one layer, as the report marks it in the text."""

    side: Side
    layer: str
    id: str
    spans: list[tuple[int, int]]
    label: str
    outcome: dict[str, Outcome] = field(default_factory=dict)  # run → how this item fared in it
    partner: dict[str, _Item] = field(default_factory=dict)  # run → the item it was paired with
    how: dict[str, str] = field(default_factory=dict)  # run → a few words on the pairing


def _clip(text: str, width: int = 90) -> str:
    words = " ".join(text.split())
    return words if len(words) <= width else words[: width - 1] + "…"


def _holder(names: dict[str, str], holder_id: str | None) -> str:
    return names.get(holder_id or "", "the article") if holder_id else "the article"


def _gold_items(record: SampleRecord, layer: str) -> list[_Item]:
    """The gold items of a layer with the stretches of text that show them."""
    gold = record.gold
    if layer == "attributions":
        return [
            _Item(
                "g",
                layer,
                a.id,
                list(record.content_segments.get(a.id) or [(a.content.start, a.content.end)]),
                a.content.text,
            )
            for a in gold.attributions
        ]
    if layer == "claims":
        return [_Item("g", layer, c.id, [(s.start, s.end) for s in c.evidence], c.text) for c in gold.claims]
    names = {a.id: a.name for a in gold.actors}
    return [
        _Item(
            "g",
            layer,
            p.id,
            [(s.start, s.end) for s in p.evidence],
            f"{_holder(names, p.holder_id)} {p.stance.value} {p.target}",
        )
        for p in gold.positions
    ]


def _predicted_items(prediction: Extraction | None, side: Side, layer: str) -> list[_Item]:
    """A run's predicted items of a layer (its author-voice statements included: scoring decides)."""
    if prediction is None:
        return []
    if layer == "attributions":
        return [
            _Item(side, layer, a.id, [(a.content.start, a.content.end)], a.content.text)
            for a in prediction.attributions
        ]
    if layer == "claims":
        return [
            _Item(side, layer, c.id, [(s.start, s.end) for s in c.evidence], c.text)
            for c in prediction.claims
        ]
    names = {a.id: a.name for a in prediction.actors}
    return [
        _Item(
            side,
            layer,
            p.id,
            [(s.start, s.end) for s in p.evidence],
            f"{_holder(names, p.holder_id)} {p.stance.value} {p.target}",
        )
        for p in prediction.positions
    ]


def _pair(
    run: str, gold: _Item | None, pred: _Item | None, outcomes: tuple[Outcome, Outcome], how: str
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


def _yes(value: bool | None) -> str:
    return "–" if value is None else "✓" if value else "✗"


def _judge(
    run: str,
    score: AttributionScore | ClaimScore | PositionScore,
    gold: dict[str, _Item],
    pred: dict[str, _Item],
) -> None:
    """Set each item's outcome in ``run`` from the scorer's matches, misses and spurious items.

    A position matched on holder and target but not on stance is a miss and a false positive,
    exactly as the headline counts have it.
    """
    if isinstance(score, AttributionScore):
        for m in score.matches:
            how = (
                f"overlap {m.overlap:.2f}{' strict' if m.strict else ''}; speaker {_yes(m.speaker)} "
                f"cue {_yes(m.cue)} mode {_yes(m.mode)}"
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


def _layer_score(record: SampleRecord, layer: str) -> AttributionScore | ClaimScore | PositionScore | None:
    score: AttributionScore | ClaimScore | PositionScore | None = getattr(record.scores, layer)
    return score


# --- one document ---------------------------------------------------------------------------------


@dataclass
class _Document:
    """What the page holds for one document: its text once, its marked items, a few facts."""

    id: str
    text: str
    records: dict[str, SampleRecord]  # run → its record of this document
    items: list[_Item]
    unscored: dict[str, int]  # run → predicted items scoring left out (the article's own voice)


def _build_document(records: dict[str, SampleRecord]) -> _Document:
    """Gold and predicted items of every scored layer, with their outcomes in each run."""
    first = next(iter(records.values()))
    items: list[_Item] = []
    unscored: dict[str, int] = {}
    for layer in LAYERS:
        scored = {run: s for run, r in records.items() if (s := _layer_score(r, layer)) is not None}
        if not scored:
            continue
        gold_items = _gold_items(first, layer)
        gold = {item.id: item for item in gold_items}
        items.extend(gold_items)
        for run, record in records.items():
            if run not in scored:
                continue
            predicted = _predicted_items(record.prediction, "a" if run == "a" else "b", layer)
            pred = {item.id: item for item in predicted}
            _judge(run, scored[run], gold, pred)
            kept = [item for item in predicted if item.outcome]
            unscored[run] = unscored.get(run, 0) + len(predicted) - len(kept)
            items.extend(kept)
    return _Document(first.id, first.text, records, items, unscored)


def _runs_by_document(runs: dict[str, Run]) -> list[dict[str, SampleRecord]]:
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


def _marks(document: _Document) -> tuple[list[Mark], list[bool]]:
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
            marks.append(Mark(start, end, classes, {"data-m": index}, layer=_SIDE_ORDER[item.side]))
        placed.append(bool(spans))
    return marks, placed


def _facts(document: _Document, names: dict[str, str]) -> list[str]:
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


_OUTCOME_CODE = {"hit": "h", "miss": "m", "fp": "f"}


def _document_data(document: _Document, placed: list[bool], names: dict[str, str]) -> dict[str, Any]:
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
            entry: list[Any] = [_OUTCOME_CODE[outcome]]
            partner = item.partner.get(run)
            if partner is not None:
                entry.append(index.get(id(partner), -1))
                if item.side == "g":
                    entry.append(item.how.get(run, ""))
            runs[run] = entry
        mark: list[Any] = [item.side, LAYERS.index(item.layer), item.id, runs]
        if item.layer == "positions" or not is_placed:
            mark.append(_clip(item.label, 140))
        marks.append(mark)
    return {
        "id": document.id,
        "runs": list(document.records),
        "marks": marks,
        "facts": _facts(document, names),
    }


# --- figures ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    """A line of the metrics table: one layer (or one criterion of it) of a run's summary."""

    key: str
    label: str
    block: dict[str, Any]


def _metric_rows(summary: dict[str, Any]) -> list[_Row]:
    """The figures summary.md lists, in its order: headline and strict attributions, claims, positions."""
    rows = []
    att, claims, positions = summary["attributions"], summary["claims"], summary["positions"]
    if att.get("documents"):
        rows.append(_Row("attributions", f"attributions (overlap ≥ {att['threshold']})", att))
        strict = att["strict"]
        rows.append(_Row("attributions_strict", f"attributions, strict (≥ {strict['threshold']})", strict))
    if claims.get("documents"):
        rows.append(_Row("claims", f"claims ({claims['similarity']} ≥ {claims['threshold']})", claims))
    if positions.get("documents"):
        rows.append(_Row("positions", "positions (holder, target, stance)", positions))
        rows.append(_Row("positions_pairs", "positions, holder and target only", positions["holder_target"]))
    return rows


def _interval(block: dict[str, Any], key: str) -> list[float] | None:
    ci = block.get("ci")
    value = ci.get(key) if isinstance(ci, dict) else ci
    return list(value) if value else None


def _value_cell(value: float | None, interval: list[float] | None = None, *, strong: bool = False) -> str:
    shown = fmt(value)
    if strong:
        shown = f"<strong>{shown}</strong>"
    ci = f' <span class="ci">[{interval[0]:.3f}, {interval[1]:.3f}]</span>' if interval else ""
    return f"<td{attrs({'data-v': value})}>{shown}{ci}</td>"


def _delta_cell(metric: str, value: float | None, interval: list[float] | None = None) -> str:
    if value is None:
        return '<td class="delta">—</td>'
    sign = "up" if value > 0 else "down" if value < 0 else "same"
    ci = f' <span class="ci">[{interval[0]:+.3f}, {interval[1]:+.3f}]</span>' if interval else ""
    return (
        f"<td{attrs({'class': f'delta {sign}', 'data-metric': metric, 'data-v': value})}>"
        f"<strong>{value:+.3f}</strong>{ci}</td>"
    )


def _metrics_table(summary: dict[str, Any], run: str) -> str:
    """Per-layer precision, recall and F1 with 95% intervals, macro F1 and the counts behind them."""
    rows = []
    for row in _metric_rows(summary):
        b = row.block
        rows.append(
            f'<tr{attrs({"data-layer": row.key, "data-run": run})}><th scope="row">{esc(row.label)}</th>'
            + _value_cell(b["precision"], _interval(b, "precision"))
            + _value_cell(b["recall"], _interval(b, "recall"))
            + _value_cell(b["f1"], _interval(b, "f1"), strong=True)
            + _value_cell(b.get("macro", {}).get("f1"))
            + f'<td class="num">{b["tp"]} / {b["n_pred"]} / {b["n_gold"]}</td>'
            f'<td class="num">{b["documents"]}</td></tr>'
        )
    if not rows:
        return '<p class="hint">No layer of this run’s gold was scored.</p>'
    return (
        '<div class="scroll"><table class="grid metrics"><thead><tr><th>Layer</th><th>Precision [95% CI]</th>'
        "<th>Recall [95% CI]</th><th>F1 [95% CI]</th><th>Macro F1</th>"
        "<th>Matched / predicted / gold</th><th>Docs</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _accuracies(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    out = []
    for name in ("speaker", "cue", "mode"):
        block = summary["attributions"].get(name)
        if block and block["total"]:
            out.append((name, block))
    stance = summary["positions"].get("stance")
    if stance and stance["total"]:
        out.append(("stance", stance))
    return out


def _accuracy_table(summary: dict[str, Any]) -> str:
    rows = [
        f'<tr><th scope="row">{esc(name)}</th>{_value_cell(b["value"], _interval(b, "value"))}'
        f'<td class="num">{b["correct"]} / {b["total"]}</td></tr>'
        for name, b in _accuracies(summary)
    ]
    if not rows:
        return ""
    return (
        '<div class="scroll"><table class="grid acc"><thead><tr><th>On matched items</th>'
        "<th>Accuracy [95% CI]</th><th>Right / judged</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _compare_table(comparison: dict[str, Any]) -> str:
    """Per-layer F1 of A and B and the change, with the paired-bootstrap interval of the change."""
    rows = []
    for layer, entry in comparison["layers"].items():
        f1 = entry["f1"]
        rows.append(
            f'<tr{attrs({"data-layer": layer})}><th scope="row">{esc(layer)}</th>'
            + _value_cell(f1["a"])
            + _value_cell(f1["b"])
            + _delta_cell("f1", f1["delta"], f1.get("ci"))
            + f'<td class="num">{fmt(f1.get("p_not_better"))}</td>'
            + _delta_cell("precision", entry["precision"]["delta"])
            + _delta_cell("recall", entry["recall"]["delta"])
            + f'<td class="num">{entry["documents"]}</td></tr>'
        )
    accuracy_rows = [
        f'<tr{attrs({"data-accuracy": name})}><th scope="row">{esc(name)} accuracy</th>'
        + _value_cell(e["a"])
        + _value_cell(e["b"])
        + _delta_cell("accuracy", e["delta"])
        + "<td></td><td></td><td></td><td></td></tr>"
        for name, e in comparison["accuracies"].items()
    ]
    return (
        '<div class="scroll"><table class="grid compare"><thead><tr><th>Layer</th><th>F1 A</th><th>F1 B</th>'
        "<th>Δ F1 [95% paired CI]</th><th>P(B not better)</th><th>Δ precision</th><th>Δ recall</th>"
        f"<th>Docs</th></tr></thead><tbody>{''.join(rows + accuracy_rows)}</tbody></table></div>"
    )


_METRICS = (("precision", "P"), ("recall", "R"), ("f1", "F1"))


def _layer_chart(summaries: dict[str, dict[str, Any]], names: dict[str, str]) -> str:
    """Bars per layer and metric (for two runs, A beside B), each with its 95% interval."""
    bars = []
    first = next(iter(summaries.values()))
    for row in _metric_rows(first):
        for colour, (metric, short) in enumerate(_METRICS):
            for slot, (run, summary) in enumerate(summaries.items()):
                block = next((r.block for r in _metric_rows(summary) if r.key == row.key), None)
                if block is None or block[metric] is None:
                    continue
                interval = _interval(block, metric)
                label = short if len(summaries) == 1 else f"{short} · {run.upper()}"
                bars.append(
                    Bar(
                        label,
                        block[metric],
                        interval[0] if interval else None,
                        interval[1] if interval else None,
                        swatch=slot if len(summaries) > 1 else colour,
                        group=row.label,
                        note=names[run] if len(summaries) > 1 else None,
                    )
                )
    if not bars:
        return ""
    return bar_chart(bars, title="Precision, recall and F1 per layer (95% intervals)", domain=(0.0, 1.0))


def _accuracy_chart(summaries: dict[str, dict[str, Any]], names: dict[str, str]) -> str:
    bars = []
    for slot, (run, summary) in enumerate(summaries.items()):
        for name, block in _accuracies(summary):
            interval = _interval(block, "value")
            bars.append(
                Bar(
                    name if len(summaries) == 1 else f"{name} · {run.upper()}",
                    block["value"],
                    interval[0] if interval else None,
                    interval[1] if interval else None,
                    swatch=slot if len(summaries) > 1 else 6,
                    note=names[run] if len(summaries) > 1 else None,
                )
            )
    if not bars:
        return ""
    bars.sort(key=lambda b: b.label)
    return bar_chart(bars, title="Accuracy on matched items (95% intervals)", domain=(0.0, 1.0))


def _delta_chart(comparison: dict[str, Any]) -> str:
    """The change of each layer's precision, recall and F1, F1 with its paired interval."""
    bars = []
    for layer, entry in comparison["layers"].items():
        for metric, short in _METRICS:
            ci = entry[metric].get("ci")
            bars.append(
                Bar(
                    f"Δ {short}",
                    entry[metric]["delta"],
                    ci[0] if ci else None,
                    ci[1] if ci else None,
                    swatch=2 if entry[metric]["delta"] >= 0 else 3,
                    group=layer,
                )
            )
    return bar_chart(bars, title="Change per layer, B − A (F1 with 95% paired interval)", digits=3)


def _short(doc_id: str, width: int = 30) -> str:
    return doc_id if len(doc_id) <= width else doc_id[: width - 1] + "…"


def _document_delta_chart(deltas: Sequence[DocumentDelta]) -> str:
    """One bar per document, sorted from most worse to most better: where the runs differ."""
    ordered = sorted(deltas, key=lambda d: (d.delta_f1, d.id))
    bars = [
        Bar(
            _short(d.id), d.delta_f1, swatch=2 if d.delta_f1 > 0 else 3 if d.delta_f1 < 0 else None, note=d.id
        )
        for d in ordered
    ]
    if not bars:
        return ""
    return bar_chart(
        bars, title="Change in F1 per document, B − A (mean over layers)", row=15, width=1100, digits=2
    )


# --- page parts -------------------------------------------------------------------------------------


def _dl(pairs: Sequence[tuple[str, object]]) -> str:
    rows = "".join(
        f'<dt>{esc(k)}</dt><dd dir="auto">{esc(v)}</dd>' for k, v in pairs if v is not None and v != ""
    )
    return f'<dl class="kv">{rows}</dl>'


def _run_facts(run: Run, label: str) -> str:
    h = run.header
    failed = sum(1 for r in run.records if r.error)
    prompt = h.prompt_id or "—"
    if h.prompt_sha256:
        prompt += f" ({h.prompt_sha256[:12]})"
    scoring = h.scoring
    return (
        f'<div class="run"><h3>{esc(label)}</h3>'
        + _dl(
            [
                ("model", h.model + (f" at {h.base_url}" if h.base_url else "")),
                ("provider", h.provider),
                ("prompt", prompt),
                ("dataset", f"{h.dataset.spec} ({h.dataset.name})"),
                ("documents", f"{len(run.records)}" + (f", {failed} failed" if failed else "")),
                ("date", h.date),
                ("run", f"{h.run_id} · {run.path}"),
                ("claimx", h.claimx_version + (f", git {h.git_revision[:12]}" if h.git_revision else "")),
                (
                    "scoring",
                    f"claims {scoring.claim_similarity.value} ≥ {scoring.claim_threshold}, attributions "
                    f"≥ {scoring.lenient} (strict {scoring.strict}), {scoring.bootstrap} bootstrap resamples",
                ),
            ]
        )
        + "</div>"
    )


def _header(runs: dict[str, Run], names: dict[str, str]) -> str:
    a = runs["a"]
    if "b" in runs:
        b = runs["b"]
        title = f"{names['b']} vs {names['a']} on {a.header.dataset.name}"
        facts = _run_facts(a, f"A (reference): {names['a']}") + _run_facts(b, f"B (candidate): {names['b']}")
        note = '<p class="sub">Changes are B − A.</p>'
    else:
        title = f"{names['a']} on {a.header.dataset.name}"
        facts = _run_facts(a, "Run")
        note = ""
    return (
        f'<header class="top"><p class="kicker">claimx eval report</p><h1 dir="auto">{esc(title)}</h1>{note}'
        f'<div class="runs">{facts}</div></header>'
    )


def _run_name(run: Run) -> str:
    """Model and prompt in a few words ("openai/gpt-4.1-mini extract@v2", "baseline@v1", "gold")."""
    h = run.header
    if not h.prompt_id or h.prompt_id == h.model:
        return h.model
    return h.prompt_id if h.prompt_id.startswith(h.model) else f"{h.model} {h.prompt_id}"


def _layers_present(documents: Sequence[_Document]) -> list[str]:
    return [layer for layer in LAYERS if any(item.layer == layer for d in documents for item in d.items)]


def _mean_f1(record: SampleRecord) -> float | None:
    values = [c.f1 for layer in LAYERS if (c := headline_counts(record, layer)) is not None]
    return sum(values) / len(values) if values else None


def _num_cell(value: float | None, *, digits: int = 3, signed: bool = False, title: str | None = None) -> str:
    if value is None:
        return "<td>—</td>"
    shown = f"{value:+.{digits}f}" if signed else f"{value:.{digits}f}"
    cls = None
    if signed:
        cls = "delta up" if value > 0 else "delta down" if value < 0 else "delta same"
    return f"<td{attrs({'class': cls, 'data-v': round(value, 4), 'title': title})}>{shown}</td>"


def _sort_header(label: str, kind: str = "number", title: str | None = None) -> str:
    return (
        f"<th{attrs({'data-sort': kind, 'title': title})}>"
        f'<button type="button" class="sort">{esc(label)}</button></th>'
    )


def _score_cells(document: _Document, layer: str, compare: bool) -> list[str]:
    """A layer's F1 of one document: with its counts for one run; of A, of B and the change for two."""
    per_run = {run: headline_counts(r, layer) for run, r in document.records.items()}
    if not compare:
        counts = per_run.get("a")
        if counts is None:
            return ["<td>—</td>"]
        return [
            f"<td{attrs({'data-v': round(counts.f1, 4)})}>{counts.f1:.3f}"
            f' <span class="counts">{counts.tp}/{counts.n_pred}/{counts.n_gold}</span></td>'
        ]
    cells = []
    for run in ("a", "b"):
        counts = per_run.get(run)
        title = None if counts is None else f"{counts.tp}/{counts.n_pred}/{counts.n_gold}"
        cells.append(_num_cell(None if counts is None else counts.f1, title=title))
    ca, cb = per_run.get("a"), per_run.get("b")
    cells.append(_num_cell(None if ca is None or cb is None else cb.f1 - ca.f1, signed=True))
    return cells


def _notes(document: _Document, compare: bool) -> str:
    notes = []
    for run, record in document.records.items():
        if record.error:
            who = f"{run.upper()} " if compare else ""
            message = record.error.message
            notes.append(f'<span class="badge oppose"{attrs({"title": message})}>{who}failed</span>')
    if compare and len(document.records) == 1:
        notes.append(f'<span class="badge plain">only in {esc(next(iter(document.records)).upper())}</span>')
    return " ".join(notes)


def _document_row(
    index: int, document: _Document, layers: Sequence[str], deltas: dict[str, DocumentDelta] | None
) -> str:
    """One row of the documents table; every sortable cell carries its value in ``data-v``."""
    compare = deltas is not None
    cells = [
        f'<td class="num" data-v="{index + 1}">{index + 1}</td>',
        f'<td class="doc" data-v="{esc(document.id)}" dir="auto">{esc(document.id)}</td>',
    ]
    for layer in layers:
        cells += _score_cells(document, layer, compare)
    if deltas is not None:
        delta = deltas.get(document.id)
        cells.append(_num_cell(delta.delta_f1 if delta else None, signed=True))
    else:
        cells.append(_num_cell(_mean_f1(document.records["a"])))
    cells.append(f"<td>{_notes(document, compare)}</td>")
    return f"<tr{attrs({'class': 'row', 'data-doc': index, 'tabindex': 0})}>{''.join(cells)}</tr>"


def _documents_table(
    documents: Sequence[_Document], layers: Sequence[str], deltas: dict[str, DocumentDelta] | None
) -> str:
    """One row per document, sortable by any score; a click on a row opens the document below."""
    compare = deltas is not None
    heads = [_sort_header("#", title="dataset order"), _sort_header("Document", "text")]
    for layer in layers:
        if compare:
            heads += [_sort_header(f"{layer} A"), _sort_header(f"{layer} B"), _sort_header(f"Δ {layer}")]
        else:
            heads.append(_sort_header(f"{layer} F1", title="matched / predicted / gold beneath"))
    heads.append(_sort_header("Δ F1" if compare else "Mean F1", title="mean over layers"))
    heads.append("<th>Notes</th>")
    rows = "".join(_document_row(i, d, layers, deltas) for i, d in enumerate(documents))
    hint = "Click a column to sort (again to reverse); click a document to see it below. Cells show F1" + (
        " of A and B and the change." if compare else " and matched / predicted / gold."
    )
    return (
        f'<section class="panel" id="documents"><h2>Documents</h2><p class="hint">{hint}</p>'
        f'<div class="docs-wrap"><table class="grid docs" id="docs"><thead><tr>{"".join(heads)}</tr></thead>'
        f"<tbody>{rows}</tbody></table></div></section>"
    )


_LEGEND = (
    '<div class="legend">'
    '<span><span class="m hit">matched</span> a gold item and the prediction paired with it</span>'
    '<span><span class="m miss">missed</span> a gold item nothing matched</span>'
    '<span><span class="m fp">false positive</span> a predicted item that matches no gold</span>'
    "</div>"
)


def _viewer(documents: Sequence[_Document], layers: Sequence[str], compare: bool) -> str:
    """The side-by-side: a document picker, layer and view switches, a legend and two panes."""
    options = "".join(f'<option value="{i}">{esc(d.id)}</option>' for i, d in enumerate(documents))
    layer_inputs = "".join(
        f'<label><input type="radio" name="layer"{attrs({"value": layer, "checked": i == 0})}> '
        f"{esc(layer)}</label>"
        for i, layer in enumerate(layers)
    )
    view = ""
    if compare:
        view = (
            '<label>View <select id="view-select">'
            '<option value="0">A against B (each with its misses)</option>'
            '<option value="1">gold against A</option><option value="2">gold against B</option>'
            "</select></label>"
        )
    panes = "".join(
        f'<div class="pane" id="pane-{i}"><h3><span class="what"></span>'
        f' <span class="counts"></span></h3><p class="missing hint" hidden></p>'
        f'<div class="text" tabindex="0"></div><ul class="unplaced" hidden></ul></div>'
        for i in range(2)
    )
    return (
        '<section class="panel" id="viewer"><h2>Document</h2>'
        f'<div class="controls"><label>Document <select id="doc-select">{options}</select></label>'
        f'<span class="layers" role="radiogroup" aria-label="layer">{layer_inputs}</span>{view}</div>'
        '<h3 id="doc-title" dir="auto"></h3><ul id="doc-facts" class="facts"></ul>'
        f'{_LEGEND}<p class="hint small">Hover a mark for its item and how it matched; click it to '
        "find its partner in the other pane. Items without a place in the text (no evidence) are "
        "listed beneath their pane. A position paired on holder and target but with the wrong "
        "stance is a miss and a false positive, as the scores count it.</p>"
        f'<div class="sbs">{panes}</div></section>'
    )


def _views(names: dict[str, str], compare: bool) -> list[list[dict[str, str]]]:
    """Which two panes each view shows: what kind of items, judged against which run."""
    if not compare:
        return [
            [
                {"kind": "gold", "run": "a", "title": "Gold"},
                {"kind": "pred", "run": "a", "title": f"Prediction: {names['a']}"},
            ]
        ]
    return [
        [
            {"kind": "run", "run": "a", "title": f"A: {names['a']}"},
            {"kind": "run", "run": "b", "title": f"B: {names['b']}"},
        ],
        [
            {"kind": "gold", "run": "a", "title": "Gold, against A"},
            {"kind": "pred", "run": "a", "title": f"A: {names['a']}"},
        ],
        [
            {"kind": "gold", "run": "b", "title": "Gold, against B"},
            {"kind": "pred", "run": "b", "title": f"B: {names['b']}"},
        ],
    ]


_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _json_for_script(value: object) -> str:
    """JSON that cannot end its ``<script>`` element early, whatever the article says.

    Lone surrogates (which UTF-8 cannot carry) become U+FFFD, as :func:`esc` does in the text.
    """
    raw = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return (
        _SURROGATE.sub("\ufffd", raw).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )


_CSS = """
.top{padding:1.1rem 1.5rem .9rem;background:var(--paper);border-bottom:1px solid var(--line)}
.top .kicker{margin:0;color:var(--muted);font-size:.8rem;text-transform:uppercase;letter-spacing:.08em}
.top .sub{margin:.1rem 0 .4rem;color:var(--muted)}
.runs{display:grid;grid-template-columns:repeat(auto-fit,minmax(340px,1fr));gap:.4rem 1.5rem;margin-top:.5rem;
  font-size:.88rem}
.runs h3{font-size:.9rem;margin:.2rem 0 .3rem}
.wide{padding:1.2rem 1.5rem;max-width:1500px;margin:0 auto;display:grid;gap:1.2rem}
.wide>*{min-width:0}
.scroll{overflow-x:auto}
.ci{color:var(--muted);font-size:.82em;white-space:nowrap}
.counts{color:var(--muted);font-size:.8em;font-weight:400;white-space:nowrap}
table.grid td.num{white-space:nowrap}
table.metrics,table.compare,table.acc{margin-bottom:1rem}
td.delta.up{color:var(--support)}td.delta.down{color:var(--oppose)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,520px),1fr));gap:1rem 2rem;
  align-items:start}
.charts figure{margin:0;display:grid;gap:1.5rem;min-width:0}
.charts .per-doc{grid-column:1/-1;max-height:75vh;overflow:auto;border-top:1px solid var(--line);
  padding-top:1rem}
.docs-wrap{max-height:65vh;overflow:auto}
table.docs td.doc{overflow-wrap:anywhere;min-width:14rem}
table.docs tr.row{cursor:pointer}
table.docs tr.row:hover td{background:var(--wash)}
table.docs tr.sel td{background:hsl(50 100% 92%)}
th button.sort{all:unset;cursor:pointer;white-space:nowrap}
th button.sort:focus-visible{outline:2px solid var(--muted)}
th[aria-sort=ascending] button.sort::after{content:" ▲"}
th[aria-sort=descending] button.sort::after{content:" ▼"}
.controls{display:flex;flex-wrap:wrap;gap:.6rem 1.4rem;align-items:center;margin-bottom:.7rem}
.controls select{max-width:min(36rem,80vw);font:inherit}
.layers label{margin-inline-end:.8rem;white-space:nowrap}
#doc-title{margin:.4rem 0 .2rem;overflow-wrap:anywhere}
.facts{margin:0 0 .6rem;padding-inline-start:1.1rem;color:var(--muted);font-size:.88rem}
.legend{display:flex;flex-wrap:wrap;gap:.4rem 1.4rem;font-size:.88rem;margin:.3rem 0}
.legend .m{padding:0 .3em;border-radius:3px;font-weight:600}
.sbs{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1rem;margin-top:.6rem}
.pane h3{margin:0 0 .4rem;font-size:.95rem}
.pane .text{font-size:15.5px;line-height:1.85;max-height:78vh;overflow:auto;padding:1rem 1.2rem}
.pane .m.hit,.pane .m.miss,.pane .m.fp{border-radius:2px;cursor:pointer;
  -webkit-box-decoration-break:clone;box-decoration-break:clone}
.pane .m.hit:not(.cont)::before,.pane .m.miss:not(.cont)::before,.pane .m.fp:not(.cont)::before{
  content:"";display:inline-block;width:2px;height:1.1em;margin-inline-end:1px;vertical-align:-.15em;
  background:currentColor;opacity:.55}
.pane .m.paired{outline:2px solid var(--fg);outline-offset:1px}
.unplaced{margin:.6rem 0 0;padding:0;list-style:none;display:grid;gap:.3rem;font-size:.88rem}
.unplaced li{padding:.15rem .4rem;border-radius:4px}
@media (max-width:900px){.sbs{grid-template-columns:minmax(0,1fr)}.wide{padding-inline:.6rem}
  .top{padding-inline:.8rem}}
"""

_SCRIPT = """
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("report-data").textContent);
  var state = {doc: -1, layer: data.layers[0] || "", view: 0};
  var panes = [document.getElementById("pane-0"), document.getElementById("pane-1")];
  var docSelect = document.getElementById("doc-select");
  var viewSelect = document.getElementById("view-select");
  var CLASS = {h: "hit", m: "miss", f: "fp"};
  var NOUN = {attributions: "attribution", claims: "claim", positions: "position"};
  function all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // A mark is [side, layer, id, {run: [outcome, partner, how]}, label?]: see _document_data.
  // How it shows in a pane: gold items judged against a run, a run's predictions, or a run's
  // predictions with the gold items that run missed; null when the pane does not show it.
  function outcome(m, spec) {
    var r = m[3][spec.run];
    if (!r || data.layerNames[m[1]] !== state.layer) { return null; }
    var o = CLASS[r[0]];
    if (spec.kind === "gold") { return m[0] === "g" ? o : null; }
    if (spec.kind === "pred") { return m[0] === spec.run ? o : null; }
    if (m[0] === spec.run) { return o; }
    return m[0] === "g" && o === "miss" ? o : null;
  }

  function title(marks, m) {
    var gold = m[0] === "g";
    var lines = [m[2] + " · " + (gold ? "gold" : data.names[m[0]]) + " " + NOUN[data.layerNames[m[1]]]];
    if (m.length > 4) { lines.push(m[4]); }
    var runs = Object.keys(m[3]);
    runs.forEach(function (run) {
      var r = m[3][run];
      var partner = r.length > 1 && r[1] >= 0 ? marks[r[1]] : null;
      var how = gold ? r[2] : partner && partner[3][run] ? partner[3][run][2] : "";
      var prefix = gold && runs.length > 1 ? data.names[run] + ": " : "";
      var line;
      if (r[0] === "h") {
        line = (gold ? "matched by " : "matches ") + (partner ? partner[2] : "?") + " (" + how + ")";
      } else if (r[0] === "m") {
        line = partner ? "missed: paired with " + partner[2] + ", " + how : "missed: nothing matched";
      } else {
        line = partner ? "false positive: paired with " + partner[2] + ", " + how
          : "false positive: matches no gold";
      }
      lines.push(prefix + line);
    });
    return lines.join("\\n");
  }

  function decorate(el, marks, i, o, spec) {
    var r = marks[i][3][spec.run];
    el.classList.add(o);
    el.setAttribute("data-key", String(i));
    if (r.length > 1 && r[1] >= 0) { el.setAttribute("data-pair", String(r[1])); }
    el.title = title(marks, marks[i]);
  }

  function fill(pane, spec) {
    var doc = data.docs[state.doc];
    var box = pane.querySelector(".text");
    var list = pane.querySelector(".unplaced");
    var missing = pane.querySelector(".missing");
    var counts = {hit: 0, miss: 0, fp: 0};
    var placed = {};
    box.textContent = "";
    list.textContent = "";
    box.appendChild(document.getElementById("doc-" + state.doc).content.cloneNode(true));
    all("[data-m]", box).forEach(function (el) {
      var i = Number(el.getAttribute("data-m"));
      placed[i] = true;
      var o = outcome(doc.marks[i], spec);
      if (!o) { return; }
      decorate(el, doc.marks, i, o, spec);
      if (!el.classList.contains("cont")) { counts[o] += 1; }
    });
    doc.marks.forEach(function (m, i) {
      var o = placed[i] ? null : outcome(m, spec);
      if (!o) { return; }
      var li = document.createElement("li");
      li.className = "m";
      li.textContent = m[2] + ": " + (m[4] || "");
      decorate(li, doc.marks, i, o, spec);
      list.appendChild(li);
      counts[o] += 1;
    });
    list.hidden = list.children.length === 0;
    var absent = doc.runs.indexOf(spec.run) < 0;
    missing.hidden = !absent;
    missing.textContent = absent ? "This document is not in run " + spec.run.toUpperCase() + "." : "";
    pane.querySelector(".what").textContent = spec.title;
    var parts = [counts.hit + " matched"];
    if (spec.kind !== "pred") { parts.push(counts.miss + " missed"); }
    if (spec.kind !== "gold") { parts.push(counts.fp + " false positive" + (counts.fp === 1 ? "" : "s")); }
    pane.querySelector(".counts").textContent = "· " + parts.join(" · ");
  }

  function render() {
    if (state.doc < 0) { return; }
    var doc = data.docs[state.doc];
    document.getElementById("doc-title").textContent = doc.id;
    var facts = document.getElementById("doc-facts");
    facts.textContent = "";
    doc.facts.forEach(function (line) {
      var li = document.createElement("li");
      li.textContent = line;
      facts.appendChild(li);
    });
    data.views[state.view].forEach(function (spec, i) { fill(panes[i], spec); });
  }

  function show(index, scroll) {
    if (!(index >= 0 && index < data.docs.length)) { return; }
    state.doc = index;
    docSelect.value = String(index);
    all("#docs tr.sel").forEach(function (row) { row.classList.remove("sel"); });
    var row = document.querySelector('#docs tr.row[data-doc="' + index + '"]');
    if (row) { row.classList.add("sel"); }
    render();
    if (scroll) { document.getElementById("viewer").scrollIntoView({block: "start"}); }
    if (history.replaceState) {
      history.replaceState(null, "", "#doc=" + encodeURIComponent(data.docs[index].id));
    }
  }

  function sortBy(th) {
    var table = th.closest("table");
    var column = Array.prototype.indexOf.call(th.parentNode.children, th);
    var direction = th.getAttribute("aria-sort") === "ascending" ? "descending" : "ascending";
    all("thead th", table).forEach(function (h) { h.removeAttribute("aria-sort"); });
    th.setAttribute("aria-sort", direction);
    var numeric = th.getAttribute("data-sort") === "number";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    function key(row) { return row.cells[column].getAttribute("data-v"); }
    function order(row) { return Number(row.getAttribute("data-doc")); }
    rows.sort(function (r1, r2) {
      var a = key(r1), b = key(r2);
      if (a === null || b === null) {  // rows without a value go last either way
        return a === b ? order(r1) - order(r2) : a === null ? 1 : -1;
      }
      var diff = numeric ? Number(a) - Number(b) : a.localeCompare(b);
      if (direction === "descending") { diff = -diff; }
      return diff || order(r1) - order(r2);
    });
    rows.forEach(function (row) { body.appendChild(row); });
  }

  function pairUp(el) {
    all(".pane .paired").forEach(function (m) { m.classList.remove("paired"); });
    var keys = [el.getAttribute("data-key"), el.getAttribute("data-pair")];
    var other = null;
    panes.forEach(function (pane) {
      all("[data-key]", pane).forEach(function (m) {
        if (keys.indexOf(m.getAttribute("data-key")) >= 0) {
          m.classList.add("paired");
          if (!pane.contains(el) && !other) { other = m; }
        }
      });
    });
    if (other) { other.scrollIntoView({block: "nearest"}); }
  }

  document.addEventListener("click", function (event) {
    var target = event.target;
    if (!(target instanceof Element)) { return; }
    var button = target.closest("th button.sort");
    if (button) { sortBy(button.closest("th")); return; }
    var mark = target.closest(".pane [data-key]");
    if (mark) { pairUp(mark); return; }
    var row = target.closest("#docs tr.row");
    if (row) { show(Number(row.getAttribute("data-doc")), true); }
  });
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "Enter" && target instanceof Element && target.matches("#docs tr.row")) {
      show(Number(target.getAttribute("data-doc")), true);
    }
  });
  docSelect.addEventListener("change", function () { show(Number(docSelect.value), false); });
  if (viewSelect) {
    viewSelect.addEventListener("change", function () { state.view = Number(viewSelect.value); render(); });
  }
  all('input[name="layer"]').forEach(function (input) {
    input.addEventListener("change", function () { state.layer = input.value; render(); });
  });

  // The two panes hold the same text: scrolling one scrolls the other to the same place.
  var echo = [false, false];  // a scroll this script caused, not to be mirrored back
  panes.forEach(function (pane, i) {
    var box = pane.querySelector(".text");
    box.addEventListener("scroll", function () {
      if (echo[i]) { echo[i] = false; return; }
      var other = panes[1 - i].querySelector(".text");
      var range = box.scrollHeight - box.clientHeight;
      var to = range > 0 ? box.scrollTop / range * (other.scrollHeight - other.clientHeight) : 0;
      if (Math.abs(other.scrollTop - to) >= 1) { echo[1 - i] = true; other.scrollTop = to; }
    });
  });

  var wanted = location.hash.indexOf("#doc=") === 0 ? decodeURIComponent(location.hash.slice(5)) : null;
  var start = data.initial;
  data.docs.forEach(function (doc, i) { if (doc.id === wanted) { start = i; } });
  show(start, false);
  document.documentElement.setAttribute("data-ready", "1");
})();
"""


def _initial(documents: Sequence[_Document], deltas: dict[str, DocumentDelta] | None) -> int:
    """The document opened first: the one that got most worse, or the weakest of a single run."""
    if not documents:
        return -1
    if deltas is not None:
        scored = [(deltas[d.id].delta_f1, i) for i, d in enumerate(documents) if d.id in deltas]
    else:
        scored = [(f1, i) for i, d in enumerate(documents) if (f1 := _mean_f1(d.records["a"])) is not None]
    return min(scored)[1] if scored else 0


def _section(id_: str, title: str, body: str) -> str:
    return f'<section class="panel"{attrs({"id": id_})}><h2>{esc(title)}</h2>{body}</section>'


def _common_records(runs: dict[str, Run]) -> dict[str, list[SampleRecord]]:
    """Each run's records of the documents both runs hold, so both runs' figures cover the same set."""
    if "b" not in runs:
        return {"a": runs["a"].records}
    ids_a = {r.id for r in runs["a"].records}
    ids_b = {r.id for r in runs["b"].records}
    common = ids_a & ids_b
    return {run: [r for r in data.records if r.id in common] for run, data in runs.items()}


def _summaries(runs: dict[str, Run], resamples: int | None, seed: int | None) -> dict[str, dict[str, Any]]:
    """Each run's figures, as ``summary.json`` has them, over the documents both runs hold."""
    out = {}
    for key, records in _common_records(runs).items():
        options = runs[key].header.scoring
        if resamples is not None:
            options = options.model_copy(update={"bootstrap": resamples})
        if seed is not None:
            options = options.model_copy(update={"seed": seed})
        out[key] = summarize(records, options)
    return out


def _metrics_section(
    summaries: dict[str, dict[str, Any]], comparison: dict[str, Any] | None, names: dict[str, str]
) -> str:
    if comparison is None:
        body = _metrics_table(summaries["a"], "a") + _accuracy_table(summaries["a"])
    else:
        body = (
            f'<p class="hint">{comparison["documents"]["common"]} documents in common. Change B − A with '
            "a paired-bootstrap 95% interval (the same resampled documents on both sides); P(B not "
            "better) is the share of resamples in which B is not better.</p>" + _compare_table(comparison)
        )
        for key in ("a", "b"):
            body += f"<h3>{key.upper()}: {esc(names[key])}</h3>"
            body += _metrics_table(summaries[key], key) + _accuracy_table(summaries[key])
    body += (
        '<p class="hint small">Micro averages over documents (pooled counts); 95% percentile bootstrap '
        "intervals resampling documents. Attributions match on content overlap / gold length; see "
        "evals/README.md for every rule.</p>"
    )
    return _section("metrics", "Metrics", body)


def _charts_section(
    summaries: dict[str, dict[str, Any]],
    comparison: dict[str, Any] | None,
    deltas: dict[str, DocumentDelta] | None,
    names: dict[str, str],
) -> str:
    """Scores per layer beside accuracies (and changes per layer); changes per document beneath."""
    side = [_accuracy_chart(summaries, names)]
    per_document = ""
    if comparison is not None and deltas is not None:
        side.insert(0, _delta_chart(comparison))
        chart = _document_delta_chart(list(deltas.values()))
        if chart:
            per_document = f'<figure class="per-doc">{chart}</figure>'
    body = f"<figure>{_layer_chart(summaries, names)}</figure><figure>{''.join(side)}</figure>{per_document}"
    return _section("charts", "Charts", f'<div class="charts">{body}</div>')


def _texts_and_data(
    documents: Sequence[_Document], names: dict[str, str]
) -> tuple[str, list[dict[str, Any]]]:
    """Each document's marked text as a ``<template>`` (its only copy), and its marks for the script."""
    templates = []
    data = []
    for index, document in enumerate(documents):
        marks, placed = _marks(document)
        templates.append(f'<template id="doc-{index}">{marked_text(document.text, marks)}</template>')
        data.append(_document_data(document, placed, names))
    return "".join(templates), data


def eval_report_html(
    run: Run,
    compare: Run | None = None,
    *,
    resamples: int | None = None,
    seed: int | None = None,
) -> str:
    """The HTML report of ``run``, or of ``compare`` (B) against ``run`` (A): one file, no network.

    Figures are recomputed from the runs' records with their own scoring options (the same seeded
    bootstrap as ``summary.json``); ``resamples`` and ``seed`` override the bootstrap, as in
    ``claimx eval compare``. For a comparison, both runs' figures cover the documents they share.
    """
    runs: dict[str, Run] = {"a": run} if compare is None else {"a": run, "b": compare}
    names = {key: _run_name(r) for key, r in runs.items()}
    if compare is not None and names["a"] == names["b"]:
        names = {key: f"{key.upper()} {name}" for key, name in names.items()}
    summaries = _summaries(runs, resamples, seed)
    comparison = deltas = None
    if compare is not None:
        comparison = compare_runs(
            run,
            compare,
            resamples=run.header.scoring.bootstrap if resamples is None else resamples,
            seed=run.header.scoring.seed if seed is None else seed,
        )
        deltas = {d.id: d for d in document_deltas(run, compare)}
    documents = [_build_document(records) for records in _runs_by_document(runs)]
    layers = _layers_present(documents)
    templates, docs_data = _texts_and_data(documents, names)
    data = {
        "layers": layers,
        "layerNames": list(LAYERS),
        "names": names,
        "views": _views(names, compare is not None),
        "initial": _initial(documents, deltas),
        "docs": docs_data,
    }
    body = (
        _header(runs, names)
        + '<main class="wide">'
        + _metrics_section(summaries, comparison, names)
        + _charts_section(summaries, comparison, deltas, names)
        + _documents_table(documents, layers, deltas)
        + _viewer(documents, layers, compare is not None)
        + "</main>"
        + f'<script type="application/json" id="report-data">{_json_for_script(data)}</script>'
        + templates
    )
    title = f"{names['b']} vs {names['a']}" if compare is not None else names["a"]
    return page(title=f"{title} · claimx eval report", body=body, css=_CSS, script=_SCRIPT)
