"""One stretch of a document's CPU work per turn of the event loop, so requests keep moving.

A batch runs every document on one event loop. When a round of replies lands at once (they
were sent together, the model took as long for each), every document's task is ready in the
same turn of the loop, and asyncio runs them all before it looks at the sockets again: each
one's grounding, linking and the building of its next request, one after the other. Every
request in flight waits behind all of that for each of its own small steps (the HTTP client
writes a request's head and its body in separate steps, and reads a reply in several), so a
round that lands together is sent again together, only later, and the batch never leaves
that lockstep: with 32 documents of 4 ms of CPU each, every round cost the model's time
plus some 130 ms.

:class:`Pacer` lets one stretch of such work start per turn of the loop; the others wait
for the next turns, in the order they asked. Between two stretches the loop reads and writes
the sockets, so each request goes out as soon as it is built, the next round's replies come
back spread out as the requests were, and the work of one reply no longer waits for that of
all the others. A stretch that does not have to wait (nothing else asked in this turn, as
for one document at a time) starts at once.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque

__all__ = ["Pacer"]


class Pacer:
    """Grants one turn per pass of the event loop, first come, first served.

    Bound to the loop it is first used on (its waiters are that loop's futures): keep one
    per loop (:class:`claimx.ratelimit.PerLoop`).
    """

    def __init__(self) -> None:
        #: A stretch started (or was handed the turn) in this pass of the loop.
        self._busy = False
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def turn(self) -> None:
        """Return when this pass of the loop has no other stretch: now, or in a later pass."""
        loop = asyncio.get_running_loop()
        if self._busy or self._waiters:
            waiter: asyncio.Future[None] = loop.create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():  # handed the turn, then cancelled
                    loop.call_soon(self._next)
                else:
                    with contextlib.suppress(ValueError):  # (still queued, unless passed over already)
                        self._waiters.remove(waiter)
                raise
        else:
            self._busy = True
        loop.call_soon(self._next)  # runs in the next pass: the turn is over then

    def _next(self) -> None:
        """Hand the turn to the first waiter still waiting, or leave it free."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                self._busy = True  # reserved for it: it starts when its task next runs
                waiter.set_result(None)
                return
        self._busy = False
