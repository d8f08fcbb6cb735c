"""The rule-based baseline: quotes, cue verbs and the nearest name, grounded like a model's answer."""

from __future__ import annotations

import pytest

import claimx
from claimx.evaluate.datasets import load_dataset
from claimx.evaluate.scorers import score_sample
from claimx.schema import Mode, Stance


def _by_content(text: str) -> dict[str, tuple[str | None, str, str | None]]:
    result = claimx.extract(text, model="baseline", doc_id="t")
    assert result.verify(text) == []
    names = {a.id: a.name for a in result.actors}
    return {
        a.content.text: (names.get(a.speaker_id or ""), a.mode.value, a.cue.text if a.cue else None)
        for a in result.attributions
    }


def test_direct_quotes_with_speaker_after_and_before() -> None:
    text = (
        "Senator Maria Lopez spoke in Denver on Monday.\n"
        '"We will fight this bill in every committee," Lopez said.\n'
        'She added: "Nobody in this state asked for higher fees."\n'
    )
    found = _by_content(text)
    assert found["We will fight this bill in every committee"] == ("Maria Lopez", "direct", "said")
    assert found["Nobody in this state asked for higher fees."] == ("Maria Lopez", "direct", "added")


def test_indirect_speech_and_according_to() -> None:
    text = (
        "The budget was published on Friday. "
        "According to John Smith, the plan will cost more than expected. "
        "Smith said that the council had ignored three warnings. "
        "The deficit will grow next year, Anna Berg told reporters."
    )
    found = _by_content(text)
    assert found["the plan will cost more than expected"] == ("John Smith", "indirect", "According to")
    assert found["the council had ignored three warnings"] == ("John Smith", "indirect", "said")
    assert found["The deficit will grow next year"] == ("Anna Berg", "indirect", "told")


def test_scare_quotes_and_unattributed_quotes_are_not_attributions() -> None:
    text = 'The so-called "reform" passed. A sign read "No more taxes for the poor and the old" outside.'
    assert _by_content(text) == {}


def test_stance_verbs_give_positions() -> None:
    text = "Mayor Tom Reed criticized the stadium deal on Tuesday. Reed welcomed the new bus lanes in March."
    result = claimx.extract(text, model="baseline", doc_id="t")
    stances = {(result.actor(p.holder_id).name, p.target, p.stance) for p in result.positions}  # type: ignore[union-attr]
    assert stances == {
        ("Tom Reed", "the stadium deal", Stance.OPPOSE),
        ("Tom Reed", "the new bus lanes", Stance.SUPPORT),
    }


def test_baseline_on_the_seed_article() -> None:
    sample = load_dataset("seed").samples[0]
    result = claimx.extract(sample.text, model="baseline", doc_id=sample.id)
    assert result.verify(sample.text) == [] and result.meta.model == "baseline"
    direct = [a for a in result.attributions if a.mode is Mode.DIRECT]
    assert len(direct) == 4  # the four quoted statements of the article
    assert {result.actor(a.speaker_id).name for a in direct} == {"Alexander Timonin"}  # type: ignore[union-attr]
    att = score_sample(sample, result).attributions
    assert att is not None
    # It finds the ambassador's statements but not the article's own voice (two author statements).
    assert att.missed[-2:] == ["Q10", "Q11"] and att.lenient.precision == 1.0
    assert att.speaker.correct == att.speaker.total


@pytest.mark.parametrize("text", ["No quotes here at all.", "“Unclosed quote, said nobody"])
def test_baseline_copes_with_little_text(text: str) -> None:
    assert claimx.extract(text, model="baseline", doc_id="t").attributions == []
