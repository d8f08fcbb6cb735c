"""Model names as users write them → :class:`~claimx.models.base.Model` instances.

``openai/<name>``
    OpenAI, or any OpenAI-compatible server with ``base_url`` (or ``$OPENAI_BASE_URL``).
``ollama/<name>``
    Ollama's OpenAI-compatible endpoint (``http://localhost:11434/v1`` unless given).
``local``
    The bundled demonstration GGUF, in process.
``local:/path/model.gguf``
    Any GGUF file, in process.
``offline``, ``baseline`` (every name in :mod:`claimx.rules`)
    A no-LLM extractor: a trained tagger and rules (``offline``), or rules alone.
A bare ``<name>`` is accepted when a ``base_url`` says where it lives.

With no name: ``$CLAIMX_MODEL``, else ``openai/gpt-4.1-mini`` when
``OPENAI_API_KEY`` is set, else ``offline`` (fast, and needs nothing installed; the
embedded LLM is an explicit choice, ``local``).

Providers are plugins: the part before ``/`` (or ``:``) names an entry point of
the group ``claimx.models``, whose object is a :class:`Provider` (a function
building the model from its name, base URL, key and options). claimx's own
providers are registered the same way (``pyproject.toml``), so a package such
as ``claimx-anthropic`` adds ``anthropic/…`` without touching claimx::

    [project.entry-points."claimx.models"]
    anthropic = "claimx_anthropic:build"

Each provider checks its options against a typed model that rejects unknown
keys (:func:`check_options`): ``temprature=0.9`` is an error naming the valid
options, never a silent default.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from claimx import rules
from claimx.errors import ConfigError
from claimx.models.base import Model, RetryPolicy

__all__ = [
    "DEFAULT_OPENAI_MODEL",
    "ENTRY_POINT_GROUP",
    "OFFLINE_MODEL",
    "LocalOptions",
    "OpenAIOptions",
    "Provider",
    "check_options",
    "default_model_spec",
    "providers",
    "resolve_model",
]

DEFAULT_OPENAI_MODEL = "openai/gpt-4.1-mini"
#: The default without a key: no language model, nothing to download or compile.
OFFLINE_MODEL = "offline"
OLLAMA_URL = "http://localhost:11434/v1"
ENTRY_POINT_GROUP = "claimx.models"


def default_model_spec() -> tuple[str, str]:
    """The model to use when none is named, and why it was chosen."""
    env = os.environ.get("CLAIMX_MODEL")
    if env:
        return env, "from CLAIMX_MODEL"
    if os.environ.get("OPENAI_API_KEY"):
        return DEFAULT_OPENAI_MODEL, "OPENAI_API_KEY is set"
    return OFFLINE_MODEL, "no --model, no CLAIMX_MODEL and no OPENAI_API_KEY"


class Provider(Protocol):
    """What an entry point of ``claimx.models`` provides: a function that builds the model."""

    def __call__(
        self, name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
    ) -> Model:
        """The model ``name`` (what follows ``provider/``), checking ``options`` (see check_options)."""
        ...


# ----------------------------------------------------------------- options


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenAIOptions(_Options):
    """Options of ``openai/…`` and ``ollama/…`` models (unset: the defaults of ``OpenAIConfig``)."""

    structured_output: Literal["auto", "json_schema", "json_object", "json", "tools", "md_json"] | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    seed: int | None = None
    max_output_tokens: int | None = Field(default=None, gt=0)
    max_output_tokens_ceiling: int | None = Field(default=None, gt=0)
    context_tokens: int | None = Field(default=None, gt=0)
    retry: RetryPolicy | None = None
    max_reply_bytes: int | None = Field(default=None, gt=0)


class LocalOptions(_Options):
    """Options of ``local`` and ``local:/path.gguf`` models (unset: the defaults of ``LocalConfig``)."""

    n_ctx: int | None = Field(default=None, gt=0)
    n_threads: int | None = Field(default=None, gt=0)
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    repeat_penalty: float | None = Field(default=None, gt=0)
    seed: int | None = None
    max_output_tokens: int | None = Field(default=None, gt=0)
    chat_format: str | None = None
    retry: RetryPolicy | None = None


OptionsT = TypeVar("OptionsT", bound=BaseModel)


def check_options(schema: type[OptionsT], options: Mapping[str, Any], provider: str) -> OptionsT:
    """``options`` validated by ``schema``; an unknown key or a bad value is a :class:`ConfigError`.

    The message names the valid options (and the closest one to a misspelt key), so a typo
    never runs silently with a default. Options given as None count as not given.
    """
    given = {key: value for key, value in options.items() if value is not None}
    valid = sorted(schema.model_fields)
    unknown = sorted(set(given) - set(valid))
    if unknown:
        hints = [
            f"{key!r} (did you mean {close[0]!r}?)"
            if (close := difflib.get_close_matches(key, valid, 1))
            else repr(key)
            for key in unknown
        ]
        raise ConfigError(
            f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(hints)} for {provider} models; "
            f"valid options: {', '.join(valid)}"
        )
    try:
        return schema.model_validate(given)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in error['loc'])}: {error['msg']}" for error in exc.errors()[:3]
        )
        raise ConfigError(f"bad option for {provider} models: {problems}") from exc


# ----------------------------------------------------------------- built-in providers


def build_openai(
    name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
) -> Model:
    """``openai/<name>``: OpenAI, or any OpenAI-compatible server at ``base_url``."""
    base_url = base_url or os.environ.get("OPENAI_BASE_URL") or None  # as the OpenAI SDK itself honours it
    return _openai_compatible("openai", name, base_url=base_url, api_key=api_key, options=options)


def build_ollama(
    name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
) -> Model:
    """``ollama/<name>``: Ollama's OpenAI-compatible endpoint."""
    return _openai_compatible(
        "ollama", name, base_url=base_url or OLLAMA_URL, api_key=api_key, options=options
    )


