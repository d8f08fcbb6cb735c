"""The page's header: which runs, on which data, with which model and prompt."""

from __future__ import annotations

from collections.abc import Sequence

from claimx.evaluate.runlog import Run
from claimx.evaluate.summary import run_cost
from claimx.pricing import format_usd
from claimx.render.htmlkit import esc


def _dl(pairs: Sequence[tuple[str, object]]) -> str:
    rows = "".join(
        f'<dt>{esc(k)}</dt><dd dir="auto">{esc(v)}</dd>' for k, v in pairs if v is not None and v != ""
    )
    return f'<dl class="kv">{rows}</dl>'


def run_facts(run: Run, label: str) -> str:
    """One run's facts: model, prompt, data, date, samples and failures."""
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
                ("usage", _usage(run)),
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


def _usage(run: Run) -> str:
    """Tokens, requests, answers from the cache (which cost nothing) and what the run cost."""
    records = run.records
    tokens = sum(r.usage.total_tokens for r in records)
    requests = sum(r.usage.requests for r in records)
    cached = sum(1 for r in records if r.usage.cached)
    cost = run_cost(records)
    priced = format_usd(cost) if cost is not None else "cost unknown (no price for this model)"
    return f"{tokens:,} tokens, {requests} requests, {cached} from cache; {priced}"


def page_header(runs: dict[str, Run], names: dict[str, str]) -> str:
    """The page's title and the facts of each run it shows."""
    a = runs["a"]
    if "b" in runs:
        b = runs["b"]
        title = f"{names['b']} vs {names['a']} on {a.header.dataset.name}"
        facts = run_facts(a, f"A (reference): {names['a']}") + run_facts(b, f"B (candidate): {names['b']}")
        note = '<p class="sub">Changes are B − A.</p>'
    else:
        title = f"{names['a']} on {a.header.dataset.name}"
        facts = run_facts(a, "Run")
        note = ""
    return (
        f'<header class="top"><p class="kicker">claimx eval report</p><h1 dir="auto">{esc(title)}</h1>{note}'
        f'<div class="runs">{facts}</div></header>'
    )


def run_name(run: Run) -> str:
    """Model and prompt in a few words ("openai/gpt-4.1-mini extract@v2", "baseline@v1", "gold")."""
    h = run.header
    if not h.prompt_id or h.prompt_id == h.model:
        return h.model
    return h.prompt_id if h.prompt_id.startswith(h.model) else f"{h.model} {h.prompt_id}"
