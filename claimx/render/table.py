"""A readable terminal rendering of an extraction: who said what, and the stances taken."""

from __future__ import annotations

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from claimx.caveats import caveat
from claimx.pricing import format_usd
from claimx.render.rejections import dropped_counts, group_rejections
from claimx.schema import Extraction

__all__ = ["extraction_table", "print_extraction"]

_STANCE_STYLE = {"support": "green", "oppose": "red", "neutral": "yellow", "mixed": "magenta"}


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def extraction_table(result: Extraction) -> Group:
    """Tables of statements, positions and actors, plus a line about what was rejected."""
    names = {a.id: a.name for a in result.actors}
    claims = {c.id: c for c in result.claims}
    dropped = ", ".join(_count(n, noun) for noun, n in dropped_counts(result).items())
    header = Text.assemble(
        ("Document ", "bold"),
        (result.doc_id, "bold cyan"),
        f"  ·  {_count(len(result.attributions), 'statement')}, {_count(len(result.actors), 'actor')}, "
        f"{_count(len(result.claims), 'claim')}, {_count(len(result.positions), 'position')}"
        + (f"; not grounded: {dropped}" if dropped else ""),
        "  ·  made by ",
        (result.meta.model, "bold"),
    )
    warning = caveat(result.meta.model)
    if warning is not None:
        header.append(f"\nMade by {warning.kind}: {warning.text}", style="bold yellow")
    if result.metadata.date or result.metadata.dateline:
        header.append(
            f"\n{result.metadata.date or ''} "
            f"{result.metadata.dateline.text if result.metadata.dateline else ''}".rstrip()
        )

    said = Table(title="Who said what", title_justify="left", show_lines=True, expand=True)
    said.add_column("#", style="dim", no_wrap=True)
    said.add_column("Speaker", style="bold")
    said.add_column("Mode", no_wrap=True)
    said.add_column("Cue", style="italic")
    said.add_column("Words in the article (offsets)")
    said.add_column("Claim")
    for att in result.attributions:
        claim = claims.get(att.claim_id)
        speaker = names.get(att.speaker_id or "", "(the article)")
        said.add_row(
            att.id,
            speaker,
            att.mode.value,
            att.cue.text if att.cue else "",
            f"“{_clip(att.content.text, 160)}” [{att.content.start}:{att.content.end}]",
            f"{_clip(claim.text, 160)} ({claim.kind.value})" if claim else "",
        )

    stances = Table(title="Positions", title_justify="left", expand=True)
    stances.add_column("#", style="dim", no_wrap=True)
    stances.add_column("Holder", style="bold")
    stances.add_column("Stance", no_wrap=True)
    stances.add_column("Target")
    stances.add_column("Claims", style="dim")
    for pos in result.positions:
        style = _STANCE_STYLE.get(pos.stance.value, "")
        stances.add_row(
            pos.id,
            names.get(pos.holder_id or "", "(the article)"),
            Text(pos.stance.value, style=style),
            pos.target,
            ", ".join(pos.claim_ids),
        )

    people = Table(title="Actors", title_justify="left", expand=True)
    people.add_column("#", style="dim", no_wrap=True)
    people.add_column("Name", style="bold")
    people.add_column("Kind")
    people.add_column("Role / affiliation")
    people.add_column("Mentions")
    for actor in result.actors:
        role = " · ".join(x for x in (actor.role, actor.affiliation) if x)
        mentions = sorted({m.text for m in actor.mentions})
        people.add_row(
            actor.id, actor.name, actor.kind.value, role, ", ".join(mentions) + f" ({len(actor.mentions)}×)"
        )

    parts: list[Table | Text] = [header, said]
    if result.positions:
        parts.append(stances)
    if result.actors:
        parts.append(people)
    if result.rejected:
        lines = Text("Rejected (not in the article; a dropped cue or speaker leaves its statement in):")
        for group in group_rejections(result):
            lines.append(f"\n  {group.title} [{group.code}] ×{len(group.entries)}", style="bold")
            for entry in group.entries[:5]:
                kept = f" as {entry.kept_as}" if entry.kept_as else ""
                why = f" ({entry.detail})" if entry.detail else ""
                lines.append(f"\n    {entry.dropped}{kept}: {_clip(entry.line, 150)}{why}")
            if len(group.entries) > 5:
                lines.append(f"\n    … and {len(group.entries) - 5} more")
        parts.append(Text.assemble(lines, style="yellow"))
    usage = result.meta.usage
    parts.append(
        Text(
            f"{usage.total_tokens} tokens, {_count(usage.requests, 'request')}"
            f"{', from cache' if usage.cached else ''}, cost {format_usd(usage.cost_usd)}, "
            f"{result.meta.latency_s:.2f}s, "
            f"prompt {result.meta.prompt_id}",
            style="dim",
        )
    )
    return Group(*parts)


def print_extraction(result: Extraction, console: Console) -> None:
    """Print the tables to ``console``."""
    console.print(extraction_table(result))
