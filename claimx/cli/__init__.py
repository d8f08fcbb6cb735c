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


from claimx.cli import batch_cmd, batch_job_cmd, cache_cmd, eval_cmd, extract_cmd, prompts_cmd, view_cmd  # noqa: E402,F401  (each registers its commands)


def run() -> None:
    """The ``claimx`` program (its console script and ``python -m claimx``): ``app`` in a process of its own.

    Before running the command, everything imported so far (the openai SDK, instructor,
    pydantic's schemas, typer and rich: some 140,000 objects) is moved out of the garbage
    collector's reach with :func:`gc.freeze`. They live as long as the process anyway, yet
    every full collection, which a long batch's answers trigger every few documents, scanned
    them all again: about 6 ms per 20,000-character article in ``benchmarks/overhead.py``'s
    measurement. Objects made afterwards, every document's included, are collected as usual;
    what freezing costs is that a cycle among the frozen objects is never freed, and they were
    never going to be.

    For the same reason the youngest generation is collected every 10,000 net allocations
    rather than every 700: the objects an article's reading makes live until it is written,
    so the default's frequent collections mostly moved them on, and every tenth of every
    tenth scanned all the older ones again (the tagger's weights, the run's samples): about
    0.4 s of the 84-article ``eval run`` of the offline extractor, of about 9 s. A cycle of
    garbage waits a little longer to be freed; no object is kept that would not be.

    Only here, where the process is claimx's: importing claimx, or invoking ``app`` in
    process (typer's test runner, another program's own CLI), leaves the host's collector
    as it was. An application embedding claimx can make the same choice for itself (call
    ``gc.freeze()`` once its imports are done); a library must not make it for it.
    """
    gc.freeze()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
    app(prog_name="claimx")


#: Net allocations between collections of the youngest generation in the ``claimx`` process
#: (Python's default is 700; see :func:`run`).
GC_YOUNG_THRESHOLD = 10_000


__all__ = ["app", "main", "run"]
