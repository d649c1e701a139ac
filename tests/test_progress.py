"""The progress line: what it reads, how often it is redrawn, and silence off a terminal."""

from __future__ import annotations

import io

import pytest

from incentives.progress import Progress

CLEAR = "\x1b[K"


class Terminal(io.StringIO):
    """A StringIO that says it is a terminal."""

    def isatty(self) -> bool:
        return True


class Clock:
    """A clock moved by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def drawn(stream: io.StringIO) -> list[str]:
    """Each redraw, as the terminal would show it once drawn."""
    return [d.removesuffix(CLEAR) for d in stream.getvalue().split("\r") if d]


def test_a_known_total_shows_rows_rate_and_time_left() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress("import deals", total=1_000_000, stream=out, clock=clock)
    clock.now += 10
    progress.update(412_000)
    assert drawn(out) == ["import deals: 412,000 / 1,000,000 rows · 41,200 rows/s · 14 s left"]
    clock.now += 10
    progress.update(800_000)
    assert drawn(out)[-1] == "import deals: 800,000 / 1,000,000 rows · 40,000 rows/s · 5 s left"


def test_long_waits_read_in_minutes_and_hours() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress("calc 2026", total=1000, unit="plans", stream=out, clock=clock)
    clock.now += 20
    progress.update(2)
    assert drawn(out) == ["calc 2026: 2 / 1,000 plans · 0.1 plans/s · 2 h 46 min left"]
    clock.now += 1
    progress.update(100)
    assert drawn(out)[-1] == "calc 2026: 100 / 1,000 plans · 4.8 plans/s · 3 min 9 s left"


def test_an_unknown_total_shows_rows_and_rate_only() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress("import deals", stream=out, clock=clock)
    clock.now += 2
    progress.update(30_000)
    assert drawn(out) == ["import deals: 30,000 rows · 15,000 rows/s"]


def test_an_estimated_total_is_marked() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress("import deals", stream=out, clock=clock)
    clock.now += 1
    progress.update(250, total=1000, approximate=True)
    assert drawn(out) == ["import deals: 250 / ~1,000 rows · 250 rows/s · 3 s left"]


def test_redraws_are_throttled_to_a_few_a_second() -> None:
    clock, out = Clock(), Terminal()
    progress = Progress("import deals", stream=out, clock=clock, per_second=4)
    for done in range(1, 101):  # 100 updates over one second
        clock.now += 0.01
        progress.update(done)
    assert len(drawn(out)) == 4
    assert progress.done == 100  # counted all the same


def test_the_final_line_says_count_time_and_rate_and_ends_the_line() -> None:
    clock, out = Clock(), Terminal()
    with Progress("import deals", total=40_000, stream=out, clock=clock) as progress:
        clock.now += 1
        progress.update(10_000)
        clock.now += 1.5
        progress.update(40_000)  # throttled: not drawn, but the final line has it
    assert out.getvalue().endswith(f"\rimport deals: 40,000 rows in 2.5 s · 16,000 rows/s{CLEAR}\n")
    progress.finish()
    assert out.getvalue().count("\n") == 1  # once only


def test_a_failure_ends_the_line_where_it_stands() -> None:
    clock, out = Clock(), Terminal()
    with pytest.raises(RuntimeError), Progress("import deals", stream=out, clock=clock) as p:
        clock.now += 1
        p.update(5)
        raise RuntimeError
    assert out.getvalue() == f"\rimport deals: 5 rows · 5.0 rows/s{CLEAR}\n"


def test_nothing_is_written_when_the_stream_is_not_a_terminal() -> None:
    clock, out = Clock(), io.StringIO()
    with Progress("import deals", total=10, stream=out, clock=clock) as progress:
        for done in range(10):
            clock.now += 1
            progress.update(done)
    assert not progress.live
    assert out.getvalue() == ""


def test_one_unit_is_named_in_the_singular() -> None:
    clock, out = Clock(), Terminal()
    with Progress("calc 2026", total=1, unit="plans", stream=out, clock=clock) as progress:
        progress.update(0)
        clock.now += 2
        progress.update(1)
    final = f"calc 2026: 1 plan in 2.0 s · 0.5 plans/s{CLEAR}\n"
    assert drawn(out) == [
        "calc 2026: 0 / 1 plan",
        "calc 2026: 1 / 1 plan · 0.5 plans/s · 0 s left",
        final,
    ]