def _openai_compatible(
    provider: str, name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
) -> Model:
    """The OpenAI client for ``provider/name`` at ``base_url``, its options checked."""
    from claimx.models.openai import OpenAIConfig, OpenAIModel, StructuredOutput

    checked = check_options(OpenAIOptions, options, provider)
    settings: dict[str, Any] = checked.model_dump(exclude_none=True)
    if "structured_output" in settings:
        settings["structured_output"] = StructuredOutput(settings["structured_output"])
    if checked.retry is not None:
        settings["retry"] = checked.retry
    return OpenAIModel(
        OpenAIConfig(model=name, base_url=base_url, **settings), api_key=api_key, provider=provider
    )


def build_local(name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]) -> Model:
    """``local`` (the bundled GGUF) or ``local:/path/model.gguf``, in process."""
    from claimx.models.local import LocalConfig, LocalModel, require_installed

    checked = check_options(LocalOptions, options, "local")
    require_installed(bundled=not name)  # before anything is said about the model or read
    if name and not Path(name).expanduser().is_file():
        raise ConfigError(f"no GGUF file at {Path(name).expanduser()}")
    settings: dict[str, Any] = checked.model_dump(exclude_none=True)
    if checked.retry is not None:
        settings["retry"] = checked.retry
    return LocalModel(LocalConfig(path=Path(name) if name else None, **settings))


#: claimx's own providers, also registered as entry points; used as they are when the installed
#: metadata predates the entry points (an editable install made before they existed).
_BUILT_IN: dict[str, Provider] = {"openai": build_openai, "ollama": build_ollama, "local": build_local}


def providers() -> dict[str, Provider]:
    """Every provider name claimx knows: its own and those installed packages register."""
    found: dict[str, Provider] = dict(_BUILT_IN)
    for point in entry_points(group=ENTRY_POINT_GROUP):
        if point.name in found and point.value.startswith("claimx."):
            continue  # our own, already here
        found[point.name] = _Deferred(point.name, point.value)
    return found


class _Deferred:
    """An entry point loaded when its provider is asked for, not when providers are listed."""

    def __init__(self, name: str, value: str) -> None:
        self.name = name
        self.value = value

    def __call__(
        self, name: str, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any]
    ) -> Model:
        (point,) = [p for p in entry_points(group=ENTRY_POINT_GROUP, name=self.name) if p.value == self.value]
        try:
            build = point.load()
        except Exception as exc:  # a plugin that fails to import: say which one, and why
            why = f"{type(exc).__name__}: {exc}"
            raise ConfigError(
                f"the model provider {self.name!r} ({self.value}) could not be loaded: {why}"
            ) from exc
        model: Model = build(name, base_url=base_url, api_key=api_key, options=options)
        if not isinstance(model, Model):
            raise ConfigError(
                f"the model provider {self.name!r} returned {type(model).__name__}, not a Model"
            )
        return model


def _split(spec: str, base_url: str | None) -> tuple[str, str]:
    """``provider/name`` (or ``local[:path]``) → (provider, name)."""
    if spec == "local" or spec.startswith("local:"):
        return "local", spec.partition(":")[2].strip()
    provider, sep, name = spec.partition("/")
    if sep:
        return provider, name
    if base_url is None:
        choices = (
            f"ollama/<name>, local, local:/path/to/model.gguf or an extractor without a language "
            f"model ({', '.join(rules.names())})"
        )
        raise ConfigError(
            f"unknown model {spec!r}: write openai/<name> (with base_url=... for servers other "
            f"than OpenAI), {choices}",
            cli_message=f"unknown model {spec!r}: write openai/<name> (with --base-url for servers "
            f"other than OpenAI), {choices}",
        )
    return "openai", spec


def _refuse_settings_for(
    model: Model, *, base_url: str | None, api_key: str | None, options: Mapping[str, Any] | None
) -> None:
    """Raise when settings that only a model built from a name could take come with a built one."""
    given = sorted(key for key, value in (options or {}).items() if value is not None)
    given += [name for name, value in (("base_url", base_url), ("api_key", api_key)) if value is not None]
    if given:
        raise ConfigError(
            f"{', '.join(given)} cannot apply to {model.id}: that model is already built, with its "
            "own settings; configure it where it is built, or pass its name (provider/name) instead"
        )


def resolve_model(
    spec: str | Model | None = None,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    options: Mapping[str, Any] | None = None,
) -> Model:
    """Build the model a spec names. ``options`` tune it (timeout_s, temperature, n_ctx, …).

    A :class:`Model` instance is returned as it is; it was configured where it was built, so
    options, a base URL or a key given beside it are a :class:`ConfigError` (dropping them
    would run ``temperature=0.9`` at the model's own temperature without a word).
    """
    if isinstance(spec, Model):
        _refuse_settings_for(spec, base_url=base_url, api_key=api_key, options=options)
        return spec
    spec = (spec or default_model_spec()[0]).strip()
    no_llm = rules.get(spec)
    if no_llm is not None:
        from claimx.models.rules import RulesModel

        return RulesModel(no_llm, dict(options or {}))
    provider, name = _split(spec, base_url)
    known = providers()
    build = known.get(provider)
    if build is None:
        raise ConfigError(
            f"unknown provider {provider!r} in {spec!r}: claimx knows {', '.join(sorted(known))} "
            f"(others come as packages registering a {ENTRY_POINT_GROUP!r} entry point)"
        )
    if not name and provider != "local":
        raise ConfigError(f"model name missing in {spec!r}")
    return build(name, base_url=base_url, api_key=api_key, options=options or {})
