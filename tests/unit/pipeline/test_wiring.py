from __future__ import annotations

from typing import Any

from loyalty_import.pipeline.wiring import WixClientProvider
from tests.unit.pipeline.fakes import make_settings


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
    provider = WixClientProvider(make_settings(), source=secret)
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
