"""Both auth modes: API key headers, the OAuth token cache, refresh before expiry and once on a 401."""

from __future__ import annotations

import pytest

from loyalty_import.wix import ApiKeyAuth, OAuthAppAuth, WixAuthError, WixClient, WixUnavailable
from loyalty_import.wix.auth import InvalidWixSecret, auth_from_secret
from tests.fakes.clock import FakeClock
from tests.fakes.wix import (
    API_KEY,
    APP_SECRET,
    SITE_ID,
    ClientFactory,
    FakeWix,
    oauth_auth,
)


def test_oauth_token_is_fetched_once_and_cached(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN an OAuth client
    client = make_client(oauth_auth(clock))
    # WHEN three calls are made
    for _ in range(3):
        client.query_imports()
    # THEN one token was fetched and used for all three
    assert fake_wix.count('oauth_token') == 1
    assert {seen.request.headers['Authorization'] for seen in fake_wix.of('query_imports')} == {
        fake_wix.issued_tokens[0]
    }


def test_the_token_cache_outlives_a_client(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN one auth object shared by two clients (e.g. kept across Lambda invocations)
    auth = oauth_auth(clock)
    # WHEN each client makes a call
    make_client(auth).query_imports()
    make_client(auth).query_imports()
    # THEN the token was fetched once
    assert fake_wix.count('oauth_token') == 1


def test_token_is_refreshed_before_it_expires(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN a 4-hour token and a 5-minute refresh margin
    client = make_client(oauth_auth(clock))
    client.query_imports()
    # WHEN time moves to 6 minutes before expiry, then to 4 minutes before
    clock.advance(14400 - 360)
    client.query_imports()
    tokens_before_margin = fake_wix.count('oauth_token')
    clock.advance(120)
    client.query_imports()
    # THEN the token is still reused at 6 minutes, and replaced at 4 (before Wix would reject it)
    assert tokens_before_margin == 1
    assert fake_wix.count('oauth_token') == 2
    last = fake_wix.of('query_imports')[-1]
    assert last.request.headers['Authorization'] == fake_wix.issued_tokens[1]


def test_short_lived_tokens_refresh_at_half_life(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN tokens that live 10 seconds (shorter than the 5-minute margin)
    fake_wix.token_ttl_s = 10
    client = make_client(oauth_auth(clock))
    client.query_imports()
    # WHEN 4 s, then 6 s pass
    clock.advance(4)
    client.query_imports()
    clock.advance(2)
    client.query_imports()
    # THEN the token is reused, then refreshed past half its life (not on every call)
    assert fake_wix.count('oauth_token') == 2
    assert fake_wix.count('query_imports') == 3


def test_a_401_refreshes_the_token_once_and_retries(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN a cached token that Wix revokes early
    client = make_client(oauth_auth(clock))
    client.query_imports()
    fake_wix.valid_tokens.clear()
    # WHEN the next call is made
    page = client.query_imports()
    # THEN the client fetched a new token and the call succeeded without a backoff
    assert page.loyalty_imports == []
    assert fake_wix.count('oauth_token') == 2
    assert fake_wix.of('query_imports')[-1].request.headers['Authorization'] == fake_wix.issued_tokens[1]
    assert clock.sleeps == []


def test_a_second_401_is_a_wix_auth_error(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN Wix rejects every token it issues (e.g. the app lost its permission)
    client = make_client(oauth_auth(clock))
    fake_wix.script['query_imports'] = [401, 401, 401]
    # WHEN a call is made
    with pytest.raises(WixAuthError) as raised:
        client.query_imports()
    # THEN it refreshed exactly once, then raised with Wix's status
    assert fake_wix.count('oauth_token') == 2
    assert fake_wix.count('query_imports') == 2
    assert raised.value.status_code == 401


def test_api_key_401_is_not_retried(client: WixClient, fake_wix: FakeWix) -> None:
    # GIVEN Wix refuses the API key
    fake_wix.script['query_imports'] = [401]
    # WHEN a call is made
    with pytest.raises(WixAuthError):
        client.query_imports()
    # THEN nothing was retried and no token endpoint was involved
    assert fake_wix.count('query_imports') == 1
    assert fake_wix.count('oauth_token') == 0


def test_missing_site_id_is_a_403_auth_error(make_client: ClientFactory, fake_wix: FakeWix) -> None:
    # GIVEN an API key paired with the wrong site
    client = make_client(ApiKeyAuth(api_key=API_KEY, site_id='another-site'))
    # WHEN a call is made
    with pytest.raises(WixAuthError) as raised:
        client.query_imports()
    # THEN Wix's 403 is an auth error
    assert raised.value.status_code == 403


@pytest.mark.parametrize('status', [400, 401, 403])
def test_wrong_app_credentials_are_an_auth_error(
    status: int, make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN the token endpoint refuses the app's credentials
    client = make_client(oauth_auth(clock))
    fake_wix.script['oauth_token'] = [status]
    # WHEN a call is made
    with pytest.raises(WixAuthError) as raised:
        client.query_imports()
    # THEN it is an auth error from the token endpoint, and the API itself was never called
    assert raised.value.endpoint == 'oauth_token'
    assert fake_wix.count('query_imports') == 0


def test_token_endpoint_outage_is_retried_then_unavailable(
    make_client: ClientFactory, fake_wix: FakeWix, clock: FakeClock
) -> None:
    # GIVEN the token endpoint is down for good
    client = make_client(oauth_auth(clock))
    fake_wix.script['oauth_token'] = [503] * 10
    # WHEN a call is made
    with pytest.raises(WixUnavailable):
        client.query_imports()
    # THEN the token fetch was retried within its budget
    assert fake_wix.count('oauth_token') == 6


def test_auth_from_secret_both_modes() -> None:
    # WHEN each documented secret shape is read
    api_key = auth_from_secret({'mode': 'api_key', 'api_key': 'k', 'site_id': 's'})
    oauth = auth_from_secret({'mode': 'oauth', 'app_id': 'a', 'app_secret': 'p', 'instance_id': 'i'})
    # THEN each becomes its auth
    assert api_key == ApiKeyAuth(api_key='k', site_id='s')
    assert isinstance(oauth, OAuthAppAuth)
    assert (oauth.app_id, oauth.app_secret, oauth.instance_id) == ('a', 'p', 'i')


@pytest.mark.parametrize(
    'secret',
    [
        {'mode': 'api_key', 'api_key': API_KEY},
        {'mode': 'oauth', 'app_id': 'a', 'app_secret': APP_SECRET},
        {'mode': 'password', 'api_key': API_KEY, 'site_id': SITE_ID},
        {'api_key': API_KEY, 'site_id': SITE_ID},
        {'mode': 'api_key', 'api_key': API_KEY, 'site_id': ''},
    ],
)
def test_a_malformed_secret_is_refused_without_quoting_it(secret: dict[str, str]) -> None:
    # WHEN a malformed secret is read
    with pytest.raises(InvalidWixSecret) as raised:
        auth_from_secret(secret)
    # THEN the error says what is wrong but quotes no secret value
    text = str(raised.value) + repr(raised.value)
    assert 'malformed' in text
    assert API_KEY not in text
    assert APP_SECRET not in text
    assert raised.value.__cause__ is None


def test_secrets_stay_out_of_repr(clock: FakeClock) -> None:
    # GIVEN both auths
    api_key = ApiKeyAuth(api_key=API_KEY, site_id=SITE_ID)
    oauth = oauth_auth(clock)
    # THEN their repr names them without the secrets
    assert API_KEY not in repr(api_key)
    assert SITE_ID in repr(api_key)
    assert APP_SECRET not in repr(oauth)
    assert APP_SECRET not in repr(oauth.token_request())


def test_empty_credentials_are_refused() -> None:
    with pytest.raises(ValueError, match='api_key'):
        ApiKeyAuth(api_key='', site_id=SITE_ID)
    with pytest.raises(ValueError, match='app_secret'):
        OAuthAppAuth(app_id='a', app_secret='', instance_id='i')
