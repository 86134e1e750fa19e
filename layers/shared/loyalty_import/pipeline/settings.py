"""Each function's configuration: the environment variables the SAM template sets for it, as one model.

Every function has its own model, composed from the shared pieces below (the cookbook's env-var
mixins), so it loads only the variables it uses. No field has a default: every default is a
parameter of template.yaml, the one place it is defined. Read once per cold start through
`load_settings(<model>)` (cached), never at import time of a logic module, so tests build a model
directly and handlers fail fast on a missing variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import cache
from typing import Self, TypeVar, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class FromEnvironment(BaseModel):
    """One field per environment variable; aliases are the variable names."""

    # Built on first use (defer_build): each function reads only its own settings model.
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra='ignore', defer_build=True)

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Self:
        return cls.model_validate(dict(environ))


# ---------------------------------------------------------------------------- the shared pieces


class WixVariables(FromEnvironment):
    """Every function calls Wix with the credentials of one secret (one site, or a map of sites)."""

    wix_secret_id: str = Field(alias='WIX_SECRET_ID', min_length=1)
    wix_base_url: str = Field(alias='WIX_BASE_URL', min_length=1)
    wix_accounts_base_url: str = Field(alias='WIX_ACCOUNTS_BASE_URL', min_length=1)
    wix_oauth_token_url: str = Field(alias='WIX_OAUTH_TOKEN_URL', min_length=1)
    # How long the Wix credentials secret is cached in a warm container.
    secret_max_age_seconds: int = Field(alias='WIX_SECRET_MAX_AGE_SECONDS', gt=0)
    # The sites table: each site's shared Wix call budget (`budget#<site>`, pipeline.adapters.budget).
    sites_table: str = Field(alias='SITES_TABLE', min_length=1)
    # The size of each site's budget: calls a minute (refilled continuously), and its capacity.
    wix_calls_per_minute: int = Field(alias='WIX_CALLS_PER_MINUTE', ge=1)


class RecordVariables(FromEnvironment):
    """A function that moves the import record (and so may end it and notify)."""

    imports_table: str = Field(alias='IMPORTS_TABLE', min_length=1)
    notification_topic_arn: str = Field(alias='NOTIFICATION_TOPIC_ARN', min_length=1)


class DropBucketVariables(FromEnvironment):
    """A function that reads from, or writes results beside, the dropped files."""

    incoming_prefix: str = Field(alias='INCOMING_PREFIX')
    results_prefix: str = Field(alias='RESULTS_PREFIX')

    @field_validator('incoming_prefix', 'results_prefix')
    @classmethod
    def _prefix_ends_with_slash(cls, value: str) -> str:
        # 'results' and 'results/' must mean the same folder, never 'results-old/...'.
        return value if not value or value.endswith('/') else f'{value}/'

    @model_validator(mode='after')
    def _results_never_retrigger_the_importer(self) -> Self:
        if not self.results_prefix or self.results_prefix.startswith(self.incoming_prefix):
            raise ValueError('RESULTS_PREFIX must be a prefix of its own, outside INCOMING_PREFIX')
        return self

    def is_input(self, key: str) -> bool:
        """A dropped file to import: under the incoming prefix, not a result, not a folder marker."""
        return (
            not key.endswith('/')
            and key.startswith(self.incoming_prefix)
            and not key.startswith(self.results_prefix)
        )


class SnapshotVariables(DropBucketVariables):
    """A function that may execute an import: the snapshot before it and the balance-shift check."""

    # Read every file email's Wix balance before executing, write the undo file, check the shift.
    snapshot_before_import: bool = Field(alias='SNAPSHOT_BEFORE_IMPORT')
    # Suspicious when at least this share (percent) of the matched customers holding points would
    # lose at least BALANCE_SHIFT_DROP_PERCENT of their balance (a redeemed or spent column) ...
    balance_shift_drop_share_percent: float = Field(alias='BALANCE_SHIFT_DROP_SHARE_PERCENT', gt=0, le=100)
    balance_shift_drop_percent: float = Field(alias='BALANCE_SHIFT_DROP_PERCENT', gt=0, le=100)
    # ... or when the median new/old ratio over them reaches this factor (cents, an id column).
    balance_shift_jump_factor: float = Field(alias='BALANCE_SHIFT_JUMP_FACTOR', gt=1)
    # Either rule needs this many matched customers holding points (one corrected balance is not a column).
    balance_shift_min_customers: int = Field(alias='BALANCE_SHIFT_MIN_CUSTOMERS', ge=1)


class VerifyVariables(FromEnvironment):
    """The finalizer reads back balances after IMPORTED and compares them with the file."""

    verify_sample_size: int = Field(alias='VERIFY_SAMPLE_SIZE', ge=0)
    # Account search is eventually consistent: mismatches are read again for this long.
    verify_retry_seconds: float = Field(alias='VERIFY_RETRY_SECONDS', ge=0)


# ---------------------------------------------------------------------------- one model per function


class LayoutVariables(FromEnvironment):
    """Mapping memory: the table of remembered layouts (`pipeline.review.layouts`)."""

    layouts_table: str = Field(alias='LAYOUTS_TABLE', min_length=1)


class ImporterSettings(WixVariables, RecordVariables, SnapshotVariables, LayoutVariables):
    idempotency_table: str = Field(alias='IDEMPOTENCY_TABLE', min_length=1)
    # Only the importer starts executions: the import's poller, and the review of a file a person decides.
    state_machine_arn: str = Field(alias='STATE_MACHINE_ARN', min_length=1)
    review_state_machine_arn: str = Field(alias='REVIEW_STATE_MACHINE_ARN', min_length=1)
    # How long the review execution waits for a person (its task's TimeoutSecondsPath).
    review_wait_seconds: int = Field(alias='REVIEW_WAIT_SECONDS', gt=0)
    # Reading is bounded by this so a huge drop cannot exhaust memory (Wix refuses files over 10 MB).
    max_file_bytes: int = Field(alias='MAX_FILE_BYTES', gt=0)
    # A larger source, up to this, is read as a stream and reduced (docs/large-files.md).
    max_source_bytes: int = Field(alias='MAX_SOURCE_BYTES', gt=0)
    # What the program calls its points ('Stars,Coins'): headers with these names count as points.
    points_names: str = Field(alias='POINTS_NAMES')
    import_deadline_seconds: int = Field(alias='IMPORT_DEADLINE_SECONDS', gt=0)
    parse_wait_seconds: float = Field(alias='PARSE_WAIT_SECONDS', ge=0)
    # The state machine's first wait between polls (the poller doubles it up to its cap).
    poll_first_wait_seconds: int = Field(alias='POLL_FIRST_WAIT_SECONDS', ge=1)
    # A file whose balances (its fingerprint) were imported within this many days is refused
    # ALREADY_IMPORTED; the importer's claim on them lasts as long.
    reimport_window_days: int = Field(alias='REIMPORT_WINDOW_DAYS', ge=1)


class PollerSettings(WixVariables):
    # The cap of the doubling wait between two polls.
    poll_max_wait_seconds: int = Field(alias='POLL_MAX_WAIT_SECONDS', ge=1)


class ExecutorSettings(WixVariables, RecordVariables, SnapshotVariables):
    pass


class FinalizerSettings(WixVariables, RecordVariables, DropBucketVariables, VerifyVariables):
    # The fingerprint of an IMPORTED file is kept this many days (the table's TTL) from its end.
    reimport_window_days: int = Field(alias='REIMPORT_WINDOW_DAYS', ge=1)


class ReviewSettings(RecordVariables, LayoutVariables):
    """The review function: the page, the link and its expiry; it never calls Wix."""

    # How long a person has to decide (the ReviewStateMachine's wait is bounded by the same parameter).
    review_wait_seconds: int = Field(alias='REVIEW_WAIT_SECONDS', gt=0)
    # A chosen mapping is validated like an override: the file is read and inspected again.
    max_file_bytes: int = Field(alias='MAX_FILE_BYTES', gt=0)
    points_names: str = Field(alias='POINTS_NAMES')


Settings = TypeVar('Settings', bound=FromEnvironment)


def load_settings(model: type[Settings]) -> Settings:
    """The settings of this container (cached: environment variables do not change while warm)."""
    return cast(Settings, _load(model))


@cache
def _load(model: type[FromEnvironment]) -> FromEnvironment:
    return model.from_env(os.environ)
