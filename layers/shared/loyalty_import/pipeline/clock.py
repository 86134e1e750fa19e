"""Time as the logic sees it: injectable, so tests neither sleep nor depend on the wall clock."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass

from loyalty_import.pipeline.models import utc_now


@dataclass(frozen=True)
class Clock:
    now: Callable[[], dt.datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep
    monotonic: Callable[[], float] = time.monotonic

    def epoch(self) -> float:
        return self.now().timestamp()
