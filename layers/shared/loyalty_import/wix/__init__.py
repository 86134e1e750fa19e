"""Wix Loyalty Imports client: the seven REST operations, both auth modes, retries, typed errors.

    with WixClient(base_url, ApiKeyAuth(api_key=..., site_id=...), oauth_token_url=token_url) as client:
        created = flow.upload_and_create(client, 'balances.csv', content)

See `client.WixClient` for the guarantees (a lost create never leaves two imports, an execute
never runs twice) and `auth.auth_from_secret` for the Secrets Manager JSON shapes.
"""

from __future__ import annotations

from loyalty_import.wix.accounts import AccountBalance
from loyalty_import.wix.auth import ApiKeyAuth, OAuthAppAuth, auth_from_secret
from loyalty_import.wix.client import WixClient
from loyalty_import.wix.errors import (
    WixAuthError,
    WixBudgetExhausted,
    WixError,
    WixNotFound,
    WixRateLimited,
    WixUnavailable,
    WixValidationError,
)
from loyalty_import.wix.models import ImportStatus, LoyaltyImport, QueryPage, UploadUrl
from loyalty_import.wix.retry import RetryPolicy

__all__ = [
    'AccountBalance',
    'ApiKeyAuth',
    'ImportStatus',
    'LoyaltyImport',
    'OAuthAppAuth',
    'QueryPage',
    'RetryPolicy',
    'UploadUrl',
    'WixAuthError',
    'WixBudgetExhausted',
    'WixClient',
    'WixError',
    'WixNotFound',
    'WixRateLimited',
    'WixUnavailable',
    'WixValidationError',
    'auth_from_secret',
]
