"""Fixtures of the Wix client unit tests: the fake Wix, a fake clock, and clients wired to both."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from loyalty_import.wix import ApiKeyAuth, OAuthAppAuth, RetryPolicy, WixClient
from tests.fakes.clock import FakeClock
from tests.fakes.wix import API_KEY, BASE_URL, SITE_ID, TOKEN_URL, ClientFactory, FakeWix


@pytest.fixture
def fake_wix() -> FakeWix:
    return FakeWix()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def retry(clock: FakeClock) -> RetryPolicy:
    # random() == 1.0 makes every backoff its ceiling, so the waits are predictable.
    return RetryPolicy(
        max_attempts=6,
        max_total_s=60,
        base_delay_s=0.5,
        max_delay_s=8,
        sleep=clock.sleep,
        clock=clock,
        random=lambda: 1.0,
    )


@pytest.fixture
def make_client(fake_wix: FakeWix, retry: RetryPolicy, clock: FakeClock) -> Iterator[ClientFactory]:
    clients: list[WixClient] = []

    def make(auth: ApiKeyAuth | OAuthAppAuth | None = None, **kwargs: Any) -> WixClient:
        options: dict[str, Any] = {
            'oauth_token_url': TOKEN_URL,
            'retry': retry,
            'transport': fake_wix.transport(),
            'wall_clock': lambda: fake_wix.now,
        }
        options.update(kwargs)
        client = WixClient(BASE_URL, auth or ApiKeyAuth(api_key=API_KEY, site_id=SITE_ID), **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: ClientFactory) -> WixClient:
    return make_client()
