"""A site's shared Wix call budget: the token bucket item `budget#<site>` of the sites table.

Every Wix call of every function for one site takes a token here first (the Wix client's
`budget` hook). The bucket is one DynamoDB item, `tokens` and `refilledAt` (epoch seconds); a
take reads it (consistent), computes the refill (`pipeline.rate_budget`) and writes it back
conditional on the `refilledAt` (and `tokens`) it read, so concurrent takers never spend the same
token: the loser reads again (a few times).

An empty bucket is waited for, bounded: at most `max_wait_s`, and never past the invocation's
remaining time minus `margin_s`. Past that, `WixBudgetExhausted` (retryable like a 429: the
client's retries, the state machine's Retry and the importer's Lambda retry all apply; nothing
was sent to Wix). Contention stays short: the functions' reserved concurrency caps the callers
(at most 9 at once), and the bucket refills by WixCallsPerMinute/60 a second.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import BotoCoreError, ClientError

from loyalty_import.pipeline import invocation
from loyalty_import.pipeline.adapters._aws import error_code
from loyalty_import.pipeline.errors import RecordStoreError
from loyalty_import.pipeline.rate_budget import Bucket, draw
from loyalty_import.wix.errors import WixBudgetExhausted

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BUDGET_KEY_PREFIX: Final = 'budget#'
# Conditional writes lost to another taker before giving up on this attempt (it is then retried
# by the client like any transient failure).
CONFLICT_RETRIES: Final = 5
DEFAULT_MAX_WAIT_S: Final = 10.0
# Left of the invocation for the call itself and for recording what happened.
DEFAULT_MARGIN_S: Final = 15.0


def budget_key(site: str) -> str:
    return f'{BUDGET_KEY_PREFIX}{site}'


BURST_SHARE_OF_MINUTE = 10


class DynamoCallBudget:
    """The per-site budgets of one sites table. `take(site, endpoint)` returns when a call may go."""

    def __init__(
        self,
        table_name: str,
        *,
        calls_per_minute: int,
        client: DynamoDBClient | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        margin_s: float = DEFAULT_MARGIN_S,
        remaining_s: Callable[[], float | None] = invocation.remaining_s,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if calls_per_minute < 1:
            raise ValueError('calls_per_minute must be at least 1')
        if client is None:
            import boto3  # noqa: PLC0415 - created at cold start, not at import

            client = boto3.client('dynamodb')
        self._client = client
        self._table = table_name
        # A burst of a tenth of a minute's calls: with the refill, any 60 s then sees at most 1.1 x
        # the size (198 at 180), under Wix's ~200. A minute's burst let 2 x through (360 at 180).
        self.capacity = max(1.0, calls_per_minute / BURST_SHARE_OF_MINUTE)
        self.rate_per_s = calls_per_minute / 60.0
        self._clock = clock
        self._sleep = sleep
        self._max_wait_s = max_wait_s
        self._margin_s = margin_s
        self._remaining_s = remaining_s
        self._jitter = jitter

    def for_site(self, site: str) -> Callable[[str], None]:
        """The Wix client's `budget` hook for one site."""
        return lambda endpoint: self.take(site, endpoint)

    def take(self, site: str, endpoint: str = '') -> None:
        """One token of `site`'s bucket, waiting for it (bounded); else `WixBudgetExhausted`."""
        give_up_at = self._clock() + self._wait_bound_s()
        while True:
            wait_s = self._try_take(site)
            if wait_s <= 0:
                return
            now = self._clock()
            if now + wait_s > give_up_at:
                raise WixBudgetExhausted(
                    f"site {site}'s Wix call budget is empty (next token in {wait_s:.1f} s)",
                    endpoint=endpoint or None,
                    retry_after_s=wait_s,
                )
            # Waiters of one site wake spread over one token's interval rather than all at once:
            # fewer lost races (DynamoDB calls), and no waiter always the last to wake.
            spread = self._jitter() / self.rate_per_s
            self._sleep(min(wait_s + spread, give_up_at - now))

    def _wait_bound_s(self) -> float:
        remaining = self._remaining_s()
        bound = self._max_wait_s
        if remaining is not None:
            bound = min(bound, remaining - self._margin_s)
        return max(0.0, bound)

    def _try_take(self, site: str) -> float:
        """0 when a token was taken; else the wait until the next one (after losing every race:
        the shortest wait worth trying again after)."""
        for _ in range(CONFLICT_RETRIES):
            previous = self._read(site)
            result = draw(previous, self._clock(), rate_per_s=self.rate_per_s, capacity=self.capacity)
            if not result.taken:
                return result.wait_s
            if self._write(site, previous, result.bucket):
                return 0.0
        return 1 / self.rate_per_s / CONFLICT_RETRIES

    def _read(self, site: str) -> Bucket | None:
        try:
            item = self._client.get_item(
                TableName=self._table, Key={'pk': {'S': budget_key(site)}}, ConsistentRead=True
            ).get('Item')
        except (ClientError, BotoCoreError) as exc:
            raise RecordStoreError(f'could not read the Wix call budget of site {site}') from exc
        if not item:
            return None
        return Bucket(tokens=float(item['tokens']['N']), refilled_at=float(item['refilledAt']['N']))

    def _write(self, site: str, previous: Bucket | None, bucket: Bucket) -> bool:
        """Write the bucket if nobody took a token since `previous` was read; False if somebody did."""
        values: dict[str, Any] = {
            ':tokens': {'N': repr(bucket.tokens)},
            ':at': {'N': repr(bucket.refilled_at)},
        }
        if previous is None:
            condition = 'attribute_not_exists(pk)'
        else:
            # The pair read (see `pipeline.rate_budget`): every take changes it, so a taker that
            # read it before another's write loses and reads again.
            condition = 'refilledAt = :previousAt AND tokens = :previousTokens'
            values[':previousAt'] = {'N': repr(previous.refilled_at)}
            values[':previousTokens'] = {'N': repr(previous.tokens)}
        try:
            self._client.update_item(
                TableName=self._table,
                Key={'pk': {'S': budget_key(site)}},
                UpdateExpression='SET tokens = :tokens, refilledAt = :at',
                ConditionExpression=condition,
                ExpressionAttributeValues=values,
            )
        except ClientError as exc:
            if error_code(exc) == 'ConditionalCheckFailedException':
                return False
            raise RecordStoreError(f'could not update the Wix call budget of site {site}') from exc
        except BotoCoreError as exc:
            raise RecordStoreError(f'could not update the Wix call budget of site {site}') from exc
        return True
