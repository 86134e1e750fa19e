"""Wix's per-site rate limit: about 200 API calls in any 60 s, then 429 with Retry-After.

A sliding window over the emulator's clock (injectable: a test drives it), one per site. Only
the API calls count; uploads and error-file downloads go to Wix's file storage, not its API.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable

WINDOW_S = 60.0
# The API calls a site's rate limit counts (uploads and error-file downloads go to file storage);
# chaos.hooks counts the same ones.
RATE_LIMITED_ENDPOINTS = frozenset(
    {
        'create_upload_url',
        'create_import',
        'get_import',
        'execute_import',
        'get_error_file_url',
        'query_imports',
        'search_accounts',
        'query_accounts',
        'count_accounts',
        'get_program_totals',
    }
)


class SlidingWindowLimiter:
    """At most `limit` admitted calls in any `window_s` seconds. Thread-safe."""

    def __init__(self, limit: int, *, clock: Callable[[], float], window_s: float = WINDOW_S) -> None:
        if limit < 1:
            raise ValueError('a rate limit admits at least one call')
        self.limit = limit
        self._window_s = window_s
        self._clock = clock
        self._admitted: deque[float] = deque()
        self._lock = threading.Lock()

    def admit(self) -> int | None:
        """None: the call is admitted (and counted). Else the whole seconds until one would be.

        A refused call is not counted: Wix's limit is on the calls it serves, so a client that
        waits the Retry-After it was given is then admitted.
        """
        with self._lock:
            now = self._clock()
            while self._admitted and now - self._admitted[0] >= self._window_s:
                self._admitted.popleft()
            if len(self._admitted) < self.limit:
                self._admitted.append(now)
                return None
            return max(1, math.ceil(self._admitted[0] + self._window_s - now))
