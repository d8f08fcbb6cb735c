"""Model specs → models: typed options that reject typos, and providers as entry-point plugins."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

import pytest

import claimx
from claimx.errors import ConfigError
from claimx.extract import ExtractOptions
from claimx.models.registry import ENTRY_POINT_GROUP, providers, resolve_model
from claimx.profiles import SMALL, STANDARD, profile_for
from claimx.testing import ScriptedServer, echo_answer

URL = "http://127.0.0.1:9/v1"


def test_a_misspelt_option_is_an_error_naming_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as failed:
        resolve_model("openai/m", base_url=URL, options={"temprature": 0.9})
    message = failed.value.message
    assert "'temprature'" in message and "did you mean 'temperature'" in message
    assert "timeout_s" in message and "structured_output" in message


def test_the_public_api_rejects_a_misspelt_option_too() -> None:
    with pytest.raises(ConfigError, match="temprature"):
        claimx.extract(
            "The minister said it would pass.",
            model="openai/m",
            base_url=URL,
            model_options={"temprature": 0.9},
        )


def test_options_given_with_a_built_model_are_an_error_not_dropped() -> None:
    """A Model instance is already configured: a temperature or an endpoint beside it would be
    dropped without a word (``temperature=0.9`` ran at the model's 0), so it is refused."""
    with ScriptedServer(echo_answer) as server:
        model = resolve_model("openai/m", base_url=server.base_url)
        text = "The minister said the plan would pass."
        for given in (
            {"temperature": 0.9},
            {"model_options": {"temprature": 0.9}},
            {"base_url": "http://127.0.0.1:9/v1"},
            {"api_key": "sk-other-key-1234"},
        ):
            with pytest.raises(ConfigError, match="already built") as failed:
                claimx.extract(text, model=model, cache=False, **given)  # type: ignore[arg-type]
            named = next(iter(given["model_options"])) if "model_options" in given else next(iter(given))
            assert named in failed.value.message
        assert server.completions == []
        # Without options, the model is used as it is.
        assert claimx.extract(text, model=model, cache=False).claims
        assert server.completions[-1].json["temperature"] == 0.0


def test_options_are_checked_per_provider_and_by_type() -> None:
    with pytest.raises(ConfigError, match=r"unknown option 'n_ctx'.*openai"):
        resolve_model("openai/m", base_url=URL, options={"n_ctx": 4096})
    with pytest.raises(ConfigError, match=r"unknown option 'timeout_s'.*local"):
        resolve_model("local", options={"timeout_s": 5})
    with pytest.raises(ConfigError, match="temperature"):
        resolve_model("openai/m", base_url=URL, options={"temperature": "hot"})
    with pytest.raises(ConfigError, match="structured_output"):
        resolve_model("openai/m", base_url=URL, options={"structured_output": "xml"})


def test_valid_options_reach_the_model() -> None:
    model = resolve_model(
        "openai/m",
        base_url=URL,
        options={
            "temperature": 0.5,
            "structured_output": "json_object",
            "retry": {"reasks": 1},
            "seed": None,
        },
    )
    config = model.config  # type: ignore[attr-defined]
    assert config.temperature == 0.5 and config.seed is None and config.retry.reasks == 1
    assert model.cache_identity()["structured_output"] == "json_object"
    assert resolve_model("ollama/llama3").base_url == "http://localhost:11434/v1"


def test_an_ollama_model_is_named_ollama_everywhere() -> None:
    """``ollama/…`` is the OpenAI client at Ollama's URL; what is shown (and priced) is what the
    user wrote, not ``openai/…`` (which the price table would take for OpenAI's own model)."""
    model = resolve_model("ollama/qwen2.5:7b")
    assert model.id == "ollama/qwen2.5:7b" and model.cache_identity()["provider"] == "ollama"
    with pytest.raises(ConfigError, match="unknown option 'n_ctx' for ollama models"):
        resolve_model("ollama/qwen2.5:7b", options={"n_ctx": 1})
    extractor = claimx.Extractor(model, cache=False)
    assert extractor.provenance.model == "ollama/qwen2.5:7b" and extractor.provenance.provider == "ollama"


def test_the_extractor_picks_the_profile_not_the_backend() -> None:
    big = resolve_model("openai/m", base_url=URL)
    assert profile_for(big) is STANDARD
    assert profile_for(resolve_model("local")) is SMALL  # the bundled model: built, not loaded
    chosen = claimx.Profile(prompt="extract-small@v1")  # the public name
    extractor = claimx.Extractor(big, cache=False, options=ExtractOptions(profile=chosen))
    assert extractor.profile is chosen and extractor.prompt.id == "extract-small@v1"
    assert not hasattr(big, "default_prompt") and not hasattr(big, "output_limits")


def test_built_in_providers_are_registered_as_entry_points() -> None:
    names = {point.name: point.value for point in entry_points(group=ENTRY_POINT_GROUP)}
    if not names:
        pytest.skip("the installed claimx metadata predates its entry points: pip install -e . again")
    assert names["openai"] == "claimx.models.registry:build_openai"
    assert {"openai", "ollama", "local"} <= set(names)
    # Each entry point loads the very function claimx builds that provider's models with.
    known = providers()
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.value.startswith("claimx."):
            assert point.load() is known[point.name], point


PLUGIN = """
from claimx.models.openai import OpenAIConfig, OpenAIModel
from claimx.models.registry import OpenAIOptions, check_options


class AcmeModel(OpenAIModel):
    provider = "acme"


def build(name, *, base_url, api_key, options):
    checked = check_options(OpenAIOptions, options, "acme")
    config = OpenAIConfig(model=name, base_url=base_url, **checked.model_dump(exclude_none=True))
    return AcmeModel(config, api_key=api_key)
"""


def install_plugin(root: Path, module: str, source: str, provider: str) -> None:
    """A distribution on sys.path, as pip would install it: a module and its dist-info."""
    (root / f"{module}.py").write_text(source)
    info = root / f"{module}-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {module}\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[{ENTRY_POINT_GROUP}]\n{provider} = {module}:build\n")


def test_a_third_party_provider_registered_by_entry_point_resolves_and_extracts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    install_plugin(tmp_path, "claimx_acme", PLUGIN, "acme")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert "acme" in providers()
    with ScriptedServer(echo_answer) as server:
        result = claimx.extract(
            "The minister said the plan would pass. Critics said it would fail.",
            model="acme/m1",
            base_url=server.base_url,
            cache=False,
            temperature=0.2,
        )
        assert server.completions[0].json["temperature"] == 0.2
    assert result.meta.model == "acme/m1" and result.meta.provider == "acme" and result.claims
    with pytest.raises(ConfigError, match="temprature"):
        resolve_model("acme/m1", base_url=URL, options={"temprature": 1})


def test_a_plugin_that_fails_to_load_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    install_plugin(tmp_path, "claimx_broken", "import not_a_module_anywhere\n", "broken")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigError, match=r"provider 'broken' \(claimx_broken:build\) could not be loaded"):
        resolve_model("broken/m", base_url=URL)
    with pytest.raises(ConfigError, match="unknown provider 'nobody'"):
        resolve_model("nobody/m", base_url=URL)
