"""Markdown reports: ``summary.md`` beside a run, and a comparison, both fit for a pull-request comment."""

from __future__ import annotations

from collections.abc import Sequence

from claimx.evaluate.compare import Comparison
from claimx.evaluate.runlog import RunHeader, SampleRecord
from claimx.evaluate.summary import LAYERS, AccuracyFigures, Figures, RunUsage, Summary
from claimx.pricing import format_usd

__all__ = ["compare_markdown", "cost_phrase", "fmt", "summary_markdown"]


def cost_phrase(usage: RunUsage, failed: int = 0) -> str:
    """The run's cost in words, with the reason a small figure is small, or why it is unknown.

    A run without a model call (offline, baseline, gold) costs $0 because nothing was asked,
    not because answers came from the cache: the phrase names only the reason that applies.
    The gold has no price (``cost_usd`` null) but asks nothing either; a failed document's
    calls are not counted, so a run with failures is never said to have made none.
    """
    no_calls = not (usage.requests or usage.cached_samples or usage.total_tokens or failed)
    if no_calls:
        return f"{format_usd(0.0)} (no model calls)"
    if usage.cost_usd is None:
        return "unknown (no price for this model: see claimx.pricing, --prices)"
    cost = format_usd(usage.cost_usd)
    return f"{cost} (answers from the cache cost nothing)" if usage.cached_samples else cost


def fmt(value: float | None, digits: int = 3) -> str:
    """A figure for a report: fixed digits, or an em dash when there is none."""
    return "—" if value is None else f"{value:.{digits}f}"


def _ci(interval: list[float] | None) -> str:
    return f"[{interval[0]:.3f}, {interval[1]:.3f}]" if interval else ""


def _layer_rows(summary: Summary) -> list[str]:
    labels = {
        "attributions": "attributions (overlap ≥ 0.3)",
        "attributions_strict": "attributions, strict (≥ 0.8)",
        "claims": f"claims ({summary.claims.similarity} ≥ {summary.claims.threshold})",
        "positions": "positions (holder, target, stance)",
        "positions_pairs": "positions, holder and target only",
    }
    return [_row(labels[key], block) for key, block in summary.rows()]


def _row(label: str, block: Figures) -> str:
    return (
        f"| {label} | {fmt(block.precision)} | {fmt(block.recall)} | **{fmt(block.f1)}** "
        f"{_ci(block.interval('f1'))} | {fmt(block.macro.f1)} "
        f"| {block.tp} / {block.n_pred} / {block.n_gold} | {block.documents} |"
    )


def _accuracy_row(name: str, block: AccuracyFigures) -> str:
    return f"| {name} | {fmt(block.value)} {_ci(block.interval())} | {block.correct} / {block.total} |"


