"""The token-bucket arithmetic of a site's shared Wix call budget (`pipeline.rate_budget`)."""

from __future__ import annotations

import pytest

from loyalty_import.pipeline.rate_budget import Bucket, draw, refilled

RATE = 3.0  # 180 a minute
CAPACITY = 180.0


def test_a_bucket_that_never_existed_is_full_and_gives_a_token() -> None:
    result = draw(None, 1000.0, rate_per_s=RATE, capacity=CAPACITY)
    assert result.taken
    assert result.bucket == Bucket(tokens=CAPACITY - 1, refilled_at=1000.0)


def test_the_bucket_refills_by_elapsed_time_times_the_rate_up_to_its_capacity() -> None:
    empty = Bucket(tokens=0.0, refilled_at=1000.0)
    assert refilled(empty, 1002.0, rate_per_s=RATE, capacity=CAPACITY).tokens == pytest.approx(6.0)
    # a quiet hour never holds more than one minute's worth
    assert refilled(empty, 4600.0, rate_per_s=RATE, capacity=CAPACITY).tokens == CAPACITY
    taken = draw(empty, 1002.0, rate_per_s=RATE, capacity=CAPACITY)
    assert taken.taken
    assert taken.bucket.tokens == pytest.approx(5.0)
    assert taken.bucket.refilled_at == 1002.0


def test_an_empty_bucket_says_how_long_until_the_next_token_and_takes_nothing() -> None:
    almost = Bucket(tokens=0.25, refilled_at=1000.0)
    result = draw(almost, 1000.0, rate_per_s=RATE, capacity=CAPACITY)
    assert not result.taken
    assert result.wait_s == pytest.approx(0.75 / RATE)
    # and once that wait has passed, the token is there
    later = draw(almost, 1000.0 + result.wait_s, rate_per_s=RATE, capacity=CAPACITY)
    assert later.taken
    assert later.bucket.tokens == pytest.approx(0.0, abs=1e-9)


def test_a_clock_behind_the_last_take_never_refills_backwards() -> None:
    # Two Lambdas' clocks differ: a take by the slower clock refills nothing and keeps the stamp
    bucket = Bucket(tokens=10.0, refilled_at=1000.0)
    result = draw(bucket, 999.0, rate_per_s=RATE, capacity=CAPACITY)
    assert result.taken
    assert result.bucket == Bucket(tokens=9.0, refilled_at=1000.0)


def test_every_take_leaves_a_bucket_state_never_held_before() -> None:
    # What makes the store's conditional write (on the tokens and stamp read) safe: a write can never
    # restore the pair another taker read, so a stale taker always loses.
    seen = set()
    bucket: Bucket | None = None
    for now in (1000.0, 1000.0, 999.5, 1000.2, 1000.2, 1003.0):
        result = draw(bucket, now, rate_per_s=RATE, capacity=CAPACITY)
        assert result.taken
        bucket = result.bucket
        assert (bucket.tokens, bucket.refilled_at) not in seen
        seen.add((bucket.tokens, bucket.refilled_at))


def test_the_budget_needs_a_rate_and_room_for_a_token() -> None:
    with pytest.raises(ValueError, match='positive rate'):
        draw(None, 0.0, rate_per_s=0.0, capacity=CAPACITY)
    with pytest.raises(ValueError, match='at least one token'):
        draw(None, 0.0, rate_per_s=RATE, capacity=0.5)
