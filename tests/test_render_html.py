"""The extraction page, read back as a tree: what a browser would show, without a browser."""

from __future__ import annotations

from typing import Any

import claimx
from claimx.render.html import extraction_html
from claimx.testing import Reply, ScriptedServer

from . import synthetic
from .htmltree import Node, parse


def seed_result(server: ScriptedServer, seed_response: dict[str, Any], text: str) -> claimx.Extraction:
    server.enqueue(Reply.completion(seed_response, prompt_tokens=2100, completion_tokens=900))
    return claimx.extract(
        text, model="openai/test-model", api_key="sk-test-0000", base_url=server.base_url, cache=False,
        doc_id="seed",
    )  # fmt: skip


def article(root: Node) -> Node:
    node = root.by_id("text")
    assert node is not None
    return node


def heads(root: Node) -> list[Node]:
    return [n for n in article(root).by_class("att") if "cont" not in n.classes]


def test_seed_page(server: ScriptedServer, seed_response: dict[str, Any], seed_text: str) -> None:
    result = seed_result(server, seed_response, seed_text)
    root = parse(extraction_html(result))
    text = article(root)
    assert text.text() == seed_text  # every character of the article, nothing added

    # One highlighted passage per statement, each exactly its content span.
    by_id: dict[str, str] = {}
    for node in text.by_class("att"):
        by_id[node.attrs["data-att"] or ""] = by_id.get(node.attrs["data-att"] or "", "") + node.text()
    assert len(heads(root)) == len(result.attributions) == 11
    assert by_id == {a.id: a.content.text for a in result.attributions}

    # The ambassador's nine statements share one colour; the article's own two are neutral.
    timonin = next(a for a in result.actors if a.name == "Alexander Timonin")
    colours = {
        next(c for c in n.classes if (c.startswith("c") and c[1:].isdigit()) or c == "cn")
        for n in heads(root)
        if n.attrs["data-speaker"] == timonin.id
    }
    assert len(colours) == 1 and colours != {"cn"}
    authored = [n for n in heads(root) if n.attrs["data-speaker"] == ""]
    assert len(authored) == 2 and all({"cn", "author"} <= n.classes for n in authored)

    # Cues and the words that name the speaker are marked.
    assert {n.text() for n in text.by_class("cue")} >= {
        "said",
        "added",
        "According to",
        "pointed out",
        "noted",
    }
    assert {"the ambassador", "he", "He"} <= {n.text() for n in text.by_class("who")}

    # The actors panel: every actor, his stances with their targets.
    panel = root.by_id("actors")
    assert panel is not None
    cards = {n.attrs["data-actor"]: n for n in panel.by_class("actor")}
    assert {a.id for a in result.actors} <= set(cards)
    his = cards[timonin.id].text()
    assert "Alexander Timonin" in his and "9 statements" in his and "Russian Ambassador to South Korea" in his
    assert "inter-Korean dialogue" in his and his.count("oppose") == 2 and "support" in his

    # A statement's card: claim, mode, stances it supports.
    card = root.by_id("card-Q3")
    assert card is not None and card.attrs["data-claim"] == "C3"
    assert "Russia welcomes the positive changes" in card.text() and "direct" in card.text()
    assert "inter-Korean dialogue" in card.text()

    # Claim evidence is there to light up.
    evidence = [n for n in text.by_class("ev") if "C3" in (n.attrs.get("data-claims") or "").split()]
    assert evidence and "the ambassador said" in "".join(n.text() for n in evidence)

    # Rejected items with their reasons, and how the result was made.
    rejected = root.by_id("rejected")
    assert rejected is not None
    assert "quote not found in the article" in rejected.text().lower() and "Kim Jong Un" in rejected.text()
    meta = root.by_id("meta")
    assert meta is not None
    for fact in ("openai/test-model", "extract@v1", "2100", "2018-02-06", "SEOUL, February 6. /TASS/."):
        assert fact in meta.text()


def test_page_is_self_contained(
    server: ScriptedServer, seed_response: dict[str, Any], seed_text: str
) -> None:
    html = extraction_html(seed_result(server, seed_response, seed_text))
    root = parse(html)
    assert not root.find_all(lambda n: n.tag in ("link", "img", "iframe", "object", "embed"))
    assert all("src" not in n.attrs for n in root.find_all(lambda n: n.tag == "script"))
    assert "http://" not in html.replace(server.base_url, "").replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in html and "@import" not in html and "url(" not in html


def test_hostile_text_is_shown_not_run() -> None:
    result = synthetic.hostile()
    root = parse(extraction_html(result))
    assert article(root).text() == result.text
    scripts = root.find_all(lambda n: n.tag == "script")
    assert len(scripts) == 1 and "__pwned" not in scripts[0].text()  # only the page's own script
    assert not root.find_all(lambda n: n.tag in ("img", "b") or (n.tag == "svg" and "chart" not in n.classes))
    assert not root.find_all(lambda n: any(k.startswith("on") for k in n.attrs))
    panel = root.by_id("actors")
    assert panel is not None and 'Mayor <img src=x onerror="window.__pwned=2">' in panel.text()
    title = root.find_all(lambda n: n.tag == "title")[0]
    assert title.text() == "<script>doc</script> · claimx"


def test_many_statements_each_highlighted_once() -> None:
    result = synthetic.many_statements(100)
    root = parse(extraction_html(result))
    assert article(root).text() == result.text
    assert len(heads(root)) == 100
    assert len({n.attrs["data-att"] for n in heads(root)}) == 100
    assert len(root.by_class("stmt")) == 100
    panel = root.by_id("actors")
    assert panel is not None
    names = {n.attrs["data-actor"] for n in panel.by_class("actor")}
    assert names >= {a.id for a in result.actors}
    # Nested mentions stay inside the statement that contains them.
    nested = [n for n in article(root).by_class("men") if n.parent is not None and "att" in n.parent.classes]
    assert len(nested) >= 50


def test_right_to_left_and_cjk_blocks_choose_their_direction() -> None:
    for result in (synthetic.rtl(), synthetic.cjk()):
        root = parse(extraction_html(result))
        text = article(root)
        assert text.text() == result.text
        blocks = text.by_class("blk")
        assert len(blocks) == result.text.count("\n\n") + 1 and all(b.attrs["dir"] == "auto" for b in blocks)
        assert len(heads(root)) == len(result.attributions)
        claims = [n for n in root.by_class("claim")]
        assert claims and all(n.attrs.get("dir") == "auto" for n in claims)


def test_result_without_text_still_lists_its_statements() -> None:
    result = synthetic.rtl().model_copy(update={"text": None})
    root = parse(extraction_html(result))
    assert root.by_id("text") is None
    assert "--no-text" in root.text() and len(root.by_class("stmt")) == 4
    with_text = parse(extraction_html(result, synthetic.RTL_TEXT))
    assert article(with_text).text() == synthetic.RTL_TEXT


def test_spans_that_do_not_match_are_flagged() -> None:
    result = synthetic.cjk()
    shifted = "X" + synthetic.CJK_TEXT
    root = parse(extraction_html(result, shifted))
    assert "do not match the text" in root.text()