def summary_markdown(header: RunHeader, summary: Summary, records: Sequence[SampleRecord]) -> str:
    """The run's report: what ran, the figures per layer, accuracies, usage and the weakest documents."""
    prompt = header.prompt_id or "—"
    if header.prompt_sha256:
        prompt += f" (`{header.prompt_sha256[:12]}`)"
    samples = summary.samples
    lines = [
        f"## claimx eval: {header.model} on {header.dataset.name}",
        "",
        f"- **dataset** `{header.dataset.spec}` ({samples.total} documents"
        + (f", {samples.failed} failed" if samples.failed else "")
        + ")",
        f"- **model** `{header.model}`" + (f" at `{header.base_url}`" if header.base_url else ""),
        f"- **prompt** {prompt}",
        f"- **claimx** {header.claimx_version}"
        + (f", git `{header.git_revision[:12]}`" if header.git_revision else ""),
        f"- **run** `{header.run_id}`, {header.date}",
        "",
        "| layer | precision | recall | F1 [95% CI] | macro F1 | matched / predicted / gold | docs |",
        "|---|---|---|---|---|---|---|",
        *_layer_rows(summary),
        "",
    ]
    accuracies = [_accuracy_row(name, block) for name, block in summary.accuracies()]
    if accuracies:
        lines += [
            "On matched items:",
            "",
            "| accuracy | value [95% CI] | right / judged |",
            "|---|---|---|",
            *accuracies,
            "",
        ]
    confusion = summary.positions.confusion
    if confusion:
        stances = sorted({s for row in confusion.values() for s in row} | set(confusion))
        lines += [
            "Stance confusion (rows gold, columns predicted):",
            "",
            "| gold \\ predicted | " + " | ".join(stances) + " |",
            "|---|" + "---|" * len(stances),
        ]
        for gold in stances:
            row = confusion.get(gold, {})
            lines.append(f"| {gold} | " + " | ".join(str(row.get(p, 0)) for p in stances) + " |")
        lines.append("")
    usage = summary.usage
    lines += [
        f"Usage: {usage.total_tokens:,} tokens ({usage.prompt_tokens:,} prompt, "
        f"{usage.completion_tokens:,} completion), {usage.requests} requests, "
        f"{usage.cached_samples} documents from cache, {usage.transport_retries} retries, "
        f"{usage.reasks} re-asks; latency {usage.latency_s_mean:.2f}s mean, "
        f"{usage.latency_s_max:.2f}s max.",
        "",
        f"Cost: {cost_phrase(usage, summary.samples.failed)}.",
        "",
    ]
    if summary.stopped:
        not_run = summary.samples.not_run or 0
        lines += [f"Stopped: {summary.stopped} ({not_run} document(s) not run).", ""]
    weakest = _weakest(summary)
    if weakest:
        lines += ["Weakest documents (mean F1 over labelled layers):", ""]
        lines += [f"- `{doc}`: {score:.2f}" for doc, score in weakest]
        lines.append("")
    failed = [r for r in records if r.error]
    if failed:
        lines += ["Failed documents:", ""]
        lines += [f"- `{r.id}`: {r.error.message if r.error else ''}" for r in failed[:10]]
        lines.append("")
    return "\n".join(lines)


def _weakest(summary: Summary, n: int = 5) -> list[tuple[str, float]]:
    scored = []
    for doc, row in summary.documents.items():
        values = [figures.f1 for layer in LAYERS if (figures := row.layer(layer)) is not None]
        if values:
            scored.append((doc, sum(values) / len(values)))
    scored.sort(key=lambda item: (item[1], item[0]))
    return [item for item in scored[:n] if item[1] < 1.0]


def compare_markdown(comparison: Comparison) -> str:
    """A comparison of two runs (B against A) as Markdown."""
    a, b = comparison.a, comparison.b
    lines = [
        f"## claimx eval compare: {b.model} {b.prompt_id or ''} vs {a.model} {a.prompt_id or ''}",
        "",
        f"A: `{a.path}` ({a.model}, {a.prompt_id or '—'}), "
        f"B: `{b.path}` ({b.model}, {b.prompt_id or '—'}), "
        f"{comparison.documents.common} documents in common.",
        "",
        "| layer | F1 A | F1 B | Δ F1 [95% paired CI] | Δ precision | Δ recall | docs |",
        "|---|---|---|---|---|---|---|",
    ]
    for layer, entry in comparison.layers.items():
        f1, interval = entry.f1, entry.f1.interval()
        ci = (
            f" [{interval[0]:+.3f}, {interval[1]:+.3f}]"
            if interval
            else f" (no interval: n={entry.documents})"
        )
        lines.append(
            f"| {layer} | {f1.a:.3f} | {f1.b:.3f} | **{f1.delta:+.3f}**{ci} | "
            f"{entry.precision.delta:+.3f} | {entry.recall.delta:+.3f} | {entry.documents} |"
        )
    if comparison.accuracies:
        lines += ["", "| accuracy on matched items | A | B | Δ |", "|---|---|---|---|"]
        for name, change in comparison.accuracies.items():
            delta = "—" if change.delta is None else f"{change.delta:+.3f}"
            lines.append(f"| {name} | {fmt(change.a)} | {fmt(change.b)} | {delta} |")
    counts = comparison.counts
    lines += [
        "",
        f"{counts.worse} document(s) worse, {counts.better} better, {counts.unchanged} unchanged, "
        "by Δ F1: a document's F1 in B minus its F1 in A, averaged over the layers it has.",
        "",
    ]
    for title, moved in (("Most worse", comparison.worse), ("Most better", comparison.better)):
        if moved:
            lines += [f"{title}:", ""]
            for doc in moved:
                why = "; ".join(doc.why) or "no count changed"
                lines.append(f"- `{doc.id}` (Δ F1 {doc.delta_f1:+.2f}): {why}")
            lines.append("")
    return "\n".join(lines)
