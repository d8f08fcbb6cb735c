"""Rich tables for the terminal: a run's summary and a comparison of two runs."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from claimx.evaluate.report import fmt
from claimx.evaluate.summary import MIN_INTERVAL_DOCUMENTS
from claimx.pricing import format_usd

__all__ = ["print_comparison", "print_summary"]


def _ci(block: dict[str, Any]) -> str:
    ci = block.get("ci", {}).get("f1")
    if ci:
        return f"[{ci[0]:.3f}, {ci[1]:.3f}]"
    return _too_few(block.get("documents", 0))


def _too_few(documents: int) -> str:
    return f"none (n={documents})" if documents < MIN_INTERVAL_DOCUMENTS else ""


def _small_n_note(console: Console, documents: int) -> None:
    if 0 < documents < MIN_INTERVAL_DOCUMENTS:
        console.print(
            f"n={documents}: {_count(documents, 'document')} is too few for a 95% interval "
            f"(it takes at least {MIN_INTERVAL_DOCUMENTS}); the figures describe these documents only.",
            style="yellow",
        )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


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
    _small_n_note(console, max((block["documents"] for _, block in rows), default=0))
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
        f"{_count(samples['total'], 'document')}, {samples['failed']} failed; "
        f"{usage['total_tokens']:,} tokens, {_count(usage['requests'], 'request')}, "
        f"{usage['cached_samples']} from cache, cost {format_usd(usage.get('cost_usd'))}"
    )
    if summary.get("stopped"):
        console.print(f"stopped: {summary['stopped']} ({samples.get('not_run', 0)} not run)")


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
        ci = f"[{f1['ci'][0]:+.3f}, {f1['ci'][1]:+.3f}]" if "ci" in f1 else _too_few(entry["documents"])
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
    _small_n_note(console, max((e["documents"] for e in comparison["layers"].values()), default=0))
    for name, entry in comparison["accuracies"].items():
        delta = "—" if entry["delta"] is None else f"{entry['delta']:+.3f}"
        console.print(f"{name} accuracy: {fmt(entry['a'])} → {fmt(entry['b'])} ({delta})")
    counts = comparison["counts"]
    console.print(
        f"{_count(counts['worse'], 'document')} worse, {counts['better']} better, "
        f"{counts['unchanged']} unchanged, by Δ F1: a document's F1 in B minus its F1 in A, "
        "averaged over the layers it has"
    )
    for title, key in (("most worse", "worse"), ("most better", "better")):
        if comparison[key]:
            console.print(f"[bold]{title}[/bold]")
            for doc in comparison[key]:
                console.print(f"  {doc['id']} (Δ F1 {doc['delta_f1']:+.2f})", markup=False, highlight=False)
                for why in doc["why"]:
                    console.print(f"      {why}", markup=False, highlight=False)
