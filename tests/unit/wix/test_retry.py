"""Retry policy arithmetic and every retry path of the client, on a fake clock (nothing really sleeps)."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from loyalty_import.wix import RetryPolicy, WixClient, WixRateLimited, WixUnavailable, WixValidationError
from loyalty_import.wix.retry import parse_retry_after
from tests.fakes.clock import FakeClock
from tests.fakes.wix import CONNECT, DROP, LOST, ClientFactory, FakeWix


def test_backoff_is_exponential_with_full_jitter_and_capped() -> None:
    # GIVEN a policy whose random draw is the maximum, and one whose draw is the minimum
    high = RetryPolicy(base_delay_s=0.5, max_delay_s=4, random=lambda: 1.0)
    low = RetryPolicy(base_delay_s=0.5, max_delay_s=4, random=lambda: 0.0)
    # THEN the ceiling doubles per attempt up to max_delay_s, and the draw spans [0, ceiling]
    assert [high.backoff_s(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert [low.backoff_s(n) for n in range(1, 6)] == [0.0] * 5
    half = RetryPolicy(base_delay_s=0.5, max_delay_s=4, random=lambda: 0.5)
    assert half.backoff_s(3) == 1.0


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base_delay_s=0.5, max_delay_s=4, random=lambda: 0.0)
    assert policy.backoff_s(1, retry_after_s=7) == 7


@pytest.mark.parametrize(
    ('header', 'expected'),
    [
        ('3', 3.0),
        ('0', 0.0),
        ('-5', 0.0),
        ('soon', None),
        ('', None),
        (None, None),
        ('Thu, 26 Nov 2026 09:00:10 GMT', 10.0),
    ],
)
def test_parse_retry_after(header: str | None, expected: float | None) -> None:
    now = datetime(2026, 11, 26, 9, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == expected


def test_policy_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match='max_attempts'):
        RetryPolicy(max_attempts=0)


@pytest.mark.parametrize('status', [500, 502, 503, 504])
def test_5xx_is_retried_then_succeeds(
    status: int, client: WixClient, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN Wix fails a read twice with a 5xx
    record = fake_wix.add_import('PARSED')
    fake_wix.script['get_import'] = [status, status]
    # WHEN the import is read
    loyalty_import = client.get_import(record['id'])
    # THEN the third attempt answers, after two exponential waits
    assert loyalty_import.id == record['id']
    assert fake_wix.count('get_import') == 3
    assert clock.sleeps == [0.5, 1.0]


def test_429_honours_retry_after(client: WixClient, fake_wix: FakeWix, clock: FakeClock) -> None:
    # GIVEN Wix rate-limits once, asking for 5 seconds
    fake_wix.script['query_imports'] = [(429, {'Retry-After': '5'})]
    # WHEN a query is made
    client.query_imports()
    # THEN the client waited the 5 seconds Wix asked for (more than its own 0.5 s backoff)
    assert clock.sleeps == [5.0]
    assert fake_wix.count('query_imports') == 2


@pytest.mark.parametrize('fault', [LOST, DROP, CONNECT])
def test_timeouts_and_connection_errors_are_retried(
    fault: str, client: WixClient, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN the first read times out, drops, or cannot connect
    record = fake_wix.add_import('PARSED')
    fake_wix.script['get_import'] = [fault]
    # WHEN the import is read
    loyalty_import = client.get_import(record['id'])
    # THEN a second attempt gets it
    assert loyalty_import.id == record['id']
    assert fake_wix.count('get_import') == 2
    assert len(clock.sleeps) == 1


def test_attempts_are_bounded_then_wix_unavailable(
    client: WixClient, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN Wix answers 503 forever
    fake_wix.script['query_imports'] = [503] * 50
    # WHEN a query is made
    with pytest.raises(WixUnavailable) as raised:
        client.query_imports()
    # THEN exactly max_attempts requests were sent, then a typed error with Wix's code
    assert fake_wix.count('query_imports') == 6
    assert len(clock.sleeps) == 5
    assert raised.value.status_code == 503
    assert raised.value.code == 'SCRIPTED'
    assert raised.value.endpoint == 'query_imports'
    assert not isinstance(raised.value, WixRateLimited)


def test_total_time_is_bounded(make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock) -> None:
    # GIVEN a 10-second budget and Wix asking for 4 seconds between attempts, forever
    policy = RetryPolicy(
        max_attempts=100, max_total_s=10, base_delay_s=0.1, max_delay_s=1, sleep=clock.sleep, clock=clock
    )
    client = make_client(retry=policy)
    fake_wix.script['query_imports'] = [(429, {'Retry-After': '4'})] * 50
    started = clock.now
    # WHEN a query is made
    with pytest.raises(WixRateLimited) as raised:
        client.query_imports()
    # THEN it gave up without starting a wait that would end past the budget
    assert clock.now - started <= 10
    assert clock.sleeps == [4.0, 4.0]
    assert fake_wix.count('query_imports') == 3
    assert raised.value.retry_after_s == 4.0
    assert isinstance(raised.value, WixUnavailable)


def test_slow_attempts_count_against_the_total_time(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN every attempt takes 4 seconds before timing out, with a 10-second budget
    policy = RetryPolicy(
        max_attempts=100,
        max_total_s=10,
        base_delay_s=0.5,
        max_delay_s=1,
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
    )

    def slow_timeout(request: httpx.Request) -> httpx.Response:
        clock.advance(4)
        raise httpx.ReadTimeout('timed out', request=request)

    client = make_client(retry=policy, transport=httpx.MockTransport(slow_timeout))
    # WHEN a read is made
    with pytest.raises(WixUnavailable, match='ReadTimeout'):
        client.get_import('i1')
    # THEN it stopped once the next wait would have ended past 10 s
    assert clock.sleeps == [0.5, 1.0]


def test_a_4xx_is_not_retried(client: WixClient, fake_wix: FakeWix, clock: FakeClock) -> None:
    # GIVEN Wix refuses a request as invalid
    fake_wix.script['query_imports'] = [400]
    # WHEN it is sent
    with pytest.raises(WixValidationError):
        client.query_imports()
    # THEN it was sent once, without waiting
    assert fake_wix.count('query_imports') == 1
    assert clock.sleeps == []


def test_retries_of_an_upload_keep_the_token_when_the_first_never_connected(
    client: WixClient, fake_wix: FakeWix
) -> None:
    # GIVEN the upload host refuses the first connection
    fake_wix.script['upload_file'] = [CONNECT]
    # WHEN a file is uploaded
    client.upload_file('https://upload.test/up/f1?token=t', 'a.csv', b'x')
    # THEN the second attempt went to the same URL with the same token
    first, second = fake_wix.of('upload_file')
    assert first.request.url == second.request.url
    assert second.request.url.params['token'] == 't'
