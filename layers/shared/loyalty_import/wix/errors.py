"""Typed errors of the Wix client.

Step Functions `Retry`/`Catch` match on the class name of the error a Lambda raises, so these
names are part of the contract: `WixUnavailable` (and its subclass `WixRateLimited`) means "a
transient failure outlived the client's retries; trying again later may work". Everything else
is permanent for the request that was sent.
"""

from __future__ import annotations


class WixError(Exception):
    """A Wix call failed. `code` and `message` come from Wix's `applicationError` when it sent one."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = None,
        code: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.code = code
        self.endpoint = endpoint

    def __str__(self) -> str:
        parts = [f'status={self.status_code}'] if self.status_code is not None else []
        if self.code:
            parts.append(f'code={self.code}')
        if self.endpoint:
            parts.append(f'endpoint={self.endpoint}')
        return f'{self.message} ({", ".join(parts)})' if parts else self.message


class WixAuthError(WixError):
    """401/403: the credentials are wrong, expired beyond refresh, or lack the Manage Loyalty scope."""


class WixNotFound(WixError):  # noqa: N818 - the contract's name
    """404: no such import (or endpoint)."""


class WixValidationError(WixError):
    """400/422 from Wix, or a request the client refused to send because Wix would reject it."""


class WixUnavailable(WixError):  # noqa: N818 - the contract's name; Step Functions matches it
    """A transient failure (5xx, timeout, connection error, 429) that outlived the retries."""


class WixRateLimited(WixUnavailable):
    """429 that outlived the retries. `retry_after_s` is Wix's last `Retry-After`, if any."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int | None = 429,
        code: str | None = None,
        endpoint: str | None = None,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message, status_code=status_code, code=code, endpoint=endpoint)
        self.retry_after_s = retry_after_s


class WixBudgetExhausted(WixRateLimited):
    """The site's shared Wix call budget (the token bucket of `pipeline.adapters.budget`) stayed empty.

    Raised before the request is sent (Wix saw nothing), after a bounded wait; as retryable as a
    429: the client's retries, the state machine's Retry and the importer's Lambda retry apply.
    """

    def __init__(
        self, message: str, *, endpoint: str | None = None, retry_after_s: float | None = None
    ) -> None:
        super().__init__(message, status_code=None, endpoint=endpoint, retry_after_s=retry_after_s)
