"""Rich tables for the terminal: a run's summary and a comparison of two runs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from claimx.evaluate.report import fmt

__all__ = ["print_comparison", "print_summary"]


def _ci(block: dict[str, Any]) -> str:
    ci = block.get("ci", {}).get("f1")
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]" if ci else ""


def print_summary(summary: dict[str, Any], console: Console, title: str) -> None:
    """The per-layer figures of a run, with accuracies and usage beneath."""
    table = Table(title=title, title_justify="left")
    for column in ("layer", "precision", "recall", "F1", "95% CI", "macro F1", "matched/pred/gold", "docs"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    rows: list[tuple[str, dict[str, Any]]] = []
    att, claims, positions = summary["attributions"], summary["claims"], summary["positions"]
    if att.get("documents"):
        rows += [("attributions ≥0.3", att), ("attributions ≥0.8", att["strict"])]
    if claims.get("documents"):
        rows.append(("claims", claims))
    if positions.get("documents"):
        rows += [("positions", positions), ("holder+target", positions["holder_target"])]
    for label, block in rows:
        table.add_row(
            label,
            fmt(block["precision"]),
            fmt(block["recall"]),
            f"[bold]{fmt(block['f1'])}[/bold]",
            _ci(block),
            fmt(block.get("macro", {}).get("f1")),
            f"{block['tp']}/{block['n_pred']}/{block['n_gold']}",
            str(block["documents"]),
        )
    console.print(table)
    accuracies = []
    for name in ("speaker", "cue", "mode"):
        block = att.get(name)
        if block and block["total"]:
            accuracies.append(f"{name} {fmt(block['value'])} ({block['correct']}/{block['total']})")
    stance = positions.get("stance")
    if stance and stance["total"]:
        accuracies.append(f"stance {fmt(stance['value'])} ({stance['correct']}/{stance['total']})")
    if accuracies:
        console.print("accuracy on matched items: " + ", ".join(accuracies))
    samples, usage = summary["samples"], summary["usage"]
    console.print(
        f"{samples['total']} documents, {samples['failed']} failed; {usage['total_tokens']:,} tokens, "
        f"{usage['requests']} requests, {usage['cached_samples']} from cache"
    )


def print_comparison(comparison: dict[str, Any], console: Console) -> None:
    """Per-layer deltas and the documents that moved most."""
    a, b = comparison["a"], comparison["b"]
    table = Table(
        title=f"B {b['model']} {b['prompt_id'] or ''} − A {a['model']} {a['prompt_id'] or ''}",
        title_justify="left",
    )
    for column in ("layer", "F1 A", "F1 B", "Δ F1", "95% paired CI", "Δ P", "Δ R", "docs"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for layer, entry in comparison["layers"].items():
        f1 = entry["f1"]
        ci = f"[{f1['ci'][0]:+.3f}, {f1['ci'][1]:+.3f}]" if "ci" in f1 else ""
        table.add_row(
            layer,
            f"{f1['a']:.3f}",
            f"{f1['b']:.3f}",
            f"[bold]{f1['delta']:+.3f}[/bold]",
            ci,
            f"{entry['precision']['delta']:+.3f}",
            f"{entry['recall']['delta']:+.3f}",
            str(entry["documents"]),
        )
    console.print(table)
    for name, entry in comparison["accuracies"].items():
        delta = "—" if entry["delta"] is None else f"{entry['delta']:+.3f}"
        console.print(f"{name} accuracy: {fmt(entry['a'])} → {fmt(entry['b'])} ({delta})")
    counts = comparison["counts"]
    console.print(
        f"{counts['worse']} documents worse, {counts['better']} better, {counts['unchanged']} unchanged"
    )
    for title, key in (("most worse", "worse"), ("most better", "better")):
        if comparison[key]:
            console.print(f"[bold]{title}[/bold]")
            for doc in comparison[key]:
                console.print(f"  {doc['id']} ({doc['delta_f1']:+.2f})", markup=False, highlight=False)
                for why in doc["why"]:
                    console.print(f"      {why}", markup=False, highlight=False)
