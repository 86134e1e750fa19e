"""Wix's two ways in: an API key with `wix-site-id`, or an OAuth app's client-credentials token.

Several sites: each has its own credentials (API key + site id, app instance id). A call names
its site by its `wix-site-id` header (API key) or by its token (issued for one app instance).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Callable
from email.message import Message

from pydantic import BaseModel, ConfigDict, ValidationError

from wix_emulator.errors import ErrorCode, WixApiError
from wix_emulator.settings import Credentials


class TokenRequest(BaseModel):
    model_config = ConfigDict(extra='forbid')

    grant_type: str
    client_id: str
    client_secret: str
    instance_id: str


def _same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


class Authenticator:
    """Checks the headers of every API call and issues OAuth tokens. Thread-safe."""

    def __init__(
        self,
        credentials: Credentials,
        *,
        token_ttl_s: float,
        clock: Callable[[], float],
        site: str = 'default',
    ) -> None:
        self._sites: dict[str, Credentials] = {site: credentials}
        self._ttl = token_ttl_s
        self._clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, tuple[float, str]] = {}  # access token -> (expiry, site name)

    def add_site(self, name: str, credentials: Credentials) -> None:
        with self._lock:
            if name in self._sites:
                raise ValueError(f'a site named {name!r} exists already')
            self._sites[name] = credentials

    def _site_of_instance(self, request: TokenRequest) -> str | None:
        with self._lock:
            sites = list(self._sites.items())
        for name, creds in sites:
            if (
                _same(request.client_id, creds.app_id)
                and _same(request.client_secret, creds.app_secret)
                and _same(request.instance_id, creds.instance_id)
            ):
                return name
        return None

    def issue_token(self, body: object) -> dict[str, object]:
        try:
            request = TokenRequest.model_validate(body)
        except ValidationError as exc:
            raise WixApiError(
                400, ErrorCode.INVALID_ARGUMENT, f'Invalid token request: {_fields(exc)}'
            ) from exc
        if request.grant_type != 'client_credentials':
            raise WixApiError(400, ErrorCode.INVALID_ARGUMENT, 'grant_type must be client_credentials')
        site = self._site_of_instance(request)
        if site is None:
            raise WixApiError(401, ErrorCode.INVALID_CLIENT, 'Unknown app, wrong secret or wrong instance')
        token = 'OAUTH2.' + secrets.token_urlsafe(32)
        with self._lock:
            self._tokens[token] = (self._clock() + self._ttl, site)
        return {'access_token': token, 'expires_in': int(self._ttl)}

    def expire_tokens(self) -> None:
        """Every token issued so far is expired from now on (the next call gets a 401)."""
        with self._lock:
            now = self._clock()
            self._tokens = {token: (now, site) for token, (_, site) in self._tokens.items()}

    def check(self, headers: Message[str, str]) -> str:
        """The name of the site the call is for; raises Wix's 401/403 when it may not call."""
        authorization = (headers.get('Authorization') or '').strip()
        if not authorization:
            raise WixApiError(401, ErrorCode.UNAUTHENTICATED, 'Missing Authorization header')
        with self._lock:
            sites = list(self._sites.items())
            token = self._tokens.get(authorization)
        if any(_same(authorization, creds.api_key) for _, creds in sites):
            return _site_of_key(authorization, (headers.get('wix-site-id') or '').strip(), sites)
        if token is None:
            raise WixApiError(401, ErrorCode.UNAUTHENTICATED, 'Invalid API key or access token')
        expiry, site = token
        if self._clock() >= expiry:
            raise WixApiError(401, ErrorCode.TOKEN_EXPIRED, 'The access token has expired')
        return site


def _site_of_key(api_key: str, site_id: str, sites: list[tuple[str, Credentials]]) -> str:
    if not site_id:
        # What Wix answers an API key call without a site: a 403, not a 401.
        raise WixApiError(403, ErrorCode.MISSING_SITE_ID, 'An API key call needs the wix-site-id header')
    for name, creds in sites:
        if _same(site_id, creds.site_id) and _same(api_key, creds.api_key):
            return name
    # A site id Wix does not know and a site this key cannot reach get the same answer from Wix.
    raise WixApiError(403, ErrorCode.PERMISSION_DENIED, 'The API key has no access to this site')


def _fields(exc: ValidationError) -> str:
    return ', '.join('.'.join(str(p) for p in err['loc']) + ': ' + err['msg'] for err in exc.errors())
