"""What a test or the demo can tune on the emulator, and the fake credentials it accepts."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass, field
from typing import Literal

# Wix refuses uploads over 10 MB (contract `max_file_bytes`); a test checks the two agree.
MAX_FILE_BYTES = 10 * 1024 * 1024
# About four hours, like the tokens Wix's /oauth2/token hands out.
DEFAULT_TOKEN_TTL_S = 14400


@dataclass(frozen=True)
class Pace:
    """Realistic, size-dependent times (instead of the fixed parse and import delays).

    parse = parse_base_s + parse_s_per_mb * file MB; import = import_base_s + rows / rows_per_s
    (each site may have its own rows_per_s: `WixEmulator.add_site(..., rows_per_s=)`). Each time
    is then scaled by a deterministic jitter within +-`jitter`, seeded by (seed, site, import
    sequence number): the same run gives the same times, different imports differ.
    """

    parse_base_s: float = 1.0
    parse_s_per_mb: float = 1.0
    import_base_s: float = 2.0
    rows_per_s: float = 1000.0
    jitter: float = 0.05
    seed: int = 0

    def __post_init__(self) -> None:
        if self.rows_per_s <= 0:
            raise ValueError('rows_per_s must be positive')
        if not 0 <= self.jitter < 1:
            raise ValueError('jitter must be within [0, 1)')
        for name in ('parse_base_s', 'parse_s_per_mb', 'import_base_s'):
            if getattr(self, name) < 0:
                raise ValueError(f'{name} must not be negative')


@dataclass(frozen=True)
class EmulatorSettings:
    """Delays in seconds; tests use milliseconds, the demo seconds.

    Every address is a known contact except `unknown_contacts`, unless `known_contacts` is set,
    in which case only those are known. Both compare case-insensitively.
    """

    parse_delay_s: float = 1.0
    import_delay_s: float = 2.0
    unknown_contacts: frozenset[str] = frozenset()
    known_contacts: frozenset[str] | None = None
    token_ttl_s: float = DEFAULT_TOKEN_TTL_S
    slow_s: float = 3.0
    # The parse delay counts from the import's first read (get) instead of its creation, so that
    # read always finds the file unparsed however long the client took to get there: a client
    # that looks once and moves on (the importer with ParseWaitSeconds=0) never sees it PARSED.
    parse_starts_on_first_read: bool = False
    retry_after_s: int = 1
    max_file_bytes: int = MAX_FILE_BYTES
    # Loyalty Accounts reads (search, query, count, program totals) see the accounts as they were
    # this many seconds ago by the emulator's clock: Wix's search and query are eventually consistent.
    accounts_lag_s: float = 0.0
    # 'set': an executed import sets each row's balance (what Wix's wording implies); 'add': it adds
    # the row's points to the existing balance (a Wix that behaves otherwise, for verification tests).
    import_mode: Literal['set', 'add'] = 'set'
    # The most accounts one Search/Query page holds, whatever limit (<= 100) was asked: a test
    # lowers it to make a client follow cursors with a handful of accounts.
    accounts_page_max: int = 100
    # What an import's fileMetadata.name holds: 'echo' the fileName sent (what Wix's pages suggest),
    # or 'guid', a fresh GUID per import (what the SDK's typings say: `@format GUID`, `@readonly`).
    file_name_mode: Literal['echo', 'guid'] = 'echo'
    # Wix's rate limit: past this many API calls (ratelimit.RATE_LIMITED_ENDPOINTS) in any 60 s,
    # per site, a 429 with Retry-After. None: no limit (what every test not about it expects).
    rate_limit_per_min: int | None = None
    # None: the fixed parse_delay_s and import_delay_s. Else size-dependent times (see Pace).
    pace: Pace | None = None

    def __post_init__(self) -> None:
        # Frozen, so normalise through object.__setattr__: contacts match case-insensitively.
        object.__setattr__(
            self, 'unknown_contacts', frozenset(e.strip().lower() for e in self.unknown_contacts)
        )
        if self.known_contacts is not None:
            object.__setattr__(
                self, 'known_contacts', frozenset(e.strip().lower() for e in self.known_contacts)
            )
        if self.rate_limit_per_min is not None and self.rate_limit_per_min < 1:
            raise ValueError('rate_limit_per_min must be at least 1 (None: no limit)')
        if not 1 <= self.accounts_page_max <= 100:
            raise ValueError('accounts_page_max must be within [1, 100]')
        if self.file_name_mode not in ('echo', 'guid'):
            raise ValueError(f"file_name_mode must be 'echo' or 'guid', not {self.file_name_mode!r}")
        if self.import_mode not in ('set', 'add'):
            raise ValueError(f"import_mode must be 'set' or 'add', not {self.import_mode!r}")
        for name in ('parse_delay_s', 'import_delay_s', 'token_ttl_s', 'slow_s', 'accounts_lag_s'):
            if getattr(self, name) < 0:
                raise ValueError(f'{name} must not be negative')

    def is_known_contact(self, email: str) -> bool:
        key = email.strip().lower()
        if self.known_contacts is not None:
            return key in self.known_contacts
        return key not in self.unknown_contacts


def _random_secret() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Credentials:
    """Fake credentials, random per emulator, so a test can never pass with a hard-coded key."""

    api_key: str = field(default_factory=lambda: 'IST.' + _random_secret())
    site_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    app_secret: str = field(default_factory=_random_secret)
    instance_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __repr__(self) -> str:
        # Keep secrets out of pytest failure output and logs.
        return (
            f'Credentials(site_id={self.site_id!r}, app_id={self.app_id!r}, instance_id={self.instance_id!r})'
        )
