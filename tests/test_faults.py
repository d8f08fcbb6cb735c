"""Every fault a server or a model can produce, injected over real HTTP, and what claimx does."""

from __future__ import annotations

from typing import Any

import pytest

import claimx
from claimx.errors import InvalidOutputError, ModelError, RefusalError, TruncatedOutputError
from claimx.testing import FaultInjector, Reply, ScriptedServer, echo_answer

FAST_RETRY = {"transport_attempts": 4, "initial_wait_s": 0.01, "max_wait_s": 0.05}


def run(server: ScriptedServer, text: str, **kwargs: Any) -> claimx.Extraction:
    kwargs.setdefault("retry", FAST_RETRY)
    return claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False, **kwargs)


@pytest.mark.parametrize(
    "fault",
    [
        Reply.rate_limited(0),
        Reply.error(500),
        Reply.error(502),
        Reply.error(503),
        Reply.dropped(),
        Reply.malformed_body(),
        Reply.empty_choices(),
    ],
    ids=["429", "500", "502", "503", "dropped", "malformed-body", "empty-choices"],
)
def test_transient_fault_is_retried_then_succeeds(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any], fault: Reply
) -> None:
    server.enqueue(fault, Reply.completion(seed_response))
    result = run(server, seed_text)
    assert len(result.claims) == 11
    assert result.meta.usage.transport_retries == 1 and result.meta.usage.requests == 2


@pytest.mark.parametrize(
    ("fault", "message"),
    [
        (Reply.error(503, "overloaded"), "answered 503 after 4 attempt(s): overloaded"),
        (Reply.rate_limited(0), "rate-limited (429) on all 4 attempt(s)"),
        (Reply.dropped(), "could not reach"),
        (Reply.malformed_body(), "not valid JSON"),
        (Reply.empty_choices(), "without any choices (4 attempt(s))"),
    ],
    ids=["503", "429", "dropped", "malformed-body", "empty-choices"],
)
def test_persistent_transient_fault_is_a_clear_error(
    server: ScriptedServer, seed_text: str, fault: Reply, message: str
) -> None:
    server.enqueue(*[fault] * 4)
    with pytest.raises(ModelError) as info:
        run(server, seed_text)
    assert message in str(info.value)
    assert len(server.completions) == 4  # bounded


def test_timeout_is_retried(server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]) -> None:
    server.enqueue(Reply.slow(3.0), Reply.completion(seed_response))
    result = run(server, seed_text, timeout_s=0.5)
    assert result.claims and result.meta.usage.transport_retries == 1


def test_persistent_timeout_names_the_limit(server: ScriptedServer, seed_text: str) -> None:
    server.enqueue(*[Reply.slow(2.0)] * 2)
    with pytest.raises(ModelError, match=r"no answer from .* within 0.3s \(2 attempt"):
        run(server, seed_text, timeout_s=0.3, retry={**FAST_RETRY, "transport_attempts": 2})


def test_client_errors_are_not_retried(server: ScriptedServer, seed_text: str) -> None:
    server.enqueue(Reply.error(404, "no such model"))
    with pytest.raises(ModelError, match="model 'm' not found"):
        run(server, seed_text)
    assert len(server.completions) == 1


def test_schema_failure_is_reasked_then_succeeds(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    server.enqueue(Reply.completion('{"statements": "not a list"}'), Reply.completion(seed_response))
    result = run(server, seed_text)
    assert result.claims and result.meta.usage.reasks == 1
    reask = server.completions[1].json["messages"][-1]["content"]
    assert "statements" in reask  # the validation error is fed back


def test_refusal_is_final_and_clear(server: ScriptedServer, seed_text: str) -> None:
    server.enqueue(Reply.refusal("I cannot process this article."))
    with pytest.raises(RefusalError, match="the model refused to answer: I cannot process this article"):
        run(server, seed_text)
    assert len(server.completions) == 1  # not re-asked: a refusal is an answer


def test_truncation_gets_a_larger_budget(
    server: ScriptedServer, seed_text: str, seed_response: dict[str, Any]
) -> None:
    server.enqueue(Reply.truncated(), Reply.completion(seed_response))
    result = run(server, seed_text, max_output_tokens=1000)
    budgets = [r.json["max_tokens"] for r in server.completions]
    assert budgets == [1000, 2000]
    assert len(result.claims) == 11


def test_truncation_then_split_then_clear_error(server: ScriptedServer, seed_text: str) -> None:
    server.responder = lambda request: Reply.truncated()
    with pytest.raises(TruncatedOutputError, match="output limit"):
        run(server, seed_text, max_output_tokens=1000, model_options={"max_output_tokens_ceiling": 2000})
    budgets = [r.json["max_tokens"] for r in server.completions]
    # 1000 → 2000 on the whole article, then halves and quarters at the ceiling; never blind repeats.
    assert budgets[:2] == [1000, 2000] and set(budgets[2:]) == {2000}
    # At most halves and quarters (2 + 2 + 4); the first failure cancels the calls still running.
    assert 3 <= len(server.completions) <= 2 + 2 + 4


def test_truncated_whole_but_fine_in_halves(server: ScriptedServer, seed_text: str) -> None:
    def responder(request: Any) -> Reply:
        user = request.json["messages"][-1]["content"]
        return Reply.truncated() if "[S1]" in user and "[S12]" in user else echo_answer(request)

    server.responder = responder
    result = run(server, seed_text, max_output_tokens=1000, model_options={"max_output_tokens_ceiling": 1000})
    assert result.meta.chunks == 2 and result.claims
    assert result.verify(seed_text) == []


def test_invalid_output_error_keeps_the_last_output(server: ScriptedServer, seed_text: str) -> None:
    server.responder = lambda request: Reply.completion("I think the article says hello")
    with pytest.raises(InvalidOutputError) as info:
        run(server, seed_text)
    assert info.value.last_output == "I think the article says hello"
    assert info.value.to_dict()["cause"] == "invalid_output"


def test_fault_injector_is_seeded_and_counts() -> None:
    a = FaultInjector(echo_answer, rate=0.5, seed=7)
    b = FaultInjector(echo_answer, rate=0.5, seed=7)
    assert [a._random.random() for _ in range(5)] == [b._random.random() for _ in range(5)]
