"""The Metrics section: per-layer precision, recall and F1 with intervals, accuracies, changes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from claimx.evaluate.report import fmt
from claimx.evaluate.runlog import Run, SampleRecord
from claimx.evaluate.summary import summarize
from claimx.render.eval_report.layout import section_html
from claimx.render.htmlkit import attrs, esc


@dataclass(frozen=True)
class Row:
    """A line of the metrics table: one layer (or one criterion of it) of a run's summary."""

    key: str
    label: str
    block: dict[str, Any]


def metric_rows(summary: dict[str, Any]) -> list[Row]:
    """The figures summary.md lists, in its order: headline and strict attributions, claims, positions."""
    rows = []
    att, claims, positions = summary["attributions"], summary["claims"], summary["positions"]
    if att.get("documents"):
        rows.append(Row("attributions", f"attributions (overlap ≥ {att['threshold']})", att))
        strict = att["strict"]
        rows.append(Row("attributions_strict", f"attributions, strict (≥ {strict['threshold']})", strict))
    if claims.get("documents"):
        rows.append(Row("claims", f"claims ({claims['similarity']} ≥ {claims['threshold']})", claims))
    if positions.get("documents"):
        rows.append(Row("positions", "positions (holder, target, stance)", positions))
        rows.append(Row("positions_pairs", "positions, holder and target only", positions["holder_target"]))
    return rows


def interval_of(block: dict[str, Any], key: str) -> list[float] | None:
    """A block's 95% interval for ``key``, when the summary has one."""
    ci = block.get("ci")
    value = ci.get(key) if isinstance(ci, dict) else ci
    return list(value) if value else None


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


def metrics_table(summary: dict[str, Any], run: str) -> str:
    """Per-layer precision, recall and F1 with 95% intervals, macro F1 and the counts behind them."""
    rows = []
    for row in metric_rows(summary):
        b = row.block
        rows.append(
            f'<tr{attrs({"data-layer": row.key, "data-run": run})}><th scope="row">{esc(row.label)}</th>'
            + value_cell(b["precision"], interval_of(b, "precision"))
            + value_cell(b["recall"], interval_of(b, "recall"))
            + value_cell(b["f1"], interval_of(b, "f1"), strong=True)
            + value_cell(b.get("macro", {}).get("f1"))
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


def accuracy_blocks(summary: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The accuracy blocks of a summary that have items: (name, block) pairs."""
    out = []
    for name in ("speaker", "cue", "mode"):
        block = summary["attributions"].get(name)
        if block and block["total"]:
            out.append((name, block))
    stance = summary["positions"].get("stance")
    if stance and stance["total"]:
        out.append(("stance", stance))
    return out


def accuracy_table(summary: dict[str, Any]) -> str:
    """Accuracies on matched items (speaker, cue, mode, stance) with intervals."""
    rows = [
        f'<tr><th scope="row">{esc(name)}</th>{value_cell(b["value"], interval_of(b, "value"))}'
        f'<td class="num">{b["correct"]} / {b["total"]}</td></tr>'
        for name, b in accuracy_blocks(summary)
    ]
    if not rows:
        return ""
    return (
        '<div class="scroll"><table class="grid acc"><thead><tr><th>On matched items</th>'
        "<th>Accuracy [95% CI]</th><th>Right / judged</th></tr></thead>"
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def compare_table(comparison: dict[str, Any]) -> str:
    """Per-layer F1 of A and B and the change, with the paired-bootstrap interval of the change."""
    rows = []
    for layer, entry in comparison["layers"].items():
        f1 = entry["f1"]
        rows.append(
            f'<tr{attrs({"data-layer": layer})}><th scope="row">{esc(layer)}</th>'
            + value_cell(f1["a"])
            + value_cell(f1["b"])
            + delta_cell("f1", f1["delta"], f1.get("ci"))
            + f'<td class="num">{fmt(f1.get("p_not_better"))}</td>'
            + delta_cell("precision", entry["precision"]["delta"])
            + delta_cell("recall", entry["recall"]["delta"])
            + f'<td class="num">{entry["documents"]}</td></tr>'
        )
    accuracy_rows = [
        f'<tr{attrs({"data-accuracy": name})}><th scope="row">{esc(name)} accuracy</th>'
        + value_cell(e["a"])
        + value_cell(e["b"])
        + delta_cell("accuracy", e["delta"])
        + "<td></td><td></td><td></td><td></td></tr>"
        for name, e in comparison["accuracies"].items()
    ]
    return (
        '<div class="scroll"><table class="grid compare"><thead><tr><th>Layer</th><th>F1 A</th><th>F1 B</th>'
        "<th>Δ F1 [95% paired CI]</th><th>P(B not better)</th><th>Δ precision</th><th>Δ recall</th>"
        f"<th>Docs</th></tr></thead><tbody>{''.join(rows + accuracy_rows)}</tbody></table></div>"
    )


def metrics_section(
    summaries: dict[str, dict[str, Any]], comparison: dict[str, Any] | None, names: dict[str, str]
) -> str:
    """The Metrics section: one run's figures, or both runs' and the changes."""
    if comparison is None:
        body = metrics_table(summaries["a"], "a") + accuracy_table(summaries["a"])
    else:
        body = (
            f'<p class="hint">{comparison["documents"]["common"]} documents in common. Change B − A with '
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


def run_summaries(runs: dict[str, Run], resamples: int | None, seed: int | None) -> dict[str, dict[str, Any]]:
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
