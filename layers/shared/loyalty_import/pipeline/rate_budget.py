"""The token-bucket arithmetic of a site's shared Wix call budget (plain functions, no I/O).

Wix allows about 200 calls a minute per site. Every function's Wix calls for one site draw from one
bucket (`pipeline.adapters.budget` keeps it in the sites table): it refills at `rate_per_s`
continuously and holds at most `capacity` tokens (a tenth of a minute's worth), so a quiet site
can burst a few calls and any 60 s stays under Wix's limit.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every take changes the pair (tokens, refilled_at) to one the bucket never held before: refilled_at
# never goes back, and at the same refilled_at the tokens only go down. The store's write is
# conditional on the pair it read, so two takers that read the same item never both succeed, even
# when their clocks give the same instant (or one runs behind the other).
# Refill arithmetic on epoch seconds (about 1.8e9) loses the last digits: a bucket this close to a
# whole token has it (otherwise a caller that slept exactly until the token would sleep again).
TOKEN_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Bucket:
    tokens: float
    refilled_at: float  # epoch seconds


@dataclass(frozen=True)
class Draw:
    """The outcome of one attempt to take a token: the bucket to write, or how long to wait."""

    bucket: Bucket
    taken: bool
    wait_s: float = 0.0


def refilled(bucket: Bucket | None, now: float, *, rate_per_s: float, capacity: float) -> Bucket:
    """The bucket at `now`: full when it never existed; never refilled backwards (a clock behind)."""
    if bucket is None:
        return Bucket(tokens=capacity, refilled_at=now)
    at = max(now, bucket.refilled_at)
    tokens = min(capacity, bucket.tokens + (at - bucket.refilled_at) * rate_per_s)
    return Bucket(tokens=tokens, refilled_at=at)


def draw(bucket: Bucket | None, now: float, *, rate_per_s: float, capacity: float) -> Draw:
    """Take one token at `now`, or say how long until the next one (nothing to write then)."""
    if rate_per_s <= 0 or capacity < 1:
        raise ValueError('a budget needs a positive rate and room for at least one token')
    current = refilled(bucket, now, rate_per_s=rate_per_s, capacity=capacity)
    if current.tokens < 1 - TOKEN_TOLERANCE:
        return Draw(bucket=current, taken=False, wait_s=(1 - current.tokens) / rate_per_s)
    return Draw(
        bucket=Bucket(tokens=max(0.0, current.tokens - 1), refilled_at=current.refilled_at), taken=True
    )
