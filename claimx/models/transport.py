"""The HTTP layer under the OpenAI client: bounded replies, and pages that are not API answers.

The SDK reads a reply whole, however long it is: a server that never stops sending
would grow memory until the process dies, and the failure would then be reported as a
connection problem and retried. :class:`GuardedTransport` counts the bytes as they
arrive and stops at a cap; it also recognises an HTML page answered with 200 (a
``--base-url`` pointing at a web server, a proxy's login page), which the SDK would
otherwise read as an empty completion. Both are final: retrying gets the same answer.

The SDK wraps whatever a transport raises in ``APIConnectionError``; :func:`guard_error`
finds ours again underneath.

Connections belong to the event loop that opened them. One model is used from several loops
(``asyncio.run`` in a script, the shared loop of the synchronous API), so the transport keeps
one connection pool per loop: no connection is reused on a loop it does not belong to, and
closing never touches a loop that is gone.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx2

from claimx.errors import ModelError, redact
from claimx.ratelimit import PerLoop

__all__ = [
    "DEFAULT_MAX_REPLY_BYTES",
    "FinalTransportError",
    "GuardedTransport",
    "NotAnApiReplyError",
    "ReplyTooLargeError",
    "guard_error",
]

#: 32 MiB: hundreds of times the longest answer a model gives to one article.
DEFAULT_MAX_REPLY_BYTES = 32 * 1024 * 1024


class FinalTransportError(ModelError):
    """A transport's own refusal of a request: final, reported as itself, never retried.

    Raised under the SDK (which wraps it in a connection error); :func:`guard_error`
    finds it again. Transports other than :class:`GuardedTransport` (those that replay
    a batch's answers) raise their own subclasses.
    """


class ReplyTooLargeError(FinalTransportError):
    """The server's reply went past the size cap; not retried."""


class NotAnApiReplyError(FinalTransportError):
    """The server answered with a web page instead of an API reply; not retried."""


def guard_error(exc: BaseException) -> ModelError | None:
    """The transport's own error behind an SDK exception, if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, FinalTransportError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _too_large(request: httpx2.Request, cap: int) -> ReplyTooLargeError:
    return ReplyTooLargeError(
        f"the reply from {_where(request)} is larger than {_size(cap)}: it was cut off there and "
        "not retried; if such replies are expected, raise the cap (--max-reply-mb, or the "
        "max_reply_bytes model option)"
    )


def _not_api(request: httpx2.Request, status: int) -> NotAnApiReplyError:
    return NotAnApiReplyError(
        f"the server at {_where(request)} answered {status} with a web page (HTML), not an "
        "OpenAI-compatible API reply: check --base-url (it usually ends in /v1)",
        status=status,
    )


def _where(request: httpx2.Request) -> str:
    url = request.url
    return redact(f"{url.scheme}://{url.host}{f':{url.port}' if url.port else ''}{url.path}")


def _size(n: int) -> str:
    return f"{n / 1024 / 1024:g} MB" if n >= 1024 * 1024 else f"{n} bytes"


def _looks_like_html(start: bytes) -> bool:
    head = start.lstrip()[:15].lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body"))


class _GuardedStream(httpx2.AsyncByteStream):
    def __init__(self, inner: httpx2.AsyncByteStream, request: httpx2.Request, cap: int, status: int) -> None:
        self._inner = inner
        self._request = request
        self._cap = cap
        self._status = status

    async def __aiter__(self) -> AsyncIterator[bytes]:
        total = 0
        first = True
        async for chunk in self._inner:
            if first and chunk.strip():
                first = False
                if self._status == 200 and _looks_like_html(chunk):
                    raise _not_api(self._request, self._status)
            total += len(chunk)
            if total > self._cap:
                raise _too_large(self._request, self._cap)
            yield chunk

    async def aclose(self) -> None:
        await self._inner.aclose()


class GuardedTransport(httpx2.AsyncBaseTransport):
    """An HTTP transport that refuses replies over ``max_reply_bytes`` and HTML pages for API calls."""

    def __init__(self, max_reply_bytes: int = DEFAULT_MAX_REPLY_BYTES) -> None:
        self._pools: PerLoop[httpx2.AsyncHTTPTransport] = PerLoop(
            lambda: httpx2.AsyncHTTPTransport(
                limits=httpx2.Limits(max_connections=1000, max_keepalive_connections=100)
            )
        )
        self.max_reply_bytes = max_reply_bytes

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        """Send ``request``; hand back a response whose body is checked as it is read."""
        response = await self._pools.get().handle_async_request(request)
        declared = response.headers.get("content-length", "")
        kind = response.headers.get("content-type", "").lower()
        problem: ModelError | None = None
        if declared.isdigit() and int(declared) > self.max_reply_bytes:
            problem = _too_large(request, self.max_reply_bytes)
        elif response.status_code == 200 and "html" in kind:
            problem = _not_api(request, response.status_code)
        if problem is not None:
            await response.aclose()
            raise problem
        assert isinstance(response.stream, httpx2.AsyncByteStream)
        return httpx2.Response(
            status_code=response.status_code,
            headers=response.headers,
            stream=_GuardedStream(response.stream, request, self.max_reply_bytes, response.status_code),
            extensions=response.extensions,
            request=request,
        )

    async def aclose(self) -> None:
        """Close the connections of every loop still there; forget those of loops that are gone.

        A pool is closed on its own loop: here, or on another thread's running loop (the shared
        loop of the synchronous API). The sockets of a closed loop cannot be shut down through
        it any more; dropping the pool lets them be freed with it.
        """
        here = asyncio.get_running_loop()
        for loop, pool in self._pools.drain():
            if loop is here:
                await pool.aclose()
            elif loop.is_running() and not loop.is_closed():
                await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(pool.aclose(), loop))
