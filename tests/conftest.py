"""Shared fixtures: a scripted OpenAI-compatible server, the seed article, an isolated cache."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from claimx.testing import ScriptedServer

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(os.environ.get("CLAIMX_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the user's key, model choice or cache."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_MODEL", raising=False)
    monkeypatch.delenv("CLAIMX_BASE_URL", raising=False)
    monkeypatch.setenv("CLAIMX_CACHE_DIR", str(tmp_path / "cache"))


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
