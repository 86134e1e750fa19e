"""When to try a Wix call again, and how long to wait first.

Exponential backoff with full jitter (a random wait in [0, min(max_delay, base * 2**n)]), which
spreads the retries of many Lambdas hitting the same rate-limited site; a server's `Retry-After`
is a floor. Both the number of attempts and the total time are bounded, so a call ends with a
typed error well inside a Lambda's timeout. Sleep, clock and randomness are injectable so tests
never really sleep.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

_system_random = random.SystemRandom()


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 6
    max_total_s: float = 60.0
    base_delay_s: float = 0.5
    max_delay_s: float = 8.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False, compare=False)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)
    random: Callable[[], float] = field(default=_system_random.random, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError('max_attempts must be at least 1')
        if self.max_total_s < 0 or self.base_delay_s < 0 or self.max_delay_s < 0:
            raise ValueError('retry times must not be negative')

    def backoff_s(self, attempt: int, retry_after_s: float | None = None) -> float:
        """The wait before attempt `attempt + 1`, after attempt `attempt` (1-based) failed."""
        ceiling = min(self.max_delay_s, self.base_delay_s * 2.0 ** (attempt - 1))
        delay = self.random() * ceiling
        if retry_after_s is not None:
            delay = max(delay, retry_after_s)
        return delay

    def start(self) -> RetryBudget:
        return RetryBudget(self, self.clock())


@dataclass
class RetryBudget:
    """The retry state of one logical call: attempts made and time spent since it started."""

    policy: RetryPolicy
    started_at: float
    attempts: int = 0

    def begin_attempt(self) -> int:
        self.attempts += 1
        return self.attempts

    def elapsed_s(self) -> float:
        return self.policy.clock() - self.started_at

    def next_delay_s(self, retry_after_s: float | None = None) -> float | None:
        """How long to wait before the next attempt, or None when the budget is spent.

        A wait that would end past `max_total_s` is not started at all: giving up now is better
        than sleeping only to give up afterwards.
        """
        if self.attempts >= self.policy.max_attempts:
            return None
        delay = self.policy.backoff_s(self.attempts, retry_after_s)
        if self.elapsed_s() + delay > self.policy.max_total_s:
            return None
        return delay

    def wait(self, delay_s: float) -> None:
        if delay_s > 0:
            self.policy.sleep(delay_s)


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a `Retry-After` header: delta-seconds or an HTTP date; None if absent or bad."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if math.isnan(seconds):
        return None
    return max(0.0, seconds)
