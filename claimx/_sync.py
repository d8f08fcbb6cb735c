"""Run coroutines from synchronous code on one long-lived event loop.

HTTP clients keep connections bound to the loop that opened them, so calling
``asyncio.run`` per request would strand them. One daemon thread owns a loop
for all synchronous calls; this also works inside Jupyter, where a loop is
already running in the main thread.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_loop: asyncio.AbstractEventLoop | None = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _lock:
        if _loop is None or _loop.is_closed():
            loop = asyncio.new_event_loop()
            thread = threading.Thread(target=loop.run_forever, name="claimx-loop", daemon=True)
            thread.start()
            _loop = loop
        return _loop


def run_sync(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion and return its result (or raise its exception)."""
    return asyncio.run_coroutine_threadsafe(coro, _background_loop()).result()


async def run_on_shared_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Await ``coro`` run on the shared background loop, from any loop (or on it, directly).

    Objects bound to that loop (HTTP connections, an embedded model's worker) can then be
    shared by every caller, whichever event loop the caller runs; cancelling the awaiting
    task cancels ``coro``.
    """
    loop = _background_loop()
    if asyncio.get_running_loop() is loop:
        return await coro
    return await asyncio.wrap_future(asyncio.run_coroutine_threadsafe(coro, loop))
