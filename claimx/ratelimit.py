"""Client-side request and token limits, so a batch stays under a provider's quota.

Living on 429s wastes time (every refusal costs a round trip and a backoff) and
can get a key throttled harder. With ``requests_per_minute`` and
``tokens_per_minute`` set, each model call first waits for room in a leaky
bucket (``aiolimiter``): one unit per request, and the prompt's estimated tokens
per call. When the answer arrives, tokens beyond the estimate (the output, an
underestimated prompt) are charged too, so the next calls wait for them.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from aiolimiter import AsyncLimiter

__all__ = ["PerLoop", "RateLimits"]

T = TypeVar("T")


class PerLoop(Generic[T]):
    """One object per running event loop (a semaphore, a limiter), never keeping a closed loop alive.

    asyncio primitives belong to one loop (their waiters are its futures), so an object
    shared by calls from several ``asyncio.run`` needs one per loop. They are held by a
    weak reference to their loop, and the primitives' own reference back to a loop they
    have waited on is dropped as soon as that loop is closed (at the next use on another
    loop, or :meth:`clear`): a process that runs many loops keeps none of the finished ones.
    """

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._items: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        """The object for the running loop, made on first use."""
        loop = asyncio.get_running_loop()
        item = self._items.get(loop)
        if item is None:
            for closed in [other for other in self._items if other.is_closed()]:
                del self._items[closed]
            item = self._items[loop] = self._factory()
        return item

    def clear(self) -> None:
        """Forget every loop's object."""
        self._items.clear()

    def drain(self) -> list[tuple[asyncio.AbstractEventLoop, T]]:
        """Forget every loop's object, handing each back with its loop (to close what can be)."""
        items = list(self._items.items())
        self._items.clear()
        return items

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class RateLimits:
    """Optional requests-per-minute and tokens-per-minute limits shared by all calls."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    _limiters: PerLoop[tuple[AsyncLimiter | None, AsyncLimiter | None]] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")
        self._limiters = PerLoop(self._new_limiters)

    @property
    def active(self) -> bool:
        """True when any limit is set."""
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def _new_limiters(self) -> tuple[AsyncLimiter | None, AsyncLimiter | None]:
        requests = AsyncLimiter(self.requests_per_minute, 60) if self.requests_per_minute else None
        tokens = AsyncLimiter(self.tokens_per_minute, 60) if self.tokens_per_minute else None
        return requests, tokens

    def _for_loop(self) -> tuple[AsyncLimiter | None, AsyncLimiter | None]:
        # The limiters' waiters are futures of one event loop: keep one pair per loop.
        return self._limiters.get()

    async def before_call(self, estimated_tokens: int) -> None:
        """Wait until one more request of about ``estimated_tokens`` fits under both limits."""
        requests, tokens = self._for_loop()
        if requests is not None:
            await requests.acquire(1)
        if tokens is not None:
            await _acquire(tokens, estimated_tokens)

    async def after_call(self, estimated_tokens: int, actual_tokens: int) -> None:
        """Charge the tokens a call used beyond its estimate."""
        _, tokens = self._for_loop()
        if tokens is not None and actual_tokens > estimated_tokens:
            await _acquire(tokens, actual_tokens - estimated_tokens)


async def _acquire(limiter: AsyncLimiter, amount: float) -> None:
    # A call larger than a whole minute's budget is charged in slices: it waits as long as its size needs.
    while amount > 0:
        step = min(amount, limiter.max_rate)
        await limiter.acquire(step)
        amount -= step
