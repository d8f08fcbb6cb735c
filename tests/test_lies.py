"""A model that lies is caught, and each lie says what was wrong with it, wherever it is shown.

A changed number, a dropped "not", a flipped "unlikely" and a person the article never names
come back from a real (scripted) server; the JSON lists every one with its own reason, and
the table and the page say each one's reason, not the first one's for all.
"""

from __future__ import annotations

import html
import json
from typing import Any

from claimx.testing import Reply, ScriptedServer

from .test_cli import claimx_cli

ARTICLE = (
    "The mayor, Anna Berg, said on Monday that the city would not raise taxes next year. "
    '"We will hire 12 new teachers," Berg told reporters. Critics said the plan was unlikely to work.\n'
)


def statement(sentence: int, quote: str, speaker: str, words: str, cue: str) -> dict[str, Any]:
    return {
        "sentences": [f"S{sentence}"], "quote": quote, "speaker": speaker, "speaker_words": words,
        "cue": cue, "mode": "indirect", "claim": quote[0].upper() + quote[1:] + ".", "kind": "opinion",
    }  # fmt: skip


LIES = {
    "actors": [
        {"name": "Anna Berg", "kind": "person", "role": "mayor", "affiliation": None, "mentions": ["Berg"]},
        {
            "name": "John Smith",
            "kind": "person",
            "role": "governor",
            "affiliation": None,
            "mentions": ["Smith"],
        },
    ],
    "statements": [
        statement(1, "the city would raise taxes next year", "Anna Berg", "Anna Berg", "said"),
        statement(2, "We will hire 13 new teachers", "Anna Berg", "Berg", "told"),
        statement(3, "the plan was likely to work", "John Smith", "Smith", "said"),
    ],
    "positions": [{"holder": "John Smith", "target": "the plan", "stance": "support", "statements": [2]}],
}


def run(fmt: str) -> str:
    with ScriptedServer() as server:
        server.enqueue(Reply.completion(LIES))
        proc = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", server.base_url, "--no-cache", "-f", fmt,
            stdin=ARTICLE.encode(),
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout.decode()


def test_every_lie_is_rejected_with_its_own_reason_in_json_table_and_page() -> None:
    result = json.loads(run("json"))
    assert result["attributions"] == [] and result["positions"] == []
    assert [a["name"] for a in result["actors"]] == ["Anna Berg"]
    reasons = {
        r["item"].get("quote") or r["item"].get("name") or r["item"].get("holder"): r
        for r in result["rejected"]
    }
    assert reasons["We will hire 13 new teachers"]["code"] == "quote_altered"
    assert "13" in reasons["We will hire 13 new teachers"]["reason"]
    assert reasons["the plan was likely to work"]["code"] == "quote_altered"
    assert "likely" in reasons["the plan was likely to work"]["reason"]
    assert reasons["the city would raise taxes next year"]["code"] == "quote_altered"  # the dropped "not"
    assert "negation differs" in reasons["the city would raise taxes next year"]["reason"]
    assert reasons["John Smith"]["code"] in ("actor_not_in_article", "holder_not_mentioned")
    for shown in (run("table"), run("html")):
        flat = " ".join(html.unescape(shown).split())
        # the number's reason is said once, for the number's statement, not as every altered quote's title
        assert flat.count("numbers differ: 13 in the quote, 12 in the article") == 1, flat
        assert "words not in the article's text: likely" in flat
