"""``claimx prompts list|show``: the prompt versions, which runs used them, and what the model receives."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.console import Console
from rich.table import Table

from claimx.cli import app, helptext
from claimx.cli.common import fail, stderr
from claimx.document import Document
from claimx.errors import ClaimxError, InputError
from claimx.inputs import read_path
from claimx.prompts import list_prompts, load_prompt, render_json

if TYPE_CHECKING:
    from claimx.evaluate.runlog import RunHeader

# (the eval harness's run logs and datasets are imported where read: every ``claimx`` command
# imports this module to register ``prompts``, and needs neither)

__all__ = ["prompts_app"]

prompts_app = typer.Typer(
    cls=helptext.Group,
    help="List prompt versions and show the exact messages a model receives.",
    no_args_is_help=True,
    epilog="Example: [bold]claimx prompts show extract@v1 --article seeds/000_a52612c81e7ad0d0.txt[/bold]",
)
app.add_typer(prompts_app, name="prompts")

_PLACEHOLDER = (
    'The minister said on Monday that the reform was necessary. "We will not back down," she told reporters.'
)


def _runs(root: Path) -> list[tuple[Path, RunHeader]]:
    """Every run folder under ``root`` (a few levels deep), with its header."""
    from claimx.evaluate.runlog import HEADER_FILE, read_header

    found: list[tuple[Path, RunHeader]] = []
    if not root.is_dir():
        return found
    for header_path in sorted(root.glob("**/" + HEADER_FILE)):
        if len(header_path.relative_to(root).parts) > 4:
            continue
        try:
            found.append((header_path.parent, read_header(header_path.parent)))
        except ClaimxError:
            continue  # not a run of ours, or from a newer claimx
    return found


def _name(folder: Path, root: Path) -> str:
    """A run folder as shown in the table: relative to the runs folder."""
    return str(folder.relative_to(root)) if folder != root else str(folder)


@prompts_app.command("list", cls=helptext.Command)
def list_command(
    runs: Path = typer.Option(
        Path("evals/runs"), "--runs", help="Folder holding eval runs, searched for run.json."
    ),
) -> None:
    """Every prompt version with its sha256, and the runs that used exactly that version.

    Example: [bold]claimx prompts list --runs evals/runs[/bold]
    """
    try:
        available = list_prompts()
        used = _runs(runs)
        table = Table(title="Prompts", title_justify="left")
        for column in ("prompt", "sha256", "examples", "runs"):
            table.add_column(column)
        for name, versions in available.items():
            for version in versions:
                prompt = load_prompt(f"{name}@{version}")
                same = [
                    _name(p, runs)
                    for p, h in used
                    if h.prompt_id == prompt.id and h.prompt_sha256 == prompt.sha256
                ]
                changed = [
                    _name(p, runs)
                    for p, h in used
                    if h.prompt_id == prompt.id and h.prompt_sha256 != prompt.sha256
                ]
                cell = ", ".join(same) or "—"
                if changed:
                    cell += f"  [red](files changed since {len(changed)} run(s): {', '.join(changed)})[/red]"
                table.add_row(prompt.id, prompt.sha256[:12], str(len(prompt.examples)), cell)
    except ClaimxError as exc:
        fail(exc)
    (Console() if sys.stdout.isatty() else Console(width=200)).print(table)


@prompts_app.command("show", cls=helptext.Command)
def show_command(
    prompt_id: str = typer.Argument(
        ..., help="NAME@VERSION, e.g. extract@v1 (NAME alone: its latest version)."
    ),
    article: Path | None = typer.Option(
        None, "--article", "-a", help="Article to render the prompt for (default: the seed article)."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the messages as JSON."),
) -> None:
    """The exact messages the model would receive for an article.

    Example: [bold]claimx prompts show extract@v1 --article seeds/000_a52612c81e7ad0d0.txt[/bold]
    """
    try:
        prompt = load_prompt(prompt_id)
        if article is not None:
            source = read_path(article, encoding=None, html=None)
            document = Document.from_text(source.text, source.doc_id)
        else:
            from claimx.evaluate.datasets import load_dataset

            try:
                sample = load_dataset("seed").samples[0]
                document = Document.from_text(sample.text, sample.id)
            except ClaimxError:
                document = Document.from_text(_PLACEHOLDER, "example")
        messages = prompt.render(document)
    except (ClaimxError, OSError) as exc:
        fail(exc if isinstance(exc, ClaimxError) else InputError(str(exc)))
    if as_json:
        sys.stdout.write(render_json(messages) + "\n")
        return
    stderr.print(f"claimx: {prompt.id} sha256 {prompt.sha256} for {document.doc_id}", markup=False)
    console = Console()
    for message in messages:
        console.rule(f"[bold]{message['role']}[/bold]")
        console.print(message["content"], markup=False, highlight=False)
