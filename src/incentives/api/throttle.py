"""A count of requests per caller over the last minute, for operations that cost more
than a read (the estimator evaluates every plan of the caller twice).

Kept in the process: under several workers each counts its own, so the limit holds per
worker; it only needs to keep one caller from taking a process's whole time.
"""

from __future__ import annotations

import math
import time
from collections import deque
from dataclasses import dataclass

from litestar.exceptions import TooManyRequestsException

WINDOW = 60.0


class PerMinute:
    """At most ``most`` requests per caller in any sliding minute."""

    def __init__(self, most: int) -> None:
        self.most = most
        self._seen: dict[int, deque[float]] = {}

    def wait(self, caller: int, now: float | None = None) -> float:
        """Count a request of ``caller`` and return 0, or the seconds until it may ask
        again (not counted)."""
        now = time.monotonic() if now is None else now
        seen = self._seen.setdefault(caller, deque())
        while seen and seen[0] <= now - WINDOW:
            seen.popleft()
        if len(seen) >= self.most:
            return seen[0] + WINDOW - now
        seen.append(now)
        return 0.0

    def take(self, caller: int, what: str) -> None:
        """Count a request of ``caller``, or refuse it with 429 and ``Retry-After``."""
        waiting = self.wait(caller)
        if waiting > 0:
            seconds = max(1, math.ceil(waiting))
            raise TooManyRequestsException(
                f"at most {self.most} {what} a minute; try again in {seconds} s",
                headers={"Retry-After": str(seconds)},
                extra=[{"key": "(request)", "message": f"at most {self.most} a minute"}],
            )


@dataclass(frozen=True)
class EstimateLimits:
    """The estimator's limits: requests per caller a minute, and seconds one may take."""

    per_minute: PerMinute
    budget: float
