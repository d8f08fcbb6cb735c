"""The Metrics section: per-layer precision, recall and F1 with intervals, accuracies, changes."""

from __future__ import annotations

from dataclasses import dataclass

from claimx.evaluate.compare import Comparison
from claimx.evaluate.report import fmt
from claimx.evaluate.runlog import Run, SampleRecord
from claimx.evaluate.summary import Figures, Summary, summarize
from claimx.render.eval_report.layout import section_html
from claimx.render.htmlkit import attrs, esc


@dataclass(frozen=True)
class Row:
    """A line of the metrics table: one layer (or one criterion of it) of a run's summary."""

    key: str
    label: str
    block: Figures


def metric_rows(summary: Summary) -> list[Row]:
    """The figures summary.md lists, in its order: headline and strict attributions, claims, positions."""
    att, claims = summary.attributions, summary.claims
    labels = {
        "attributions": f"attributions (overlap ≥ {att.threshold})",
        "attributions_strict": f"attributions, strict (≥ {att.strict.threshold if att.strict else ''})",
        "claims": f"claims ({claims.similarity} ≥ {claims.threshold})",
        "positions": "positions (holder, target, stance)",
        "positions_pairs": "positions, holder and target only",
    }
    return [Row(key, labels[key], block) for key, block in summary.rows()]


def value_cell(value: float | None, interval: list[float] | None = None, *, strong: bool = False) -> str:
    """A table cell with a figure (bold for a headline) and its interval beside it."""
    shown = fmt(value)
    if strong:
        shown = f"<strong>{shown}</strong>"
    ci = f' <span class="ci">[{interval[0]:.3f}, {interval[1]:.3f}]</span>' if interval else ""
    return f"<td{attrs({'data-v': value})}>{shown}{ci}</td>"


def delta_cell(metric: str, value: float | None, interval: list[float] | None = None) -> str:
    """A table cell with a change B − A, marked up or down by its sign, and its interval."""
    if value is None:
        return '<td class="delta">—</td>'
    sign = "up" if value > 0 else "down" if value < 0 else "same"
    ci = f' <span class="ci">[{interval[0]:+.3f}, {interval[1]:+.3f}]</span>' if interval else ""
    return (
        f"<td{attrs({'class': f'delta {sign}', 'data-metric': metric, 'data-v': value})}>"
        f"<strong>{value:+.3f}</strong>{ci}</td>"
    )


def metrics_table(summary: Summary, run: str) -> str:
    """Per-layer precision, recall and F1 with 95% intervals, macro F1 and the counts behind them."""
    rows = []
    for row in metric_rows(summary):
        b = row.block
        rows.append(
            f'<tr{attrs({"data-layer": row.key, "data-run": run})}><th scope="row">{esc(row.label)}</th>'
            + value_cell(b.precision, b.interval("precision"))
            + value_cell(b.recall, b.interval("recall"))
            + value_cell(b.f1, b.interval("f1"), strong=True)
            + value_cell(b.macro.f1)
            + f'<td class="num">{b.tp} / {b.n_pred} / {b.n_gold}</td>'
            f'<td class="num">{b.documents}</td></tr>'
        )
    if not rows:
        return '<p class="hint">No layer of this run’s gold was scored.</p>'
    return (
        '<div class="scroll"><table class="grid metrics"><thead><tr><th>Layer</th><th>Precision [95% CI]</th>'
        "<th>Recall [95% CI]</th><th>F1 [95% CI]</th><th>Macro F1</th>"
        "<th>Matched / predicted / gold</th><th>Docs</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def accuracy_table(summary: Summary) -> str:
    """Accuracies on matched items (speaker, cue, mode, stance) with intervals."""
    rows = [
        f'<tr><th scope="row">{esc(name)}</th>{value_cell(b.value, b.interval())}'
        f'<td class="num">{b.correct} / {b.total}</td></tr>'
        for name, b in summary.accuracies()
    ]
    if not rows:
        return ""
    return (
        '<div class="scroll"><table class="grid acc"><thead><tr><th>On matched items</th>'
        "<th>Accuracy [95% CI]</th><th>Right / judged</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def compare_table(comparison: Comparison) -> str:
    """Per-layer F1 of A and B and the change, with the paired-bootstrap interval of the change."""
    rows = []
    for layer, entry in comparison.layers.items():
        f1 = entry.f1
        rows.append(
            f'<tr{attrs({"data-layer": layer})}><th scope="row">{esc(layer)}</th>'
            + value_cell(f1.a)
            + value_cell(f1.b)
            + delta_cell("f1", f1.delta, f1.interval())
            + f'<td class="num">{fmt(f1.p_not_better)}</td>'
            + delta_cell("precision", entry.precision.delta)
            + delta_cell("recall", entry.recall.delta)
            + f'<td class="num">{entry.documents}</td></tr>'
        )
    accuracy_rows = [
        f'<tr{attrs({"data-accuracy": name})}><th scope="row">{esc(name)} accuracy</th>'
        + value_cell(e.a)
        + value_cell(e.b)
        + delta_cell("accuracy", e.delta)
        + "<td></td><td></td><td></td><td></td></tr>"
        for name, e in comparison.accuracies.items()
    ]
    return (
        '<div class="scroll"><table class="grid compare"><thead><tr><th>Layer</th><th>F1 A</th><th>F1 B</th>'
        "<th>Δ F1 [95% paired CI]</th><th>P(B not better)</th><th>Δ precision</th><th>Δ recall</th>"
        f"<th>Docs</th></tr></thead><tbody>{''.join(rows + accuracy_rows)}</tbody></table></div>"
    )


def metrics_section(
    summaries: dict[str, Summary], comparison: Comparison | None, names: dict[str, str]
) -> str:
    """The Metrics section: one run's figures, or both runs' and the changes."""
    if comparison is None:
        body = metrics_table(summaries["a"], "a") + accuracy_table(summaries["a"])
    else:
        body = (
            f'<p class="hint">{comparison.documents.common} documents in common. Change B − A with '
            "a paired-bootstrap 95% interval (the same resampled documents on both sides); P(B not "
            "better) is the share of resamples in which B is not better.</p>" + compare_table(comparison)
        )
        for key in ("a", "b"):
            body += f"<h3>{key.upper()}: {esc(names[key])}</h3>"
            body += metrics_table(summaries[key], key) + accuracy_table(summaries[key])
    body += (
        '<p class="hint small">Micro averages over documents (pooled counts); 95% percentile bootstrap '
        "intervals resampling documents. Attributions match on content overlap / gold length; see "
        "evals/README.md for every rule.</p>"
    )
    return section_html("metrics", "Metrics", body)


def common_records(runs: dict[str, Run]) -> dict[str, list[SampleRecord]]:
    """Each run's records of the documents both runs hold, so both runs' figures cover the same set."""
    if "b" not in runs:
        return {"a": runs["a"].records}
    ids_a = {r.id for r in runs["a"].records}
    ids_b = {r.id for r in runs["b"].records}
    common = ids_a & ids_b
    return {run: [r for r in data.records if r.id in common] for run, data in runs.items()}


def run_summaries(runs: dict[str, Run], resamples: int | None, seed: int | None) -> dict[str, Summary]:
    """Each run's figures, as ``summary.json`` has them, over the documents both runs hold."""
    out = {}
    for key, records in common_records(runs).items():
        options = runs[key].header.scoring
        if resamples is not None:
            options = options.model_copy(update={"bootstrap": resamples})
        if seed is not None:
            options = options.model_copy(update={"seed": seed})
        out[key] = summarize(records, options)
    return out
