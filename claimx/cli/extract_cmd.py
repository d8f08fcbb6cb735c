"""``claimx extract``: run the extraction on an article and print or save the result."""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Any

import typer
from rich.console import Console

from claimx.cache import ResponseCache
from claimx.cli import app
from claimx.cli.common import atomic_write, fail, setup_logging, stderr
from claimx.errors import ClaimxError
from claimx.extract import ExtractOptions, Extractor
from claimx.inputs import Source, decode, read_path, to_text
from claimx.models.registry import default_model_spec
from claimx.render.html import extraction_html
from claimx.render.table import print_extraction
from claimx.schema import Extraction

__all__ = ["OutputFormat", "build_extractor", "extract_command", "read_source"]


class OutputFormat(StrEnum):
    """How results are written."""

    AUTO = "auto"
    JSON = "json"
    JSONL = "jsonl"
    TABLE = "table"
    HTML = "html"


def read_source(path: str, encoding: str | None, html: bool | None) -> Source:
    """One document from a path, or from stdin when the path is ``-``."""
    if path == "-":
        raw = decode(sys.stdin.buffer.read(), name="stdin", encoding=encoding)
        text, converted = to_text(raw, name="stdin", html=html)
        return Source(doc_id="stdin", text=text, origin="stdin", converted_from_html=converted)
    return read_path(Path(path), encoding=encoding, html=html)


def build_extractor(
    *,
    model: str | None,
    base_url: str | None,
    prompt: str | None,
    no_cache: bool,
    cache_dir: Path | None,
    include_text: bool,
    model_options: dict[str, Any],
    concurrency: int = 8,
) -> Extractor:
    """An extractor from command-line options, saying on stderr which model it uses."""
    spec, reason = (model, "from --model") if model else default_model_spec()
    cache: ResponseCache | bool = False if no_cache else ResponseCache(cache_dir) if cache_dir else True
    extractor = Extractor(
        spec,
        prompt=prompt,
        cache=cache,
        base_url=base_url,
        options=ExtractOptions(include_text=include_text, concurrency=concurrency),
        model_options={k: v for k, v in model_options.items() if v is not None},
    )
    where = f" at {extractor.model.base_url}" if extractor.model.base_url else ""
    stderr.print(
        f"claimx: model {extractor.model.id}{where} ({reason}); prompt {extractor.prompt.id}", markup=False
    )
    if getattr(extractor.model, "bundled", False):
        from claimx.models.local import BUNDLED_NOTE

        stderr.print(f"claimx: note: {BUNDLED_NOTE}", markup=False)
    return extractor


def _emit(result: Extraction, fmt: OutputFormat, out: Path | None) -> None:
    if fmt is OutputFormat.TABLE:
        if out is None:
            print_extraction(result, Console())
        else:
            console = Console(record=True, width=160, file=open("/dev/null", "w"))  # noqa: SIM115
            print_extraction(result, console)
            atomic_write(out, console.export_text())
        return
    if fmt is OutputFormat.HTML:
        data = extraction_html(result)
    else:
        data = result.model_dump_json(indent=None if fmt is OutputFormat.JSONL else 2) + "\n"
    if out is None:
        sys.stdout.write(data)
        sys.stdout.flush()
    else:
        atomic_write(out, data)


@app.command("extract")
def extract_command(
    path: str = typer.Argument(..., help="Article file (text or HTML), or - for stdin."),
    model: str | None = typer.Option(
        None,
        "--model",
        "-m",
        help="openai/<name>, ollama/<name>, local or local:/path.gguf "
        "(default: $CLAIMX_MODEL, else OpenAI if OPENAI_API_KEY is set, else local).",
    ),
    base_url: str | None = typer.Option(
        None,
        "--base-url",
        envvar="CLAIMX_BASE_URL",
        help="OpenAI-compatible server, e.g. http://localhost:8000/v1.",
    ),
    prompt: str | None = typer.Option(
        None, "--prompt", "-p", help="Prompt as NAME@VERSION (default extract@v1)."
    ),
    fmt: OutputFormat = typer.Option(
        OutputFormat.AUTO,
        "--format",
        "-f",
        help="json, jsonl, table or html (a self-contained page; auto: table on a terminal, else json).",
    ),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write here (atomically) instead of stdout."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Neither read nor write the response cache."),
    cache_dir: Path | None = typer.Option(
        None, "--cache-dir", help="Cache folder (default ~/.cache/claimx)."
    ),
    encoding: str | None = typer.Option(
        None, "--encoding", help="Text encoding of the input (default UTF-8)."
    ),
    html: bool | None = typer.Option(None, "--html/--no-html", help="Treat input as HTML (default: detect)."),
    no_text: bool = typer.Option(False, "--no-text", help="Leave the article text out of the JSON result."),
    timeout: float | None = typer.Option(None, "--timeout", help="Seconds to wait for one model answer."),
    temperature: float | None = typer.Option(None, "--temperature", help="Sampling temperature (default 0)."),
    max_output_tokens: int | None = typer.Option(None, "--max-output-tokens", help="Output budget per call."),
    structured_output: str | None = typer.Option(
        None,
        "--structured-output",
        help="auto, json_schema, json_object (llama-cpp-python server), json, tools or md_json.",
    ),
    n_ctx: int | None = typer.Option(None, "--n-ctx", help="Context size for local models."),
    threads: int | None = typer.Option(None, "--threads", help="CPU threads for local models."),
    debug: bool = typer.Option(False, "--debug", help="Verbose logs and tracebacks (keys are still hidden)."),
) -> None:
    """Extract claims, attributions and positions from one article.

    Example:
    [bold]claimx extract seeds/000_a52612c81e7ad0d0.txt -m openai/gpt-4.1-mini -f table[/bold]
    """
    setup_logging(debug)
    try:
        source = read_source(path, encoding, html)
        if source.converted_from_html:
            stderr.print(
                f"claimx: {source.origin} read as HTML; offsets index its extracted text", markup=False
            )
        extractor = build_extractor(
            model=model,
            base_url=base_url,
            prompt=prompt,
            no_cache=no_cache,
            cache_dir=cache_dir,
            include_text=not no_text,
            model_options={
                "timeout_s": timeout,
                "temperature": temperature,
                "max_output_tokens": max_output_tokens,
                "structured_output": structured_output,
                "n_ctx": n_ctx,
                "n_threads": threads,
            },
        )
        try:
            result = extractor.extract(source.text, doc_id=source.doc_id)
        finally:
            extractor.close()
    except ClaimxError as exc:
        fail(exc, debug)
    except KeyboardInterrupt:
        stderr.print("claimx: interrupted", markup=False)
        raise typer.Exit(130) from None
    except Exception as exc:  # a bug of ours: still one line unless --debug
        fail(exc, debug)
    chosen = fmt
    if chosen is OutputFormat.AUTO:
        chosen = OutputFormat.TABLE if out is None and sys.stdout.isatty() else OutputFormat.JSON
    _emit(result, chosen, out)
