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
from dataclasses import dataclass, field

from aiolimiter import AsyncLimiter

__all__ = ["RateLimits"]


@dataclass
class RateLimits:
    """Optional requests-per-minute and tokens-per-minute limits shared by all calls."""

    requests_per_minute: float | None = None
    tokens_per_minute: float | None = None
    _limiters: dict[int, tuple[AsyncLimiter | None, AsyncLimiter | None]] = field(
        default_factory=dict, repr=False
    )

    def __post_init__(self) -> None:
        for name in ("requests_per_minute", "tokens_per_minute"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise ValueError(f"{name} must be positive, got {value}")

    @property
    def active(self) -> bool:
        """True when any limit is set."""
        return self.requests_per_minute is not None or self.tokens_per_minute is not None

    def _for_loop(self) -> tuple[AsyncLimiter | None, AsyncLimiter | None]:
        # The limiters' waiters are futures of one event loop: keep one pair per loop.
        loop = id(asyncio.get_running_loop())
        if loop not in self._limiters:
            requests = AsyncLimiter(self.requests_per_minute, 60) if self.requests_per_minute else None
            tokens = AsyncLimiter(self.tokens_per_minute, 60) if self.tokens_per_minute else None
            self._limiters[loop] = (requests, tokens)
        return self._limiters[loop]

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
