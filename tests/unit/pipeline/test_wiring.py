from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from loyalty_import.pipeline import invocation, observability
from loyalty_import.pipeline.sites import SiteChoice, UnknownSite
from loyalty_import.pipeline.wiring import WixClientProvider
from loyalty_import.wix import ApiKeyAuth, OAuthAppAuth, WixClient
from tests.unit.pipeline.fakes import make_settings


class FakeBudgets:
    """The sites' call budgets: records which site each client was built to draw on."""

    def __init__(self) -> None:
        self.sites: list[str] = []

    def for_site(self, site: str) -> Callable[[str], None]:
        self.sites.append(site)
        return lambda endpoint: None


class RotatingSecret:
    """The credentials secret as Powertools' cache returns it; a test rotates it."""

    def __init__(self) -> None:
        self.value: dict[str, Any] = {'mode': 'api_key', 'api_key': 'key-1', 'site_id': 'site'}
        self.reads = 0

    def get(self) -> dict[str, Any]:
        self.reads += 1
        return dict(self.value)


def test_the_wix_client_is_built_once_and_rebuilt_when_the_secret_rotates() -> None:
    # GIVEN a provider over a credentials secret
    secret = RotatingSecret()
    provider = WixClientProvider(make_settings(), source=secret, budget=FakeBudgets())
    # WHEN the client is asked for twice
    first = provider()
    again = provider()
    # THEN it is one client (one container, one connection pool)
    assert again is first
    # AND when the secret's value changes, the next call gets a client with the new credentials
    secret.value = {'mode': 'oauth', 'app_id': 'app', 'app_secret': 'secret-2', 'instance_id': 'inst'}
    rotated = provider()
    assert rotated is not first
    assert provider() is rotated
    assert secret.reads == 4


MULTI_SITE = {
    'sites': {
        'shop-a': {'mode': 'api_key', 'api_key': 'key-a', 'site_id': 'site-a'},
        'Shop-B': {'mode': 'oauth', 'app_id': 'app', 'app_secret': 'secret-b', 'instance_id': 'inst-b'},
    }
}


def _auth(client: object) -> ApiKeyAuth | OAuthAppAuth:
    assert isinstance(client, WixClient)
    return client._auth


def test_each_site_of_a_multi_site_secret_gets_its_own_client_and_budget() -> None:
    # GIVEN a provider over a secret with two sites
    secret = RotatingSecret()
    secret.value = MULTI_SITE
    budgets = FakeBudgets()
    provider = WixClientProvider(make_settings(), source=secret, budget=budgets)
    # WHEN each site's client is asked for
    a, b = provider('shop-a'), provider('shop-b')
    # THEN each has its own site's credentials (names compared lower-cased) and its own budget
    auth_a, auth_b = _auth(a), _auth(b)
    assert isinstance(auth_a, ApiKeyAuth)
    assert auth_a.site_id == 'site-a'
    assert isinstance(auth_b, OAuthAppAuth)
    assert auth_b.instance_id == 'inst-b'
    assert budgets.sites == ['shop-a', 'shop-b']
    assert provider('shop-a') is a
    # AND a site the secret does not have is never given another site's client
    with pytest.raises(UnknownSite):
        provider('shop-c')


def test_the_site_of_a_file_is_its_first_folder_in_multi_site_mode_and_default_otherwise() -> None:
    secret = RotatingSecret()
    provider = WixClientProvider(make_settings(), source=secret, budget=FakeBudgets())
    # single-site mode (today's flat secret): any folder goes to the one site
    assert provider.choose('incoming/anything/x.csv', 'incoming/') == SiteChoice('default', known=True)
    assert provider.choose('incoming/x.csv', 'incoming/') == SiteChoice('default', known=True)
    # multi-site mode: the first folder, lower-cased, must be a key of the map
    secret.value = MULTI_SITE
    assert provider.choose('incoming/SHOP-B/deep/x.csv', 'incoming/') == SiteChoice('shop-b', known=True)
    assert provider.choose('incoming/shop-c/x.csv', 'incoming/') == SiteChoice('shop-c', known=False)
    assert provider.choose('incoming/x.csv', 'incoming/') == SiteChoice('', known=False)


def test_the_budget_waits_are_bounded_by_the_invocation_only_while_it_runs(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 42_000

    class NoTracer:
        def capture_lambda_handler(self, handler: Callable[..., None]) -> Callable[..., None]:
            return handler

    monkeypatch.setattr(observability, 'get_tracer', NoTracer)
    seen: list[float | None] = []

    @observability.capture_lambda_handler
    def handler(event: Any, context: Any) -> None:
        seen.append(invocation.remaining_s())

    # WHEN a handler runs, the Wix budget sees its invocation's remaining time; after it, none
    handler({}, Context())
    assert seen == [42.0]
    assert invocation.remaining_s() is None
