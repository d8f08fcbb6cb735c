"""``offline``: the trained no-LLM extractor, the default without a key."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import claimx
from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.predictors import make_predictor
from claimx.evaluate.run import run_eval
from claimx.models.registry import default_model_spec, resolve_model
from claimx.models.rules import RulesModel
from claimx.schema import Mode

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_a52612c81e7ad0d0.txt"
DEV = ROOT.parent / "shared" / "datasets" / "polnear" / "data" / "dev"


def test_seed_quotes_of_the_ambassador_are_his_with_their_cues() -> None:
    text = SEED.read_text(encoding="utf-8")
    result = claimx.extract(text, model="offline", cache=False)
    assert result.verify(text) == []
    assert result.meta.model == "offline" and result.meta.prompt_id == "offline@v1"
    gold = load_dataset("seed").samples[0].gold
    timonin = {a.id for a in gold.actors if "Timonin" in a.name}
    for expected in (a for a in gold.attributions if a.speaker_id in timonin):
        found = [a for a in result.attributions if a.content.overlap(expected.content) > 0]
        assert found, f"missed {expected.content.text!r}"
        att = max(found, key=lambda a: a.content.overlap(expected.content))
        speaker = result.actor(att.speaker_id or "")
        assert speaker is not None and speaker.name == "Alexander Timonin", att
        assert att.cue is not None and expected.cue is not None
        assert att.cue.text.lower() == expected.cue.text.lower(), (att.cue.text, expected.cue.text)
    direct = [a for a in result.attributions if a.mode is Mode.DIRECT]
    assert len(direct) == 4


def test_offline_is_the_default_without_a_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("CLAIMX_MODEL", raising=False)
    spec, reason = default_model_spec()
    assert spec == "offline" and "OPENAI_API_KEY" in reason
    model = resolve_model()
    assert isinstance(model, RulesModel) and model.id == "offline"
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    assert default_model_spec()[0] == "openai/gpt-4.1-mini"
    monkeypatch.setenv("CLAIMX_MODEL", "local")
    assert default_model_spec() == ("local", "from CLAIMX_MODEL")


def test_readme_first_command_needs_no_key_and_no_llama(tmp_path: Path) -> None:
    env = {
        k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CLAIMX_MODEL", "CLAIMX_BASE_URL")
    }
    env["CLAIMX_CACHE_DIR"] = str(tmp_path)
    code = (
        "import sys; from claimx.cli import app\n"
        "sys.argv = ['claimx', 'extract', sys.argv[1], '-f', 'json']\n"
        "try:\n    app()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "assert not [m for m in sys.modules if m.startswith('llama_cpp')], 'llama_cpp imported'\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(SEED)], capture_output=True, text=True, env=env, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "model offline (no --model, no CLAIMX_MODEL and no OPENAI_API_KEY)" in done.stderr
    note = [line for line in done.stderr.splitlines() if line.startswith("claimx: note:")]
    assert len(note) == 1 and "OPENAI_API_KEY" in note[0] and "--base-url" in note[0] and "gguf" in note[0]
    # a trained tagger is not "rules only": the note says what reads the text, once
    kind = "no language model (offline: a trained tagger and rules)"
    assert note[0].startswith(f"claimx: note: {kind}: it finds")
    assert "rules only" not in note[0]
    result = claimx.Extraction.model_validate(json.loads(done.stdout))
    assert result.verify(SEED.read_text(encoding="utf-8")) == []
    assert any(a.name == "Alexander Timonin" for a in result.actors)


def test_extract_many_runs_offline() -> None:
    texts = [("seed", SEED.read_text(encoding="utf-8")), ("empty", "   ")]
    results = {r.doc_id: r for r in claimx.extract_many(texts, model="offline", cache=False)}
    assert results["seed"].ok and results["seed"].extraction is not None
    assert results["seed"].extraction.attributions
    assert not results["empty"].ok  # a bad document is an error result; the other goes on


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'Senator Maria Lopez spoke in Denver on Monday. "We will fight this bill in every '
            'committee," Lopez said. She said the state had not asked for higher fees.',
            {
                ("We will fight this bill in every committee,", "Maria Lopez", "said"),
                ("the state had not asked for higher fees", "Maria Lopez", "said"),
            },
        ),
        (  # the cue and source in the layout: the paragraph before, a dash after
            'The governor spoke on the radio on Tuesday.\n\nGovernor Tom Baker continued:\n\n"The budget '
            'will be balanced by June, and nobody will lose a job over it."\n\n“I am so ashamed of this '
            "campaign.” ― Jorge Falcon\n",
            {
                (
                    "The budget will be balanced by June, and nobody will lose a job over it.",
                    "Tom Baker",
                    "continued:",
                ),
                ("I am so ashamed of this campaign.", "Jorge Falcon", "―"),
            },
        ),
    ],
)
def test_quotes_indirect_speech_and_pronouns(text: str, expected: set[tuple[str, str, str]]) -> None:
    result = claimx.extract(text, model="offline", doc_id="t")
    assert result.verify(text) == []
    found = {
        (a.content.text.strip('“”", '), result.actor(a.speaker_id).name, a.cue.text)  # type: ignore[union-attr]
        for a in result.attributions
        if a.speaker_id and a.cue
    }
    assert {(c.strip('“”", '), s, q) for c, s, q in expected} <= found


def test_no_attributions_in_plain_narration() -> None:
    text = "The bridge opened in 1932. It is painted red."
    assert claimx.extract(text, model="offline", doc_id="t").attributions == []


@pytest.mark.skipif(not DEV.is_dir(), reason="PolNeAR dev is not in ../shared/datasets")
def test_eval_on_a_few_dev_articles(tmp_path: Path) -> None:
    dataset = load_dataset(f"brat:{DEV}", limit=6)
    _, summary = asyncio.run(run_eval(dataset, make_predictor("offline"), tmp_path / "run"))
    f1, speaker = summary.attributions.f1, summary.attributions.speaker_accuracy
    assert f1 is not None and speaker is not None
    assert f1 >= 0.55 and speaker >= 0.6  # (0.69 and 0.67 now)


def test_readme_first_command_installs_no_extra() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first = readme[readme.index("```sh") : readme.index("```", readme.index("```sh") + 5)]
    assert "pip install -e . && claimx extract seeds/000_a52612c81e7ad0d0.txt" in first


def test_packed_emissions_are_the_trained_features_weights() -> None:
    """The tagger's fast path (columns, packed integers) scores exactly what training saw."""
    from claimx.offline.features import paragraph_columns, paragraph_features, paragraphs, tokenize
    from claimx.offline.tagger import MODEL_PATH, emissions, load_weights

    weights = load_weights(MODEL_PATH)
    text = SEED.read_text(encoding="utf-8") + '\n"We will (not) go," said Mr. O\'Neil, according to aides.\n'
    checked = 0
    for start, end in paragraphs(text):
        tokens = tokenize(text, start, end)
        fast = emissions(weights, paragraph_columns(tokens))
        for row, names in zip(fast, paragraph_features(tokens), strict=True):
            slow = [0.0] * len(weights.labels)
            for name in names:
                for k, w in enumerate(weights.features.get(name, ())):
                    slow[k] += w
            assert row == [round(x * 10_000) for x in slow]
            checked += 1
    assert checked > 100


