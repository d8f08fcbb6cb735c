"""What a new user meets in the first hour: every extractor by name, honest wording, sane defaults."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import claimx
from claimx.cli import app
from claimx.testing import Reply, ScriptedServer

from .conftest import SEED
from .helpers import claimx_on_a_terminal


def run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    """The CLI in process (fast): exit code, stdout, stderr."""
    result = CliRunner().invoke(app, list(args), input=stdin)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# Item 9: every extractor eval run accepts is usable in extract and the Python API.


def test_baseline_in_extract_and_the_python_api(seed_text: str) -> None:
    code, out, err = run("extract", str(SEED), "-m", "baseline", "-f", "json")
    assert code == 0, err
    result = claimx.Extraction.model_validate_json(out)
    assert result.meta.model == "baseline" and result.meta.prompt_id == "baseline@v1"
    assert result.attributions and result.verify(seed_text) == []
    assert "model baseline (from --model); prompt baseline@v1" in err
    assert "no language model (baseline: rules only)" in err  # the note on what it can and cannot find

    same = claimx.extract(seed_text, model="baseline", doc_id=SEED.stem)
    with claimx.Extractor("baseline") as extractor:
        again = extractor.extract(seed_text, SEED.stem)
    assert again.attributions == same.attributions == result.attributions
    [batch] = list(claimx.extract_many([("a", seed_text)], model="baseline"))
    assert batch.ok and batch.extraction is not None
    assert batch.extraction.attributions == same.attributions


def test_baseline_takes_no_model_options(seed_text: str) -> None:
    with pytest.raises(claimx.ConfigError, match="takes no model options"):
        claimx.extract(seed_text, model="baseline", temperature=0.5)


def test_unknown_model_names_the_extractors() -> None:
    code, _, err = run("extract", str(SEED), "-m", "nonsense")
    assert code == 2 and "baseline" in err


# Item 3 in the terminal: which model made the result, and a warning for demonstration models and rules.


def test_table_says_which_model_made_it(seed_text: str) -> None:
    from rich.console import Console

    from claimx.render.table import print_extraction

    base = claimx.extract(seed_text, model="baseline", doc_id="seed")
    for model, warning in (
        ("baseline", "Made by no language model"),
        ("local", "Made by a demonstration model"),
        ("openai/gpt-4.1-mini", None),
    ):
        console = Console(record=True, width=200, file=io.StringIO())
        print_extraction(
            base.model_copy(update={"meta": base.meta.model_copy(update={"model": model})}), console
        )
        shown = " ".join(console.export_text().split())
        assert f"made by {model}" in shown
        assert (warning in shown) if warning else ("Made by" not in shown)
    code, out, _ = run("extract", str(SEED), "-m", "baseline", "-f", "table")
    assert code == 0 and "Made by no language model" in " ".join(out.split())


# Item 8: a wrong port fails at once, saying nothing listens there.


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_fails_at_once() -> None:
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    with pytest.raises(claimx.ModelError) as caught:
        claimx.extract("The minister said the tax would pass.", model="openai/x", base_url=url, cache=False)
    assert caught.value.attempts == 1
    assert f"nothing listens at {url} (connection refused)" in str(caught.value)
    code, _, err = run("extract", str(SEED), "-m", "openai/x", "--base-url", url, "--no-cache")
    assert code == 4 and "nothing listens at" in err


def test_a_dropped_connection_is_still_retried(
    server: ScriptedServer, seed_response: dict[str, object]
) -> None:
    server.enqueue(Reply.dropped(), Reply.completion(seed_response))
    result = claimx.extract(SEED.read_text(encoding="utf-8"), model="openai/x", base_url=server.base_url)
    assert result.meta.usage.transport_retries == 1


# Item 7: one document on a terminal shows a spinner with the model, the time and the stage.


def _extract_on_a_pty(server: ScriptedServer, tmp_path: Path) -> tuple[int, str]:
    return claimx_on_a_terminal(
        "extract", str(SEED), "-m", "openai/x", "--base-url", server.base_url,
        "-o", str(tmp_path / "r.json"), "--no-cache",
    )  # fmt: skip


def test_spinner_on_a_terminal(
    server: ScriptedServer, seed_response: dict[str, object], tmp_path: Path
) -> None:
    server.enqueue(Reply.rate_limited(1), Reply.completion(seed_response, delay_s=1.5))
    code, screen = _extract_on_a_pty(server, tmp_path)
    assert code == 0, screen
    assert "openai/x" in screen and "0:00:0" in screen  # the model and the elapsed time
    assert "retrying after 429" in screen and "try 2 of 6" in screen
    assert "waiting for the model" in screen
    assert (tmp_path / "r.json").exists()


def test_no_spinner_when_piped(
    server: ScriptedServer, seed_response: dict[str, object], tmp_path: Path
) -> None:
    server.enqueue(Reply.rate_limited(0), Reply.completion(seed_response))
    code, _, err = run("extract", str(SEED), "-m", "openai/x", "--base-url", server.base_url, "-o",
                       str(tmp_path / "r.json"), "--no-cache")  # fmt: skip
    assert code == 0, err
    assert "waiting for the model" not in err and "retrying after" not in err and "\r" not in err


# Items 5 and 6: a run of one document gives no degenerate interval; compare names its figure.


def test_one_document_gets_no_interval_and_compare_names_its_figure(tmp_path: Path) -> None:
    code, out, err = run(
        "eval", "run", "--dataset", "seed", "--model", "baseline", "--out", str(tmp_path / "b")
    )
    assert code == 0, err
    flat = " ".join(out.split())
    assert "none (n=1)" in flat and "1 document is too few for a 95% interval" in flat
    assert "[0." not in out and "1 documents" not in out
    summary = json.loads((tmp_path / "b" / "summary.json").read_text())
    assert "ci" not in summary["attributions"] and "ci" not in summary["attributions"]["speaker"]

    code, _, err = run("eval", "run", "--dataset", "seed", "--model", "gold", "--out", str(tmp_path / "g"))
    assert code == 0, err
    code, out, err = run("eval", "compare", str(tmp_path / "g"), str(tmp_path / "b"))
    assert code == 0, err
    flat = " ".join(out.split())
    assert "seed (Δ F1 −" in flat.replace("-", "−")  # the figure is named, not a bare "(−0.21)"
    assert "F1 in B minus" in flat and "P(B not better)" not in flat and "none (n=1)" in flat
    code, out, _ = run("eval", "compare", str(tmp_path / "g"), str(tmp_path / "b"), "--json")
    assert "p_not_better" not in out and "ci" not in json.loads(out)["layers"]["attributions"]["f1"]


# Item 11: eval run without --out writes to evals/runs/<dataset>-<model>-<date> and says where.


def test_eval_run_without_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import datetime

    monkeypatch.chdir(tmp_path)
    code, _, err = run("eval", "run", "--dataset", "seed", "--model", "baseline")
    assert code == 0, err
    first = Path("evals/runs") / f"seed-baseline-{datetime.date.today().isoformat()}"
    assert (first / "run.json").exists() and f"run written to {first}" in err
    assert "1 document from" in err and "1 documents" not in err
    # A second run never lands in the first one's folder.
    code, _, err = run("eval", "run", "--dataset", "seed", "--model", "baseline")
    assert code == 0 and (Path(f"{first}-2") / "run.json").exists() and f"run written to {first}-2" in err


def test_default_run_dir_is_one_folder_per_run(tmp_path: Path) -> None:
    import datetime

    from claimx.cli.eval_cmd import default_run_dir

    folder = default_run_dir("polnear-dev", "openai/gpt-4.1-mini", tmp_path)
    assert folder == tmp_path / f"polnear-dev-openai-gpt-4.1-mini-{datetime.date.today().isoformat()}"
    assert default_run_dir("x", "local:/m/q.gguf", tmp_path).parent == tmp_path


# Item 13: the missing-key message names what each interface takes.


def test_missing_key_message_fits_the_interface(seed_text: str) -> None:
    with pytest.raises(claimx.ConfigError) as caught:
        claimx.extract(seed_text, model="openai/gpt-4.1-mini")
    python = str(caught.value)
    assert "OPENAI_API_KEY" in python and "api_key=" in python and "base_url=" in python
    assert "--" not in python
    assert 'model="offline"' in python and "baseline" not in python  # the default, and stronger
    code, _, err = run("extract", str(SEED), "-m", "openai/gpt-4.1-mini")
    assert code == 2 and "OPENAI_API_KEY" in err and "--base-url" in err
    assert "--model offline" in err and "baseline" not in err
    assert "api_key=" not in err and "base_url=" not in err
    code, _, err = run("extract", str(SEED), "-m", "nonsense")
    assert code == 2 and "--base-url" in err and "base_url=" not in err
    assert "(offline, baseline)" in err  # the stronger no-LLM extractor named first
    with pytest.raises(claimx.ConfigError, match="base_url="):
        claimx.extract(seed_text, model="nonsense")


# Item 14: plurals, flags without <bool>, the semantic extra named, help examples users can run.


def _all_helps() -> dict[str, str]:
    helps = {}
    for path in ([], ["extract"], ["view"], ["eval"], ["eval", "run"], ["eval", "score"], ["eval", "compare"],
                 ["eval", "report"], ["prompts"], ["prompts", "list"], ["prompts", "show"], ["cache"],
                 ["cache", "list"], ["cache", "show"], ["cache", "clear"]):  # fmt: skip
        result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert result.exit_code == 0, path
        helps[" ".join(path)] = result.stdout
    return helps


def test_help_pages_read_well() -> None:
    helps = _all_helps()
    for name, text in helps.items():
        assert "<bool>" not in text, name
        assert "../shared" not in text and "polnear" not in text, name  # paths users do not have
    assert "semantic (needs claimx[semantic])" in " ".join(helps["eval run"].split())
    assert "--resume" in helps["extract"] and "--debug" in helps["extract"]  # the flags are still listed


def test_counts_read_as_english(tmp_path: Path) -> None:
    single = tmp_path / "one.jsonl"
    single.write_text(json.dumps({"id": "a", "text": SEED.read_text(encoding="utf-8")}) + "\n")
    out = tmp_path / "r.jsonl"
    code, _, err = run("extract", str(single), "-m", "baseline", "-o", str(out))
    assert code == 0, err
    assert "1 extracted, 0 failed, 0 model requests, 0 documents from cache" in err
    assert "(s)" not in err and "1 documents" not in err
    code, _, err = run("view", str(out), "-o", str(tmp_path / "p.html"))
    assert code == 0 and "statements)" in err and "(s)" not in err


# Item 15: --resume says what it keeps, what it retries and how many new documents it will run.


def test_resume_counts_the_new_documents(tmp_path: Path) -> None:
    text = SEED.read_text(encoding="utf-8")
    inputs = tmp_path / "in.jsonl"
    inputs.write_text("".join(json.dumps({"id": f"d{i}", "text": text}) + "\n" for i in range(2)))
    out = tmp_path / "r.jsonl"
    assert run("extract", str(inputs), "-m", "baseline", "-o", str(out))[0] == 0
    inputs.write_text("".join(json.dumps({"id": f"d{i}", "text": text}) + "\n" for i in range(5)))
    code, _, err = run("extract", str(inputs), "-m", "baseline", "-o", str(out), "--resume")
    assert code == 0, err
    assert "2 documents already done and kept; 3 new to run" in err
    assert len(out.read_text().splitlines()) == 5


# Item 16: dir(claimx) is the public API.


def test_dir_is_the_public_api() -> None:
    shown = [name for name in dir(claimx) if not name.startswith("__")]
    assert set(shown) == set(claimx.__all__) - {"__version__"}
    assert not {"Any", "annotations", "run_sync", "batch", "schema"} & set(dir(claimx))
    for name in claimx.__all__:
        assert hasattr(claimx, name), name


@pytest.mark.parametrize("spec", ["local", "local:/nowhere/model.gguf"])
def test_local_without_its_extra_is_one_error_line_before_anything_else(spec: str) -> None:
    # As where `pip install claimx` left the extra out: llama_cpp cannot be imported.
    script = (
        "import sys; sys.modules['llama_cpp'] = None; from claimx.cli import run; "
        f"sys.argv = ['claimx', 'extract', {str(SEED)!r}, '-m', {spec!r}]; run()"
    )
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, timeout=120)
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2, err
    want = "claimx: error: local models need llama.cpp, which is not installed: pip install 'claimx[local]'"
    assert err.splitlines() == [want]


def test_local_with_a_missing_gguf_is_one_error_line(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "claimx", "extract", str(SEED), "-m", f"local:{tmp_path / 'no.gguf'}"],
        capture_output=True,
        timeout=120,
    )
    err = proc.stderr.decode().strip()
    assert proc.returncode == 2 and err.splitlines() == [
        f"claimx: error: no GGUF file at {tmp_path / 'no.gguf'}"
    ]
