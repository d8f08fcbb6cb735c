from __future__ import annotations

import pytest

from claimx.document import Document, segment
from claimx.errors import InputError


def test_seed_header_is_metadata_not_a_statement(seed_text: str) -> None:
    doc = Document.from_text(seed_text)
    assert doc.metadata.date == "2018-02-06"
    assert doc.metadata.dateline is not None
    assert doc.metadata.dateline.text == "SEOUL, February 6. /TASS/."
    assert doc.metadata.header is not None and doc.metadata.header.verifies(seed_text)
    assert doc.sentences[0].text.startswith("Russia welcomes the resumption")
    assert all(s.start >= doc.metadata.header.end for s in doc.sentences)


def test_seed_sentences(seed_text: str) -> None:
    doc = Document.from_text(seed_text)
    texts = [s.text for s in doc.sentences]
    assert len(texts) == 12
    assert texts[2].startswith('"We hope that the implementation')
    assert texts[6] == "Destabilizing factors"  # a heading is its own line
    for s in doc.sentences:
        assert seed_text[s.start : s.end] == s.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Mr. Smith met J. Doe in the U.S. on Jan. 5. It was 3.5 hours long.",
            ["Mr. Smith met J. Doe in the U.S. on Jan. 5.", "It was 3.5 hours long."],
        ),
        ('"It works." She left. "Fine," he said.', ['"It works."', "She left.", '"Fine," he said.']),
        (
            '首尔，2月6日。俄罗斯欢迎朝韩恢复接触。"我们希望如此，"他说。',
            ["首尔，2月6日。", "俄罗斯欢迎朝韩恢复接触。", '"我们希望如此，"他说。'],
        ),
        (
            "Москва приветствует контакты. «Мы надеемся», сказал он.",
            ["Москва приветствует контакты.", "«Мы надеемся», сказал он."],
        ),
        ('서울에서 그는 말했다. "좋다." 그렇다!', ["서울에서 그는 말했다.", '"좋다."', "그렇다!"]),
        (
            "A line wrapped\nin the middle. Next one.\r\n\r\nNew paragraph",
            ["A line wrapped\nin the middle.", "Next one.", "New paragraph"],
        ),
    ],
)
def test_segmentation(text: str, expected: list[str]) -> None:
    assert [text[a:b] for a, b in segment(text)] == expected


def test_crlf_offsets_index_the_original() -> None:
    text = "First line said this.\r\nSecond \U0001f600 line.\r\n"
    doc = Document.from_text(text)
    assert [s.text for s in doc.sentences] == ["First line said this.", "Second \U0001f600 line."]
    assert all(text[s.start : s.end] == s.text for s in doc.sentences)


def test_overlong_sentences_are_cut() -> None:
    text = "word " * 2000
    doc = Document.from_text(text)
    assert len(doc.sentences) > 1
    assert all(len(s.text) <= 1500 for s in doc.sentences)
    assert all(text[s.start : s.end] == s.text for s in doc.sentences)


@pytest.mark.parametrize("bad", ["", "   \n\t ", "abc\x00def"])
def test_refuses_non_articles(bad: str) -> None:
    with pytest.raises(InputError):
        Document.from_text(bad)


def test_wire_dateline() -> None:
    doc = Document.from_text("WASHINGTON (Reuters) - The senator said the bill would pass.")
    assert doc.metadata.dateline is not None and doc.metadata.dateline.text == "WASHINGTON (Reuters)"
    assert doc.sentences[0].text == "The senator said the bill would pass."


def test_lookup_helpers(seed_text: str) -> None:
    doc = Document.from_text(seed_text)
    s3 = doc.sentence("S3")
    assert s3 is not None and s3.number == 3
    assert doc.sentence("S99") is None and doc.sentence("bogus") is None
    assert doc.sentence_at(s3.start + 5) == s3
    assert doc.region(["S3", "S5"]) == (s3.start, doc.sentences[4].end)
