"""How a sample gets its prediction: the model through the Extractor, or a reference extractor.

- ``gold``: the gold labels themselves; every metric must come out exactly 1.0
  (the harness's own sanity check);
- ``oracle`` and ``oracle:noisy[?seed=N&rate=R]``: the gold written as a model's
  answer and served over HTTP, through the whole pipeline (:mod:`claimx.evaluate.oracle`):
  the pipeline's ceiling, and what it makes of a model's slips;
- anything else: a model spec for :class:`claimx.extract.Extractor`, with the
  response cache on, so a rerun with the same prompt and model costs nothing;
  that includes the extractors without a language model of :mod:`claimx.rules`
  (``baseline``, the floor to beat), which the extractor runs like any model.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import Field

from claimx.cache import ResponseCache
from claimx.evaluate.sample import Sample, gold_extraction
from claimx.extract import ExtractOptions, Extractor
from claimx.models.rules import RulesModel
from claimx.pricing import PriceTable
from claimx.schema import Extraction, Provenance

__all__ = [
    "Description",
    "GoldPredictor",
    "ModelPredictor",
    "Predictor",
    "make_predictor",
]


class Description(Provenance):
    """A predictor's provenance, and the parameters it runs with (what a run's header records)."""

    parameters: dict[str, Any] = Field(default_factory=dict)


class Predictor(Protocol):
    """Produces an Extraction for a sample."""

    description: Description

    async def predict(self, sample: Sample) -> Extraction:
        """The prediction for ``sample`` (raises ClaimxError when it cannot be had)."""
        ...

    async def aclose(self) -> None:
        """Release connections and caches."""
        ...


class GoldPredictor:
    """Serves the gold labels as the prediction."""

    def __init__(self) -> None:
        self.description = Description(model="gold", provider="claimx", prompt_id="gold")

    async def predict(self, sample: Sample) -> Extraction:
        """The sample's gold, as an Extraction."""
        return gold_extraction(sample)

    async def aclose(self) -> None:
        """Nothing to release."""


class ModelPredictor:
    """A language model through :class:`claimx.extract.Extractor`."""

    def __init__(self, extractor: Extractor, parameters: dict[str, Any]) -> None:
        self.extractor = extractor
        self.description = Description(**dict(extractor.provenance), parameters=parameters)

    async def predict(self, sample: Sample) -> Extraction:
        """The model's extraction of the sample's text."""
        return await self.extractor.aextract(sample.text, doc_id=sample.id)

    async def aclose(self) -> None:
        """Close the model's connections and the cache."""
        await self.extractor.aclose()


def make_predictor(
    model: str,
    *,
    prompt: str | None = None,
    base_url: str | None = None,
    cache: ResponseCache | bool = True,
    model_options: dict[str, Any] | None = None,
    concurrency: int = 4,
    prices: PriceTable | None = None,
) -> Predictor:
    """The predictor for a ``--model`` value: ``gold``, ``oracle…``, or anything the extractor runs."""
    if model == "gold":
        return GoldPredictor()
    from claimx.evaluate.oracle import OraclePredictor, is_oracle  # (it builds on this module)

    if is_oracle(model):
        return OraclePredictor(model, prompt=prompt, concurrency=concurrency)
    options = {k: v for k, v in (model_options or {}).items() if v is not None}
    extractor = Extractor(
        model,
        prompt=prompt,
        cache=cache,
        base_url=base_url,
        options=ExtractOptions(include_text=False, concurrency=concurrency),
        model_options=options,
        prices=prices,
    )
    if isinstance(extractor.model, RulesModel):  # rules: no parameters, no cache, no prompt
        return ModelPredictor(extractor, {})
    identity = {k: v for k, v in extractor.model.cache_identity().items() if k not in ("provider", "model")}
    parameters: dict[str, Any] = {
        **identity,
        "max_output_tokens": extractor.model.max_output_tokens,
        "cache": cache is not False,
        "concurrency": concurrency,
        **options,
    }
    parameters.pop("api_key", None)
    return ModelPredictor(extractor, parameters)
