"""Copies of participants' result reads, kept while no run has changed them.

Reps reload their earnings, and boards their period rankings, far more often than runs
change them. A process keeps what it read per participant and drops it when a run
announces (``calc.changes``) that the participant's results changed. Copies are used
only while the process is listening: before the listener is up, or after its connection
is lost, every read goes to the database, so a missed announcement can never serve stale
pay.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import TypeVar, cast

from sqlalchemy.ext.asyncio import AsyncEngine

from incentives.calc import changes
from incentives.db.listen import listen

T = TypeVar("T")


class ResultsCache:
    """Per-participant copies of reads, dropped on the runs' change announcements."""

    def __init__(self, capacity: int = 50_000) -> None:
        self._entries: dict[int, dict[Hashable, object]] = {}
        self._size = 0
        self._capacity = capacity
        # Bumped by every announcement: a read that began before one is not kept, since it
        # may have seen the results the announcement replaced.
        self._generation = 0
        self.listening = False

    async def read(self, participant: int, key: Hashable, fetch: Callable[[], Awaitable[T]]) -> T:
        """The participant's copy for ``key``, or what ``fetch`` reads (kept if still valid)."""
        found = self.kept(participant, key)
        if found is not None:
            return cast(T, found)
        generation, listening = self._generation, self.listening
        value = await fetch()
        if listening and self.listening and generation == self._generation:
            if self._size >= self._capacity:
                self._drop(None)
            self._entries.setdefault(participant, {})[key] = value
            self._size += 1
        return value

    def kept(self, participant: int, key: Hashable) -> object | None:
        """The participant's copy for ``key`` while it is known to be current; else None."""
        if not self.listening:
            return None
        return self._entries.get(participant, {}).get(key)

    def changed(self, change: changes.Change) -> None:
        """Drop the copies a run's change makes stale."""
        self._generation += 1
        self._drop(change.participants)

    def _drop(self, participants: frozenset[int] | None) -> None:
        if participants is None:
            self._entries.clear()
            self._size = 0
            return
        for participant in participants:
            self._size -= len(self._entries.pop(participant, {}))

    def _on_notification(self, _conn: object, _pid: int, _channel: str, payload: object) -> None:
        self.changed(changes.parse(str(payload)))

    async def listen(self, engine: AsyncEngine) -> None:
        """Listen for announcements for as long as the task runs (see ``db.listen``)."""
        await listen(
            engine,
            {changes.CHANNEL: self._on_notification},
            up=self._up,
            down=self._down,
            name="results cache listener",
        )

    def _up(self) -> None:
        self.listening = True

    def _down(self) -> None:
        self.listening = False
        self.changed(changes.Change(None))
