"""Rich tables for the terminal: a run's summary and a comparison of two runs."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from claimx.evaluate.compare import Comparison
from claimx.evaluate.report import fmt
from claimx.evaluate.summary import MIN_INTERVAL_DOCUMENTS, Figures, Summary
from claimx.pricing import format_usd

__all__ = ["print_comparison", "print_summary"]


def _ci(block: Figures) -> str:
    ci = block.interval("f1")
    if ci:
        return f"[{ci[0]:.3f}, {ci[1]:.3f}]"
    return _too_few(block.documents)


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


def print_summary(summary: Summary, console: Console, title: str) -> None:
    """The per-layer figures of a run, with accuracies and usage beneath."""
    table = Table(title=title, title_justify="left")
    for column in ("layer", "precision", "recall", "F1", "95% CI", "macro F1", "matched/pred/gold", "docs"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    labels = {
        "attributions": "attributions ≥0.3",
        "attributions_strict": "attributions ≥0.8",
        "claims": "claims",
        "positions": "positions",
        "positions_pairs": "holder+target",
    }
    rows = [(labels[key], block) for key, block in summary.rows()]
    for label, block in rows:
        table.add_row(
            label,
            fmt(block.precision),
            fmt(block.recall),
            f"[bold]{fmt(block.f1)}[/bold]",
            _ci(block),
            fmt(block.macro.f1),
            f"{block.tp}/{block.n_pred}/{block.n_gold}",
            str(block.documents),
        )
    console.print(table)
    _small_n_note(console, max((block.documents for _, block in rows), default=0))
    accuracies = [
        f"{name} {fmt(block.value)} ({block.correct}/{block.total})" for name, block in summary.accuracies()
    ]
    if accuracies:
        console.print("accuracy on matched items: " + ", ".join(accuracies))
    samples, usage = summary.samples, summary.usage
    console.print(
        f"{_count(samples.total, 'document')}, {samples.failed} failed; "
        f"{usage.total_tokens:,} tokens, {_count(usage.requests, 'request')}, "
        f"{usage.cached_samples} from cache, cost {format_usd(usage.cost_usd)}"
    )
    if summary.stopped:
        console.print(f"stopped: {summary.stopped} ({samples.not_run or 0} not run)")


def print_comparison(comparison: Comparison, console: Console) -> None:
    """Per-layer deltas and the documents that moved most."""
    a, b = comparison.a, comparison.b
    table = Table(
        title=f"B {b.model} {b.prompt_id or ''} − A {a.model} {a.prompt_id or ''}",
        title_justify="left",
    )
    for column in ("layer", "F1 A", "F1 B", "Δ F1", "95% paired CI", "Δ P", "Δ R", "docs"):
        table.add_column(column, justify="left" if column == "layer" else "right")
    for layer, entry in comparison.layers.items():
        f1 = entry.f1
        ci = f1.interval()
        table.add_row(
            layer,
            f"{f1.a:.3f}",
            f"{f1.b:.3f}",
            f"[bold]{f1.delta:+.3f}[/bold]",
            f"[{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else _too_few(entry.documents),
            f"{entry.precision.delta:+.3f}",
            f"{entry.recall.delta:+.3f}",
            str(entry.documents),
        )
    console.print(table)
    _small_n_note(console, max((e.documents for e in comparison.layers.values()), default=0))
    for name, change in comparison.accuracies.items():
        delta = "—" if change.delta is None else f"{change.delta:+.3f}"
        console.print(f"{name} accuracy: {fmt(change.a)} → {fmt(change.b)} ({delta})")
    counts = comparison.counts
    console.print(
        f"{_count(counts.worse, 'document')} worse, {counts.better} better, "
        f"{counts.unchanged} unchanged, by Δ F1: a document's F1 in B minus its F1 in A, "
        "averaged over the layers it has"
    )
    for title, moved in (("most worse", comparison.worse), ("most better", comparison.better)):
        if moved:
            console.print(f"[bold]{title}[/bold]")
            for doc in moved:
                console.print(f"  {doc.id} (Δ F1 {doc.delta_f1:+.2f})", markup=False, highlight=False)
                for why in doc.why:
                    console.print(f"      {why}", markup=False, highlight=False)
