"""The Charts section: bars per layer and metric and accuracies; for two runs, the changes."""

from __future__ import annotations

from collections.abc import Sequence

from claimx.evaluate.compare import Comparison, DocumentDelta
from claimx.evaluate.summary import Summary
from claimx.render.eval_report.layout import section_html
from claimx.render.eval_report.metrics import metric_rows
from claimx.render.htmlkit import Bar, bar_chart

METRICS = (("precision", "P"), ("recall", "R"), ("f1", "F1"))


def layer_chart(summaries: dict[str, Summary], names: dict[str, str]) -> str:
    """Bars per layer and metric (for two runs, A beside B), each with its 95% interval."""
    bars = []
    first = next(iter(summaries.values()))
    for row in metric_rows(first):
        for colour, (metric, short) in enumerate(METRICS):
            for slot, (run, summary) in enumerate(summaries.items()):
                block = next((r.block for r in metric_rows(summary) if r.key == row.key), None)
                value = getattr(block, metric) if block is not None else None
                if block is None or value is None:
                    continue
                interval = block.interval(metric)
                label = short if len(summaries) == 1 else f"{short} · {run.upper()}"
                bars.append(
                    Bar(
                        label,
                        value,
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


def accuracy_chart(summaries: dict[str, Summary], names: dict[str, str]) -> str:
    """Bars of the speaker, cue, mode and stance accuracies (for two runs, A beside B)."""
    bars = []
    for slot, (run, summary) in enumerate(summaries.items()):
        for name, block in summary.accuracies():
            if block.value is None:  # (an accuracy listed has judged something)
                continue
            interval = block.interval()
            bars.append(
                Bar(
                    name if len(summaries) == 1 else f"{name} · {run.upper()}",
                    block.value,
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


def delta_chart(comparison: Comparison) -> str:
    """The change of each layer's precision, recall and F1, F1 with its paired interval."""
    bars = []
    for layer, entry in comparison.layers.items():
        for metric, short in METRICS:
            change = getattr(entry, metric)
            ci = entry.f1.interval() if metric == "f1" else None
            bars.append(
                Bar(
                    f"Δ {short}",
                    change.delta,
                    ci[0] if ci else None,
                    ci[1] if ci else None,
                    swatch=2 if change.delta >= 0 else 3,
                    group=layer,
                )
            )
    return bar_chart(bars, title="Change per layer, B − A (F1 with 95% paired interval)", digits=3)


def _short(doc_id: str, width: int = 30) -> str:
    return doc_id if len(doc_id) <= width else doc_id[: width - 1] + "…"


def document_delta_chart(deltas: Sequence[DocumentDelta]) -> str:
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


def charts_section(
    summaries: dict[str, Summary],
    comparison: Comparison | None,
    deltas: dict[str, DocumentDelta] | None,
    names: dict[str, str],
) -> str:
    """Scores per layer beside accuracies (and changes per layer); changes per document beneath."""
    side = [accuracy_chart(summaries, names)]
    per_document = ""
    if comparison is not None and deltas is not None:
        side.insert(0, delta_chart(comparison))
        chart = document_delta_chart(list(deltas.values()))
        if chart:
            per_document = f'<figure class="per-doc">{chart}</figure>'
    body = f"<figure>{layer_chart(summaries, names)}</figure><figure>{''.join(side)}</figure>{per_document}"
    return section_html("charts", "Charts", f'<div class="charts">{body}</div>')
