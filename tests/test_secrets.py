"""The API key never leaves the process: not in output, cache, run folders, logs or errors.

A batch and an eval run go through faults, with ``--debug``, against a server that
even echoes the Authorization header back in its error bodies; then every file written
and everything printed is searched for the key (and for its distinctive middle part).
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest

import claimx
from claimx.testing import FaultInjector, RecordedRequest, Reply, ScriptedServer, echo_answer

from .test_cli import claimx_cli

KEY = "ck-live-SECRETxq7Zp4Lw9Rt2Vm8Kd"  # not shaped like an OpenAI key: redaction must know it
NEEDLES = (KEY, "SECRETxq7Zp4Lw9Rt2Vm8Kd", "xq7Zp4Lw9Rt2")


def leaky_server_answer() -> FaultInjector:
    faulty = FaultInjector(echo_answer, rate=0.3, seed=5)
    count = {"n": 0}

    def answer(request: RecordedRequest) -> Reply:
        count["n"] += 1
        auth = request.headers.get("authorization", "")
        assert KEY in auth  # the key does reach the server, as it must
        # (400 and 422, not 401, 403 and 404: those stop a batch at once, and this one must go on)
        if count["n"] % 7 == 0:  # a server that echoes credentials in its error body
            return Reply.json(
                {"error": {"message": f"bad key {auth}", "type": "invalid_request_error"}}, status=400
            )
        if count["n"] % 13 == 0:  # a final error whose message claimx passes on
            return Reply.json({"error": {"message": f"no such model for {auth}"}}, status=422)
        if count["n"] % 11 == 0:
            return Reply.json({"error": {"message": f"overloaded; you sent {auth}"}}, status=500)
        return faulty(request)

    return FaultInjector(answer, rate=0.0)


def assert_clean(data: bytes, where: str) -> None:
    for needle in NEEDLES:
        assert needle.encode() not in data, f"the API key leaked into {where}"


def test_key_never_written_or_printed(tmp_path: Path) -> None:
    docs = tmp_path / "in"
    docs.mkdir()
    for i in range(40):
        (docs / f"d{i:02d}.txt").write_text(
            f"The minister said plan {i} would pass. Critics said it would fail."
        )
    env = {"CLAIMX_API_KEY": KEY, "CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    outputs: list[tuple[str, bytes]] = []
    with ScriptedServer(leaky_server_answer()) as server:
        batch = claimx_cli(
            "extract", str(docs), "-m", "openai/x", "--base-url", server.base_url,
            "-o", str(tmp_path / "out.jsonl"), "--debug", "-j", "4", "--timeout", "5", env=env,
        )  # fmt: skip
        single = claimx_cli(
            "extract", str(docs / "d07.txt"), "-m", "openai/x", "--base-url", server.base_url,
            "--debug", "--no-cache", "-f", "json", env=env,
        )  # fmt: skip
        evaluation = claimx_cli(
            "eval", "run", "--dataset", "seed", "--model", "openai/x", "--base-url", server.base_url,
            "--out", str(tmp_path / "runs" / "a"), "--debug", env=env,
        )  # fmt: skip
        assert len(server.completions) > 40
    for name, proc in (("batch", batch), ("single", single), ("eval", evaluation)):
        outputs += [(f"{name} stdout", proc.stdout), (f"{name} stderr", proc.stderr)]
    assert batch.returncode == 1, batch.stderr.decode()  # the 400s failed some documents…
    lines = [json.loads(line) for line in (tmp_path / "out.jsonl").read_bytes().splitlines()]
    messages = [line["error"]["message"] for line in lines if "error" in line]
    assert any("400" in m for m in messages)
    assert any("422" in m and "***" in m for m in messages)  # the server's words, key redacted
    assert b"DEBUG" in batch.stderr  # --debug really logged
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite3" for p in written) and any(p.parent.name == "a" for p in written)
    for path in written:
        outputs.append((str(path.relative_to(tmp_path)), path.read_bytes()))
    for where, data in outputs:
        assert_clean(data, where)


def test_permission_denied_stops_a_folder_batch_at_once_keeping_what_finished(tmp_path: Path) -> None:
    """A key without access to the model (403) fails every document: stop, keep the lines written."""
    docs = tmp_path / "in"
    docs.mkdir()
    for i in range(30):
        (docs / f"d{i:02d}.txt").write_text(f"The minister said plan {i} would pass. Critics disagreed.")
    answered = {"n": 0}

    def answer(request: RecordedRequest) -> Reply:
        answered["n"] += 1
        if answered["n"] <= 5:  # the first documents go through; then the project loses access
            return echo_answer(request)
        auth = request.headers.get("authorization", "")
        message = f"project has no access to model x ({auth})"
        return Reply.json({"error": {"message": message, "type": "permission_error"}}, status=403)

    out = tmp_path / "out.jsonl"
    with ScriptedServer(answer) as server:
        proc = claimx_cli(
            "extract", str(docs), "-m", "openai/x", "--base-url", server.base_url, "-o", str(out),
            "--no-cache", "-j", "2", env={"CLAIMX_API_KEY": KEY},
        )  # fmt: skip
        asked = len(server.completions)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert "denied permission (403)" in err and "project has no access to model x" in err, err
    lines = [json.loads(line) for line in out.read_bytes().splitlines()]
    done = [line for line in lines if "error" not in line]
    failed = [line for line in lines if "error" in line]
    assert len(done) == 5  # everything finished before the 403 is kept
    assert 1 <= len(failed) <= 2, (err, lines)
    assert all("403" in line["error"]["message"] for line in failed)
    assert asked <= 5 + 2  # the documents after it were never sent (not 30 requests)
    for where, data in (("stderr", proc.stderr), ("stdout", proc.stdout), ("out.jsonl", out.read_bytes())):
        assert_clean(data, where)


def test_key_not_in_reprs_or_errors(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.enqueue(Reply.json({"error": {"message": f"bad key Bearer {KEY}"}}, status=401))
        extractor = claimx.Extractor("openai/x", base_url=server.base_url, api_key=KEY, cache=False)
        results: list[claimx.BatchResult] = []
        documents = ["The minister said the plan would pass."]
        with pytest.raises(claimx.ModelError) as stopped:  # a 401 stops the batch after its line
            results.extend(claimx.extract_many(documents, extractor=extractor))
        texts = [repr(extractor), repr(extractor.model), str(vars(extractor.model)), repr(results)]
        texts.append(str(stopped.value))
        extractor.close()
    assert results[0].error is not None
    texts.append(results[0].to_json_line())
    for text in texts:
        assert_clean(text.encode(), "a repr or an error")


def test_a_key_read_with_its_newline_is_sent_trimmed_and_never_logged(tmp_path: Path) -> None:
    """``export CLAIMX_API_KEY=$(cat key.txt)`` keeps no newline, but ``--api-key "$(< f)"``-style
    mistakes and keys pasted from a file do: the header would be illegal, the request retried
    six times as "could not reach", and with --debug the transport's traceback printed the key."""
    with ScriptedServer() as server:
        server.enqueue(Reply.completion({"actors": [], "statements": [], "positions": []}))
        proc = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", server.base_url, "--no-cache",
            "-f", "json", "--debug", "--timeout", "5",
            stdin=b"The minister said the plan would pass.", env={"CLAIMX_API_KEY": f"  {KEY}\n"},
        )  # fmt: skip
        sent = [r.headers.get("authorization") for r in server.completions]
    assert proc.returncode == 0, proc.stderr.decode()
    assert sent == [f"Bearer {KEY}"]
    assert_clean(proc.stderr + proc.stdout, "stderr with --debug")


