"""A site's shared Wix call budget on moto DynamoDB (`pipeline.adapters.budget`): the token bucket
item, refill and capacity, the conditional write under a concurrent taker, the bounded wait on an
empty bucket (injected clock and sleep: nothing really waits), and per-site buckets."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from loyalty_import.pipeline.adapters.budget import DynamoCallBudget, budget_key
from loyalty_import.wix.errors import WixBudgetExhausted, WixRateLimited
from tests.fakes.clock import FakeClock
from tests.integration.test_pipeline_adapters import REGION, template_table

TABLE = 'sites'


@pytest.fixture
def dynamodb(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    monkeypatch.setenv('AWS_DEFAULT_REGION', REGION)
    monkeypatch.setenv('AWS_ACCESS_KEY_ID', 'testing')
    monkeypatch.setenv('AWS_SECRET_ACCESS_KEY', 'testing')
    with mock_aws():
        client = boto3.client('dynamodb', region_name=REGION)
        client.create_table(TableName=TABLE, BillingMode='PAY_PER_REQUEST', **template_table('SitesTable'))
        yield client


def budget_of(dynamodb: Any, clock: FakeClock, per_minute: int = 60, **options: Any) -> DynamoCallBudget:
    options.setdefault('jitter', lambda: 0.0)  # waits exactly until the next token
    return DynamoCallBudget(
        TABLE, calls_per_minute=per_minute, client=dynamodb, clock=clock, sleep=clock.sleep, **options
    )


def tokens(dynamodb: Any, site: str) -> float:
    item = dynamodb.get_item(TableName=TABLE, Key={'pk': {'S': budget_key(site)}}, ConsistentRead=True)
    return float(item['Item']['tokens']['N'])


def test_a_tenth_of_a_minute_of_calls_goes_at_once_then_the_rate_holds_each_site_apart(
    dynamodb: Any,
) -> None:
    # GIVEN a budget of 60 calls a minute and a clock that only moves when the budget sleeps
    clock = FakeClock()
    budget = budget_of(dynamodb, clock, per_minute=60)
    # WHEN site a takes its burst: a tenth of a minute's calls (any 60 s then holds at most 66)
    for _ in range(6):
        budget.take('shop-a', 'get_import')
    # THEN nobody waited and the item says none is left
    assert clock.sleeps == []
    assert tokens(dynamodb, 'shop-a') == pytest.approx(0.0, abs=1e-6)
    # AND the next call waits for the next token (one a second), then goes
    budget.take('shop-a', 'get_import')
    assert clock.sleeps == [pytest.approx(1.0)]
    # AND another site's budget is its own: full
    budget.take('shop-b', 'get_import')
    assert clock.sleeps == [pytest.approx(1.0)]
    assert tokens(dynamodb, 'shop-b') == pytest.approx(5.0)


def test_time_refills_the_bucket_up_to_its_capacity(dynamodb: Any) -> None:
    clock = FakeClock()
    budget = budget_of(dynamodb, clock, per_minute=60)
    for _ in range(5):
        budget.take('shop-a')
    clock.advance(2.0)
    budget.take('shop-a')
    assert tokens(dynamodb, 'shop-a') == pytest.approx(6 - 5 + 2 - 1)
    clock.advance(3600.0)
    budget.take('shop-a')
    assert tokens(dynamodb, 'shop-a') == pytest.approx(5.0)


def test_a_concurrent_taker_between_the_read_and_the_write_makes_this_one_read_again(dynamodb: Any) -> None:
    # GIVEN a second function that takes a token between this one's read and its write, twice
    clock = FakeClock()
    other = budget_of(dynamodb, clock)
    budget = budget_of(dynamodb, clock)
    budget.take('shop-a')  # the item exists: 5 left
    races = {'left': 2}
    real_update = dynamodb.update_item

    def racing_update(**kwargs: Any) -> Any:
        if races['left']:
            races['left'] -= 1
            clock.advance(0.001)
            other.take('shop-a')  # wins: its write lands first
        return real_update(**kwargs)

    dynamodb.update_item = racing_update
    try:
        # WHEN this function takes a token
        budget.take('shop-a')
    finally:
        dynamodb.update_item = real_update
    # THEN its two stale writes were refused and its third went through: 4 tokens spent in all,
    # never the same token twice
    assert races['left'] == 0
    assert tokens(dynamodb, 'shop-a') == pytest.approx(budget.capacity - 4, abs=0.01)


def spend(budget: Any) -> None:
    """Take every token of a full bucket (its burst), so the next take must wait."""
    for _ in range(int(budget.capacity)):
        budget.take('shop-a')


def test_an_empty_budget_waits_for_its_token_then_proceeds(dynamodb: Any) -> None:
    # GIVEN a site whose budget is spent (6 a minute: a token every 10 s) in an invocation with time
    clock = FakeClock()
    budget = budget_of(dynamodb, clock, per_minute=6, max_wait_s=30.0, remaining_s=lambda: 120.0)
    spend(budget)
    # WHEN the next call takes a token
    budget.take('shop-a', 'create_import')
    # THEN it waited (injected sleep) exactly until the next token, and went
    assert clock.sleeps == [pytest.approx(10.0)]
    assert tokens(dynamodb, 'shop-a') == pytest.approx(0.0, abs=1e-6)


def test_a_wait_past_the_bound_raises_a_retryable_error_instead_of_waiting(dynamodb: Any) -> None:
    # GIVEN a spent budget whose next token is 10 s away, and a wait bound of 5 s
    clock = FakeClock()
    budget = budget_of(dynamodb, clock, per_minute=6, max_wait_s=5.0)
    spend(budget)
    # WHEN a call takes a token
    with pytest.raises(WixBudgetExhausted) as raised:
        budget.take('shop-a', 'get_import')
    # THEN nothing slept; the error is a WixRateLimited (retried like a 429) saying when to try again
    assert clock.sleeps == []
    assert isinstance(raised.value, WixRateLimited)
    assert raised.value.retry_after_s == pytest.approx(10.0)
    assert raised.value.endpoint == 'get_import'


def test_the_wait_never_runs_past_the_invocations_remaining_time(dynamodb: Any) -> None:
    # GIVEN a generous bound but an invocation with 20 s left (the margin is 15 s)
    clock = FakeClock()
    budget = budget_of(
        dynamodb, clock, per_minute=6, max_wait_s=60.0, margin_s=15.0, remaining_s=lambda: 20.0
    )
    spend(budget)
    # WHEN the next token is 10 s away: past the 5 s the invocation can spare
    with pytest.raises(WixBudgetExhausted):
        budget.take('shop-a')
    assert clock.sleeps == []


def test_waiters_wake_spread_over_one_tokens_interval_and_never_past_the_bound(dynamodb: Any) -> None:
    # GIVEN a spent budget (a token every 10 s) and a jitter at its largest
    clock = FakeClock()
    budget = budget_of(dynamodb, clock, per_minute=6, max_wait_s=30.0, jitter=lambda: 0.99)
    spend(budget)
    # WHEN the next call waits
    budget.take('shop-a')
    # THEN it slept until the next token plus at most one token's interval, within the bound
    assert len(clock.sleeps) == 1
    assert 10.0 <= clock.sleeps[0] <= 20.0
