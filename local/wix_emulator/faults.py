"""Per-endpoint fault injection: a scripted sequence, or a seeded probability."""

from __future__ import annotations

import random
import threading
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    HTTP_429 = 'HTTP_429'  # 429 with Retry-After, nothing done
    HTTP_500 = 'HTTP_500'  # 500, nothing done
    HTTP_503 = 'HTTP_503'  # 503, nothing done
    SLOW = 'SLOW'  # does the work at once, holds the answer until the client gives up (`slow_s` at most)
    DROP = 'DROP'  # closes the connection without a response, nothing done
    RESPONSE_LOST = 'RESPONSE_LOST'  # does the work, then closes the connection without a response


ENDPOINTS = (
    'create_upload_url',
    'upload_file',
    'create_import',
    'get_import',
    'execute_import',
    'get_error_file_url',
    'query_imports',
    'oauth_token',
    'download_error_file',
    'search_accounts',
    'query_accounts',
    'count_accounts',
    'get_program_totals',
)


@dataclass
class _RandomFault:
    fault: Fault
    probability: float
    rng: random.Random


class FaultPlan:
    """Decides, per request, which fault (if any) an endpoint suffers. Thread-safe.

    A script wins over a random rule: each request to the endpoint takes the next scripted
    entry (`None` = answer normally) until the script runs out.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._scripts: dict[str, deque[Fault | None]] = {}
        self._random: dict[str, _RandomFault] = {}

    def script(self, endpoint: str, faults: Iterable[Fault | None]) -> None:
        _check_endpoint(endpoint)
        with self._lock:
            self._scripts[endpoint] = deque(faults)

    def random(self, endpoint: str, fault: Fault, *, probability: float, seed: int | None = None) -> None:
        _check_endpoint(endpoint)
        if not 0.0 <= probability <= 1.0:
            raise ValueError('probability must be within [0, 1]')
        with self._lock:
            # Seeded so a failing chaos run can be replayed exactly; not used for anything secret.
            self._random[endpoint] = _RandomFault(fault, probability, random.Random(seed))  # noqa: S311

    def clear(self, endpoint: str | None = None) -> None:
        with self._lock:
            if endpoint is None:
                self._scripts.clear()
                self._random.clear()
            else:
                self._scripts.pop(endpoint, None)
                self._random.pop(endpoint, None)

    def pending(self, endpoint: str) -> int:
        """How many scripted entries are still waiting for this endpoint."""
        with self._lock:
            return len(self._scripts.get(endpoint, ()))

    def next_fault(self, endpoint: str) -> Fault | None:
        with self._lock:
            script = self._scripts.get(endpoint)
            if script:
                return script.popleft()
            rule = self._random.get(endpoint)
            if rule is not None and rule.rng.random() < rule.probability:
                return rule.fault
            return None


def _check_endpoint(endpoint: str) -> None:
    if endpoint not in ENDPOINTS:
        raise ValueError(f'unknown endpoint {endpoint!r}; expected one of {", ".join(ENDPOINTS)}')