def test_a_quotation_around_its_source_and_cue_is_one_statement() -> None:
    text = (
        'The mayor spoke on Monday.\n\n"We will rebuild the bridge by June," Mayor Tom Baker said. '
        '"Nobody will pay a new toll for it."\n'
    )
    result = claimx.extract(text, model="offline", cache=False)
    assert result.verify(text) == []
    [att] = [a for a in result.attributions if a.mode is not Mode.AUTHOR]
    assert att.content.text.startswith("We will rebuild") and att.content.text.endswith("toll for it.")
    assert att.mode is Mode.DIRECT and att.cue is not None and att.cue.text == "said"
    assert result.actor(att.speaker_id or "").name == "Tom Baker"  # type: ignore[union-attr]


def test_a_quotation_around_its_cue_keeps_the_cue_its_own_words_repeat() -> None:
    # '"I never said …," the mayor said. "…"': one statement around the cue; the quote's own
    # "said" is not the cue, the one between its pieces is.
    text = (
        "The mayor spoke on Monday.\n\n“I never said that we would lose the vote,” the mayor said. "
        "“We will win it before the winter comes, and we will rebuild the bridge.”\n"
    )
    result = claimx.extract(text, model="offline", doc_id="t", cache=False)
    [quoted] = [a for a in result.attributions if a.content.text.startswith("I never said")]
    assert "rebuild the bridge" in quoted.content.text
    assert quoted.cue is not None and quoted.cue.start == text.index("said", text.index("the mayor said"))


def test_each_offline_module_imports_as_the_module_not_a_function_of_its_name() -> None:
    """``import claimx.offline.assemble as a`` gave the function ``assemble`` the package had bound."""
    import importlib
    import pkgutil
    import types

    import claimx.offline
    import claimx.offline.assemble as assembly

    assert isinstance(assembly, types.ModuleType) and callable(assembly.assemble)
    for info in pkgutil.iter_modules(claimx.offline.__path__):
        module = importlib.import_module(f"claimx.offline.{info.name}")
        assert getattr(claimx.offline, info.name) is module, info.name
