"""The whole extraction over real HTTP against the scripted OpenAI-compatible server."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import claimx
from claimx.errors import ConfigError, InvalidOutputError, ModelError
from claimx.schema import Mode, Stance
from claimx.testing import Reply, ScriptedServer


def run(server: ScriptedServer, text: str, **kwargs: Any) -> claimx.Extraction:
    kwargs.setdefault("model", "openai/test-model")
    kwargs.setdefault("api_key", "sk-test-0000000000")
    kwargs.setdefault("cache", False)
    return claimx.extract(text, base_url=server.base_url, **kwargs)


def test_seed_extraction(server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.completion(seed_response, prompt_tokens=2100, completion_tokens=900))
    result = run(server, seed_text, doc_id="seed")

    assert result.verify(seed_text) == []
    for span in result.spans():
        assert seed_text[span.start : span.end] == span.text

    # The ambassador is one actor with all his mentions, pronouns included.
    timonin = [a for a in result.actors if a.name == "Alexander Timonin"]
    assert len(timonin) == 1
    mentions = {m.text for m in timonin[0].mentions}
    assert {"Timonin", "the ambassador", "the Russian ambassador", "he", "He"} <= mentions
    assert "Russian Ambassador to South Korea Alexander Timonin" in mentions
    assert not any(a.name == "Timonin" for a in result.actors)  # the duplicate was merged

    # Every attribution resolves; his come with cue and the words that name him.
    by_id = {a.id: a for a in result.actors}
    said = [a for a in result.attributions if a.speaker_id == timonin[0].id]
    assert len(said) == 9
    assert all(a.cue is not None for a in said)
    assert {a.cue.text for a in said if a.cue} >= {"said", "added", "According to", "pointed out", "noted"}
    hes = [a for a in said if a.speaker_mention is not None and a.speaker_mention.text in ("he", "He")]
    assert len(hes) == 2
    direct = [a for a in said if a.mode is Mode.DIRECT]
    assert len(direct) == 4
    authored = [a for a in result.attributions if a.mode is Mode.AUTHOR]
    assert len(authored) == 2 and all(a.speaker_id is None for a in authored)
    # The quote given with curly quotation marks still grounds, without them.
    s2 = next(a for a in said if a.content.text.startswith("Russia welcomes positive"))
    assert s2.content.text.endswith("in PyeongChang")

    # His stances: for inter-Korean dialogue, against THAAD and the drills.
    stances = {
        (by_id[p.holder_id].name if p.holder_id else None, p.stance, p.target) for p in result.positions
    }
    assert ("Alexander Timonin", Stance.SUPPORT, "inter-Korean dialogue") in stances
    opposed = [p for p in result.positions if p.stance is Stance.OPPOSE]
    assert len(opposed) == 2 and all(p.holder_id == timonin[0].id for p in opposed)
    assert any("THAAD" in p.target for p in opposed) and any("drills" in p.target for p in opposed)
    assert all(p.claim_ids and p.evidence for p in result.positions)

    # What is not in the article is dropped and reported.
    reasons = [(r.layer, r.reason) for r in result.rejected]
    assert ("attribution", "quote not found in the article") in reasons
    assert any(layer == "position" and "Kim Jong Un" in reason for layer, reason in reasons)
    assert not any("peace will come" in c.text for c in result.claims)

    # Meta records how it was made.
    assert result.meta.model == "openai/test-model"
    assert result.meta.base_url == server.base_url
    assert result.meta.prompt_id == "extract@v1" and len(result.meta.prompt_sha256) == 64
    assert result.meta.usage.prompt_tokens == 2100 and result.meta.usage.completion_tokens == 900
    assert result.meta.usage.requests == 1 and result.meta.usage.reasks == 0
    assert result.text == seed_text and result.doc_id == "seed"


def test_request_shape(server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.completion(seed_response))
    run(server, seed_text)
    request = server.completions[0]
    assert request.headers["authorization"] == "Bearer sk-test-0000000000"
    body = request.json
    assert body["model"] == "test-model" and body["temperature"] == 0
    fmt = body["response_format"]
    assert fmt["type"] == "json_schema"
    schema = json.dumps(fmt["json_schema"]["schema"])
    assert '"S12"' in schema and '"S13"' not in schema  # sentence ids are an enum of real sentences
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    assert "[S1] Russia welcomes the resumption" in user
    assert "(date: 2018-02-06)" in user


def test_ids_are_stable(server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.completion(seed_response), Reply.completion(seed_response))
    first, second = run(server, seed_text), run(server, seed_text)
    assert first.model_dump(exclude={"meta"}) == second.model_dump(exclude={"meta"})


def test_round_trips_through_json(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    server.enqueue(Reply.completion(seed_response))
    result = run(server, seed_text)
    again = claimx.Extraction.model_validate_json(result.model_dump_json())
    assert again == result
    schema = claimx.Extraction.model_json_schema()
    assert {"actors", "claims", "attributions", "positions", "rejected", "meta"} <= set(schema["properties"])


def test_missing_key_names_the_variable(seed_text: str) -> None:
    with pytest.raises(ConfigError) as info:
        claimx.extract(seed_text, model="openai/gpt-4.1-mini", cache=False)
    assert "OPENAI_API_KEY" in str(info.value)
    assert "\n" not in str(info.value)


def test_rate_limit_then_success(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    server.enqueue(
        Reply.error(429, "slow down", headers={"Retry-After": "0"}),
        Reply.error(503, "busy"),
        Reply.completion(seed_response),
    )
    result = run(server, seed_text)
    assert result.claims
    assert result.meta.usage.requests == 3
    assert result.meta.usage.transport_retries == 2
    assert len(server.completions) == 3


def test_retry_after_is_honoured(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    import time

    server.enqueue(Reply.error(429, headers={"Retry-After": "1"}), Reply.completion(seed_response))
    started = time.monotonic()
    run(server, seed_text)
    assert time.monotonic() - started >= 0.95


def test_malformed_json_is_reasked_with_the_error(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    server.enqueue(Reply.completion('{"actors": [ {"name": '), Reply.completion(seed_response))
    result = run(server, seed_text)
    assert result.claims
    assert result.meta.usage.reasks == 1 and result.meta.usage.requests == 2
    second = server.completions[1].json["messages"]
    assert any("json" in str(m.get("content", "")).lower() and m["role"] == "user" for m in second[-1:])
    assert second[-2]["role"] == "assistant"  # the bad answer is shown back to the model


def test_invalid_output_every_time_is_a_clear_error(server: ScriptedServer, seed_text: str) -> None:
    server.enqueue(*[Reply.completion('{"statements": "nope"}') for _ in range(5)])
    with pytest.raises(InvalidOutputError) as info:
        run(server, seed_text)
    assert info.value.attempts == 3  # the first answer and two re-asks
    assert "statements" in str(info.value)
    assert info.value.last_output == '{"statements": "nope"}'


def test_quote_not_in_article_is_rejected(server: ScriptedServer, seed_text: str) -> None:
    answer = {
        "actors": [{"name": "Alexander Timonin", "kind": "person", "mentions": ["Timonin"]}],
        "statements": [
            {
                "sentences": ["S9"],
                "quote": "Sanctions against Pyongyang must be tightened immediately",
                "speaker": "Alexander Timonin",
                "speaker_words": "Timonin",
                "cue": "said",
                "mode": "direct",
                "claim": "Sanctions against Pyongyang must be tightened.",
                "kind": "opinion",
            },
            {
                "sentences": ["S11"],
                "quote": "Relations between the two Korean states began to thaw in early 2018",
                "speaker": "author",
                "mode": "author",
                "claim": "Korean relations began to thaw in early 2018.",
                "kind": "fact",
            },
        ],
        "positions": [],
    }
    server.enqueue(Reply.completion(answer))
    result = run(server, seed_text)
    assert [c.text for c in result.claims] == ["Korean relations began to thaw in early 2018."]
    assert [(r.layer, r.reason) for r in result.rejected] == [
        ("attribution", "quote not found in the article")
    ]
    assert result.rejected[0].item["quote"].startswith("Sanctions")


def test_unreachable_server_is_a_model_error(seed_text: str) -> None:
    with pytest.raises(ModelError) as info:
        claimx.extract(
            seed_text,
            model="openai/x",
            base_url="http://127.0.0.1:9/v1",
            cache=False,
            retry={"transport_attempts": 2, "initial_wait_s": 0.01},
        )
    # Connection refused: nothing listens there, and no retry changes that.
    assert "nothing listens at http://127.0.0.1:9/v1" in str(info.value) and info.value.attempts == 1


def test_server_refusing_json_schema_falls_back(seed_text: str, seed_response: dict[str, Any]) -> None:
    def responder(request: Any) -> Reply:
        if request.json["response_format"]["type"] == "json_schema":
            return Reply.error(400, "response_format type json_schema is not supported")
        assert request.json["response_format"]["schema"]["properties"]["statements"]
        return Reply.completion(seed_response)

    with ScriptedServer(responder) as server:
        result = run(server, seed_text)
        sent = len(server.completions)
    assert result.claims
    assert sent == 2 and result.meta.usage.requests == 2  # the refused request counts too


def test_compact_answers_served_from_the_cache(tmp_path: Path) -> None:
    """A small model's compact answer, read back from the cache, becomes the same result."""
    from claimx.extract import ExtractOptions
    from claimx.profiles import Profile
    from claimx.response import OutputLimits

    text = "Alexander Timonin said the talks were useful. Critics disagreed."
    statement = {"sentences": ["S1"], "quote": "the talks were useful", "speaker": "Alexander Timonin"}
    answer = {"statements": [{**statement, "cue": "said", "mode": "indirect"}]}
    results = []
    with ScriptedServer() as server:
        server.enqueue(Reply.completion(answer))
        for _ in range(2):
            extractor = claimx.Extractor(
                "openai/small",
                base_url=server.base_url,
                cache=claimx.ResponseCache(tmp_path),
                options=ExtractOptions(profile=Profile(limits=OutputLimits(compact=True))),
            )
            results.append(extractor.extract(text, doc_id="d"))
            extractor.close()
        assert len(server.completions) == 1
    fresh, cached = results
    assert cached.meta.usage.cached and not fresh.meta.usage.cached
    assert cached.attributions == fresh.attributions and cached.claims == fresh.claims
    assert fresh.attributions[0].content.text == "the talks were useful"
