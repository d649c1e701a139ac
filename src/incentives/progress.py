"""Progress of long command-line work, on one line of a terminal's standard error.

``import deals: 412,000 / 1,000,000 rows · 38,200 rows/s · 15 s left``, redrawn in place
a few times a second, then a final line. When standard error is not a terminal (piped to
a file, a log collector, a script) nothing at all is written, so output stays clean.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

# Redraws a second at most: enough to look alive, too few to cost the work anything.
REDRAWS_PER_SECOND = 4
# Back to the line's start, and clear what a longer previous line left behind.
_START, _CLEAR = "\r", "\x1b[K"


def _duration(seconds: float) -> str:
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60} s"
    return f"{whole // 3600} h {whole % 3600 // 60} min"


def _rate(per_second: float) -> str:
    # Whole numbers once they are large; a decimal keeps slow work (plans/s) readable.
    return f"{per_second:,.0f}" if per_second >= 100 else f"{per_second:,.1f}"


def _units(count: int, unit: str) -> str:
    # "1 plan", "2 plans": the unit is named in the plural.
    return unit.removesuffix("s") if count == 1 else unit


class Progress:
    """A count of work done, shown on a terminal and silent anywhere else.

    Feed it with ``update(done)`` at batch boundaries (cheap when not redrawn), and end it
    with ``finish()``, or use it as a context manager. ``total`` may be given, or changed
    at each update when it is only an estimate (``approximate``), to show the time left.
    """

    def __init__(
        self,
        label: str,
        *,
        total: int | None = None,
        unit: str = "rows",
        stream: TextIO | None = None,
        clock: Callable[[], float] = time.monotonic,
        per_second: int = REDRAWS_PER_SECOND,
    ) -> None:
        self.label = label
        self.unit = unit
        self.total = total
        self.approximate = False
        self.done = 0
        self._stream = sys.stderr if stream is None else stream
        # Decided once: a stream does not become a terminal halfway through.
        self.live = self._stream.isatty()
        self._clock = clock
        self._interval = 1 / per_second
        self._started = clock()
        self._drawn_at: float | None = None
        self._finished = False

    def update(self, done: int, total: int | None = None, *, approximate: bool = False) -> None:
        """Record ``done`` units so far (and the total, if it became known or changed)."""
        self.done = done
        if total is not None:
            self.total, self.approximate = total, approximate
        if not self.live:
            return
        now = self._clock()
        if self._drawn_at is not None and now - self._drawn_at < self._interval:
            return
        self._drawn_at = now
        self._write(_START + self.line(now) + _CLEAR)

    def finish(self) -> None:
        """Write the final line (count, time taken, rate) and end it; once only."""
        if self._finished:
            return
        self._finished = True
        if self.live:
            elapsed = self._clock() - self._started
            rate = f" · {_rate(self.done / elapsed)} {self.unit}/s" if elapsed > 0 else ""
            text = f"{self.label}: {self.done:,} {_units(self.done, self.unit)}"
            text += f" in {elapsed:.1f} s{rate}"
            self._write(_START + text + _CLEAR + "\n")

    def abandon(self) -> None:
        """End the line where it stands (the work failed), so what follows starts clean."""
        if not self._finished:
            self._finished = True
            if self.live and self._drawn_at is not None:
                self._write("\n")

    def line(self, now: float) -> str:
        """The progress line as it reads at ``now``."""
        elapsed = now - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        parts = [f"{self.label}: {self.done:,}"]
        if self.total is not None:
            parts[0] += f" / {'~' if self.approximate else ''}{self.total:,}"
        parts[0] += f" {_units(self.done if self.total is None else self.total, self.unit)}"
        if rate > 0:
            parts.append(f"{_rate(rate)} {self.unit}/s")
            if self.total is not None and self.total >= self.done:
                parts.append(f"{_duration((self.total - self.done) / rate)} left")
        return " · ".join(parts)

    def _write(self, text: str) -> None:
        self._stream.write(text)
        self._stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is None:
            self.finish()
        else:
            self.abandon()
