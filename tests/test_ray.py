"""claimx inside Ray Data: a local Ray instance, 200 documents against the scripted server.

Checks what a cluster user relies on: every document comes out exactly once, a failed
document is a row with its error (never a crashed task), results verify against their
text, and the answers fill the response cache so a rerun makes no model calls.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from claimx import Extraction
from claimx.integrations.ray import RESULT_COLUMNS, ClaimxExtractor
from claimx.testing import RecordedRequest, Reply, ScriptedServer, echo_answer

ray = pytest.importorskip("ray")
pytestmark = pytest.mark.slow
_KEY = "sk-ray-test-0000"


def _answer_or_refuse(request: RecordedRequest) -> Reply:
    """Refuse (HTTP 400, not retried) every article that asks for it; echo the others."""
    prompt = json.dumps(request.json["messages"])
    if "REFUSE-ME" in prompt:
        return Reply.error(400, "this article is refused by the scripted server")
    return echo_answer(request)


def _documents(count: int) -> list[dict[str, str]]:
    rows = []
    for n in range(count):
        text = (
            f"Officials in district {n} said the bridge would reopen in spring. "
            f"The council approved {n + 3} new crossings on Tuesday. "
            "Residents welcomed the decision after months of delays."
        )
        if n % 40 == 7:
            text = ""  # unreadable: an input error row
        elif n % 40 == 19:
            text += " REFUSE-ME please."
        rows.append({"id": f"doc-{n:03d}", "text": text})
    return rows


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    # On loopback only, and the key in the workers' environment, as a cluster would set it.
    ray.init(
        num_cpus=2,
        _node_ip_address="127.0.0.1",
        include_dashboard=False,
        log_to_driver=False,
        configure_logging=False,
        runtime_env={"env_vars": {"CLAIMX_TEST_KEY": _KEY, "VLLM_API_KEY": _KEY}},
    )
    try:
        yield
    finally:
        ray.shutdown()


def _run(server: ScriptedServer, rows: list[dict[str, str]], cache_dir: Path) -> list[dict[str, object]]:
    dataset = ray.data.from_items(rows, override_num_blocks=4)
    out = dataset.map_batches(
        ClaimxExtractor,
        fn_constructor_kwargs={
            "model": "openai/scripted",
            "base_url": server.base_url,
            "api_key_env": "CLAIMX_TEST_KEY",
            "cache_dir": str(cache_dir),
            "concurrency": 8,
            "model_options": {"timeout_s": 10},
        },
        concurrency=2,
        num_cpus=0.5,
        batch_size=25,
    )
    return out.take_all()


def test_two_hundred_documents_each_exactly_once(local_ray: None, tmp_path: Path) -> None:
    rows = _documents(200)
    texts = {row["id"]: row["text"] for row in rows}
    with ScriptedServer(_answer_or_refuse) as server:
        results = _run(server, rows, tmp_path / "cache")
        first_calls = len(server.completions)

        ids = [r["id"] for r in results]
        assert sorted(ids) == sorted(texts), "every document exactly once"
        assert all(set(r) == set(RESULT_COLUMNS) for r in results)
        failed = {r["id"]: json.loads(str(r["error"])) for r in results if not r["ok"]}
        assert set(failed) == {i for i, t in texts.items() if t == "" or "REFUSE-ME" in t}
        assert {e["type"] for e in failed.values()} == {"InputError", "ModelError"} or len(
            {e["cause"] for e in failed.values()}
        ) >= 2
        for r in results:
            if r["ok"]:
                extraction = Extraction.model_validate_json(str(r["extraction"]))
                assert extraction.doc_id == r["id"]
                assert extraction.verify(texts[str(r["id"])]) == []
                assert r["error"] is None

        # A rerun is served from the actors' shared response cache: only the refused
        # articles (never cached) are asked again.
        again = _run(server, rows, tmp_path / "cache")
        refused = sum(1 for t in texts.values() if "REFUSE-ME" in t)
        assert sorted(r["id"] for r in again) == sorted(texts)
        assert len(server.completions) - first_calls == refused
        assert _KEY not in json.dumps(results)
        assert all(r.headers.get("authorization") == f"Bearer {_KEY}" for r in server.completions)


def test_the_readme_ray_block_runs(local_ray: None, tmp_path: Path) -> None:
    from .test_readme import blocks

    [code] = [block for block in blocks("python") if "import ray" in block]
    articles = tmp_path / "articles.jsonl"
    rows = _documents(12)
    articles.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    out = tmp_path / "claimx-results"
    code = code.replace('"articles.jsonl"', repr(str(articles))).replace('"claimx-results/"', repr(str(out)))
    # Two actors at half a core each leave this 2-core test machine a core to read and write.
    code = code.replace("concurrency=4,", "concurrency=2,")
    with ScriptedServer(_answer_or_refuse) as server:
        exec(compile(code, "README.md Ray block", "exec"), {"vllm_url": server.base_url})
        assert server.completions
    written = ray.data.read_parquet(str(out)).take_all()
    assert sorted(r["id"] for r in written) == sorted(row["id"] for row in rows)
    assert {r["id"] for r in written if not r["ok"]} == {"doc-007"}