@pytest.mark.parametrize("bad", [f"{KEY[:10]}\n{KEY[10:]}", f"{KEY[:10]} {KEY[10:]}", f"{KEY}…"])
def test_a_key_that_cannot_be_a_header_is_a_config_error_naming_where_it_came_from(bad: str) -> None:
    with ScriptedServer() as server:
        proc = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", server.base_url, "--no-cache",
            "--debug", stdin=b"The minister said the plan would pass.", env={"CLAIMX_API_KEY": bad},
        )  # fmt: skip
        assert server.completions == []  # refused before any request, never retried
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "CLAIMX_API_KEY" in err.splitlines()[-1] and "API key" in err.splitlines()[-1]
    assert_clean(proc.stderr + proc.stdout, "the refusal")


def test_debug_logs_redact_the_tracebacks_they_carry(capsys: pytest.CaptureFixture[str]) -> None:
    """A library logging an exception (the SDK does, with --debug) prints its traceback
    after the message: the key quoted there must go the way of the one in the message."""
    import logging

    from claimx.cli.common import setup_logging
    from claimx.errors import register_secret

    names = ("claimx", "openai", "httpx", "httpx2", "instructor")
    saved = [
        (logging.getLogger(n), logging.getLogger(n).handlers[:], logging.getLogger(n).level) for n in names
    ]
    debug_before = os.environ.get("CLAIMX_DEBUG")
    register_secret(KEY)
    try:
        setup_logging(debug=True)
        try:
            raise ValueError(f"Illegal header value b'Bearer {KEY}\\n'")
        except ValueError:
            logging.getLogger("openai").exception("request failed for %s", KEY)
    finally:  # leave logging as the other tests expect it
        for logger, handlers, level in saved:
            logger.handlers, logger.level, logger.propagate = handlers, level, True
        if debug_before is None:
            os.environ.pop("CLAIMX_DEBUG", None)
    err = capsys.readouterr().err
    assert "request failed" in err and "Illegal header value" in err  # the traceback is there
    assert_clean(err.encode(), "a logged traceback")


