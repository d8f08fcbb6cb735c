"""Every code block of the README runs (Python) or parses against the command tree (shell).

Python blocks are executed in order, in one namespace holding the seed article as ``text``,
against the scripted OpenAI-compatible server (``OPENAI_BASE_URL`` points there). The seed's
answer carries a stance in the article's own voice, which the README must handle. Shell
blocks are split into commands; every ``claimx`` command is parsed by the real typer/click
command tree (unknown options, bad choices and missing arguments fail), and every extra
named in a ``pip install`` exists in pyproject.toml. The commands of ``evals/README.md`` are
parsed the same way (its synopsis lines aside). So the READMEs cannot drift from the code.
"""

from __future__ import annotations

import ast
import contextlib
import html
import inspect
import io
import re
import shlex
import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

import claimx
from claimx.cli import app
from claimx.testing import RecordedRequest, Reply, ScriptedServer

from .conftest import ROOT, SEED

README = ROOT / "README.md"
_FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)


def blocks(language: str, path: Path = README) -> list[str]:
    """The code blocks of one language, in order."""
    return [body for lang, body in _FENCE.findall(path.read_text(encoding="utf-8")) if lang == language]


def test_the_readme_has_the_blocks_this_test_reads() -> None:
    assert len(blocks("python")) >= 2 and len(blocks("sh")) >= 5
    assert len(_evals_readme_commands()) >= 5


# ---------------------------------------------------------------------------------------- Python


def _answer_with_an_author_stance(seed_response: dict[str, Any]) -> dict[str, Any]:
    answer = dict(seed_response)
    authored = [i for i, s in enumerate(seed_response["statements"], 1) if s["speaker"] == "author"]
    assert authored, "the seed answer has statements in the article's own voice"
    stance = {"holder": "author", "target": "inter-Korean thaw", "stance": "neutral", "statements": authored}
    answer["positions"] = [*seed_response["positions"], stance]
    return answer


def test_python_blocks_run(
    seed_response: dict[str, Any], seed_text: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    answer = _answer_with_an_author_stance(seed_response)

    def respond(request: RecordedRequest) -> Reply:
        return Reply.completion(answer)

    with ScriptedServer(respond) as server:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-readme-test")
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in seed_text.split("\n") if p.strip())
        page_html = (
            "<html><head><title>Russia welcomes inter-Korean contacts</title></head><body>"
            f"<nav><a href='/'>Home</a></nav><article>{paragraphs}</article></body></html>"
        )
        namespace: dict[str, Any] = {"text": seed_text, "doc_id": SEED.stem, "page_html": page_html}
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            for number, code in enumerate(blocks("python"), 1):
                if "import ray" in code:
                    continue  # the Ray block runs on a local Ray instance in tests/test_ray.py
                exec(compile(code, f"README.md python block {number}", "exec"), namespace)
        assert server.completions, "the blocks reached the scripted server"
    result = namespace["result"]
    assert any(p.holder_id is None for p in result.positions)  # the case the README once crashed on
    lines = printed.getvalue().splitlines()
    assert "(the article) neutral inter-Korean thaw" in lines
    assert f"{SEED.stem} {len(result.claims)}" in lines  # the extract_many block


def test_python_alternatives_in_comments_name_real_parameters() -> None:
    # "# offline, in process: claimx.extract(text, model=...)": the calls shown in comments take
    # keywords claimx.extract (through aextract) really has.
    accepted = set(inspect.signature(claimx.aextract).parameters)
    calls = [
        m.group(0)
        for code in blocks("python")
        for m in re.finditer(r"claimx\.extract\(.*\)", code)
        if m.group(0).count("(") == m.group(0).count(")")
    ]
    assert len(calls) >= 3
    for call in calls:
        node = ast.parse(call).body[0]
        assert isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)
        for keyword in node.value.keywords:
            assert keyword.arg in accepted, f"{call}: claimx.extract has no {keyword.arg}="


def test_extractor_is_passed_where_the_readme_says(seed_text: str) -> None:
    # "call its extract/aextract, or pass it to claimx.extract_many/aextract_many as extractor=
    # (claimx.extract takes no extractor=)"
    prose = " ".join(README.read_text(encoding="utf-8").split())
    assert "pass it to `claimx.extract_many`/`aextract_many` as `extractor=`" in prose
    for function in (claimx.extract_many, claimx.aextract_many):
        assert "extractor" in inspect.signature(function).parameters
    for function in (claimx.extract, claimx.aextract):
        assert "extractor" not in inspect.signature(function).parameters
    with claimx.Extractor("offline", cache=False) as extractor:
        one = extractor.extract(seed_text, "seed")
        [many] = list(claimx.extract_many([("seed", seed_text)], extractor=extractor))
    assert many.ok and many.extraction is not None
    assert many.extraction.attributions == one.attributions


