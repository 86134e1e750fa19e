"""The two ways to authenticate to Wix: a site API key, or a Wix app's OAuth client credentials.

`OAuthAppAuth` keeps its access token, so whoever keeps the auth object (e.g. a Lambda at cold
start) reuses the token across calls and clients until shortly before it expires.
Secrets never appear in `repr`, in logs or in error messages.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from loyalty_import.wix.models import OAuthTokenRequest, OAuthTokenResponse

# Refresh this long before the token's announced expiry (capped at half its lifetime for short
# tokens) so that a request never leaves with a token that expires on the way.
DEFAULT_REFRESH_MARGIN_S = 300.0


@dataclass(frozen=True)
class ApiKeyAuth:
    """A site owner's API key: `Authorization: <key>` plus `wix-site-id` (without it Wix answers 403)."""

    api_key: str = field(repr=False)
    site_id: str

    def __post_init__(self) -> None:
        if not self.api_key or not self.site_id:
            raise ValueError('ApiKeyAuth needs a non-empty api_key and site_id')

    def static_headers(self) -> dict[str, str]:
        return {'Authorization': self.api_key, 'wix-site-id': self.site_id}


@dataclass(eq=False)
class OAuthAppAuth:
    """A Wix app's client credentials, exchanged at `/oauth2/token` for an access token it caches."""

    app_id: str
    app_secret: str = field(repr=False)
    instance_id: str
    refresh_margin_s: float = DEFAULT_REFRESH_MARGIN_S
    clock: Callable[[], float] = field(default=time.monotonic, repr=False)
    _token: str | None = field(default=None, init=False, repr=False)
    _refresh_at: float = field(default=0.0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.app_id or not self.app_secret or not self.instance_id:
            raise ValueError('OAuthAppAuth needs a non-empty app_id, app_secret and instance_id')

    def token_request(self) -> OAuthTokenRequest:
        return OAuthTokenRequest(
            client_id=self.app_id, client_secret=self.app_secret, instance_id=self.instance_id
        )

    def access_token(self, fetch: Callable[[OAuthTokenRequest], OAuthTokenResponse]) -> str:
        """The cached token, or a new one from `fetch` when there is none or it is about to expire."""
        with self._lock:  # one fetch even when threads share the auth object
            if self._token is not None and self.clock() < self._refresh_at:
                return self._token
            fetched_at = self.clock()
            response = fetch(self.token_request())
            margin = min(self.refresh_margin_s, response.expires_in / 2)
            self._token = response.access_token
            self._refresh_at = fetched_at + response.expires_in - margin
            return self._token

    def invalidate(self, token: str) -> None:
        """Forget `token` (Wix rejected it); a token another thread already replaced it with is kept."""
        with self._lock:
            if self._token == token:
                self._token = None


WixAuth = ApiKeyAuth | OAuthAppAuth


class InvalidWixSecret(ValueError):  # noqa: N818 - reads better than InvalidWixSecretError
    """The credentials secret is not one of the two documented JSON shapes (values never quoted)."""


class _ApiKeySecret(BaseModel):
    model_config = ConfigDict(extra='ignore')
    mode: Literal['api_key']
    api_key: str = Field(min_length=1)
    site_id: str = Field(min_length=1)


class _OAuthSecret(BaseModel):
    model_config = ConfigDict(extra='ignore')
    mode: Literal['oauth']
    app_id: str = Field(min_length=1)
    app_secret: str = Field(min_length=1)
    instance_id: str = Field(min_length=1)


_SECRET_ADAPTER: TypeAdapter[_ApiKeySecret | _OAuthSecret] = TypeAdapter(
    Annotated[_ApiKeySecret | _OAuthSecret, Field(discriminator='mode')]
)


def auth_from_secret(secret: Mapping[str, Any]) -> ApiKeyAuth | OAuthAppAuth:
    """Build the auth from the Secrets Manager JSON:

    `{"mode": "api_key", "api_key": ..., "site_id": ...}` or
    `{"mode": "oauth", "app_id": ..., "app_secret": ..., "instance_id": ...}`.
    """
    try:
        parsed = _SECRET_ADAPTER.validate_python(dict(secret))
    except ValidationError as exc:
        # pydantic's message quotes the input values, i.e. the secret: report only where and what.
        problems = '; '.join(
            f'{".".join(str(part) for part in error["loc"])}: {error["type"]}' for error in exc.errors()
        )
        raise InvalidWixSecret(f'the Wix credentials secret is malformed ({problems})') from None
    if isinstance(parsed, _ApiKeySecret):
        return ApiKeyAuth(api_key=parsed.api_key, site_id=parsed.site_id)
    return OAuthAppAuth(app_id=parsed.app_id, app_secret=parsed.app_secret, instance_id=parsed.instance_id)
