"""The command line, run as a user runs it: a subprocess talking HTTP to the scripted server."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from claimx.testing import Reply, ScriptedServer

from .conftest import SEED


def claimx_cli(
    *args: str, stdin: bytes | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    full_env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "claimx", *args], input=stdin, capture_output=True, env=full_env, timeout=120
    )


def test_extract_json_against_scripted_server(server: ScriptedServer, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.completion(seed_response))
    proc = claimx_cli(
        "extract", str(SEED), "--model", "openai/any", "--base-url", server.base_url, "--format", "json"
    )
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(proc.stdout)
    text = SEED.read_text(encoding="utf-8")
    assert result["doc_id"] == SEED.stem
    for att in result["attributions"]:
        span = att["content"]
        assert text[span["start"] : span["end"]] == span["text"]
    assert len(result["attributions"]) == 11
    assert "model openai/any at " + server.base_url in proc.stderr.decode()


def test_extract_table(server: ScriptedServer, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.completion(seed_response))
    proc = claimx_cli("extract", str(SEED), "-m", "openai/any", "--base-url", server.base_url, "-f", "table")
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "Who said what" in out and "Positions" in out and "Alexander Timonin" in out
    assert "oppose" in out and "support" in out


def test_out_file_and_stdin(server: ScriptedServer, seed_response: dict[str, Any], tmp_path: Path) -> None:
    server.enqueue(Reply.completion(seed_response))
    out = tmp_path / "result.json"
    proc = claimx_cli(
        "extract",
        "-",
        "-m",
        "openai/any",
        "--base-url",
        server.base_url,
        "-o",
        str(out),
        stdin=SEED.read_bytes(),
    )
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout == b""
    assert json.loads(out.read_text())["doc_id"] == "stdin"
    assert not list(tmp_path.glob(".result.json.*"))  # no temporary file left behind


def test_missing_key_is_one_line_exit_2() -> None:
    proc = claimx_cli("extract", str(SEED), "--model", "openai/gpt-4.1-mini")
    assert proc.returncode == 2
    err = proc.stderr.decode().strip().splitlines()
    assert err[-1].startswith("claimx: error: no API key") and "OPENAI_API_KEY" in err[-1]
    assert "Traceback" not in proc.stderr.decode()


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"", "is empty"),
        (b"   \n\n\t", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00IHDR", "binary"),
        (b"Caf\xe9 society said hello.", "not valid utf-8"),
    ],
)
def test_bad_input_exit_3(tmp_path: Path, content: bytes, needle: str) -> None:
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    proc = claimx_cli("extract", str(path), "--model", "openai/any", "--base-url", "http://127.0.0.1:9/v1")
    assert proc.returncode == 3, proc.stderr.decode()
    assert needle in proc.stderr.decode().lower()
    assert "Traceback" not in proc.stderr.decode()


def test_encoding_option(server: ScriptedServer, tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Le ministre a déclaré que la réforme était nécessaire.".encode("latin-1"))
    answer = {
        "actors": [],
        "statements": [
            {
                "sentences": ["S1"],
                "quote": "la réforme était nécessaire",
                "speaker": "author",
                "mode": "author",
                "claim": "La réforme était nécessaire.",
                "kind": "opinion",
            }
        ],
        "positions": [],
    }
    server.enqueue(Reply.completion(answer))
    proc = claimx_cli(
        "extract",
        str(path),
        "-m",
        "openai/any",
        "--base-url",
        server.base_url,
        "-f",
        "json",
        "--encoding",
        "latin-1",
    )
    assert proc.returncode == 0, proc.stderr.decode()
    result = json.loads(proc.stdout)
    assert result["attributions"][0]["content"]["text"] == "la réforme était nécessaire"


def test_model_failure_exit_4(server: ScriptedServer) -> None:
    server.enqueue(*[Reply.error(401, "bad key") for _ in range(3)])
    proc = claimx_cli(
        "extract",
        str(SEED),
        "-m",
        "openai/any",
        "--base-url",
        server.base_url,
        env={"OPENAI_API_KEY": "sk-secret-value-123456"},
    )
    assert proc.returncode == 4
    assert "rejected the API key (401)" in proc.stderr.decode()
    assert "sk-secret-value-123456" not in proc.stderr.decode() + proc.stdout.decode()


def test_version() -> None:
    proc = claimx_cli("--version")
    assert proc.returncode == 0 and proc.stdout.decode().startswith("claimx ")


def test_the_program_freezes_its_imports_and_an_in_process_app_does_not() -> None:
    """``claimx`` (its own process) freezes its imports and collects less often; ``app`` alone never."""
    from typer.testing import CliRunner

    from claimx.cli import app

    before, threshold = gc.get_freeze_count(), gc.get_threshold()
    assert CliRunner().invoke(app, ["--version"]).exit_code == 0
    # (a host's collector is the host's business)
    assert gc.get_freeze_count() == before and gc.get_threshold() == threshold
    script = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 10_000, gc.get_threshold()[0]))\n"
        "from claimx.cli import run\n"
        "sys.argv = ['claimx', '--version']\n"
        "run()\n"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().split()[-3:] == ["frozen", "True", "10000"]
