"""The ``claimx`` command line (typer): extract, and the commands added beside it."""

from __future__ import annotations

import gc

import typer

from claimx._version import __version__
from claimx.cli import helptext

app = typer.Typer(
    cls=helptext.Group,
    name="claimx",
    help="Who said what, and where they stand: claims, attributions and positions from news articles.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich",
    epilog="Example: [bold]claimx extract article.txt -o r.json && claimx view r.json -o page.html[/bold]",
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"claimx {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Claimx reads news articles with a language model and returns grounded, verifiable results."""
    # The command is the application, so it may do what a library must not: the modules and
    # tables loaded so far live as long as the process, and every full collection would scan
    # them again (a tenth of an offline `eval run`'s CPU went to the collector before this).
    gc.freeze()


from claimx.cli import batch_cmd, batch_job_cmd, cache_cmd, eval_cmd, extract_cmd, prompts_cmd, view_cmd  # noqa: E402,F401  (each registers its commands)

__all__ = ["app", "main"]
