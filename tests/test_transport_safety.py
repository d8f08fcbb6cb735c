"""What a hostile or broken server cannot do to claimx: hang it, fill its memory, take its key, or mislead it.

Every case is real HTTP against the scripted server.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

import claimx
from claimx.errors import InputError, ModelError, RefusalError
from claimx.models.base import RetryPolicy
from claimx.testing import RecordedRequest, Reply, ScriptedServer, chat_completion, echo_answer
from claimx.urls import display_url, is_openai_api

from .test_cli import claimx_cli

ONE_TRY = RetryPolicy(transport_attempts=1)
TEXT = "The minister said the budget would pass this year. Critics disagreed with the plan."


def run(server: ScriptedServer, **kwargs: Any) -> claimx.Extraction:
    kwargs.setdefault("retry", ONE_TRY)
    return claimx.extract(TEXT, model="openai/m", base_url=server.base_url, cache=False, **kwargs)


def extract_cli(tmp_path: Path, server: ScriptedServer, *options: str) -> subprocess.CompletedProcess[bytes]:
    """``claimx extract`` on TEXT in a fresh process, against ``server``, with no cache."""
    (tmp_path / "a.txt").write_text(TEXT)
    return claimx_cli(
        "extract", str(tmp_path / "a.txt"), "-m", "openai/m", "--base-url", server.base_url,
        "--no-cache", *options,
    )  # fmt: skip


@pytest.mark.timeout(60)
def test_timeout_bounds_the_whole_request_not_each_byte(server: ScriptedServer) -> None:
    # One byte every 0.2 s: the SDK's read timeout (1 s) never fires, the body takes minutes.
    server.enqueue(Reply.trickle(0.2, {"actors": [], "statements": [], "positions": []}))
    with pytest.raises(ModelError, match=r"within 1s"):
        run(server, timeout_s=1)


@pytest.mark.timeout(60)
def test_an_endless_reply_is_cut_at_the_cap_and_named(server: ScriptedServer) -> None:
    server.enqueue(Reply.endless_body())
    with pytest.raises(ModelError) as caught:
        run(
            server,
            model_options={"max_reply_bytes": 2 * 1024 * 1024},
            retry=RetryPolicy(transport_attempts=3),
        )
    message = str(caught.value)
    assert "larger than 2 MB" in message and "could not reach" not in message
    assert len(server.completions) == 1  # not retried: the same server sends the same reply


def test_declared_oversize_reply_is_refused_before_reading(server: ScriptedServer) -> None:
    body = json.dumps(chat_completion("x" * 5000)).encode()
    server.enqueue(Reply(status=200, body=body))
    with pytest.raises(ModelError, match="larger than 1000 bytes"):
        run(server, model_options={"max_reply_bytes": 1000})


def test_reply_cap_from_the_command_line(tmp_path: Path) -> None:
    with ScriptedServer() as server:
        server.enqueue(Reply.endless_body())
        proc = extract_cli(tmp_path, server, "--max-reply-mb", "1", "-f", "json")
    assert proc.returncode == 4
    assert "larger than 1 MB" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


def test_html_page_with_200_says_check_the_base_url(server: ScriptedServer) -> None:
    server.enqueue(Reply.html_page(), Reply.html_page())
    with pytest.raises(ModelError, match=r"web page \(HTML\).*--base-url"):
        run(server, retry=RetryPolicy(transport_attempts=2))
    assert len(server.completions) == 1


def test_html_body_without_html_content_type_is_recognised(server: ScriptedServer) -> None:
    server.enqueue(Reply(status=200, body=b"\n<!doctype html><html><body>Sign in</body></html>"))
    with pytest.raises(ModelError, match=r"web page"):
        run(server)


def test_content_filter_is_a_refusal_not_invalid_json(server: ScriptedServer) -> None:
    server.enqueue(Reply.json(chat_completion('{"actors": [', finish_reason="content_filter")))
    with pytest.raises(RefusalError, match="content filter"):
        run(server)
    assert len(server.completions) == 1


def test_lone_surrogate_is_an_input_error_not_a_transport_retry(server: ScriptedServer) -> None:
    with pytest.raises(InputError, match=r"lone surrogate \(U\+D800\) at character 4"):
        claimx.extract("The \ud800 minister spoke.", model="openai/m", base_url=server.base_url, cache=False)
    assert server.completions == []


def test_lone_surrogate_in_a_jsonl_batch_is_that_document_s_error(tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "bad", "text": "Broken \ud800 text."}),
        json.dumps({"id": "good", "text": TEXT}),
    ]
    (tmp_path / "in.jsonl").write_text("\n".join(lines) + "\n")
    with ScriptedServer(echo_answer) as server:
        proc = claimx_cli(
            "extract", str(tmp_path / "in.jsonl"), "-m", "openai/m", "--base-url", server.base_url
        )
    assert proc.returncode == 1
    by_id = {r["doc_id"]: r for r in map(json.loads, proc.stdout.splitlines())}
    assert by_id["bad"]["error"]["cause"] == "input" and "lone surrogate" in by_id["bad"]["error"]["message"]
    assert "error" not in by_id["good"]


def test_junk_usage_is_one_warning_line_not_a_traceback(tmp_path: Path) -> None:
    def junk(request: RecordedRequest) -> Reply:
        reply = echo_answer(request)
        body = json.loads(reply.body or b"{}")
        body["usage"] = {"prompt_tokens": "lots", "completion_tokens": -3, "total_tokens": None}
        return Reply.json(body)

    with ScriptedServer(junk) as server:
        proc = extract_cli(tmp_path, server, "-f", "json")
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert "Traceback" not in stderr and "not counts" in stderr
    assert json.loads(proc.stdout)["meta"]["usage"]["prompt_tokens"] == 0


def test_junk_usage_in_a_batch_is_still_one_warning_line(tmp_path: Path) -> None:
    """The warning was printed once per answer: a batch of thousands, thousands of lines."""

    def junk(request: RecordedRequest) -> Reply:
        reply = echo_answer(request)
        body = json.loads(reply.body or b"{}")
        body["usage"] = {"prompt_tokens": -100, "completion_tokens": 10, "total_tokens": 5}
        return Reply.json(body)

    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(6):
        (folder / f"d{i}.txt").write_text(f"The minister said plan {i} would pass. Critics disagreed.")
    with ScriptedServer(junk) as server:
        proc = claimx_cli(
            "extract", str(folder), "-m", "openai/m", "--base-url", server.base_url, "--no-cache",
            "-o", str(tmp_path / "out.jsonl"),
        )  # fmt: skip
    stderr = proc.stderr.decode()
    assert proc.returncode == 0, stderr
    assert stderr.count("not counts") == 1, stderr
    assert len((tmp_path / "out.jsonl").read_text().splitlines()) == 6


# ------------------------------------------------------------------ credentials


def test_credentials_in_base_url_never_shown_or_stored(tmp_path: Path) -> None:
    secret = "PASSw0rdZ9q"
    qsecret = "QKEYx81mm2"
    docs = tmp_path / "in"
    docs.mkdir()
    for i in range(3):
        (docs / f"d{i}.txt").write_text(f"The minister said plan {i} would pass. Critics said it would fail.")
    with ScriptedServer(echo_answer) as server:
        url = server.base_url.replace("http://", f"http://user:{secret}@") + f"?api-key={qsecret}&v=1"
        batch = claimx_cli(
            "extract", str(docs), "-m", "openai/m", "--base-url", url, "-o", str(tmp_path / "o.jsonl")
        )
        single = claimx_cli(
            "extract",
            str(docs / "d0.txt"),
            "-m",
            "openai/m",
            "--base-url",
            url,
            "-o",
            str(tmp_path / "p.html"),
        )
        evaluation = claimx_cli(
            "eval", "run", "--dataset", "seed", "--model", "openai/m", "--base-url", url,
            "--out", str(tmp_path / "runs" / "a"),
        )  # fmt: skip
        assert server.completions  # the server was reached with the full URL
    down = "http://user:" + secret + "@127.0.0.1:9/v1?token=" + qsecret
    failing = claimx_cli(
        "extract", str(docs / "d1.txt"), "-m", "openai/m", "--base-url", down, "--timeout", "2", "--no-cache"
    )
    assert batch.returncode == 0, batch.stderr.decode()
    assert single.returncode == 0, single.stderr.decode()
    assert failing.returncode == 4
    seen = [batch.stderr, single.stderr, evaluation.stdout, evaluation.stderr, failing.stderr]
    seen += [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    for data in seen:
        assert secret.encode() not in data and qsecret.encode() not in data
    meta = json.loads((tmp_path / "o.jsonl").read_text().splitlines()[0])["meta"]
    assert meta["base_url"].startswith("http://***@127.0.0.1:") and "api-key=***" in meta["base_url"]


def test_display_url_and_openai_host() -> None:
    assert display_url("https://u:p@h.example/v1?api_key=s&x=1&token=t") == (
        "https://***@h.example/v1?api_key=***&x=1&token=***"
    )
    assert display_url("http://127.0.0.1:8000/v1") == "http://127.0.0.1:8000/v1"
    assert is_openai_api(None) and is_openai_api("https://api.openai.com/v1")
    assert not is_openai_api("https://api.openai.com.evil.example/v1")
    assert not is_openai_api("http://evil.example/v1?host=api.openai.com")


def _auth_headers(env: dict[str, str], *extra: str) -> list[str]:
    with ScriptedServer(echo_answer) as server:
        proc = claimx_cli(
            "extract", "-", "-m", "openai/m", "--base-url", server.base_url, "--no-cache", "-f", "json",
            *extra, stdin=TEXT.encode(), env=env,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr.decode()
        return [r.headers.get("authorization", "") for r in server.completions]


def test_openai_key_goes_only_to_openai() -> None:
    key = "sk-envkey-notforyou-1234567890"
    assert all(key not in h for h in _auth_headers({"OPENAI_API_KEY": key}))
    assert all(
        h == "Bearer named-key" for h in _auth_headers({"OPENAI_API_KEY": key}, "--api-key", "named-key")
    )
    assert all(
        h == "Bearer server-key"
        for h in _auth_headers({"OPENAI_API_KEY": key, "CLAIMX_API_KEY": "server-key"})
    )
    opted_in = _auth_headers({"OPENAI_API_KEY": key, "CLAIMX_SEND_OPENAI_KEY": "1"})
    assert all(h == f"Bearer {key}" for h in opted_in)


def test_ollama_never_gets_the_openai_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from claimx.models.registry import resolve_model

    monkeypatch.setenv("OPENAI_API_KEY", "sk-envkey-notforyou-1234567890")
    model = resolve_model("ollama/llama3")
    assert getattr(model, "_client").api_key == "not-needed"  # noqa: B009


@pytest.mark.parametrize("scheme", ["", "ftp://"])
def test_a_base_url_without_http_is_a_config_error_not_six_retries(tmp_path: Path, scheme: str) -> None:
    """``--base-url localhost:8000/v1`` (no scheme) is a newcomer's first mistake: it was
    retried six times per document as "could not reach" (exit 4, ~25 s each)."""
    docs = tmp_path / "in"
    docs.mkdir()
    for name in ("a", "b"):
        (docs / f"{name}.txt").write_text(TEXT)
    with ScriptedServer(echo_answer) as server:
        url = f"{scheme}user:pw-hidden-77@127.0.0.1:{server.port}/v1"
        proc = claimx_cli(
            "extract", str(docs), "-m", "openai/m", "--base-url", url, "--no-cache",
            "-o", str(tmp_path / "out.jsonl"),
        )  # fmt: skip
        assert server.completions == []
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    last = err.strip().splitlines()[-1]
    assert "http://" in last and "--base-url" in last, last
    assert "pw-hidden-77" not in err
    assert not (tmp_path / "out.jsonl").exists() or not (tmp_path / "out.jsonl").read_bytes()


def test_a_query_in_the_base_url_reaches_the_server_as_a_query_not_in_the_path(tmp_path: Path) -> None:
    """The SDK appends the route to the base URL as a string: ``…/v1?api-key=K`` went out as
    ``POST /v1?api-key=K/chat/completions``, which a real server (Azure's api-key, a gateway's
    token) answers 404, with the key mangled. Realtime calls and the Batch API both."""
    from urllib.parse import parse_qs, urlsplit

    with ScriptedServer(echo_answer) as server:
        url = server.base_url + "?api-key=QKEYx81mm2&api-version=2024-10-21"
        single = claimx_cli(
            "extract", "-", "-m", "openai/m", "--base-url", url, "--no-cache", "-f", "json",
            stdin=b"The minister said the plan would pass. Critics said it would fail.",
        )  # fmt: skip
        (tmp_path / "d.txt").write_text("The minister said the plan would pass.")
        submitted = claimx_cli(
            "batch", "submit", str(tmp_path / "d.txt"), "-m", "openai/m", "--base-url", url,
            "--job", str(tmp_path / "job"),
        )  # fmt: skip
        requests = list(server.requests)
    assert single.returncode == 0, single.stderr.decode()
    assert submitted.returncode == 0, submitted.stderr.decode()
    paths = {urlsplit(r.path).path for r in requests}
    assert "/v1/chat/completions" in paths and "/v1/files" in paths and "/v1/batches" in paths, paths
    for r in requests:
        assert parse_qs(urlsplit(r.path).query) == {"api-key": ["QKEYx81mm2"], "api-version": ["2024-10-21"]}


def test_an_infinite_reply_cap_is_a_usage_error_not_a_traceback(tmp_path: Path) -> None:
    """``--max-reply-mb inf`` passed the option's minimum and died converting to bytes (OverflowError)."""
    with ScriptedServer(echo_answer) as server:
        proc = extract_cli(tmp_path, server, "--max-reply-mb", "inf")
        assert server.completions == []
    assert proc.returncode == 2, proc.stderr.decode()
    assert b"Traceback" not in proc.stderr and b"--max-reply-mb" in proc.stderr
