"""Whether llama.cpp's extra CPU buffer types (AMX, repacking) are safe on this machine.

ggml routes matrix products through "extra buffer types" where the CPU has them: repacked
weights for AVX2/AVX-512 and ARM, AMX tiles on recent Xeons. They are faster, and on some
CPUs they crash (``ggml_backend_amx_mul_mat`` segfaults on some AMX Xeons). claimx tries
them once per machine (CPU model and flags) and llama.cpp version, in a child process with
a tiny generation; the outcome is recorded in ``llama_cpu.json`` of the cache folder and
every later load follows it, so a machine where they work keeps the fast path and one where
they crash never crashes again.

``CLAIMX_LLAMA_EXTRA_BUFFER_TYPES=on|off`` overrides the record.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import platform
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from claimx.atomic import atomic_replace
from claimx.cache import default_cache_dir
from claimx.errors import ConfigError
from claimx.models.llama_worker import LlamaWorker, NativeCrashError, WorkerSettings

__all__ = [
    "OVERRIDE_ENV",
    "Verdict",
    "decide",
    "machine_key",
    "override",
    "recall",
    "record",
    "record_path",
    "remember_crash",
    "start_worker",
]

log = logging.getLogger(__name__)
OVERRIDE_ENV = "CLAIMX_LLAMA_EXTRA_BUFFER_TYPES"
_FORMAT = 1


@dataclass(frozen=True)
class Verdict:
    """What was found about the extra buffer types on one machine with one llama.cpp."""

    extra_buffer_types: bool
    detail: str
    recorded_at: str


def llama_cpp_version() -> str:
    """The installed llama-cpp-python (and so llama.cpp) version, read without loading it."""
    try:
        return metadata.version("llama_cpp_python")
    except metadata.PackageNotFoundError as exc:
        raise ConfigError(
            "the embedded model needs llama.cpp, which is not installed: pip install 'claimx[local]'"
        ) from exc


def _cpu() -> tuple[str, str]:
    """The CPU's model name and its feature flags (Linux: /proc/cpuinfo), as far as they are known."""
    name, flags = "", ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "model name" and not name:
                name = value.strip()
            elif key in ("flags", "Features") and not flags:
                flags = " ".join(sorted(value.split()))
            if name and flags:
                break
    return name or platform.processor() or platform.machine(), flags


def machine_key() -> str:
    """The CPU (model and flags) and llama.cpp version of this machine, as one short key."""
    name, flags = _cpu()
    digest = hashlib.sha256(f"{platform.machine()}|{name}|{flags}".encode()).hexdigest()[:16]
    return f"{name} [{digest}] llama-cpp-python {llama_cpp_version()}"


def record_path() -> Path:
    """Where verdicts are kept: ``llama_cpu.json`` in the cache folder."""
    return default_cache_dir() / "llama_cpu.json"


def _read() -> dict[str, Any]:
    try:
        data = json.loads(record_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("format") != _FORMAT:
        return {}
    if not isinstance(data.get("machines"), dict):
        return {}
    machines: dict[str, Any] = data["machines"]
    return machines


def recall(key: str) -> Verdict | None:
    """The recorded verdict for this machine and llama.cpp, if there is one."""
    entry = _read().get(key)
    if not isinstance(entry, dict) or not isinstance(entry.get("extra_buffer_types"), bool):
        return None
    detail, recorded_at = str(entry.get("detail", "")), str(entry.get("recorded_at", ""))
    return Verdict(entry["extra_buffer_types"], detail, recorded_at)


def record(key: str, extra_buffer_types: bool, detail: str) -> Verdict:
    """Keep a verdict (replacing the file at once; other machines' entries stay)."""
    verdict = Verdict(extra_buffer_types, detail, datetime.now(UTC).isoformat(timespec="seconds"))
    machines = _read()
    machines[key] = {
        "extra_buffer_types": verdict.extra_buffer_types,
        "detail": verdict.detail,
        "recorded_at": verdict.recorded_at,
    }
    payload = json.dumps({"format": _FORMAT, "machines": machines}, indent=2, sort_keys=True)
    try:
        with atomic_replace(record_path()) as handle:
            handle.write(payload.encode("utf-8") + b"\n")
    except OSError as exc:  # a read-only cache folder costs a probe per process, nothing more
        log.warning("could not record llama.cpp's CPU verdict in %s: %s", record_path(), exc)
    return verdict


def override() -> bool | None:
    """``CLAIMX_LLAMA_EXTRA_BUFFER_TYPES`` as a decision, or None when unset."""
    value = os.environ.get(OVERRIDE_ENV, "").strip().lower()
    if not value or value == "auto":
        return None
    if value in ("on", "1", "true", "yes"):
        return True
    if value in ("off", "0", "false", "no"):
        return False
    raise ConfigError(f"{OVERRIDE_ENV} must be on, off or auto, not {value!r}")


def start_worker(settings: WorkerSettings, choice: bool | None = None) -> LlamaWorker:
    """A worker for ``settings``, with the extra buffer types this machine can take.

    ``choice`` (or ``CLAIMX_LLAMA_EXTRA_BUFFER_TYPES``) decides when given. Otherwise the
    record does; with no record yet, the worker starts with them on and runs a tiny
    generation first (the probe): if that crashes, the crash is recorded and a worker without
    them is started, so the caller never sees it.
    """
    decided = choice if choice is not None else override()
    key = machine_key()
    if decided is None:
        verdict = recall(key)
        decided = verdict.extra_buffer_types if verdict else None
    if decided is not None:
        return LlamaWorker(replace(settings, extra_buffer_types=decided, probe=False))
    try:
        worker = LlamaWorker(replace(settings, extra_buffer_types=True, probe=True))
    except NativeCrashError as crash:
        remember_crash(key, crash)
        return LlamaWorker(replace(settings, extra_buffer_types=False, probe=False))
    record(key, True, f"a test generation ran with them on ({Path(settings.path).name})")
    return worker


def remember_crash(key: str, crash: NativeCrashError) -> None:
    """Record that llama.cpp crashed with the extra buffer types on, and say so once."""
    detail = f"llama.cpp crashed with them on ({crash.signal_name or 'abnormal exit'} during {crash.phase})"
    record(key, False, detail)
    log.warning(
        "llama.cpp crashed on this CPU with its extra buffer types (AMX, repacking) on; claimx "
        "recorded it in %s and loads models without them from now on (slower, safe)",
        record_path(),
    )


def decide(settings: WorkerSettings) -> Verdict:
    """The verdict for this machine, probing in a throw-away worker if none is recorded yet."""
    choice = override()
    if choice is not None:
        return Verdict(choice, f"set by {OVERRIDE_ENV}", "")
    key = machine_key()
    known = recall(key)
    if known is not None:
        return known
    worker = start_worker(settings)
    extra = worker.extra_buffer_types
    worker.close()
    found = recall(key)
    if found is None or found.extra_buffer_types != extra:  # the record could not be written
        return Verdict(extra, "probed in this run", "")
    return found