def test_misspelt_model_options_fail_as_the_readme_says(seed_text: str) -> None:
    prose = " ".join(README.read_text(encoding="utf-8").split())
    assert "a misspelt keyword (`temprature=0.9`) is Python's `TypeError`" in prose
    with pytest.raises(TypeError, match="temprature"):
        claimx.extract(seed_text, model="offline", temprature=0.9)  # type: ignore[call-arg]
    with pytest.raises(claimx.ConfigError) as caught:
        claimx.extract(seed_text, model="openai/m", base_url="http://127.0.0.1:9/v1",
                       model_options={"temprature": 0.9})  # fmt: skip
    message = str(caught.value)
    assert "did you mean 'temperature'" in message and "valid options:" in message and "timeout_s" in message
    result = CliRunner().invoke(app, ["extract", "-", "--temprature", "0.9"], input=seed_text)
    assert result.exit_code == 2 and "--temperature" in result.output


# ----------------------------------------------------------------------------------------- shell


def commands(block: str) -> list[list[str]]:
    """The simple commands of a shell block: split at &&, ||, ;, | and newlines; redirections and
    comments dropped."""
    out: list[list[str]] = []
    for line in block.replace("\\\n", " ").splitlines():
        lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
        lexer.whitespace_split = True
        lexer.commenters = "#"
        current: list[str] = []
        skip_next = False
        for token in lexer:
            if skip_next:
                skip_next = False
                continue
            if token in ("&&", "||", ";", "|", "&"):
                out.append(current)
                current = []
            elif token in ("<", ">", ">>", "2>", "2>&1"):
                skip_next = token != "2>&1"
            else:
                current.append(token)
        out.append(current)
    return [c for c in out if c]


def _rest(ctx: typer.Context) -> list[str]:
    """What a group left for its subcommand (click keeps the subcommand's name apart)."""
    protected = getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", [])
    return [*protected, *ctx.args]


def parse_claimx(argv: list[str]) -> typer.Context:
    """Parse a claimx command line with the real command tree, without running it.

    A usage error (unknown option, bad choice, missing argument) raises typer's click
    ``UsageError`` (``exit_code`` 2); an unknown command fails an assertion.
    """
    group = typer.main.get_command(app)
    assert isinstance(group, TyperGroup)
    ctx = group.make_context("claimx", list(argv), resilient_parsing=False)
    command: Any = group
    args = _rest(ctx)
    while isinstance(command, TyperGroup) and args:
        name, *args = args
        sub = command.get_command(ctx, name)
        assert sub is not None, f"no command {name!r} in {' '.join(argv)}"
        command = sub
        ctx = command.make_context(name, list(args), parent=ctx, resilient_parsing=False)
        args = _rest(ctx) if isinstance(command, TyperGroup) else []
    return ctx


def test_commands_parse_and_bad_ones_would_not() -> None:
    assert parse_claimx(["extract", "a.txt", "-f", "json", "-o", "r.json"]).params["fmt"] == "json"
    for bad in (["extract", "a.txt", "--fromat", "json"], ["extract", "a.txt", "-f", "xml"], ["view"]):
        with pytest.raises(Exception) as caught:  # typer's vendored click.UsageError
            parse_claimx(bad)
        assert getattr(caught.value, "exit_code", None) == 2, bad
    with pytest.raises(AssertionError, match="no command"):
        parse_claimx(["eval", "rnu", "--dataset", "seed"])


EVALS_README = ROOT / "evals" / "README.md"


def _readme_commands() -> list[list[str]]:
    return [cmd for block in blocks("sh") for cmd in commands(block)]


def _evals_readme_commands() -> list[list[str]]:
    """The evals README's commands, less its synopsis lines (``[--limit N]``)."""
    return [
        cmd
        for block in blocks("sh", EVALS_README)
        for cmd in commands(block)
        if not any(arg.startswith("[") for arg in cmd)
    ]


@pytest.mark.parametrize(
    "argv",
    [c[1:] for c in _readme_commands() if c[0] == "claimx"],
    ids=lambda argv: " ".join(argv)[:60],
)
def test_shell_command_parses(argv: list[str]) -> None:
    parse_claimx(argv)


@pytest.mark.parametrize(
    "argv",
    [c[1:] for c in _evals_readme_commands() if c[0] == "claimx"],
    ids=lambda argv: " ".join(argv)[:60],
)
def test_evals_readme_command_parses(argv: list[str]) -> None:
    parse_claimx(argv)


def test_pip_extras_exist() -> None:
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    named = [
        extra
        for cmd in _readme_commands()
        if cmd[:2] == ["pip", "install"]
        for arg in cmd[2:]
        for extra in re.findall(r"\[([\w,-]+)\]", arg)
    ]
    assert named, "the README installs with extras"
    for group in named:
        assert set(group.split(",")) <= extras, group


def test_shell_blocks_name_files_that_exist() -> None:
    # Paths under the repository that the README runs commands on (seeds/…, evals/gold/…).
    for cmd in _readme_commands():
        for arg in cmd:
            if arg.startswith(("seeds/", "evals/gold/")):
                assert (ROOT / arg).exists(), arg
