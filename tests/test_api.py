"""The public API: its signatures, what it exports, HTML only when asked, extractors reused and closed."""

from __future__ import annotations

import asyncio
import dataclasses
import enum
import inspect
from pathlib import Path

import pytest

import claimx
from claimx.htmltext import main_text, reduce_html
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

NEWS_PAGE = """<!doctype html>
<html><head>
<title>Minister resigns over contracts | The Daily Ledger</title>
<meta name="author" content="Jane Roe">
<meta property="article:published_time" content="2024-03-05T09:00:00Z">
</head><body>
<nav><a href="/">Home</a> <a href="/world">World</a> <a href="/politics">Politics</a></nav>
<div id="cookie-banner">We use cookies to improve your experience. Accept all cookies.</div>
<main><article>
<h1>Minister resigns over contracts</h1>
<p class="byline">By Jane Roe</p>
<p>The transport minister resigned on Tuesday after weeks of pressure over contracts awarded
without a tender, officials said.</p>
<p>"I have done nothing wrong," she told reporters outside parliament, adding that she would
cooperate fully with any inquiry.</p>
<p>Opposition leaders welcomed the decision and called for an independent inquiry into the
contracts awarded last year.</p>
</article></main>
<aside><h3>Related stories</h3><ul><li><a href="/a">Storm closes coastal roads for a third day</a></li>
<li><a href="/b">Football club names its new coach after a long search</a></li></ul></aside>
<footer><p>Copyright 2024 The Daily Ledger. All rights reserved. Terms of use. Privacy policy.</p></footer>
</body></html>"""

CHROME = ("Home", "cookies", "Related stories", "Storm closes", "Copyright", "Privacy policy")


def _extract(server: ScriptedServer, text: str | claimx.Document, **kwargs: object) -> claimx.Extraction:
    return claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False, **kwargs)  # type: ignore[arg-type]


# ------------------------------------------------------------------ the surface


