"""Stopping a command on SIGINT or SIGTERM: within seconds, without a traceback, with
nothing left running.

``run`` runs a command's async work on an event loop that owns both signals. A stop
signal goes to the API server when one is serving (``serving``: uvicorn then finishes the
requests in flight, within its grace period, and returns), and otherwise cancels the work,
so that every ``async with`` on the way out runs: the engine is disposed of and the
embedded PostgreSQL stopped. Neither ``KeyboardInterrupt`` nor ``CancelledError`` reaches
the user; the exit code says what happened.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from types import FrameType
from typing import Any

import uvloop

SIGNALS = (signal.SIGINT, signal.SIGTERM)
# What shells report for a command ended by Ctrl-C (128 + SIGINT).
INTERRUPTED = 128 + signal.SIGINT

ExitHandler = Callable[[int, FrameType | None], None]


@dataclass
class _Stop:
    """Where a stop signal goes, and whether one came."""

    task: asyncio.Task[int] | None = None
    server_exit: ExitHandler | None = None
    asked: bool = False

    def __call__(self, sig: int) -> None:
        self.asked = True
        if self.server_exit is not None:
            self.server_exit(sig, None)
        elif self.task is not None:
            self.task.cancel()


_CURRENT: ContextVar[_Stop | None] = ContextVar("incentives_stop", default=None)


def run(main: Coroutine[Any, Any, int], *, stopped: int = INTERRUPTED) -> int:
    """Run ``main`` to its exit code, or ``stopped`` once a stop signal has ended it."""
    stop = _Stop()

    async def guarded() -> int:
        loop = asyncio.get_running_loop()
        stop.task = asyncio.current_task()
        # Signals reach the main thread only (a command run from another, as by a test,
        # leaves them alone).
        owned = SIGNALS if threading.current_thread() is threading.main_thread() else ()
        if owned:
            _CURRENT.set(stop)
        for sig in owned:
            loop.add_signal_handler(sig, stop, sig)
        try:
            code = await main
        except asyncio.CancelledError:
            if not stop.asked:
                raise
            return stopped
        finally:
            for sig in owned:
                loop.remove_signal_handler(sig)
        return stopped if stop.asked else code

    # uvloop: uvicorn only installs it when it creates the loop itself (several workers);
    # here the loop is ours, and on it a request costs markedly less than on asyncio's own.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(guarded())


@contextlib.contextmanager
def serving(server_exit: ExitHandler) -> Iterator[None]:
    """While the block runs, the stop signals ``run`` owns go to ``server_exit``
    (uvicorn's handler); where it owns none (off the main thread), nothing changes."""
    stop = _CURRENT.get()
    if stop is None:
        yield
        return
    stop.server_exit = server_exit
    try:
        yield
    finally:
        stop.server_exit = None
