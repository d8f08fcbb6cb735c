"""``offline`` positions: the article's entities, the trained pair models, and their rebuild."""

from __future__ import annotations

import gzip
import json
import re
from pathlib import Path

import pytest

import claimx
from claimx.document import Document
from claimx.offline.entities import _Variants, find_entities
from claimx.offline.stance_pairs import MODEL_PATH, candidates, load_stance_weights, probability
from claimx.offline.train_stances import main as train_main
from claimx.schema import Stance

ARTICLE = (
    "Senator Jane Doe criticized President Donald Trump on Tuesday over his plan to cut school funding. "
    '"This plan is a disaster for our children," Doe said. Trump attacked Doe in a statement, calling her '
    "a failed politician. House Republicans backed Trump, while Democrats rejected the plan. Rep. Adam "
    "Smith, a California Democrat, said the school funding cuts would hurt. GOP lawmakers defended the "
    "school funding cuts."
)


def test_entities_fold_a_persons_names_and_a_partys_members() -> None:
    entities = {e.name: e for e in find_entities(Document.from_text(ARTICLE))}
    trump = entities["Donald Trump"]
    assert {"Donald Trump", "Trump"} <= trump.variants and trump.count == 3
    assert entities["Jane Doe"].count == 3  # "Senator Jane Doe", "Doe", "Doe": the title is not the name
    republicans = entities["Republicans"]
    assert republicans.party and {"House Republicans", "GOP lawmakers"} <= republicans.variants
    assert "California Democrat" not in entities  # a description of Smith, not an actor
    assert entities["school funding"].topic  # said three times: a topic a stance can be on


def test_a_stance_verb_between_two_named_actors_is_a_grounded_position() -> None:
    result = claimx.extract(ARTICLE, model="offline", cache=False)
    assert result.verify(ARTICLE) == []
    actors = {a.id: a for a in result.actors}
    found = {
        (actors[p.holder_id].name if p.holder_id else None, p.target, p.stance) for p in result.positions
    }
    assert ("Jane Doe", "Donald Trump", Stance.OPPOSE) in found
    for position in result.positions:
        for span in position.evidence:
            assert ARTICLE[span.start : span.end] == span.text
        if position.holder_id is not None:
            assert actors[position.holder_id].mentions, position


def test_the_packaged_models_are_small_and_load_offline() -> None:
    assert MODEL_PATH.stat().st_size < 50_000
    weights = load_stance_weights()
    assert weights is not None and 0.0 < weights.threshold < 1.0
    assert probability(weights.pair, {"co": 2.0, "h_subject": 1.0, "verb_oppose": 1.0}) > probability(
        weights.pair, {}
    )
    assert load_stance_weights(MODEL_PATH.with_name("missing.json.gz")) is None


def _seesaw_folder(root: Path) -> Path:
    """Two tiny articles in SEESAW's layout, both in the training split."""
    for folder in ("articles", "annotations", "meta"):
        (root / folder).mkdir(parents=True)
    sentences = [s.strip() + "." for s in ARTICLE.split(".") if s.strip()]
    for n in (0, 1):
        name = f"TRIPLET_00{n}_DOCUMENT_0"
        (root / "meta" / f"TRIPLET_00{n}.json").write_text(json.dumps({"Split": "train"}))
        article = {"text": [{"id": i, "text": s} for i, s in enumerate(sentences)]}
        (root / "articles" / f"{name}.json").write_text(json.dumps(article))
        labels = {
            "entity lists": [["Jane Doe", ["People"]], ["Donald Trump", ["People"]]],
            "sentence-level stances": {
                "0": [{"subject": "Jane Doe", "sentiment": "NEG", "object": "Donald Trump"}],
                "3": [{"subject": "Republican Party", "sentiment": "POS", "object": "Donald Trump"}],
            },
        }
        (root / "annotations" / f"{name}.json").write_text(json.dumps(labels))
    return root


def test_one_command_rebuilds_the_models_the_same_way_twice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _seesaw_folder(tmp_path / "seesaw")
    first, second = tmp_path / "a.json.gz", tmp_path / "b.json.gz"
    assert train_main(["--data", str(data), "--out", str(first)]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["articles"] == 2 and summary["positive"] >= 2
    assert train_main(["--data", str(data), "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    model = json.loads(gzip.decompress(first.read_bytes()))
    assert set(model) == {"pair", "oppose", "threshold"} and model["pair"]


@pytest.mark.parametrize(
    "text",
    [
        "Trump met Donald Trump and Trump-Pence; Trumpism, _Trump, Trump_ and Trump. Trump",
        "Republicans-only House Republicans House Republicanss GOP lawmakers GOPs Ünal Ünal’s ÜnalX ünal",
        "Donald Trump Jr. Donald Trump2 Donald Trumps Donald Trump",
        "",
    ],
)
def test_entity_mentions_are_found_as_the_alternation_would(text: str) -> None:
    # The scan by first letter stands in for one regular expression per article: same matches.
    variants = ["Trump", "Donald Trump", "Donald Trump Jr", "Trump-Pence", "House Republicans", "Republicans"]
    variants += ["GOP", "GOP lawmakers", "Ünal", "Pence", "Donald"]
    alternation = "|".join(re.escape(v) for v in sorted(variants, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])({alternation})(?![\w-])")
    expected = [(m.start(), m.group(1)) for m in pattern.finditer(text)]
    assert _Variants(variants).find(text) == expected
    assert expected or not text  # (the cases do hold mentions)


def test_an_actor_beyond_the_thirtieth_most_named_is_still_paired() -> None:
    """Articles with a long cast name their sides rarely: pairs reach past the 30 most mentioned."""
    firsts = ["Ada", "Bruno", "Clara", "Dmitri", "Elena", "Farid", "Greta", "Hugo", "Irene", "Jonas"]
    lasts = ["Quill", "Ressel", "Sorba", "Tamberg"]
    cast = [f"{f} {last}" for last in lasts for f in firsts][:36]
    filler = " ".join(f"{name} met {name} voters in town." for name in cast)
    text = filler + " Marta Vell criticized Oskar Brandt over the budget."
    document = Document.from_text(text)
    entities = find_entities(document)
    ranks = {e.name: i for i, e in enumerate(entities, 1)}
    assert ranks["Marta Vell"] > 30 and ranks["Oskar Brandt"] > 30
    pairs = {(c.holder.name if c.holder else None, c.target.name) for c in candidates(document, [], [])}
    assert ("Marta Vell", "Oskar Brandt") in pairs
