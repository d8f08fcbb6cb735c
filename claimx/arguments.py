"""The arguments that build an extractor, as the one-call and batch functions take them.

``claimx.extract``, ``claimx.aextract``, ``claimx.extract_many`` and ``claimx.aextract_many``
each write out the same fourteen keyword arguments, so an editor and ``help()`` show them all.
What they do with them is one thing, done here once: each public function hands its arguments
over as an :class:`ExtractorArguments` (``ExtractorArguments.of(locals())``, whose fields are
the arguments' names; a test holds every signature to them), and this object builds the
extractor, names the options given and says what tunes the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Self

from claimx.cache import ResponseCache
from claimx.extract import ExtractOptions, Extractor, model_options_of
from claimx.models.base import Model, RetryPolicy
from claimx.prompts import Prompt

__all__ = ["ExtractorArguments"]


@dataclass(frozen=True)
class ExtractorArguments:
    """The keyword arguments of the public extraction functions that shape their extractor."""

    model: Model | str | None = None
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)  # (never in a repr, a log, an error)
    prompt: Prompt | str | None = None
    html: bool = False
    cache: ResponseCache | bool = True
    options: ExtractOptions | None = None
    timeout_s: float | None = None
    temperature: float | None = None
    seed: int | None = None
    max_output_tokens: int | None = None
    structured_output: str | None = None
    retry: RetryPolicy | None = None
    model_options: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, call: Mapping[str, Any]) -> Self:
        """The arguments among a call's ``locals()`` (the public function's own parameters)."""
        return cls(**{f.name: call[f.name] for f in dataclasses.fields(cls)})

    def tuned(self) -> dict[str, Any]:
        """The model's options: ``model_options`` with the named ones that were given."""
        return model_options_of(
            self.model_options,
            timeout_s=self.timeout_s,
            temperature=self.temperature,
            seed=self.seed,
            max_output_tokens=self.max_output_tokens,
            structured_output=self.structured_output,
            retry=self.retry,
        )

    def extract_options(self, concurrency: int | None = None) -> ExtractOptions:
        """The extraction's options, with ``html`` and a batch's ``concurrency`` applied."""
        chosen = self.options or ExtractOptions()
        if concurrency is not None:  # a batch's width is also its extractor's limit on calls
            chosen = dataclasses.replace(chosen, concurrency=concurrency)
        if self.html and not chosen.html:
            chosen = dataclasses.replace(chosen, html=True)
        return chosen

    def given(self) -> list[str]:
        """The names of the arguments given a value of their own (not left at their default)."""
        defaults = ExtractorArguments()
        named = [
            f.name
            for f in dataclasses.fields(self)
            if f.name != "model_options" and getattr(self, f.name) != getattr(defaults, f.name)
        ]
        return sorted({*named, *(self.model_options or {})})

    def build(self, concurrency: int | None = None) -> Extractor:
        """A new extractor for these arguments (the caller closes it)."""
        return Extractor(
            self.model,
            prompt=self.prompt,
            cache=self.cache,
            options=self.extract_options(concurrency),
            base_url=self.base_url,
            api_key=self.api_key,
            model_options=self.tuned(),
        )
