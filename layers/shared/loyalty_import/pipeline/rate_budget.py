"""The token-bucket arithmetic of a site's shared Wix call budget (plain functions, no I/O).

Wix allows about 200 calls a minute per site. Every function's Wix calls for one site draw from one
bucket (`pipeline.adapters.budget` keeps it in the sites table): it refills at `rate_per_s`
continuously and holds at most `capacity` tokens (one minute's worth), so a quiet site can burst
a minute's calls and a busy one is held to the rate.
"""

from __future__ import annotations

from dataclasses import dataclass

# Every take moves `refilled_at` forward by at least this much: the store's write is conditional on
# the previous `refilled_at`, so two takers that read the same item can never both succeed, even
# when their clocks give the same instant (or one runs behind the other).
MIN_STEP_S = 1e-6


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
    if current.tokens < 1:
        return Draw(bucket=current, taken=False, wait_s=(1 - current.tokens) / rate_per_s)
    previous_at = bucket.refilled_at if bucket is not None else None
    at = current.refilled_at
    if previous_at is not None and at < previous_at + MIN_STEP_S:
        at = previous_at + MIN_STEP_S
    return Draw(bucket=Bucket(tokens=current.tokens - 1, refilled_at=at), taken=True)
