"""The running Lambda invocation's remaining time, for waits deep inside a call (the Wix budget).

Bound by `observability.capture_lambda_handler`, which every handler goes through: the Wix client
is built once per container, but how long it may wait for the site's budget depends on the
invocation it serves. Outside Lambda (tests, local runs) there is no bound.
"""

from __future__ import annotations

import threading
from typing import Any

_current = threading.local()


def bind(context: Any) -> None:
    """Remember this invocation's context (a LambdaContext, or anything with its method)."""
    _current.context = context if hasattr(context, 'get_remaining_time_in_millis') else None


def remaining_s() -> float | None:
    """Seconds left in the current invocation, or None when none is bound."""
    context = getattr(_current, 'context', None)
    if context is None:
        return None
    return float(context.get_remaining_time_in_millis()) / 1000
