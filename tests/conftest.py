"""Shared fixtures: a scripted OpenAI-compatible server, the seed article, an isolated cache."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from claimx.testing import ScriptedServer

from .browser import Chromium, find_chromium

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("CLAIMX_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the user's key, model choice or cache."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_API_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_SEND_OPENAI_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_MODEL", raising=False)
    monkeypatch.delenv("CLAIMX_BASE_URL", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.delenv("CLAIMX_PRICES", raising=False)
    monkeypatch.setenv("CLAIMX_CACHE_DIR", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    """Headless Chromium for the page tests of a module; skipped, saying why, where it is absent."""
    binary = find_chromium()
    if binary is None:
        pytest.skip("Chromium is not installed (Debian: apt-get install chromium); browser tests need it")
    with Chromium(binary, width=1366, height=900) as chromium:
        yield chromium


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    with ScriptedServer() as s:
        yield s


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_response() -> dict[str, object]:
    data: dict[str, object] = json.loads((DATA / "seed_response.json").read_text(encoding="utf-8"))
    return data


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the bundled GGUF; yields its base URL.

    Started once per test session on a free port of 127.0.0.1, stopped afterwards. Tests that
    need a real model talk to it exactly as a user talks to Ollama or vLLM.
    """
    import subprocess
    import sys
    import time
    import urllib.request

    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    port = _free_port()
    log = open(Path(os.environ.get("TMPDIR", "/tmp")) / f"claimx-llama-server-{port}.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "claimx.models.llama_server",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            "--chat_format",
            "gemma3",
            "--n_threads",
            "2",
            "--seed",
            "0",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 180
    try:
        while True:
            if proc.poll() is not None:
                log.close()
                raise RuntimeError(f"llama server exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(base_url + "/models", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"llama server not ready after 180 s; see {log.name}")
            time.sleep(0.5)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
