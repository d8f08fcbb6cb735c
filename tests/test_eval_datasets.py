"""Dataset loaders: the project's JSONL gold, brat standoff (PolNeAR's layout) and SEESAW."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from claimx.errors import ConfigError, InputError
from claimx.evaluate.datasets import load_dataset, quote_mode
from claimx.evaluate.sample import Layer
from claimx.schema import Mode, Stance

from .conftest import SHARED

POLNEAR = SHARED / "datasets" / "polnear" / "data"
SEESAW = SHARED / "datasets" / "seesaw"


def test_seed_is_built_in() -> None:
    data = load_dataset("seed")
    assert [s.id for s in data.samples] == ["seed"]
    sample = data.samples[0]
    assert len(sample.gold.attributions) == 11 and len(sample.gold.positions) == 3
    assert set(sample.layers) == set(Layer) and sample.author_statements


def test_jsonl_errors_name_the_line(tmp_path: Path) -> None:
    seed_line = (Path(__file__).resolve().parents[1] / "evals" / "gold" / "seed.jsonl").read_text().strip()
    bad = tmp_path / "bad.jsonl"
    bad.write_text(seed_line + "\n{not json\n")
    with pytest.raises(InputError, match=r"bad.jsonl:2: not JSON"):
        load_dataset(f"jsonl:{bad}")
    record = json.loads(seed_line)
    record["text"] = record["text"].replace("Russia welcomes", "Russia applauds", 1)
    moved = tmp_path / "moved.jsonl"
    moved.write_text(json.dumps(record) + "\n")
    with pytest.raises(InputError, match=r"moved.jsonl:1: gold span .* is not in the text"):
        load_dataset(str(moved))
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_dataset("csv:whatever")
    with pytest.raises(ConfigError, match="does not exist"):
        load_dataset(f"jsonl:{tmp_path / 'missing.jsonl'}")


def test_jsonl_text_from_source_and_extra_fields_kept(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("Smith said the plan failed.", encoding="utf-8")
    line = {
        "id": "a",
        "source": "a.txt",
        "annotator": "me",
        "layers": ["attributions"],
        "gold": {
            "actors": [{"id": "A1", "name": "Smith", "mentions": [{"start": 0, "end": 5, "text": "Smith"}]}],
            "attributions": [
                {
                    "id": "Q1",
                    "claim_id": "C1",
                    "speaker_id": "A1",
                    "mode": "indirect",
                    "cue": {"start": 6, "end": 10, "text": "said"},
                    "content": {"start": 11, "end": 26, "text": "the plan failed"},
                }
            ],
        },
    }
    (tmp_path / "g.jsonl").write_text(json.dumps(line) + "\n")
    sample = load_dataset(f"jsonl:{tmp_path / 'g.jsonl'}").samples[0]
    assert sample.text.startswith("Smith said") and sample.meta["annotator"] == "me"
    assert sample.layers == [Layer.ATTRIBUTIONS]


def _brat_fixture(root: Path) -> str:
    text = (
        "“We will win,” Smith said. “And we will win big.”\n"
        "Officials believe the plan failed.\n"
        "Jones told reporters that taxes\nwould rise.\n"
    )
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    (root / "text" / "doc.txt").write_text(text, encoding="utf-8")
    first = (text.index("“We"), text.index(" Smith"))
    second = (text.index("“And"), text.index("”\n") + 1)
    smith = (text.index("Smith"), text.index("Smith") + 5)
    said = (text.index("said"), text.index("said") + 4)
    believe = (text.index("believe"), text.index("believe") + 7)
    failed = (text.index("the plan"), text.index("failed") + 6)
    jones = (text.index("Jones"), text.index("Jones") + 5)
    told = (text.index("told"), text.index("told") + 4)
    taxes = (text.index("that taxes"), text.index("would rise") + 10)

    def t(n: int, kind: str, *pieces: tuple[int, int]) -> str:
        where = ";".join(f"{a} {b}" for a, b in pieces)
        words = " ".join(text[a:b] for a, b in pieces)
        return f"T{n}\t{kind} {where}\t{words}\n"

    annotator_a = (
        t(1, "Content", first, second)
        + t(2, "Source", smith)
        + t(3, "Cue", said)
        + t(4, "Attribution", said)
        + "E1\tAttribution:T4 Content:T1 Cue:T3 Source:T2\n"
        + t(5, "Content", failed)
        + t(6, "Cue", believe)
        + t(7, "Attribution-no-source", believe)
        + "E2\tAttribution-no-source:T7 Content:T5 Cue:T6\n"
        + "E3\tAttribution-no-source:T7 \n"  # a relation with nothing said: not an attribution
        + t(8, "Source", jones)
        + t(9, "Cue", told)
        + t(10, "Content", taxes)  # its text runs over two lines, as in PolNeAR
        + t(11, "Attribution", told)
        + "E4\tAttribution:T11 Source:T8 Cue:T9 Content:T10\n"
        + "#1\tAnnotatorNotes T1\ta note\n"
    )
    (root / "attributions" / "doc_aaaa.ann").write_text(annotator_a, encoding="utf-8")
    annotator_b = t(1, "Content", failed) + t(2, "Cue", believe) + "E1\tAttribution:T2 Content:T1 Cue:T2\n"
    (root / "attributions" / "doc_bbbb.ann").write_text(annotator_b, encoding="utf-8")
    return text


def test_brat_loader(tmp_path: Path) -> None:
    text = _brat_fixture(tmp_path)
    data = load_dataset(f"brat:{tmp_path}")
    assert data.stats["documents"] == 1 and data.stats["annotation_files"] == 2
    assert data.stats["relations_without_content"] == 1 and data.stats["relations_without_source"] == 1
    sample = data.samples[0]
    assert sample.id == "doc" and sample.meta["annotation_file"] == "doc_aaaa.ann"  # first annotator by name
    assert not sample.author_statements and Layer.POSITIONS not in sample.layers
    atts = {a.id: a for a in sample.gold.attributions}
    assert list(atts) == ["E1", "E2", "E4"]
    e1 = atts["E1"]
    assert e1.mode is Mode.DIRECT and e1.cue is not None and e1.cue.text == "said"
    assert e1.content.text.startswith("“We will win,” Smith said.")  # the cover of both pieces
    assert len(sample.content_segments["E1"]) == 2
    claim = next(c for c in sample.gold.claims if c.id == e1.claim_id)
    assert claim.text == "“We will win,” “And we will win big.”" and len(claim.evidence) == 2
    assert e1.speaker_mention is not None and e1.speaker_mention.text == "Smith"
    assert atts["E2"].speaker_id is None and atts["E2"].mode is Mode.INDIRECT
    assert atts["E4"].content.text == "that taxes\nwould rise"
    for att in atts.values():
        assert att.content.verifies(text)
    chosen = load_dataset(f"brat:{tmp_path}?annotator=bbbb").samples[0]
    assert chosen.meta["annotation_file"] == "doc_bbbb.ann" and len(chosen.gold.attributions) == 1


def test_quote_mode() -> None:
    assert quote_mode(["“We will win,”"]) is Mode.DIRECT
    assert quote_mode(['"We will win."']) is Mode.DIRECT
    assert quote_mode(["that she wanted to “keep the details under wraps.”"]) is Mode.MIXED
    assert quote_mode(["that taxes would rise"]) is Mode.INDIRECT


@pytest.mark.parametrize(("split", "documents"), [("dev", 84), ("train", 840)])
def test_polnear_relation_counts(split: str, documents: int) -> None:
    """Count E relations with a Content in the chosen annotator files, independently of the loader."""
    folder = POLNEAR / split
    if not folder.is_dir():
        pytest.skip(f"PolNeAR {split} split not found under {folder} (set CLAIMX_SHARED)")
    by_doc: dict[str, list[Path]] = {}
    for ann in sorted((folder / "attributions").glob("*.ann")):
        by_doc.setdefault(ann.stem.rsplit("_", 1)[0], []).append(ann)
    expected = 0
    for files in by_doc.values():
        for line in files[0].read_text(encoding="utf-8").split("\n"):
            if re.match(r"E\d+\t", line) and re.search(r"\bContent\d*:T\d+", line):
                expected += 1
    data = load_dataset(f"brat:{folder}")
    assert len(data.samples) == len(by_doc) == documents
    assert sum(len(s.gold.attributions) for s in data.samples) == expected
    assert data.stats["relations"] == expected + data.stats.get("relations_without_content", 0)
    for sample in data.samples:
        for att in sample.gold.attributions:
            assert att.content.verifies(sample.text)
            for start, end in sample.content_segments.get(att.id, []):
                assert att.content.start <= start < end <= att.content.end


@pytest.fixture
def seesaw() -> Path:
    if not SEESAW.is_dir():
        pytest.skip(f"SEESAW not found under {SEESAW} (set CLAIMX_SHARED)")
    return SEESAW


@pytest.mark.parametrize("split", ["valid", "train"])
def test_seesaw_splits(seesaw: Path, split: str) -> None:
    stories = {
        p.stem for p in (seesaw / "meta").glob("*.json") if json.loads(p.read_text())["Split"] == split
    }
    expected_docs = [
        p for p in (seesaw / "annotations").glob("*.json") if p.stem.split("_DOCUMENT_")[0] in stories
    ]
    data = load_dataset(f"seesaw:{seesaw}?split={split}")
    assert len(data.samples) == len(expected_docs)
    sample = data.samples[0]
    assert sample.layers == [Layer.POSITIONS]
    names = {a.id: a.name for a in sample.gold.actors}
    labels = json.loads((seesaw / "annotations" / f"{sample.id}.json").read_text())
    triples = {
        (t["subject"], t["object"], t["sentiment"])
        for triples in labels["sentence-level stances"].values()
        for t in triples
        if t["subject"] != "Not in the list" and t["object"] not in ("Not in the list", "None")
    }
    loaded = {
        (names.get(p.holder_id or "", "None"), p.target, "POS" if p.stance is Stance.SUPPORT else "NEG")
        for p in sample.gold.positions
    }
    assert loaded == triples
    for p in sample.gold.positions:
        assert p.evidence and all(e.verifies(sample.text) for e in p.evidence)