def test_a_reply_that_echoes_the_key_is_cached_without_it(tmp_path: Path) -> None:
    """The cache keeps each raw completion for ``claimx cache show``: a server (or a debugging
    proxy) that echoes the request's headers in a successful reply put the key on disk."""
    from claimx.testing import chat_completion

    def answer(request: RecordedRequest) -> Reply:
        content = {"actors": [], "positions": [], "statements": [{
            "sentences": ["S1"], "quote": "the plan would pass", "speaker": "author", "mode": "author",
            "claim": "The plan would pass.", "kind": "fact"}]}  # fmt: skip
        body = chat_completion(json.dumps(content))
        body["id"] = "chatcmpl-" + request.headers.get("authorization", "")
        body["debug"] = {"headers": dict(request.headers)}
        return Reply.json(body)

    env = {"CLAIMX_API_KEY": KEY, "CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    with ScriptedServer(answer) as server:
        proc = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", server.base_url, "-f", "json",
            stdin=b"The minister said the plan would pass.", env=env,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr.decode()
    listed = claimx_cli("cache", "list", env={"CLAIMX_CACHE_DIR": str(tmp_path / "cache")})
    key = listed.stdout.decode().splitlines()[1].split("\t")[0]
    shown = claimx_cli("cache", "show", key, env={"CLAIMX_CACHE_DIR": str(tmp_path / "cache")})
    assert shown.returncode == 0 and b"chatcmpl-" in shown.stdout  # the raw reply is still there
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert_clean(path.read_bytes(), str(path))
    assert_clean(proc.stdout + proc.stderr + shown.stdout + shown.stderr, "the run and cache show")


def test_a_password_in_the_base_url_echoed_back_as_basic_auth_is_redacted(tmp_path: Path) -> None:
    """``http://user:PASS@host/v1``: the client sends ``Authorization: Basic base64(user:PASS)``
    (percent-decoded); a server that quotes that header in its error put the password, merely
    base64-encoded, into the message on stderr and in the batch's error line."""
    password = "p@ss-hunter2xq"
    url_password = "p%40ss-hunter2xq"

    def answer(request: RecordedRequest) -> Reply:
        auth = request.headers.get("authorization", "")
        return Reply.json({"error": {"message": f"bad credentials {auth}"}}, status=400)

    with ScriptedServer(answer) as server:
        base_url = server.base_url.replace("http://", f"http://alice:{url_password}@")
        proc = claimx_cli(
            "extract", "-", "-m", "openai/x", "--base-url", base_url, "--no-cache", "--debug",
            stdin=b"The minister said the plan would pass.",
        )  # fmt: skip
        sent = server.completions[0].headers.get("authorization", "")
    encoded = base64.b64encode(f"alice:{password}".encode()).decode()
    assert sent == f"Basic {encoded}"  # the credentials did reach the server
    assert proc.returncode == 4, proc.stderr.decode()
    out = proc.stdout + proc.stderr
    assert b"bad credentials" in out
    for needle in (encoded, password, url_password, "hunter2xq"):
        assert needle.encode() not in out, f"{needle} leaked"


def test_a_server_that_writes_the_key_into_its_answer_leaves_it_nowhere(tmp_path: Path) -> None:
    """The raw completion was redacted, the answer itself not: a server (or a proxy) echoing the
    Authorization header into the content put the key into `rejected` (quote, speaker, cue,
    actor), the result page and the cache's stored answer."""

    def answer(request: RecordedRequest) -> Reply:
        auth = request.headers.get("authorization", "")
        content = {
            "actors": [{"name": f"Agent {auth}", "kind": "person", "role": auth}],
            "statements": [{
                "sentences": ["S1"], "quote": f"the key is {auth}", "speaker": f"Agent {auth}",
                "mode": "direct", "cue": auth, "claim": f"Key {auth}", "kind": "fact",
            }],
            "positions": [{"holder": f"Agent {auth}", "target": auth, "stance": "support",
                           "statements": [1]}],
        }  # fmt: skip
        return Reply.completion(content)

    env = {"CLAIMX_API_KEY": KEY, "CLAIMX_CACHE_DIR": str(tmp_path / "cache")}
    with ScriptedServer(answer) as server:
        outputs = []
        for fmt in ("json", "html"):
            outputs.append(claimx_cli(
                "extract", "-", "-m", "openai/x", "--base-url", server.base_url, "-f", fmt,
                stdin=b"The minister said the plan would pass.", env=env,
            ))  # fmt: skip
        assert KEY in server.completions[0].headers["authorization"]
    result = json.loads(outputs[0].stdout)
    assert result["rejected"]  # what the server made up is still listed, without the key
    for proc in outputs:
        assert proc.returncode == 0, proc.stderr.decode()
        assert_clean(proc.stdout + proc.stderr, "the result")
    for path in (tmp_path / "cache").rglob("*"):
        if path.is_file():
            assert_clean(path.read_bytes(), str(path))
