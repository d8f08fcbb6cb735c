"""Run coroutines from synchronous code on one long-lived event loop, and blocking work off a loop.

HTTP clients keep connections bound to the loop that opened them, so calling
``asyncio.run`` per request would strand them. One daemon thread owns a loop
for all synchronous calls; this also works inside Jupyter, where a loop is
already running in the main thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable, Coroutine
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


async def off_loop(work: Callable[[], T]) -> T:
    """Run blocking ``work`` (a file read, the caller's iterator, SQLite opened or closed) in a daemon thread.

    Not the loop's default executor: its threads are joined when the interpreter exits, and a
    read that never returns (a FIFO nobody writes) would then hang an interrupted program. And
    it refuses work once the interpreter is exiting, which is when the extractors
    :func:`claimx.extract` keeps are closed (their caches with them).
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(outcome: Callable[[], None]) -> None:
        if not future.done():
            outcome()

    def run() -> None:
        try:
            result = work()
        except BaseException as exc:  # handed to the awaiting task, whatever it is
            error = exc
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(settle, lambda: future.set_exception(error))
        else:
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, lambda: future.set_result(result))

    threading.Thread(target=run, name="claimx-off-loop", daemon=True).start()
    return await future
