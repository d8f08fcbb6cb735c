"""A 100,000-character article: chunked, answered concurrently, merged with global offsets."""

from __future__ import annotations

import re

import claimx
from claimx.testing import RecordedRequest, Reply, ScriptedServer

NAMED = "Russian Ambassador Alexander Timonin said the talks in Seoul were useful."
DESCRIBED = "The ambassador said sanctions would not change Moscow's course."
_LINE = re.compile(r"^\[S(\d+)\] (.+)$", re.MULTILINE)


def long_article() -> str:
    topics = ["the port", "the budget", "the election", "the bridge", "the school", "the harbour"]
    paragraphs = []
    i = 0
    while sum(len(p) + 2 for p in paragraphs) < 100_000:
        topic = topics[i % len(topics)]
        paragraphs.append(
            f"Paragraph {i} is about {topic}. Officials reviewed {topic} plans for district {i}. "
            f"Residents of district {i} asked questions about the cost."
        )
        i += 1
    paragraphs.insert(20, NAMED)
    paragraphs.insert(len(paragraphs) - 30, DESCRIBED)
    return "\n\n".join(paragraphs)


def statement(number: str, quote: str, speaker: str, mode: str, claim: str, kind: str) -> dict[str, object]:
    cue = None if mode == "author" else "said"
    return {"sentences": [f"S{number}"], "quote": quote, "speaker": speaker, "cue": cue, "mode": mode,
            "claim": claim, "kind": kind}  # fmt: skip


def answer(request: RecordedRequest) -> Reply:
    """What a model would say about the chunk it sees: only what is in that chunk."""
    user = request.json["messages"][-1]["content"]
    actors: list[dict[str, object]] = []
    statements = []
    for n, sentence in _LINE.findall(user):
        if "Timonin said" in sentence:
            actors.append({"name": "Alexander Timonin", "kind": "person", "role": "Russian ambassador",
                           "affiliation": "Russia", "mentions": ["Timonin"]})  # fmt: skip
            statements.append(statement(n, "the talks in Seoul were useful", "Alexander Timonin", "indirect",
                                        "The talks in Seoul were useful.", "opinion"))  # fmt: skip
        elif "The ambassador said" in sentence:
            actors.append({"name": "the ambassador", "kind": "person", "mentions": []})
            statements.append(statement(n, "sanctions would not change Moscow's course", "the ambassador",
                                        "indirect", "Sanctions would not change Moscow's course.",
                                        "prediction"))  # fmt: skip
        elif sentence.startswith("Officials reviewed"):
            statements.append(statement(n, sentence.rstrip("."), "author", "author", sentence, "fact"))
    return Reply.completion({"actors": actors, "statements": statements, "positions": []})


def test_hundred_thousand_characters_with_one_actor_across_chunks() -> None:
    text = long_article()
    assert len(text) >= 100_000
    with ScriptedServer(answer) as server:
        result = claimx.extract(
            text,
            model="openai/m",
            base_url=server.base_url,
            cache=False,
            options=claimx.ExtractOptions(chunk_tokens=2000, concurrency=4),
        )
        calls = len(server.completions)
    assert result.meta.chunks == calls >= 10
    assert result.verify(text) == []  # every offset is global and verifies
    by_text = {a.content.text: a for a in result.attributions}
    named = by_text["the talks in Seoul were useful"]
    described = by_text["sanctions would not change Moscow's course"]
    assert named.content.start == text.index("the talks in Seoul")
    assert described.content.start == text.index("sanctions would not")
    assert named.speaker_id == described.speaker_id is not None  # one actor, across chunks
    timonin = result.actor(named.speaker_id)
    assert timonin is not None and timonin.name == "Alexander Timonin"
    mentioned = {m.text for m in timonin.mentions}
    assert {"Alexander Timonin", "The ambassador"} <= mentioned
    officials = [a for a in result.attributions if a.content.text.startswith("Officials reviewed")]
    assert len(officials) == len({a.content.start for a in officials})  # chunk overlaps left no duplicates
    assert len(officials) == text.count("Officials reviewed")


def test_description_with_two_candidates_stays_apart() -> None:
    text = (
        "Russian Ambassador Alexander Timonin said the talks were useful. "
        "US Ambassador Harry Harris said the talks were premature. "
        "The ambassador said sanctions would stay."
    )
    reply = {
        "actors": [
            {"name": "Alexander Timonin", "kind": "person", "role": "Russian ambassador", "mentions": []},
            {"name": "Harry Harris", "kind": "person", "role": "US ambassador", "mentions": []},
        ],
        "statements": [
            statement("3", "sanctions would stay", "the ambassador", "indirect", "Stays.", "prediction")
        ],
        "positions": [],
    }
    with ScriptedServer() as server:
        server.enqueue(Reply.completion(reply))
        result = claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
    (attribution,) = result.attributions
    speaker = result.actor(attribution.speaker_id)
    assert speaker is None or speaker.name not in ("Alexander Timonin", "Harry Harris")
