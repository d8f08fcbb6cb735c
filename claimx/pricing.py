"""What model calls cost: a table of prices per million tokens, and the cost of a usage.

claimx's cost is the model's tokens, so every result's :class:`~claimx.schema.Usage`
carries its price in US dollars, computed here from the tokens the server reported
and a price table: the built-in one below, extended or overridden by a file
(``--prices FILE``, or ``$CLAIMX_PRICES``; JSON or TOML). A model the table does not
know (a self-hosted one, a new one) has no price, and its cost is ``None``: never a
guess. Give it a price in the file (``0`` for a server you run yourself) to count it.

Nothing here talks to a provider: prices are data, and the estimates of a job's cost
before it runs (:func:`estimate_request_cost`) read only the request bodies.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from claimx.capped import read_capped
from claimx.chunking import estimate_tokens
from claimx.errors import ConfigError
from claimx.schema import Usage

__all__ = [
    "BATCH_DISCOUNT",
    "BUILTIN_PRICES",
    "PRICES_ENV",
    "PRICES_SOURCE",
    "CostEstimate",
    "Price",
    "PriceTable",
    "default_prices",
    "estimate_request_cost",
    "format_usd",
    "load_prices",
]

#: The environment variable naming a prices file (JSON or TOML) that extends the built-in table.
PRICES_ENV = "CLAIMX_PRICES"
#: A provider's Batch API bills half the price of the same calls made in real time.
BATCH_DISCOUNT = 0.5
#: Where the built-in figures come from, and when they were read.
PRICES_SOURCE = "https://openai.com/api/pricing (standard tier), as published in August 2025"


class Price(BaseModel):
    """A model's price in US dollars per million tokens.

    ``cached_input`` is the price of prompt tokens the provider served from its prompt
    cache (OpenAI bills them at a fraction); when absent they cost as much as ``input``.
    """

    # Finite: ``inf`` (TOML) or ``"1e400"`` made every cost NaN, which compares as within any
    # --max-cost, so a run "within" its limit stopped at once having done nothing.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    input: float = Field(ge=0, description="USD per million prompt tokens.")
    output: float = Field(ge=0, description="USD per million completion tokens.")
    cached_input: float | None = Field(
        default=None, ge=0, description="USD per million prompt tokens read from the provider's cache."
    )

    def cost(self, usage: Usage, *, batch: bool = False) -> float:
        """The dollars ``usage`` cost at this price (half with ``batch``, the Batch API's discount)."""
        cached = min(usage.cached_prompt_tokens, usage.prompt_tokens)
        cached_rate = self.input if self.cached_input is None else self.cached_input
        dollars = (
            (usage.prompt_tokens - cached) * self.input
            + cached * cached_rate
            + usage.completion_tokens * self.output
        ) / 1_000_000
        return round(dollars * (BATCH_DISCOUNT if batch else 1.0), 8)


# The built-in prices (USD per million tokens), from PRICES_SOURCE. Providers change them:
# check before relying on a figure, and override with a prices file (see load_prices).
# A dated snapshot (gpt-4o-mini-2024-07-18) costs what its model does unless listed itself.
BUILTIN_PRICES: dict[str, Price] = {
    "gpt-4o": Price(input=2.50, cached_input=1.25, output=10.00),
    "gpt-4o-2024-05-13": Price(input=5.00, output=15.00),
    "gpt-4o-mini": Price(input=0.15, cached_input=0.075, output=0.60),
    "gpt-4.1": Price(input=2.00, cached_input=0.50, output=8.00),
    "gpt-4.1-mini": Price(input=0.40, cached_input=0.10, output=1.60),
    "gpt-4.1-nano": Price(input=0.10, cached_input=0.025, output=0.40),
    "gpt-5": Price(input=1.25, cached_input=0.125, output=10.00),
    "gpt-5-mini": Price(input=0.25, cached_input=0.025, output=2.00),
    "gpt-5-nano": Price(input=0.05, cached_input=0.005, output=0.40),
    "o1": Price(input=15.00, cached_input=7.50, output=60.00),
    "o1-mini": Price(input=1.10, cached_input=0.55, output=4.40),
    "o3": Price(input=2.00, cached_input=0.50, output=8.00),
    "o3-mini": Price(input=1.10, cached_input=0.55, output=4.40),
    "o4-mini": Price(input=1.10, cached_input=0.275, output=4.40),
    "gpt-4-turbo": Price(input=10.00, output=30.00),
    "gpt-3.5-turbo": Price(input=0.50, output=1.50),
}

#: The date OpenAI appends to a snapshot's name (``gpt-4o-mini-2024-07-18``).
_SNAPSHOT = re.compile(r"-\d{4}-\d{2}-\d{2}$")


class _PricesFile(RootModel[dict[str, Price]]):
    """A prices file: model name → ``{"input": …, "output": …, "cached_input": …}``."""


class PriceTable:
    """Prices by model name, and the lookup that finds a model's among them.

    A model is found by its full id (``openai/gpt-4o-mini``, ``ollama/llama3.1``), then, for
    OpenAI-style ids only, by its bare name (``gpt-4o-mini``) and that name without a snapshot
    date. Another provider's model is never priced as an OpenAI one of the same name.
    """

    def __init__(self, prices: Mapping[str, Price] | None = None, *, source: str = "built-in") -> None:
        self.prices: dict[str, Price] = dict(BUILTIN_PRICES if prices is None else prices)
        self.source = source

    def with_overrides(self, overrides: Mapping[str, Price], source: str) -> PriceTable:
        """A copy of this table with ``overrides`` added (a model in both takes the override)."""
        return PriceTable({**self.prices, **overrides}, source=f"{self.source} + {source}")

    def for_batch(self) -> PriceTable:
        """The same table at the Batch API's price (every figure times :data:`BATCH_DISCOUNT`).

        For an extractor that grounds a batch's answers (``Extractor(prices=table.for_batch())``):
        the usage it prices then came from the batch, and costs half.
        """
        halved = {
            name: Price(
                input=price.input * BATCH_DISCOUNT,
                output=price.output * BATCH_DISCOUNT,
                cached_input=None if price.cached_input is None else price.cached_input * BATCH_DISCOUNT,
            )
            for name, price in self.prices.items()
        }
        return PriceTable(halved, source=f"{self.source}, at the batch discount")

    def price_for(self, model_id: str) -> Price | None:
        """The price of ``model_id``, or None when the table does not know it."""
        for name in _candidates(model_id):
            if name in self.prices:
                return self.prices[name]
        return None

    def cost(self, model_id: str, usage: Usage, *, batch: bool = False) -> float | None:
        """What ``usage`` of ``model_id`` cost, or None when its price is unknown."""
        price = self.price_for(model_id)
        return None if price is None else price.cost(usage, batch=batch)

    def __repr__(self) -> str:
        return f"<PriceTable {len(self.prices)} models from {self.source}>"


#: The providers whose prefix a model id may carry; any other first part belongs to the name.
_PROVIDERS = frozenset({"openai", "ollama", "local"})


def _candidates(model_id: str) -> list[str]:
    names = [model_id]
    provider, _, bare = model_id.partition("/")
    if not bare or provider not in _PROVIDERS:
        # A bare name, as in a batch request body ("my-vllm", "Qwen/Qwen2.5-7B-Instruct"), or
        # a plugin's provider: a prices file names it as --model does ("openai/my-vllm").
        bare, provider = model_id, "openai"
        names.append(f"openai/{bare}")
    if provider == "openai":
        names += [bare, _SNAPSHOT.sub("", bare)]
    return names


#: A prices table is a few lines per model; anything this large is another file.
MAX_PRICES_BYTES = 16 * 1024 * 1024


def load_prices(path: Path | str) -> dict[str, Price]:
    """The prices in a JSON or TOML file (by its extension; JSON otherwise), validated.

    The file maps model names to prices in USD per million tokens::

        {"gpt-4o-mini": {"input": 0.15, "output": 0.60, "cached_input": 0.075},
         "openai/my-vllm-model": {"input": 0, "output": 0}}

    Raises :class:`ConfigError` naming the file and what is wrong with it.
    """
    path = Path(path)
    try:
        raw = read_capped(path, MAX_PRICES_BYTES)  # (`--prices /dev/zero` ran out of memory)
    except OSError as exc:
        raise ConfigError(f"cannot read the prices file {path}: {exc.strerror or exc}") from exc
    if raw is None:
        raise ConfigError(
            f"the prices file {path} is over {MAX_PRICES_BYTES // (1024 * 1024)} MB: not a prices table "
            "(a device or another file named by mistake?)"
        )
    try:
        data: Any = tomllib.loads(raw.decode("utf-8")) if path.suffix.lower() == ".toml" else json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        kind = "TOML" if path.suffix.lower() == ".toml" else "JSON"
        raise ConfigError(f"the prices file {path} is not valid {kind}: {exc}") from exc
    try:
        return _PricesFile.model_validate(data).root
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'the file'}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(
            f"the prices file {path} is not a table of model name → "
            f'{{"input": USD, "output": USD[, "cached_input": USD]}} per million tokens: {problems}'
        ) from exc


