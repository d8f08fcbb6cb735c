"""``claimx view``, ``extract --format html``, help examples and shell completion, run as a user runs them."""

from __future__ import annotations

import io
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
import typer.main

from claimx.cli import app
from claimx.errors import InputError
from claimx.testing import Reply, ScriptedServer

from . import synthetic
from .conftest import SEED
from .htmltree import parse
from .test_cli import claimx_cli


def saved_result(server: ScriptedServer, seed_response: dict[str, Any], out: Path, *extra: str) -> Path:
    server.enqueue(Reply.completion(seed_response))
    proc = claimx_cli(
        "extract", str(SEED), "-m", "openai/any", "--base-url", server.base_url, "-f", "json", "-o", str(out),
        *extra,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    return out


def highlighted(html: str) -> int:
    root = parse(html)
    text = root.by_id("text")
    assert text is not None
    return sum(1 for n in text.by_class("att") if "cont" not in n.classes)


def test_view_writes_the_page(server: ScriptedServer, seed_response: dict[str, Any], tmp_path: Path) -> None:
    result = saved_result(server, seed_response, tmp_path / "result.json")
    page = tmp_path / "out" / "page.html"
    proc = claimx_cli("view", str(result), "--out", str(page))
    assert proc.returncode == 0, proc.stderr.decode()
    assert f"wrote {page} (11 statements)" in proc.stderr.decode()
    assert highlighted(page.read_text(encoding="utf-8")) == 11
    assert not list(page.parent.glob(".page.html.*"))  # written atomically, nothing left behind
    # To stdout, and from stdin.
    piped = claimx_cli("view", "-", stdin=result.read_bytes())
    assert piped.returncode == 0 and highlighted(piped.stdout.decode()) == 11


def test_extract_format_html(server: ScriptedServer, seed_response: dict[str, Any], tmp_path: Path) -> None:
    server.enqueue(Reply.completion(seed_response))
    page = tmp_path / "page.html"
    proc = claimx_cli(
        "extract", str(SEED), "-m", "openai/any", "--base-url", server.base_url, "-f", "html", "-o", str(page)
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert highlighted(page.read_text(encoding="utf-8")) == 11


def test_view_without_text_uses_text_option(
    server: ScriptedServer, seed_response: dict[str, Any], tmp_path: Path
) -> None:
    result = saved_result(server, seed_response, tmp_path / "result.json", "--no-text")
    bare = claimx_cli("view", str(result))
    assert bare.returncode == 0 and "saved without its text" in bare.stderr.decode()
    assert parse(bare.stdout.decode()).by_id("text") is None
    full = claimx_cli("view", str(result), "--text", str(SEED))
    assert full.returncode == 0, full.stderr.decode()
    assert highlighted(full.stdout.decode()) == 11
    other = tmp_path / "other.txt"
    other.write_text(SEED.read_text(encoding="utf-8") + " More.", encoding="utf-8")
    wrong = claimx_cli("view", str(result), "--text", str(other))
    assert wrong.returncode == 3
    assert "is not the text this result was extracted from" in wrong.stderr.decode()


def test_view_chooses_among_several(tmp_path: Path) -> None:
    lines = tmp_path / "results.jsonl"
    docs = [synthetic.rtl(), synthetic.cjk()]
    error_line = {"doc_id": "broken", "error": {"type": "InputError", "message": "empty"}}
    lines.write_text(
        "\n".join([*(d.model_dump_json() for d in docs), json.dumps(error_line)]) + "\n", encoding="utf-8"
    )
    # Without --doc: a usage error (exit 2) that lists the documents, failed ones with their error.
    ambiguous = claimx_cli("view", str(lines))
    err = ambiguous.stderr.decode()
    assert ambiguous.returncode == 2 and "holds 3 documents; choose one with --doc" in err
    assert all(doc in err for doc in ("rtl", "cjk", "broken (failed: empty)"))
    chosen = claimx_cli("view", str(lines), "--doc", "cjk")
    assert chosen.returncode == 0 and "王明" in chosen.stdout.decode()
    missing = claimx_cli("view", str(lines), "--doc", "nope")
    assert missing.returncode == 2 and "has no document 'nope'" in missing.stderr.decode()
    assert "cjk" in missing.stderr.decode()
    # --doc naming a document whose extraction failed shows its error.
    failed = claimx_cli("view", str(lines), "--doc", "broken")
    assert failed.returncode == 3 and "its extraction failed (InputError): empty" in failed.stderr.decode()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"{not json", "is not json"),
        (b"The minister said the plan would pass.\n", "run claimx extract on it first"),
        (b"<!doctype html>\n<html><body>claims</body></html>\n", "looks like an html page: open it"),
        (b'{"doc_id": "x"}', "holds no claimx result"),
        (b'{"doc_id": "x", "meta": {}}', "holds no claimx result (text_sha256: field required)"),
        (b"", "is empty"),
    ],
)
def test_view_bad_input_exit_3(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(content)
    proc = claimx_cli("view", str(path))
    assert proc.returncode == 3, proc.stderr.decode()
    err = proc.stderr.decode().strip()
    assert needle in err.lower() and len(err.splitlines()) == 1 and "Traceback" not in err


def test_view_reads_a_device_or_a_huge_line_with_one_line_not_all_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # /dev/zero used to be read whole until memory ran out; its first bytes now name it.
    zero = claimx_cli("view", "/dev/zero")
    assert zero.returncode == 3 and "binary file" in zero.stderr.decode(), zero.stderr.decode()
    # A stream with no NUL and no line end stops at the cap (lowered here), never held whole.
    from claimx.cli import view_cmd

    monkeypatch.setattr(view_cmd, "MAX_RESULT_BYTES", 100_000)
    for huge in (b"{" + b"a" * 200_000, b"{\n" + b'"a": 1,\n' * 30_000):  # one line; a document
        with pytest.raises(InputError, match="MB in one JSON value"):
            view_cmd.load_results(io.BytesIO(huge), "stdin")
    small = b"{\n" + b'"a": 1,\n' * 100 + b'"b": 2}'  # under the cap: read, and not a result
    with pytest.raises(InputError, match="holds no claimx result"):
        view_cmd.load_results(io.BytesIO(small), "stdin")


def test_view_streams_a_large_batch_file_keeping_one_result(tmp_path: Path) -> None:
    from claimx.cli.view_cmd import load_results

    doc = synthetic.cjk()
    lines = tmp_path / "results.jsonl"
    with lines.open("w", encoding="utf-8") as f:
        for k in range(300):
            f.write(doc.model_copy(update={"doc_id": f"d{k}"}).model_dump_json() + "\n")
    with lines.open("rb") as stream:
        saved = load_results(stream, "results.jsonl", "d250")
    assert [r.doc_id for r in saved.results] == ["d250"]  # the one asked for, and only it, is held
    assert len(saved.listing) == 300 and saved.listing[0] == ("d0", len(doc.attributions))
    chosen = claimx_cli("view", str(lines), "--doc", "d299")
    assert chosen.returncode == 0 and "王明" in chosen.stdout.decode()
    # A pretty-printed document (as `-f json` writes it) is still one result.
    pretty = tmp_path / "one.json"
    pretty.write_text(json.dumps(doc.model_dump(mode="json"), indent=2, ensure_ascii=False), encoding="utf-8")
    one = claimx_cli("view", str(pretty))
    assert one.returncode == 0 and "王明" in one.stdout.decode()


def test_view_missing_file_exit_3(tmp_path: Path) -> None:
    proc = claimx_cli("view", str(tmp_path / "nope.json"))
    assert proc.returncode == 3 and "cannot read" in proc.stderr.decode()


def command_paths() -> list[tuple[str, ...]]:
    """Every command, nested groups included (``("eval", "run")``)."""
    paths: list[tuple[str, ...]] = []

    def walk(command: Any, path: tuple[str, ...]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            if getattr(sub, "hidden", False):
                continue
            paths.append((*path, name))
            walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return sorted(paths)


def test_every_command_help_has_an_example() -> None:
    paths = command_paths()
    assert {("extract",), ("view",)} <= set(paths)
    for path in [(), *paths]:
        proc = claimx_cli(*path, "--help", env={"COLUMNS": "200"})
        assert proc.returncode == 0, path
        out = proc.stdout.decode()
        assert "Example" in out and f"claimx {' '.join(path)}" in out, (
            f"claimx {' '.join(path)} --help: no example"
        )


@pytest.mark.parametrize("args", [("extract", "--bogus"), ("view",), ("nope",)])
def test_usage_errors_exit_2(args: tuple[str, ...]) -> None:
    assert claimx_cli(*args).returncode == 2


def test_readme_documents_every_exit_code() -> None:
    from claimx.cli import common

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("Exit codes") :]
    documented = {int(m) for m in re.findall(r"^\| `(\d+)` \|", table, flags=re.M)}
    codes = {v for k, v in vars(common).items() if k.startswith("EXIT_") and isinstance(v, int)}
    assert documented == codes


def test_version() -> None:
    proc = claimx_cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().startswith("claimx ")


@pytest.mark.parametrize(("shell", "marker"), [("bash", "complete -o default -F"), ("zsh", "#compdef claimx"),
                                               ("fish", "complete --command claimx")])  # fmt: skip
def test_show_completion_prints_a_script(shell: str, marker: str) -> None:
    # With shell detection off, typer takes the shell as the option's value (as in a CI container).
    proc = claimx_cli("--show-completion", shell, env={"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"})
    assert proc.returncode == 0, proc.stderr.decode()
    assert marker in proc.stdout.decode() and "_CLAIMX_COMPLETE" in proc.stdout.decode()


def test_completion_offers_commands_and_choices() -> None:
    def complete(words: str, cword: int) -> list[str]:
        env = {"_CLAIMX_COMPLETE": "complete_bash", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
        proc = claimx_cli(env=env)
        assert proc.returncode == 0, proc.stderr.decode()
        return proc.stdout.decode().split()

    assert {"extract", "view"} <= set(complete("claimx ", 1))
    assert complete("claimx vi", 1) == ["view"]
    assert set(complete("claimx extract a.txt --format ", 4)) == {"auto", "json", "jsonl", "table", "html"}
    assert "--out" in complete("claimx view r.json --", 3)


def test_completion_is_wired_in_the_console_script() -> None:
    # The installed `claimx` script is the same app; prog name decides the completion variable.
    proc = claimx_cli("--help", env={"COLUMNS": "200"})
    assert "--install-completion" in proc.stdout.decode() and "--show-completion" in proc.stdout.decode()
    assert os.environ.get("_CLAIMX_COMPLETE") is None
