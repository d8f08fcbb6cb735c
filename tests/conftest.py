"""Shared fixtures: a scripted OpenAI-compatible server, the seed article, an isolated cache."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from claimx.testing import ScriptedServer

from .browser import Chromium, find_chromium
from .helpers import llama_server_process

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


@pytest.fixture(autouse=True)
def _logging_restored() -> Iterator[None]:
    """A CLI run in process (``CliRunner``) sets claimx's loggers up for its own stderr, which
    closes with it; each test gets the loggers back as they were, so a later one logs (and
    ``caplog`` sees it) as in a fresh process, whatever ran before it."""
    names = ("claimx", "openai", "httpx", "httpx2", "instructor")
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger.handlers[:], logger.level, logger.propagate) for logger in loggers]
    yield
    for logger, (handlers, level, propagate) in zip(loggers, saved, strict=True):
        logger.handlers = handlers
        logger.setLevel(level)
        logger.propagate = propagate


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


@pytest.fixture(scope="session")
def llama_server() -> Iterator[str]:
    """llama-cpp-python's OpenAI-compatible server with the bundled GGUF; yields its base URL.

    Started once per test session on a free port of 127.0.0.1, stopped afterwards. Tests that
    need a real model talk to it exactly as a user talks to Ollama or vLLM.
    """
    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    log = Path(os.environ.get("TMPDIR", "/tmp")) / f"claimx-llama-server-{os.getpid()}.log"
    with llama_server_process(log, n_ctx=4096, extra=["--seed", "0"]) as base_url:
        yield base_url
