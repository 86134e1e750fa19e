"""The Wix client's one budget hook: a token of the site's shared budget before EVERY attempt of the
rate-limited endpoints (retries and a 401's token refresh included: Wix counts requests), none for
the upload to an upload URL, a download or the OAuth token request; an empty budget is retried like
a 429 and then raised as WixBudgetExhausted, with nothing sent to Wix."""

from __future__ import annotations

import pytest

from loyalty_import.wix import WixBudgetExhausted, WixClient, WixRateLimited
from loyalty_import.wix.flow import upload_and_create
from tests.fakes.clock import FakeClock
from tests.fakes.wix import ClientFactory, FakeWix, oauth_auth

CSV = b'email,points\na@example.com,10\n'


class Budget:
    """Records every draw; refuses the next `empty` ones as an empty budget would."""

    def __init__(self, fake_wix: FakeWix, empty: int = 0) -> None:
        self.fake_wix = fake_wix
        self.empty = empty
        self.draws: list[tuple[str, int]] = []  # (endpoint, requests Wix had seen before it)

    def __call__(self, endpoint: str) -> None:
        self.draws.append((endpoint, len(self.fake_wix.requests)))
        if self.empty:
            self.empty -= 1
            raise WixBudgetExhausted('empty', endpoint=endpoint, retry_after_s=2.0)


def test_every_rate_limited_request_draws_a_token_first_and_uploads_do_not(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN a client with a budget, over OAuth (whose token request is not a Loyalty call)
    budget = Budget(fake_wix)
    client: WixClient = make_client(oauth_auth(clock), budget=budget)
    # AND Wix answers the first read with a 503 (the retry is a request too)
    created = upload_and_create(client, 'balances.csv', CSV)
    fake_wix.script['get_import'] = [503]
    client.get_import(created.id)
    # THEN each Loyalty request drew one token just before it was sent ...
    drawn = [endpoint for endpoint, _ in budget.draws]
    assert drawn == ['create_upload_url', 'create_import', 'get_import', 'get_import']
    # ... and the upload and the OAuth token request drew none
    sent = [seen.endpoint for seen in fake_wix.requests]
    assert sent.count('upload_file') == 1
    assert sent.count('oauth_token') == 1
    assert len(budget.draws) == len(sent) - 2


def test_an_empty_budget_is_waited_out_like_a_429_and_nothing_reaches_wix_meanwhile(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN a budget that is empty for the first two attempts (next token in 2 s)
    record = fake_wix.add_import('PARSED')
    budget = Budget(fake_wix, empty=2)
    client = make_client(budget=budget)
    # WHEN the import is read
    read = client.get_import(record['id'])
    # THEN the client waited (at least the budget's 2 s each time) and sent one request, once allowed
    assert read.id == record['id']
    assert fake_wix.count('get_import') == 1
    assert len(clock.sleeps) == 2
    assert all(sleep >= 2.0 for sleep in clock.sleeps)


def test_a_budget_that_stays_empty_ends_the_call_with_a_retryable_error(
    make_client: ClientFactory, fake_wix: FakeWix
) -> None:
    # GIVEN a budget that never has a token
    record = fake_wix.add_import('PARSED')
    client = make_client(budget=Budget(fake_wix, empty=1000))
    # WHEN the import is read
    with pytest.raises(WixBudgetExhausted) as raised:
        client.get_import(record['id'])
    # THEN it is a WixRateLimited (the state machine and Lambda retry it), and Wix saw nothing
    assert isinstance(raised.value, WixRateLimited)
    assert raised.value.endpoint == 'get_import'
    assert fake_wix.requests == []
