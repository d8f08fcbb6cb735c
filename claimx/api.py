"""``claimx.extract`` / ``claimx.aextract``: one article, one call, nothing to set up or close.

Building an :class:`~claimx.extract.Extractor` opens the response cache and, for
``local``, loads a model of hundreds of megabytes: far too much to redo per call. So
these functions keep the extractors they build, one per distinct set of arguments
(model, endpoint, key, prompt, cache, options), the last few in use, on claimx's own
background event loop, whichever loop or thread calls them; they are closed when
evicted (once the calls they are serving are done) and when the process exits. For full
control (and a deterministic close), build an ``Extractor`` and use it as a context manager.
"""

from __future__ import annotations

import atexit
import hashlib
import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from claimx._sync import off_loop, run_on_shared_loop, run_sync
from claimx.arguments import ExtractorArguments
from claimx.cache import ResponseCache, default_cache_dir
from claimx.document import Document
from claimx.extract import ExtractOptions, Extractor
from claimx.models.base import Model, RetryPolicy
from claimx.models.registry import default_model_spec
from claimx.prompts import Prompt
from claimx.schema import Extraction

__all__ = ["aextract", "close_shared", "extract"]

#: How many distinct extractors the one-call functions keep open.
POOL_SIZE = 4
_pool: OrderedDict[tuple[object, ...], Extractor] = OrderedDict()
#: The calls each extractor is serving: one evicted from the pool meanwhile is closed by its last.
_serving: dict[Extractor, int] = {}


def _digest(value: str | None) -> str | None:
    """Secrets enter the pool's keys only as digests."""
    return None if value is None else hashlib.sha256(value.encode()).hexdigest()


def _key(arguments: ExtractorArguments) -> tuple[object, ...]:
    """What tells pooled extractors apart: every argument that shapes one, secrets as digests."""
    # Resolved now, not at first use: a changed $CLAIMX_MODEL or $OPENAI_API_KEY is a new extractor.
    model, prompt, cache = arguments.model, arguments.prompt, arguments.cache
    spec: object = model if isinstance(model, Model) else model or default_model_spec()[0]
    key = arguments.api_key if arguments.api_key is not None else os.environ.get("OPENAI_API_KEY")
    # Every variable that decides which key goes to which server: a rotated $CLAIMX_API_KEY
    # kept sending the old one, and $CLAIMX_SEND_OPENAI_KEY turned off still sent the key.
    routing = tuple(os.environ.get(name) for name in ("OPENAI_BASE_URL", "CLAIMX_SEND_OPENAI_KEY"))
    return (
        spec,
        arguments.base_url,
        _digest(key),
        _digest(os.environ.get("CLAIMX_API_KEY")),
        routing,
        prompt.sha256 if isinstance(prompt, Prompt) else prompt,
        # The default cache lives where $CLAIMX_CACHE_DIR says at the time of the call.
        str(default_cache_dir()) if cache is True else cache if cache is False else id(cache),
        arguments.extract_options(),
        repr(sorted(arguments.tuned().items())),
    )


async def _extract_shared(
    text: str | Document, doc_id: str | None, arguments: ExtractorArguments
) -> Extraction:
    """Extract with the pooled extractor for these arguments (on the shared loop: the pool needs no lock)."""
    key = _key(arguments)
    extractor = _pool.pop(key, None)
    if extractor is None:
        # Built in a thread: it opens the cache (SQLite) and reads the prompt, off the shared loop
        # that every other call waits on. A call with the same arguments may build one meanwhile.
        extractor = await off_loop(arguments.build)
        raced = _pool.pop(key, None)
        if raced is not None:
            await extractor.aclose()
            extractor = raced
    _pool[key] = extractor  # the most recently used last
    _serving[extractor] = _serving.get(extractor, 0) + 1  # (before any wait: it may be evicted meanwhile)
    try:
        while len(_pool) > POOL_SIZE:
            _, evicted = _pool.popitem(last=False)
            if evicted not in _serving:  # one still serving calls is closed by the last of them
                await evicted.aclose()
        return await extractor.aextract(text, doc_id)
    finally:
        _serving[extractor] -= 1
        if not _serving[extractor]:
            del _serving[extractor]
            if _pool.get(key) is not extractor:  # evicted (or the pool closed) while it served
                await extractor.aclose()


async def aextract(
    text: str | Document,
    *,
    model: Model | str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: Prompt | str | None = None,
    doc_id: str | None = None,
    html: bool = False,
    cache: ResponseCache | bool = True,
    options: ExtractOptions | None = None,
    timeout_s: float | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    max_output_tokens: int | None = None,
    structured_output: str | None = None,
    retry: RetryPolicy | None = None,
    model_options: Mapping[str, Any] | None = None,
) -> Extraction:
    """Extract claims, attributions and positions from one article.

    ``model`` is ``"openai/<name>"`` (any OpenAI-compatible server with ``base_url``),
    ``"ollama/<name>"``, ``"local"`` or ``"local:/path.gguf"``, or a :class:`Model`; by
    default ``$CLAIMX_MODEL``, then OpenAI when ``OPENAI_API_KEY`` is set, then the
    embedded model. ``text`` is taken as it is: offsets index it. With ``html=True`` it is
    read as an HTML page and the offsets index the page's main text, which the result
    carries (or pass ``Document.from_html(page)``).

    ``timeout_s``, ``temperature``, ``seed``, ``max_output_tokens``, ``structured_output``
    and ``retry`` tune the model; ``model_options`` takes any other option of its provider
    (``n_ctx`` for ``local``…). The extractor built for these arguments is kept and reused
    by the next call with the same ones.
    """
    arguments = ExtractorArguments.of(locals())
    return await run_on_shared_loop(_extract_shared(text, doc_id, arguments))


def extract(
    text: str | Document,
    *,
    model: Model | str | None = None,
    base_url: str | None = None,
    api_key: str | None = None,
    prompt: Prompt | str | None = None,
    doc_id: str | None = None,
    html: bool = False,
    cache: ResponseCache | bool = True,
    options: ExtractOptions | None = None,
    timeout_s: float | None = None,
    temperature: float | None = None,
    seed: int | None = None,
    max_output_tokens: int | None = None,
    structured_output: str | None = None,
    retry: RetryPolicy | None = None,
    model_options: Mapping[str, Any] | None = None,
) -> Extraction:
    """Synchronous :func:`aextract` (safe inside Jupyter); the same arguments."""
    arguments = ExtractorArguments.of(locals())
    return run_sync(run_on_shared_loop(_extract_shared(text, doc_id, arguments)))


async def _close_pool() -> None:
    while _pool:
        _, extractor = _pool.popitem()
        if extractor not in _serving:  # one still serving calls is closed by the last of them
            await extractor.aclose()


def close_shared() -> None:
    """Close the extractors :func:`extract` keeps (done at exit; call it to free them sooner)."""
    if _pool:
        run_sync(_close_pool())


atexit.register(close_shared)