def default_prices(path: Path | str | None = None) -> PriceTable:
    """The built-in prices, extended by ``path`` when given, else by ``$CLAIMX_PRICES`` when set."""
    chosen = path if path is not None else os.environ.get(PRICES_ENV) or None
    table = PriceTable()
    if chosen is None:
        return table
    return table.with_overrides(load_prices(chosen), str(chosen))


def format_usd(dollars: float | None) -> str:
    """``$0.0123`` (enough digits for a cent's fraction), or ``unknown`` when there is no price."""
    if dollars is None:
        return "unknown"
    if dollars == 0:
        return "$0"
    return f"${dollars:.4f}" if dollars < 1 else f"${dollars:,.2f}"


@dataclass(frozen=True)
class CostEstimate:
    """What a job is expected to cost before it runs: its calls, their tokens, and the dollars.

    Input tokens are estimated from the rendered requests (as for ``--tpm``); output tokens
    are each call's whole output budget, so ``cost_usd`` is a ceiling for calls that answer
    at the first try (re-asks and retries come on top). Answers already in the response cache
    cost nothing and are counted apart. ``cost_usd`` is None when a model's price is unknown.
    """

    documents: int = 0
    calls: int = 0
    cached_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = 0.0

    def plus(self, other: CostEstimate) -> CostEstimate:
        """Both estimates together (an unknown cost stays unknown)."""
        cost = None if self.cost_usd is None or other.cost_usd is None else self.cost_usd + other.cost_usd
        return CostEstimate(
            documents=self.documents + other.documents,
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            cost_usd=None if cost is None else round(cost, 8),
        )

    def describe(self) -> str:
        """One phrase: ``$1.23 for 40 documents (52 calls, 10 from cache; ~120,000 tokens in, ≤ …)``."""
        cached = f", {self.cached_calls} from cache" if self.cached_calls else ""
        calls = f"{self.calls} call(s){cached}"
        tokens = f"~{self.input_tokens:,} tokens in, at most {self.output_tokens:,} out"
        if not self.documents:  # (request bodies alone: no documents to name)
            return f"{format_usd(self.cost_usd)} for {calls} ({tokens})"
        return f"{format_usd(self.cost_usd)} for {self.documents} document(s) ({calls}; {tokens})"


