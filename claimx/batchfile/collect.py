"""A batch's answers → the results ``claimx extract`` writes, through the realtime path.

Each document of the documents file goes through the realtime
:class:`~claimx.extract.Extractor` over a :class:`~claimx.batchfile.wire.ReplayTransport`:
a request whose body is in the batch gets the batch's completion, which instructor parses
and validates, and which is then grounded and linked, exactly as a realtime answer (chunks
merged as in realtime). A request the batch cannot answer well is handled as the
:class:`~claimx.batchfile.wire.RetryMode` says. Answers fill the response cache under the
realtime request hash, so a realtime run on the same inputs afterwards asks nothing.

Documents are read one at a time from the documents file and answers one at a time from
the output files (by offset), so memory does not grow with the batch.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import AsyncIterator, Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from typing_extensions import override

from claimx._sync import off_loop
from claimx.batch import BatchResult, aextract_many, extract_many
from claimx.batchfile.lines import AnswerIndex, BatchLine
from claimx.batchfile.settings import BatchSettings, read_documents, read_header
from claimx.batchfile.wire import ReplayTransport, RetryMode, batch_model, missing_key_message, retry_server
from claimx.cache import CacheEntry, ResponseCache, StoredAnswer
from claimx.errors import ConfigError, InputError
from claimx.extract import Extractor
from claimx.inputs import Source
from claimx.models.base import RetryPolicy
from claimx.pricing import PriceTable
from claimx.urls import display_url, is_openai_api

#: A file name: a string or a path.
PathLike = str | os.PathLike[str]

__all__ = ["BatchReplay", "acollect_results", "collect_results", "document_sources", "replay_extractor"]


class BatchFirstCache(ResponseCache):
    """The response cache as a replay uses it: filled with every answer, read only for the others.

    A request the batch answered is answered by the batch every time, whatever the cache
    holds: its usage and cost are the batch's (billed), in each collect or import of it,
    and for each of two documents with the same text. What the batch did not answer (a
    re-ask, a retry of a failed item) may come from the cache, as in realtime.
    """

    def __init__(self, store: ResponseCache, batch_answers: Callable[[str], bool], *, owned: bool) -> None:
        super().__init__(store.folder)  # (never opened: every access goes to ``store``)
        self.store = store
        self._batch_answers = batch_answers
        self._owned = owned

    @override
    def get(self, key: str) -> CacheEntry | None:
        return None if self._batch_answers(key) else self.store.get(key)

    @override
    def put(self, key: str, answer: StoredAnswer) -> None:
        self.store.put(key, answer)

    @override
    def discard(self, key: str) -> None:
        self.store.discard(key)

    @override
    def close(self) -> None:
        """Close the store if the replay opened it (one it was given is the caller's), and this view.

        (This view's own connection opens only if an inherited reader, ``len`` or ``entries``,
        was used on it: closed here too, and the view refuses use afterwards, as any cache.)
        """
        super().close()
        if self._owned:
            self.store.close()


def document_sources(documents_path: PathLike) -> Iterator[Source | InputError]:
    """The documents of a batch as realtime reads them (an unreadable one as its error), in order."""
    for record in read_documents(Path(documents_path)):
        yield record.source()


@dataclass
class BatchReplay:
    """An extractor that answers from a batch, and what it did.

    Use :attr:`extractor` as any other (``extract_many(document_sources(...), extractor=...)``
    or the CLI's batch writer), then :meth:`close` it. :attr:`follow_ups` holds, in
    :attr:`RetryMode.BATCH` mode, the request lines still to be answered (unless a
    ``follow_up`` callback took them).
    """

    extractor: Extractor
    transport: ReplayTransport
    answers: AnswerIndex
    settings: BatchSettings
    follow_ups: list[BatchLine] = field(default_factory=list)

    @property
    def replayed(self) -> int:
        """Requests answered from the batch's output."""
        return self.transport.replayed

    @property
    def sent_on(self) -> int:
        """Requests the batch could not answer (asked in realtime, or handed on, or failed)."""
        return self.transport.sent_on

    async def aclose(self) -> None:
        """Close the extractor (its connections, and the cache if it opened it) and the output files."""
        try:
            await self.extractor.aclose()
            await self.extractor.model.aclose()  # (built for this run, given to the extractor)
            await self.transport.aclose()
            if self.extractor.cache is not None:  # (ours: closes the store if it opened it)
                await off_loop(self.extractor.cache.close)
        finally:
            self.answers.close()

    def close(self) -> None:
        """Synchronous :meth:`aclose`."""
        from claimx._sync import run_sync

        run_sync(self.aclose())


def replay_extractor(
    documents_path: PathLike,
    requests: Sequence[PathLike],
    outputs: Sequence[PathLike],
    *,
    retry: RetryMode | str = RetryMode.REALTIME,
    cache: ResponseCache | bool = True,
    api_key: str | None = None,
    base_url: str | None = None,
    concurrency: int | None = None,
    include_text: bool | None = None,
    follow_up: Callable[[BatchLine], None] | None = None,
    prices: PriceTable | None = None,
) -> BatchReplay:
    """An extractor with the batch's settings (from ``documents_path``) that answers from its output.

    ``requests``: the batch files sent (the first and any follow-ups); ``outputs``: their
    output and error files. ``retry`` says what becomes of a request the batch did not
    answer well (:class:`RetryMode`): ``realtime`` asks the server at the batch's base URL
    (``base_url`` may repeat it with credentials; ``api_key`` as for realtime), re-asks
    carrying the validation error, within the model's retry policy; ``none`` fails the
    document; ``batch`` fails it for now and hands the request to ``follow_up`` (or to
    :attr:`BatchReplay.follow_ups`) for a follow-up batch.
    """
    mode = RetryMode(retry)
    header = read_header(Path(documents_path))
    settings = header.settings
    if base_url is not None:
        if display_url(base_url) != (settings.base_url or None):
            raise ConfigError(
                f"the batch was made for {settings.base_url or 'OpenAI'}, not {display_url(base_url)}: "
                "the answers belong to that server's model"
            )
        settings = dataclasses.replace(settings, base_url=base_url)
    answers = AnswerIndex([Path(p) for p in requests], [Path(p) for p in outputs])
    kept: list[BatchLine] = []
    seen: set[str] = set()

    def hand_on(line: BatchLine) -> None:
        if line.custom_id in seen:
            return
        seen.add(line.custom_id)
        if follow_up is not None:
            follow_up(line)
        else:
            kept.append(line)

    store = ResponseCache() if cache is True else cache if isinstance(cache, ResponseCache) else None
    try:
        keyless = mode is RetryMode.REALTIME and _no_key(settings, api_key)
        if keyless:
            # Known before anything is read: what neither the batch nor the cache answers goes
            # to OpenAI, which needs the key.
            asking = [cid for cid in answers.unanswered() if store is None or not _cached(store, cid)]
            if asking:
                why = f"{len(asking)} request(s) have no answer in the batch ({asking[0]}"
                why += ", …)" if len(asking) > 1 else ")"
                raise ConfigError(
                    f"{why}: {missing_key_message(python=True)}",
                    cli_message=f"{why}: {missing_key_message(python=False)}",
                )
        transport = ReplayTransport(
            answers,
            mode,
            follow_up=hand_on,
            max_reply_bytes=settings.model_options.get("max_reply_bytes"),
            keyless=keyless,
        )
        policy = _policy(settings, mode)
        options = settings.options
        if concurrency is not None:
            options = dataclasses.replace(options, concurrency=concurrency)
        if include_text is not None:
            options = dataclasses.replace(options, include_text=include_text)
        extractor = Extractor(
            batch_model(
                settings,
                transport,
                api_key=api_key,
                retry=policy,
                sends=mode is RetryMode.REALTIME and not keyless,
            ),
            prompt=settings.prompt,
            cache=False
            if store is None
            else BatchFirstCache(store, answers.answers_request, owned=cache is True),
            options=options,
            prices=prices,  # (the OpenAI Batch API's half price: PriceTable.for_batch())
        )
    except BaseException:
        answers.close()
        if store is not None and cache is True:  # (opened here: a given one is the caller's)
            store.close()
        raise
    if (extractor.provenance.prompt_sha256 or "") != header.prompt_sha256:
        BatchReplay(extractor, transport, answers, settings, kept).close()  # (the model with it)
        raise ConfigError(
            f"the prompt {extractor.provenance.prompt_id} is not the one the batch was made with "
            "(its files changed since the export): its answers would not match"
        )
    return BatchReplay(extractor, transport, answers, settings, kept)


def _no_key(settings: BatchSettings, api_key: str | None) -> bool:
    """True when a realtime retry would go to OpenAI's own API and there is no key for it.

    (Another server gets the key it is given, or none: a self-hosted one takes any.)
    """
    from claimx.models.openai import api_key_for  # (with the SDK: loaded by the commands using it)

    server = retry_server(settings)
    return is_openai_api(server) and not api_key_for(server, api_key)


def _cached(store: ResponseCache, cid: str) -> bool:
    """True when the cache holds an answer to the request this ``custom_id`` names (its hash)."""
    key = cid.rsplit("#", 2)[-1]
    return len(key) == 16 and bool(store.find(key))


def _policy(settings: BatchSettings, mode: RetryMode) -> RetryPolicy | None:
    """The retry policy for this mode: the model's own, except that ``none`` asks nothing again."""
    if mode is not RetryMode.NONE:
        return None
    given = settings.model_options.get("retry")
    base = given if isinstance(given, RetryPolicy) else RetryPolicy()
    return dataclasses.replace(base, reasks=0, transport_attempts=1)


async def acollect_results(
    documents_path: PathLike,
    requests: Sequence[PathLike],
    outputs: Sequence[PathLike],
    *,
    retry: RetryMode | str = RetryMode.REALTIME,
    cache: ResponseCache | bool = True,
    api_key: str | None = None,
    base_url: str | None = None,
    concurrency: int | None = None,
    follow_up: Callable[[BatchLine], None] | None = None,
) -> AsyncIterator[BatchResult]:
    """Every document's result from a finished batch, as each completes (see :func:`replay_extractor`).

    The results are those :func:`claimx.aextract_many` gives in realtime: an extraction, or
    the document's error.
    """
    replay = replay_extractor(
        documents_path,
        requests,
        outputs,
        retry=retry,
        cache=cache,
        api_key=api_key,
        base_url=base_url,
        concurrency=concurrency,
        follow_up=follow_up,
    )
    try:
        async for result in aextract_many(document_sources(documents_path), extractor=replay.extractor):
            yield result
    finally:
        await replay.aclose()


def collect_results(
    documents_path: PathLike,
    requests: Sequence[PathLike],
    outputs: Sequence[PathLike],
    *,
    retry: RetryMode | str = RetryMode.REALTIME,
    cache: ResponseCache | bool = True,
    api_key: str | None = None,
    base_url: str | None = None,
    concurrency: int | None = None,
    follow_up: Callable[[BatchLine], None] | None = None,
) -> Generator[BatchResult, None, None]:
    """Synchronous :func:`acollect_results`: a generator of results as they finish."""
    replay = replay_extractor(
        documents_path,
        requests,
        outputs,
        retry=retry,
        cache=cache,
        api_key=api_key,
        base_url=base_url,
        concurrency=concurrency,
        follow_up=follow_up,
    )
    try:
        yield from extract_many(document_sources(documents_path), extractor=replay.extractor)
    finally:
        replay.close()
