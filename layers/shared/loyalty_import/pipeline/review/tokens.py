"""Review links: an unguessable token per review, stored only as its SHA-256.

The token is 32 random bytes (`secrets.token_urlsafe`), so guessing one is hopeless; the imports
table keeps its hash (the link item's key and the record's `review.tokenHash`), never the token, so
a copy of the table opens no review. The form's anti-CSRF value is a second random value, kept in
the record: it is only accepted together with a valid token (synchronizer-token pattern).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode('utf-8')).hexdigest()


def same(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison (False when either is missing)."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode('utf-8'), expected.encode('utf-8'))


def looks_like_token(value: str | None) -> bool:
    """A cheap shape check before any lookup: urlsafe base64 of TOKEN_BYTES bytes."""
    if not value or len(value) != 43:
        return False
    return all(char.isalnum() or char in '-_' for char in value)