@pytest.mark.parametrize(
    "function", [claimx.extract, claimx.aextract, claimx.extract_many, claimx.aextract_many]
)
def test_public_functions_have_written_out_signatures(function: object) -> None:
    parameters = inspect.signature(function).parameters.values()  # type: ignore[arg-type]
    assert not [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    names = {p.name for p in parameters}
    assert {
        "model",
        "base_url",
        "api_key",
        "prompt",
        "cache",
        "html",
        "temperature",
        "model_options",
    } <= names


@pytest.mark.parametrize(
    "function", [claimx.extract, claimx.aextract, claimx.extract_many, claimx.aextract_many]
)
def test_public_signatures_are_the_extractor_arguments_exactly(function: object) -> None:
    # Each function hands ``ExtractorArguments.of(locals())`` on: every field must be one of its
    # parameters, with the same type and default, or an argument would be lost or misread.
    from claimx.arguments import ExtractorArguments

    parameters = inspect.signature(function).parameters  # type: ignore[arg-type]
    own = {"text", "doc_id", "documents", "extractor", "concurrency", "skip_ids", "max_cost"}
    shown = {name: (p.annotation, p.default) for name, p in parameters.items() if name not in own}
    fields = {f.name: (f.type, f.default) for f in dataclasses.fields(ExtractorArguments)}
    assert shown == fields


def test_dir_shows_the_public_api_and_all_of_it_exists() -> None:
    assert dir(claimx) == sorted(claimx.__all__)
    for name in claimx.__all__:
        assert getattr(claimx, name) is not None
    for enum_type in (claimx.Mode, claimx.Stance, claimx.ClaimKind, claimx.ActorKind, claimx.Alignment):
        assert issubclass(enum_type, enum.Enum)
    for needed in (
        "Usage",
        "Meta",
        "ModelRequest",
        "ModelReply",
        "RetryPolicy",
        "Model",
        "Provenance",
        "Profile",
    ):
        assert needed in claimx.__all__
    assert "annotations" not in dir(claimx) and "api" not in dir(claimx)


def test_a_model_can_be_implemented_from_the_exports_alone() -> None:
    class Canned(claimx.Model):
        provider = "canned"
        name = "one"

        async def generate(self, request: claimx.ModelRequest) -> claimx.ModelReply:
            answer = {
                "actors": [{"name": "Smith", "kind": "person"}],
                "statements": [
                    {
                        "sentences": ["S1"],
                        "quote": "taxes will rise",
                        "speaker": "Smith",
                        "mode": "indirect",
                        "claim": "Taxes will rise.",
                        "kind": "prediction",
                    }
                ],
                "positions": [],
            }
            return claimx.ModelReply(request.response_model.model_validate(answer), claimx.Usage(requests=1))

    text = "Smith said taxes will rise."
    result = claimx.extract(text, model=Canned(), cache=False)
    assert result.verify(text) == [] and result.attributions[0].mode is claimx.Mode.INDIRECT
    assert isinstance(result.meta, claimx.Provenance) and result.meta.model == "canned/one"


# ------------------------------------------------------------------------ HTML


def test_html_is_text_unless_asked(server: ScriptedServer) -> None:
    page = "<p>The mayor said the bridge opens in May.</p>"
    server.responder = echo_answer
    result = _extract(server, page)
    assert result.text == page and result.metadata.text_from == "text"
    assert result.verify(page) == []


def test_html_true_reads_the_main_text_and_keeps_the_page_metadata(server: ScriptedServer) -> None:
    server.responder = echo_answer
    result = _extract(server, NEWS_PAGE, html=True)
    assert result.text is not None and result.verify() == []
    assert "done nothing wrong" in result.text and "independent inquiry" in result.text
    assert not [word for word in CHROME if word in result.text]
    sent = server.completions[0].json["messages"][-1]["content"]
    assert not [word for word in CHROME if word in sent]  # the model never saw the page's chrome
    meta = result.metadata
    assert meta.text_from == "html" and (meta.html_extractor or "").startswith("trafilatura")
    assert meta.title == "Minister resigns over contracts" and meta.author == "Jane Roe"
    assert meta.date == "2024-03-05"


def test_document_from_html_exposes_the_text_the_offsets_index(server: ScriptedServer) -> None:
    document = claimx.Document.from_html(NEWS_PAGE, doc_id="ledger")
    server.responder = echo_answer
    result = _extract(server, document)
    assert result.doc_id == "ledger" and result.text == document.text
    for span in result.spans():
        assert document.text[span.start : span.end] == span.text
    assert result.metadata.title == document.metadata.title


def test_the_fallback_reducer_drops_the_page_chrome_too() -> None:
    page = reduce_html(NEWS_PAGE)
    assert page.extractor == "claimx" and page.title == "Minister resigns over contracts | The Daily Ledger"
    assert "done nothing wrong" in page.text
    assert not [word for word in ("Home", "Related stories", "Copyright") if word in page.text]
    assert main_text(NEWS_PAGE).extractor.startswith("trafilatura")


def test_batches_read_html_when_asked(server: ScriptedServer) -> None:
    server.responder = echo_answer
    results = list(
        claimx.extract_many(
            [("page", NEWS_PAGE)], model="openai/m", base_url=server.base_url, cache=False, html=True
        )
    )
    assert results[0].extraction is not None and results[0].extraction.metadata.text_from == "html"


# --------------------------------------------------------- extractors, reused


def test_extract_reuses_one_extractor_per_model_spec(server: ScriptedServer, tmp_path: Path) -> None:
    from claimx import api

    server.responder = echo_answer
    api.close_shared()
    text = "The minister said the plan would pass."
    first = claimx.extract(text, model="openai/m", base_url=server.base_url)
    kept = list(api._pool.values())
    second = claimx.extract(text, model="openai/m", base_url=server.base_url)
    assert list(api._pool.values()) == kept and len(kept) == 1  # the same extractor, cache still open
    assert kept[0].cache is not None and kept[0].cache._db is not None
    assert not first.meta.usage.cached and second.meta.usage.cached and len(server.completions) == 1
    claimx.extract(text, model="openai/other", base_url=server.base_url)
    assert len(api._pool) == 2
    api.close_shared()
    assert not api._pool
    assert kept[0].cache is not None and kept[0].cache._db is None  # closed with the pool


def test_a_changed_key_variable_is_a_new_extractor_with_the_new_key(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept extractor was keyed on $OPENAI_API_KEY only: a rotated $CLAIMX_API_KEY kept the
    old key going out, and $CLAIMX_SEND_OPENAI_KEY turned off still sent $OPENAI_API_KEY."""
    from claimx import api

    server.responder = echo_answer
    api.close_shared()
    text = "The minister said the plan would pass."
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    monkeypatch.setenv("CLAIMX_API_KEY", "first-key-1111")
    claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
    monkeypatch.setenv("CLAIMX_API_KEY", "second-key-2222")
    claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
    monkeypatch.delenv("CLAIMX_API_KEY")
    monkeypatch.setenv("OPENAI_API_KEY", "openai-key-3333")
    monkeypatch.setenv("CLAIMX_SEND_OPENAI_KEY", "1")
    claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
    monkeypatch.delenv("CLAIMX_SEND_OPENAI_KEY")
    claimx.extract(text, model="openai/m", base_url=server.base_url, cache=False)
    api.close_shared()
    sent = [r.headers.get("authorization") for r in server.completions]
    assert sent == [
        "Bearer first-key-1111",
        "Bearer second-key-2222",
        "Bearer openai-key-3333",
        "Bearer not-needed",
    ]


def test_an_extractor_evicted_from_the_pool_finishes_the_calls_it_is_serving(tmp_path: Path) -> None:
    """More distinct argument sets at once than the pool keeps: the oldest extractor is evicted
    while its call is still waiting for the model. Closing it then cut that call off ("the client
    has been closed", retried six times); it must close once its calls are done, and not leak."""
    import gc
    import threading
    import time

    from claimx import api

    def slow(request: RecordedRequest) -> Reply:
        time.sleep(0.3)
        return echo_answer(request)

    api.close_shared()
    text = "The minister said the plan would pass."
    outcomes: dict[int, str] = {}
    with ScriptedServer(slow) as server:

        def call(seed: int) -> None:
            try:
                claimx.extract(text, model="openai/m", base_url=server.base_url, seed=seed)
                outcomes[seed] = "ok"
            except Exception as exc:
                outcomes[seed] = f"{type(exc).__name__}: {exc}"

        threads = [threading.Thread(target=call, args=(seed,)) for seed in range(api.POOL_SIZE + 4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert outcomes == {seed: "ok" for seed in range(api.POOL_SIZE + 4)}
        assert len(server.completions) == api.POOL_SIZE + 4  # one request each: none cut off and retried
    assert len(api._pool) <= api.POOL_SIZE
    api.close_shared()
    gc.collect()
    still_open = [
        cache
        for cache in gc.get_objects()
        if isinstance(cache, claimx.ResponseCache) and cache._db is not None
    ]
    assert still_open == []  # every evicted extractor was closed once its call was done


def test_a_model_the_caller_built_is_the_callers_to_close(server: ScriptedServer, tmp_path: Path) -> None:
    """An extractor closes the model it built from a name, not one it was given: that one may
    serve other extractors (or the next call of ``claimx.extract``, whose pool evicts and closes
    extractors), as a cache it was given is not closed either."""
    from claimx import api
    from claimx.models.registry import resolve_model

    server.responder = echo_answer
    text = "The minister said the plan would pass."
    model = resolve_model("openai/m", base_url=server.base_url)
    for _ in range(2):
        with claimx.Extractor(model, cache=False) as extractor:
            assert extractor.extract(text).verify(text) == []
    api.close_shared()
    for i in range(api.POOL_SIZE + 2):  # a new cache object each call: a new pooled extractor each time
        assert claimx.extract(text, model=model, cache=claimx.ResponseCache(tmp_path / str(i))).claims
    api.close_shared()
    assert claimx.extract(text, model=model, cache=False).claims
    api.close_shared()
    with claimx.Extractor(model, cache=False) as extractor:
        assert extractor.extract(text).claims  # still open: the caller closes it
    asyncio.run(model.aclose())
    # One built from a name is closed with its extractor.
    named = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    named.close()
    with pytest.raises(RuntimeError, match="was closed"):
        named.extract(text)


def test_aextract_from_several_event_loops_shares_the_extractor(server: ScriptedServer) -> None:
    from claimx import api

    server.responder = echo_answer
    api.close_shared()
    text = "The minister said the plan would pass."
    for _ in range(3):  # each asyncio.run is a new loop; the extractor's connections outlive them
        result = asyncio.run(claimx.aextract(text, model="openai/m", base_url=server.base_url, cache=False))
        assert result.verify(text) == []
    assert len(api._pool) == 1 and len(server.completions) == 3
    api.close_shared()


def test_extractor_is_a_context_manager_sync_and_async(server: ScriptedServer) -> None:
    server.responder = echo_answer
    text = "The minister said the plan would pass."
    with claimx.Extractor("openai/m", base_url=server.base_url) as extractor:
        assert extractor.extract(text).verify(text) == []
        assert extractor.cache is not None and extractor.cache._db is not None
    assert extractor.cache is not None and extractor.cache._db is None  # the database is closed

    async def run() -> claimx.Extractor:
        async with claimx.Extractor("openai/m", base_url=server.base_url) as inside:
            assert (await inside.aextract(text)).verify(text) == []
        return inside

    closed = asyncio.run(run())
    assert closed.cache is not None and closed.cache._db is None


def test_an_extractor_used_in_asyncio_run_closes_after_its_loop_is_gone(server: ScriptedServer) -> None:
    # Its connections were opened on a loop asyncio.run has closed since: closing (sync close, or
    # leaving a sync ``with``) must not try to shut them down through that loop.
    server.responder = echo_answer
    text = "The minister said the plan would pass."
    extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    for _ in range(2):  # two loops, each gone when asyncio.run returns
        assert asyncio.run(extractor.aextract(text)).verify(text) == []
    extractor.close()

    reused = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
    assert asyncio.run(reused.aextract(text)).verify(text) == []
    with reused:  # then synchronous use, on the shared loop, and the sync context manager's close
        assert reused.extract(text).verify(text) == []
    assert len(server.completions) == 4

    async def close_from_another_loop() -> None:  # and an async close on a third loop
        used = claimx.Extractor("openai/m", base_url=server.base_url, cache=False)
        assert used.extract(text).verify(text) == []  # (blocking: on the shared loop's thread)
        await used.aclose()

    asyncio.run(close_from_another_loop())


def test_model_options_reach_the_request(server: ScriptedServer) -> None:
    server.enqueue(Reply.completion({"actors": [], "statements": [], "positions": []}))
    claimx.extract(
        "The plan would pass.",
        model="openai/m",
        base_url=server.base_url,
        cache=False,
        temperature=0.7,
        seed=11,
    )
    body = server.completions[0].json
    assert body["temperature"] == 0.7 and body["seed"] == 11
