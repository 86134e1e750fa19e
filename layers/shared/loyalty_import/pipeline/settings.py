"""The Lambdas' configuration: the environment variables the SAM template sets, as one checked model.

Read once per cold start through `load_settings()` (cached), never at import time of a logic module,
so tests build a `Settings` directly and handlers fail fast on a missing variable.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


class Settings(BaseModel):
    """One field per environment variable; aliases are the variable names."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra='ignore')

    service_name: str = Field('loyalty-import', alias='POWERTOOLS_SERVICE_NAME')
    imports_table: str = Field(alias='IMPORTS_TABLE', min_length=1)
    idempotency_table: str = Field(alias='IDEMPOTENCY_TABLE', min_length=1)
    notification_topic_arn: str = Field(alias='NOTIFICATION_TOPIC_ARN', min_length=1)
    wix_secret_id: str = Field(alias='WIX_SECRET_ID', min_length=1)
    wix_base_url: str = Field('https://www.wixapis.com/_api/loyalty-imports', alias='WIX_BASE_URL')
    wix_oauth_token_url: str = Field('https://www.wixapis.com/oauth2/token', alias='WIX_OAUTH_TOKEN_URL')
    drop_bucket: str = Field(alias='DROP_BUCKET', min_length=1)
    incoming_prefix: str = Field('incoming/', alias='INCOMING_PREFIX')
    results_prefix: str = Field('results/', alias='RESULTS_PREFIX')
    # Wix refuses files over 10 MB; reading is bounded by this so a huge drop cannot exhaust memory.
    max_file_bytes: int = Field(10 * 1024 * 1024, alias='MAX_FILE_BYTES', gt=0)
    import_deadline_seconds: int = Field(21600, alias='IMPORT_DEADLINE_SECONDS', gt=0)
    parse_wait_seconds: float = Field(60.0, alias='PARSE_WAIT_SECONDS', ge=0)
    # Only the importer starts executions; the other functions do not get this variable.
    state_machine_arn: str | None = Field(None, alias='STATE_MACHINE_ARN')
    # How long the Wix credentials secret is cached in a warm container.
    secret_max_age_seconds: int = Field(300, alias='WIX_SECRET_MAX_AGE_SECONDS', gt=0)

    @field_validator('incoming_prefix', 'results_prefix')
    @classmethod
    def _prefix_ends_with_slash(cls, value: str) -> str:
        # 'results' and 'results/' must mean the same folder, never 'results-old/...'.
        return value if not value or value.endswith('/') else f'{value}/'

    @model_validator(mode='after')
    def _results_never_retrigger_the_importer(self) -> Settings:
        if not self.results_prefix or self.results_prefix.startswith(self.incoming_prefix):
            raise ValueError('RESULTS_PREFIX must be a prefix of its own, outside INCOMING_PREFIX')
        return self

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        return cls.model_validate(dict(environ))


@lru_cache(maxsize=1)
def load_settings() -> Settings:
    """The settings of this container (cached: environment variables do not change while warm)."""
    return Settings.from_env(os.environ)
