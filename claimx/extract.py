"""The extractor: document → prompt → model → ground → link → Extraction.

Data moves one way: each chunk's answer is grounded against the whole document
(:mod:`claimx.ground`), then everything grounded is linked at once
(:mod:`claimx.link`), which is where chunks' overlaps are merged.

One model call per chunk (one chunk for most articles) returns all three
layers. Answers are cached by everything that changes them. An answer cut off
at the output limit is asked again with a larger budget, then split into
smaller chunks, and only then reported as an error.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import Any, Self

from pydantic import ValidationError

from claimx._sync import off_loop, run_sync
from claimx.cache import ResponseCache, StoredAnswer
from claimx.chunking import estimate_tokens, plan_chunks
from claimx.document import Document
from claimx.errors import ClaimxError, TruncatedOutputError
from claimx.ground import Aligner, ground
from claimx.link import link
from claimx.models.base import Model, ModelRequest, request_hash
from claimx.models.registry import resolve_model
from claimx.models.rules import RulesModel
from claimx.names import proper_names
from claimx.pacing import Pacer
from claimx.pricing import CostEstimate, Price, PriceTable, default_prices
from claimx.profiles import Profile, profile_for
from claimx.prompts import Prompt, load_prompt
from claimx.ratelimit import PerLoop, RateLimits
from claimx.response import Response, as_response, response_model_for, response_schema_sha256
from claimx.schema import Extraction, Meta, Provenance, Usage

__all__ = ["ExtractOptions", "Extractor", "model_options_of"]


@dataclass(frozen=True)
class ExtractOptions:
    """Knobs of the extraction itself (the model's own knobs live on the model)."""

    include_text: bool = True
    fuzzy_threshold: float = 90.0
    #: Article tokens per model call; None: as much as the model's context allows, up to 6,000.
    chunk_tokens: int | None = None
    chunk_overlap: int = 2
    #: Model calls in flight at once, across all documents sharing this extractor.
    concurrency: int = 8
    #: Read text input as an HTML page (:meth:`Document.from_html`): the offsets then index
    #: its extracted main text, which the result carries. Never guessed: text stays text.
    html: bool = False
    #: The prompt and answer-size caps to use; None: the one for the model (claimx.profiles).
    profile: Profile | None = None
    #: Client-side limits (None: unlimited), so a batch stays under a provider's quota.
    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None


def model_options_of(
    model_options: Mapping[str, Any] | None,
    **named: Any,
) -> dict[str, Any]:
    """The model's options: ``model_options`` with the named ones that were given (not None)."""
    options = dict(model_options or {})
    options.update({k: v for k, v in named.items() if v is not None})
    return options


@dataclass
class _Answer:
    responses: list[Response]  # one per chunk answered, in text order
    usage: Usage
    calls: int  # chunks answered (after any splitting)


class Extractor:
    """Extracts claims, attributions and positions with one model and one prompt.

    Build it once and reuse it: the model's connections, the prompt and the
    cache are shared by every document it reads. Close it when done, or use it
    as a context manager (``with Extractor(...) as x:`` or ``async with``).
    """

    def __init__(
        self,
        model: Model | str | None = None,
        *,
        prompt: Prompt | str | None = None,
        cache: ResponseCache | bool | None = True,
        options: ExtractOptions | None = None,
        base_url: str | None = None,
        api_key: str | None = None,
        model_options: dict[str, Any] | None = None,
        prices: PriceTable | None = None,
    ) -> None:
        self.model = resolve_model(model, base_url=base_url, api_key=api_key, options=model_options)
        self._owns_model = not isinstance(model, Model)  # (one given is the caller's to close)
        #: What this model's calls cost (``prices``, else the built-in table and ``$CLAIMX_PRICES``);
        #: None when unknown, and then every result's ``usage.cost_usd`` is None too.
        self.price: Price | None = (
            Price(input=0, output=0)  # rules make no calls
            if isinstance(self.model, RulesModel)
            else (prices or default_prices()).price_for(self.model.id)
        )
        if isinstance(self.model, RulesModel):
            cache = None  # rules answer in milliseconds: nothing worth caching
        self.options = options or ExtractOptions()
        self.profile = self.options.profile or profile_for(self.model)
        self._prompt_id = prompt.id if isinstance(prompt, Prompt) else prompt or self.profile.prompt
        self._prompt = prompt if isinstance(prompt, Prompt) else None
        if self._prompt is None and (prompt is not None or not isinstance(self.model, RulesModel)):
            self._prompt = load_prompt(self._prompt_id)  # (a prompt asked for is checked at once)
        self._owns_cache = cache is True
        # Not ``cache or None``: an empty cache has length 0, and must still be used.
        self.cache: ResponseCache | None = (
            ResponseCache() if cache is True else cache if isinstance(cache, ResponseCache) else None
        )
        self.schema_sha256 = response_schema_sha256(self.profile.limits)
        # What made the answer: the prompt, or the rules of an extractor without a language model.
        rules = self.model.rules if isinstance(self.model, RulesModel) else None
        self.provenance = Provenance(
            model=self.model.id,
            provider=self.model.provider,
            base_url=self.model.base_url,
            prompt_id=rules.version if rules else self.prompt.id,
            prompt_sha256=rules.sha256 if rules else self.prompt.sha256,
            response_schema_sha256=self.schema_sha256,
        )
        self._prompt_overhead: tuple[Prompt, int] | None = None  # (see _prompt_tokens)
        self._semaphores = PerLoop(lambda: asyncio.Semaphore(self.options.concurrency))
        self._pacers = PerLoop(Pacer)
        self._rate_limits = RateLimits(self.options.requests_per_minute, self.options.tokens_per_minute)

    @property
    def prompt(self) -> Prompt:
        """The prompt the model is asked with, loaded the first time it is needed.

        Rules (the offline extractor, the baseline) are asked with none: they get the
        profile's default only if something reads it, so their runs skip loading it (its
        template engine, its YAML examples and their checks: about 0.1 s of CPU per process).
        """
        if self._prompt is None:
            self._prompt = load_prompt(self._prompt_id)
        return self._prompt

    @prompt.setter
    def prompt(self, prompt: Prompt) -> None:
        self._prompt = prompt
        self._prompt_id = prompt.id

    # ------------------------------------------------------------------ public

    async def aextract(self, text: str | Document, doc_id: str | None = None) -> Extraction:
        """Extract from one document: a text, or a :class:`Document` (e.g. ``Document.from_html``)."""
        started = time.perf_counter()
        if isinstance(self.model, RulesModel):  # no model to ask: the rules read the whole document
            document = self._document(text, doc_id)
            answers = [_Answer([self.model.read(document)], Usage(cost_usd=0.0), 1)]
        else:
            # Each stretch of CPU work waits for a turn of the event loop of its own, so the
            # requests of other documents in flight move between them (see claimx.pacing).
            pacer = self._pacers.get()
            await pacer.turn()  # the document and its requests
            document = self._document(text, doc_id)
            ranges = plan_chunks(document, self._chunk_budget(), self.options.chunk_overlap)
            answers = await _all_or_first_error([self._answer(document, a, b) for a, b in ranges])
            await pacer.turn()  # grounding, linking and the extraction
        usage = Usage(cached=True, cost_usd=0.0)
        for answer in answers:
            usage = usage.add(answer.usage)
        aligner = Aligner(document, fuzzy_threshold=self.options.fuzzy_threshold)
        grounded = ground(document, [r for a in answers for r in a.responses], aligner)
        linked = link(grounded)  # (chunks' overlaps are merged there)
        meta = Meta(
            **dict(self.provenance),
            usage=usage,
            latency_s=round(time.perf_counter() - started, 4),
            chunks=sum(a.calls for a in answers),
        )
        return linked.to_extraction(document, meta, include_text=self.options.include_text)

    def extract(self, text: str | Document, doc_id: str | None = None) -> Extraction:
        """Synchronous :meth:`aextract`."""
        return run_sync(self.aextract(text, doc_id))

    async def aestimate(self, text: str | Document, doc_id: str | None = None) -> CostEstimate:
        """What extracting this document would cost, without asking the model.

        Its requests are built as :meth:`aextract` builds them (same chunks, prompt and
        response schema): input tokens are estimated from them as for ``tokens_per_minute``,
        output tokens are each call's whole output budget, and a chunk whose answer is in the
        response cache costs nothing. The cost is None when the model's price is unknown.
        """
        document = self._document(text, doc_id)
        if isinstance(self.model, RulesModel):
            return CostEstimate(documents=1)
        total = CostEstimate(documents=1)
        for first, last in plan_chunks(document, self._chunk_budget(), self.options.chunk_overlap):
            request = self._request(document, first, last, self.model.max_output_tokens)
            if self.cache is not None and await self.cache.aget(request_hash(self.model, request)):
                total = total.plus(CostEstimate(calls=1, cached_calls=1))
                continue
            schema = json.dumps(request.response_model.model_json_schema())
            tokens_in = estimate_tokens("".join(m["content"] for m in request.messages) + schema)
            tokens_out = self.model.max_output_tokens
            planned = Usage(prompt_tokens=tokens_in, completion_tokens=tokens_out)
            cost = None if self.price is None else self.price.cost(planned)
            total = total.plus(
                CostEstimate(calls=1, input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost)
            )
        return total

    async def aclose(self) -> None:
        """Close what this extractor opened: the model it built from a name, and its own cache.

        A :class:`Model` or :class:`ResponseCache` it was given stays open: it is the caller's,
        and may serve other extractors (close it with ``await model.aclose()`` when done).
        The cache is closed in a thread: closing SQLite's last connection checkpoints its
        write-ahead log to disk, which must not hold up the event loop.
        """
        if self._owns_model:
            await self.model.aclose()
        if self.cache is not None and self._owns_cache:
            await off_loop(self.cache.close)

    def close(self) -> None:
        """Synchronous :meth:`aclose`."""
        run_sync(self.aclose())

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --------------------------------------------------------------- internals

    def _document(self, text: str | Document, doc_id: str | None) -> Document:
        if isinstance(text, Document):
            return text
        if self.options.html:
            return Document.from_html(text, doc_id)
        return Document.from_text(text, doc_id)

    def _request(self, document: Document, first: int, last: int, tokens: int) -> ModelRequest:
        """The request for sentences ``first``..``last``: the prompt, the response model, the budget."""
        limits = self.profile.limits
        speakers = tuple(proper_names(document, range(first, last + 1))) if limits and limits.compact else ()
        response_model = response_model_for(first, last, limits, speakers)
        messages = self.prompt.render(document, range(first, last + 1))
        return ModelRequest(messages, response_model, tokens, document.doc_id)

    def _priced(self, usage: Usage) -> Usage:
        """``usage`` of a call just made, with what it cost (None when the price is unknown)."""
        return usage.model_copy(update={"cost_usd": None if self.price is None else self.price.cost(usage)})

    def _chunk_budget(self) -> int:
        if self.options.chunk_tokens:
            return self.options.chunk_tokens
        room = self.model.context_tokens - self.model.max_output_tokens - self._prompt_tokens() - 256
        return max(256, min(6000, room))

    def _prompt_tokens(self) -> int:
        """The tokens the prompt takes without an article, counted once per prompt.

        The same for every document (rendering it per document cost a short one as much as
        rendering its own prompt); counted again if the extractor is given another prompt.
        """
        known = self._prompt_overhead
        if known is None or known[0] is not self.prompt:
            tokens = estimate_tokens("".join(m["content"] for m in self.prompt.render(_EMPTY)))
            known = self._prompt_overhead = (self.prompt, tokens)
        return known[1]

    def _semaphore(self) -> asyncio.Semaphore:
        return self._semaphores.get()

    async def _answer(
        self, document: Document, first: int, last: int, depth: int = 0, budget: int | None = None
    ) -> _Answer:
        tokens = budget or self.model.max_output_tokens
        request = self._request(document, first, last, tokens)
        messages = request.messages
        # The key of the request as first sent: what a rerun asks first, whatever budget answered it.
        key = request_hash(self.model, request) if self.cache is not None else ""
        if self.cache is not None:
            cached = await _from_cache(self.cache, key)
            if cached is not None:
                return cached
        estimated = (
            estimate_tokens("".join(m["content"] for m in messages)) if self._rate_limits.active else 0
        )
        # What the answers cut off at their output limit cost: generated and billed, so counted.
        cut_off = Usage()

        def spent(usage: Usage) -> Usage:
            """``usage`` priced, with what the tries cut off before it cost (as ``cut_off`` is then)."""
            return self._priced(cut_off.add(usage) if cut_off.requests else usage)

        while True:
            try:
                async with self._semaphore():
                    await self._rate_limits.before_call(estimated)
                    reply = await self.model.generate(dataclasses.replace(request, max_output_tokens=tokens))
                await self._rate_limits.after_call(estimated, reply.usage.total_tokens)
                break
            except TruncatedOutputError as exc:
                exc.doc_id = document.doc_id
                if exc.usage is not None:
                    await self._rate_limits.after_call(estimated, exc.usage.total_tokens)
                    cut_off = cut_off.add(exc.usage)
                    exc.usage = self._priced(cut_off)
                if tokens < self.model.max_output_tokens_ceiling:
                    tokens = min(self.model.max_output_tokens_ceiling, tokens * 2)
                    continue
                if last > first and depth < _MAX_SPLITS:  # too much to say about this stretch: halve it
                    middle = (first + last) // 2
                    halves = await _all_or_first_error(
                        [
                            self._answer(document, first, middle, depth + 1, tokens),
                            self._answer(document, middle + 1, last, depth + 1, tokens),
                        ]
                    )
                    return _Answer(
                        halves[0].responses + halves[1].responses,
                        self._priced(cut_off).add(halves[0].usage).add(halves[1].usage),
                        halves[0].calls + halves[1].calls,
                    )
                raise
            except ClaimxError as exc:
                exc.doc_id = exc.doc_id or document.doc_id
                if exc.usage is not None:  # what the calls cost, cut-off tries included
                    exc.usage = spent(exc.usage)
                raise
        # Into the full Response: a compact response model has fewer fields (their defaults fill in).
        output = as_response(reply.output)
        # (The cache keeps what the answer cost, cut-off tries included; a hit costs 0.)
        usage = spent(reply.usage)
        if self.cache is not None:
            label = {
                "model": self.model.id,
                "prompt": self.prompt.id,
                "doc_id": document.doc_id,
                "sentences": [first, last],
            }
            answer = StoredAnswer(reply.output.model_dump_json(), usage, reply.raw_completion, label)
            await self.cache.aput(key, answer)
        return _Answer([output], usage, 1)


async def _from_cache(cache: ResponseCache, key: str) -> _Answer | None:
    """A stored answer, read into the full Response as a fresh one is; None on a miss.

    An entry that no longer reads as a response (damaged, or from an incompatible
    version) is a miss: it is removed, and the fresh answer takes its place.
    """
    entry = await cache.aget(key)
    if entry is None:
        return None
    try:
        response = Response.model_validate_json(entry.output)
    except ValidationError:
        await asyncio.to_thread(cache.discard, key)
        return None
    original = entry.usage
    usage = Usage(
        prompt_tokens=original.prompt_tokens,
        completion_tokens=original.completion_tokens,
        total_tokens=original.total_tokens,
        cached=True,
        cost_usd=0.0,  # no call was made: an answer from the cache costs nothing
    )
    return _Answer([response], usage, 1)


_EMPTY = Document.from_text(".", doc_id="empty")
#: A stretch whose answer overflows even the largest output budget is halved, at most this deep
#: (a quarter of the original); beyond that the answer is not coming and the error says so.
_MAX_SPLITS = 2


async def _all_or_first_error(calls: list[Coroutine[Any, Any, _Answer]]) -> list[_Answer]:
    """Run the calls concurrently; on the first failure cancel the rest and raise that error.

    A document whose first chunk cannot be answered is lost anyway: the calls still in
    flight for its other chunks would only cost money. A single call (most documents) is
    awaited in the caller's own task: a task of its own would cost two trips through the
    event loop's queue (to start, and to hand its answer back), each behind every other
    document's work, in a batch with many documents in flight.
    """
    if len(calls) == 1:
        return [await calls[0]]
    try:
        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(call) for call in calls]
    except BaseExceptionGroup as failed:
        raise failed.exceptions[0] from None
    return [task.result() for task in tasks]
