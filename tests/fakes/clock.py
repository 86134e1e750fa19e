"""One fake clock for every test: time moves only when the code under test sleeps or a test advances it."""

from __future__ import annotations

import datetime as dt

from loyalty_import.pipeline.clock import Clock

START = dt.datetime(2026, 11, 26, 9, 0, tzinfo=dt.UTC)


class FakeClock:
    """Seconds when called or read (`clock()`, `clock.now`: what the Wix client, its retries and the
    Wix emulator take as a monotonic clock); the same instant as an aware datetime from `wall()`
    (START at first); the pipeline's `Clock` from `as_clock()`. Every sleep is kept in `sleeps`,
    and none really waits."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start.timestamp()
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds

    def wall(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.now, tz=dt.UTC)

    def as_clock(self) -> Clock:
        return Clock(now=self.wall, sleep=self.sleep, monotonic=self)
