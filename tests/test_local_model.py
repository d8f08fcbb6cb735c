"""The real path: a real llama.cpp model, over HTTP (llama-cpp-python's server) and in process."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import claimx
from claimx.models.local import LocalModel
from claimx.models.registry import default_model_spec, resolve_model
from claimx.response import OutputLimits

from .conftest import SEED

pytestmark = [pytest.mark.llama, pytest.mark.slow]

SMALL = OutputLimits(max_statements=3, compact=True)


def test_openai_provider_against_real_llama_server(llama_server: str, seed_text: str) -> None:
    result = claimx.extract(
        seed_text,
        model="openai/gemma-3-270m",
        base_url=llama_server,
        prompt="extract-small@v1",
        cache=False,
        max_output_tokens=700,
        model_options={"limits": SMALL},
    )
    # The server took the schema as a grammar (json_object + schema): the reply validated.
    assert result.meta.usage.requests >= 1
    assert result.meta.usage.prompt_tokens > 0 and result.meta.usage.completion_tokens > 0
    assert result.verify(seed_text) == []
    # Whatever the tiny model said is either grounded or reported, never silently kept.
    assert result.claims or result.rejected
    model = resolve_model("openai/x", base_url=llama_server)
    assert model.base_url == llama_server


def test_auto_mode_falls_back_to_json_object(llama_server: str, seed_text: str) -> None:
    extractor = claimx.Extractor(
        "openai/gemma-3-270m",
        base_url=llama_server,
        prompt="extract-small@v1",
        cache=False,
        model_options={"limits": SMALL, "max_output_tokens": 500},
    )
    try:
        result = extractor.extract(seed_text)
        assert getattr(extractor.model, "structured_output", None) == "json_object"
        assert result.verify(seed_text) == []
    finally:
        extractor.close()


def test_cli_extract_with_the_embedded_model_verifies(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CLAIMX_MODEL")}
    env["CLAIMX_CACHE_DIR"] = str(tmp_path / "cache")
    proc = subprocess.run(
        [sys.executable, "-m", "claimx", "extract", str(SEED), "--model", "local"],
        capture_output=True,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    result = claimx.Extraction.model_validate_json(proc.stdout)  # not a terminal: JSON
    assert result.meta.model == "local" and result.meta.provider == "local"
    assert result.meta.prompt_id == "extract-small@v1"
    assert result.verify(SEED.read_text(encoding="utf-8")) == []
    assert len(result.claims) >= 1 and len(result.attributions) >= 1


def test_bundled_model_uses_gemma_turns_with_the_system_text() -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from claimx.models.local import GEMMA_TEMPLATE

    model = resolve_model("local")
    assert isinstance(model, LocalModel) and model.bundled
    model.load()  # the bundled GGUF has no template in its metadata: the family default applies
    assert model.chat_template == "gemma (default for the family)"
    asyncio.run(model.aclose())
    formatter = Jinja2ChatFormatter(template=GEMMA_TEMPLATE, eos_token="<end_of_turn>", bos_token="<bos>")
    prompt = formatter(
        messages=[
            {"role": "system", "content": "RULES"},
            {"role": "user", "content": "ARTICLE"},
            {"role": "assistant", "content": "{}"},
            {"role": "user", "content": "MORE"},
        ]
    ).prompt
    assert prompt == (
        "<bos><start_of_turn>user\nRULES\n\nARTICLE<end_of_turn>\n<start_of_turn>model\n{}<end_of_turn>\n"
        "<start_of_turn>user\nMORE<end_of_turn>\n<start_of_turn>model\n"
    )


def test_default_model_is_local_without_key(monkeypatch: pytest.MonkeyPatch) -> None:
    assert default_model_spec()[0] == "local"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-abcdefgh")
    assert default_model_spec()[0] == "openai/gpt-4.1-mini"
    monkeypatch.setenv("CLAIMX_MODEL", "local:/x.gguf")
    assert default_model_spec()[0] == "local:/x.gguf"


def test_readme_main_command_without_key() -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CLAIMX_MODEL")}
    proc = subprocess.run(
        [sys.executable, "-m", "claimx", "extract", str(SEED)], capture_output=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr.decode()
    err = proc.stderr.decode()
    assert "model local" in err and "small demonstration model" in err and "--model local:" in err
    result = json.loads(proc.stdout)  # not a terminal: JSON
    assert result["claims"] and result["attributions"]
    text = SEED.read_text(encoding="utf-8")
    for att in result["attributions"]:
        assert text[att["content"]["start"] : att["content"]["end"]] == att["content"]["text"]