#: The output budget assumed for a request body that does not state one (claimx's default).
DEFAULT_OUTPUT_TOKENS = 4096


def estimate_request_cost(
    bodies: Iterable[Mapping[str, Any]],
    prices: PriceTable | None = None,
    *,
    batch: bool = True,
) -> CostEstimate:
    """The estimated cost of chat-completion request bodies (as a Batch API file holds them).

    Input tokens are estimated from each body's messages and its response format or tools
    (the schema is sent too); output tokens are its ``max_completion_tokens`` or ``max_tokens``
    (else :data:`DEFAULT_OUTPUT_TOKENS`). ``batch`` applies the Batch API's discount. The cost
    is None when any body's model has no price.
    """
    table = prices or default_prices()
    total = CostEstimate()
    for body in bodies:
        model = str(body.get("model", ""))
        text = "".join(_content_text(m.get("content")) for m in body.get("messages", []) or [])
        extra = {k: body[k] for k in ("response_format", "tools", "functions") if body.get(k)}
        tokens_in = estimate_tokens(text) + (estimate_tokens(json.dumps(extra)) if extra else 0)
        limit = body.get("max_completion_tokens") or body.get("max_tokens") or DEFAULT_OUTPUT_TOKENS
        tokens_out = int(limit)
        cost = table.cost(model, Usage(prompt_tokens=tokens_in, completion_tokens=tokens_out), batch=batch)
        call = CostEstimate(calls=1, input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost)
        total = total.plus(call)
    return total


def _content_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": …}, …]
        return "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""
