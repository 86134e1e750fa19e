"""Every code an import record's `error` can carry, refusals and failures, with what each one means.

A code's entry says which final status it ends the import in, whether naming the columns with
S3 metadata can fix it (a refusal the merchant can override), and the next steps its notification
gives (none: the status's own, or the generic "check Wix and the logs"). Which exception becomes
which code is one table keyed by the exception classes themselves; Step Functions reports a task's
error by class name, so the names are derived from those classes, never typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from loyalty_import.pipeline.errors import ImportAborted, InvalidCredentials
from loyalty_import.pipeline.models import RecordStatus
from loyalty_import.wix.auth import InvalidWixSecret
from loyalty_import.wix.errors import (
    WixAuthError,
    WixBudgetExhausted,
    WixNotFound,
    WixRateLimited,
    WixUnavailable,
    WixValidationError,
)

# The end of most next steps: what makes a fixed file count.
REDROP = 'then upload the file again (a new upload is a new import).'


class ErrorCode(StrEnum):
    # Refusals: the file is not imported (the CSV inspection's RefusalCode, and the size bound).
    EMPTY_FILE = 'EMPTY_FILE'
    FILE_TOO_LARGE = 'FILE_TOO_LARGE'
    NOT_A_CSV = 'NOT_A_CSV'
    NO_EMAIL_COLUMN = 'NO_EMAIL_COLUMN'
    NO_POINTS_COLUMN = 'NO_POINTS_COLUMN'
    AMBIGUOUS_EMAIL = 'AMBIGUOUS_EMAIL'
    AMBIGUOUS_POINTS = 'AMBIGUOUS_POINTS'
    TOO_MANY_INVALID_ROWS = 'TOO_MANY_INVALID_ROWS'
    BAD_OVERRIDE = 'BAD_OVERRIDE'
    POINTS_OUT_OF_RANGE = 'POINTS_OUT_OF_RANGE'
    NOT_A_BALANCE_FILE = 'NOT_A_BALANCE_FILE'
    ROW_TOO_LARGE = 'ROW_TOO_LARGE'
    # A review decision: a person must confirm the proposal (nothing reached Wix).
    NEEDS_REVIEW = 'NEEDS_REVIEW'
    # The review's end without an import: a person declined it, or nobody answered in time.
    REVIEW_REJECTED = 'REVIEW_REJECTED'
    REVIEW_EXPIRED = 'REVIEW_EXPIRED'
    # The file would move most balances the way a wrong column does (checked before execute).
    BALANCE_SHIFT_SUSPICIOUS = 'BALANCE_SHIFT_SUSPICIOUS'
    # The same balances (email/points pairs) were imported within the re-import window.
    ALREADY_IMPORTED = 'ALREADY_IMPORTED'
    # Multi-site mode: the file's folder names no site of the credentials secret (docs/sites.md).
    UNKNOWN_SITE = 'UNKNOWN_SITE'
    # Failures: the pipeline's own and Wix's.
    SOURCE_NOT_FOUND = 'SOURCE_NOT_FOUND'
    INSPECTION_ERROR = 'INSPECTION_ERROR'
    HEADER_MISMATCH = 'HEADER_MISMATCH'
    SNAPSHOT_FAILED = 'SNAPSHOT_FAILED'
    WIX_PARSE_FAILED = 'WIX_PARSE_FAILED'
    WIX_IMPORT_FAILED = 'WIX_IMPORT_FAILED'
    WIX_REJECTED_REQUEST = 'WIX_REJECTED_REQUEST'
    WIX_AUTH_FAILED = 'WIX_AUTH_FAILED'
    WIX_NOT_FOUND = 'WIX_NOT_FOUND'
    WIX_UNAVAILABLE = 'WIX_UNAVAILABLE'
    WIX_CREDENTIALS_INVALID = 'WIX_CREDENTIALS_INVALID'
    WIX_ERROR = 'WIX_ERROR'
    WORKFLOW_ERROR = 'WORKFLOW_ERROR'
    UNEXPECTED_STATE = 'UNEXPECTED_STATE'
    PIPELINE_ERROR = 'PIPELINE_ERROR'
    # The deadline passed before Wix finished.
    DEADLINE_EXCEEDED = 'DEADLINE_EXCEEDED'
    # A file imported as several Wix imports: at least one part did not import (the others did).
    PART_FAILED = 'PART_FAILED'


@dataclass(frozen=True)
class CodeInfo:
    status: RecordStatus
    # Naming the columns with x-amz-meta-email-column / x-amz-meta-points-column can fix it.
    override_fixes: bool = False
    # The notification's next steps for a FAILED or REJECTED import with this code (empty: the
    # generic ones of its status).
    next_steps: tuple[str, ...] = ()


_REFUSED = CodeInfo(RecordStatus.REJECTED)
_OVERRIDABLE = CodeInfo(RecordStatus.REJECTED, override_fixes=True)
_FAILED = CodeInfo(RecordStatus.FAILED)
_CREDENTIALS = CodeInfo(
    RecordStatus.FAILED,
    next_steps=(
        (
            'Check the Wix credentials secret (API key and site id, or app id/secret/instance id) and '
            f'its Manage Loyalty permission; {REDROP}'
        ),
    ),
)

CODES: dict[ErrorCode, CodeInfo] = {
    ErrorCode.EMPTY_FILE: _REFUSED,
    ErrorCode.FILE_TOO_LARGE: _REFUSED,
    ErrorCode.NOT_A_CSV: _REFUSED,
    ErrorCode.NO_EMAIL_COLUMN: _OVERRIDABLE,
    ErrorCode.NO_POINTS_COLUMN: _OVERRIDABLE,
    ErrorCode.AMBIGUOUS_EMAIL: _OVERRIDABLE,
    ErrorCode.AMBIGUOUS_POINTS: _OVERRIDABLE,
    ErrorCode.TOO_MANY_INVALID_ROWS: _REFUSED,
    ErrorCode.BAD_OVERRIDE: _OVERRIDABLE,
    ErrorCode.POINTS_OUT_OF_RANGE: _REFUSED,
    ErrorCode.NOT_A_BALANCE_FILE: _REFUSED,
    ErrorCode.ROW_TOO_LARGE: _REFUSED,
    ErrorCode.NEEDS_REVIEW: _OVERRIDABLE,
    ErrorCode.REVIEW_REJECTED: CodeInfo(
        RecordStatus.REVIEW_REJECTED,
        next_steps=('Nothing was sent to Wix. To import the file after all, ' + REDROP,),
    ),
    ErrorCode.REVIEW_EXPIRED: CodeInfo(
        RecordStatus.REVIEW_EXPIRED,
        next_steps=('Nothing was sent to Wix: nobody decided before the deadline. ' + REDROP,),
    ),
    ErrorCode.BALANCE_SHIFT_SUSPICIOUS: CodeInfo(
        RecordStatus.REJECTED,
        next_steps=(
            'The Wix import was created but NOT executed: no balance changed.',
            (
                'Check that the points column holds the current balance (not points redeemed, spent '
                f'or earned, nor an amount in cents); fix the file, {REDROP}'
            ),
        ),
    ),
    ErrorCode.ALREADY_IMPORTED: CodeInfo(
        RecordStatus.REJECTED,
        next_steps=(
            (
                'Nothing was sent to Wix: the same balances were imported (or are being imported) from '
                'the file the message names.'
            ),
            'To set them again, upload it again with x-amz-meta-reimport: true to import it anyway.',
        ),
    ),
    ErrorCode.UNKNOWN_SITE: CodeInfo(
        RecordStatus.REJECTED,
        next_steps=(
            'Nothing was sent to Wix (and never to another site).',
            (
                'Add the site under "sites" in the Wix credentials secret (docs/sites.md), or move the '
                f'file into the folder of a site the secret has; {REDROP}'
            ),
        ),
    ),
    ErrorCode.SOURCE_NOT_FOUND: CodeInfo(
        RecordStatus.FAILED, next_steps=(f'The file was deleted before it could be read; {REDROP}',)
    ),
    ErrorCode.INSPECTION_ERROR: _FAILED,
    ErrorCode.HEADER_MISMATCH: CodeInfo(
        RecordStatus.FAILED,
        next_steps=(
            'Wix read the file differently than the pipeline did: nothing was executed, no balance changed.',
            f'Check the delimiter and quoting, or save the file as UTF-8 comma-separated CSV; {REDROP}',
        ),
    ),
    ErrorCode.SNAPSHOT_FAILED: CodeInfo(
        RecordStatus.FAILED,
        next_steps=(
            'Wix did not answer the balance lookup before the import: nothing was executed.',
            f'Check the Wix credentials (Read Loyalty) and the Wix status; {REDROP}',
        ),
    ),
    ErrorCode.WIX_PARSE_FAILED: CodeInfo(
        RecordStatus.FAILED, next_steps=(f'Wix could not read the file. Fix what the error says; {REDROP}',)
    ),
    ErrorCode.WIX_IMPORT_FAILED: _FAILED,
    ErrorCode.WIX_REJECTED_REQUEST: _FAILED,
    ErrorCode.WIX_AUTH_FAILED: _CREDENTIALS,
    ErrorCode.WIX_NOT_FOUND: _FAILED,
    # FAILED before execute; TIMED_OUT when Wix stopped answering after it (the finalizer decides).
    ErrorCode.WIX_UNAVAILABLE: _FAILED,
    ErrorCode.WIX_CREDENTIALS_INVALID: _CREDENTIALS,
    ErrorCode.WIX_ERROR: _FAILED,
    ErrorCode.WORKFLOW_ERROR: _FAILED,
    ErrorCode.UNEXPECTED_STATE: _FAILED,
    ErrorCode.PIPELINE_ERROR: _FAILED,
    ErrorCode.DEADLINE_EXCEEDED: CodeInfo(RecordStatus.TIMED_OUT),
    ErrorCode.PART_FAILED: CodeInfo(
        RecordStatus.FAILED,
        next_steps=(
            'The message says which parts were imported (their balances are set) and which were not.',
            (
                'Fix what the failed parts report, then upload the whole file again: Wix sets '
                'balances (it does not add them), so the parts already imported are set again to '
                'the same values.'
            ),
        ),
    ),
}

# The exception (or a base class of it) -> the record's error code.
CODES_BY_EXCEPTION: dict[type[Exception], ErrorCode] = {
    WixAuthError: ErrorCode.WIX_AUTH_FAILED,
    WixNotFound: ErrorCode.WIX_NOT_FOUND,
    WixValidationError: ErrorCode.WIX_REJECTED_REQUEST,
    WixBudgetExhausted: ErrorCode.WIX_UNAVAILABLE,
    WixRateLimited: ErrorCode.WIX_UNAVAILABLE,
    WixUnavailable: ErrorCode.WIX_UNAVAILABLE,
    InvalidWixSecret: ErrorCode.WIX_CREDENTIALS_INVALID,
    InvalidCredentials: ErrorCode.WIX_CREDENTIALS_INVALID,
}
# The same table by class name: how a Step Functions Catch names the error that ended the loop.
CODES_BY_ERROR_NAME: dict[str, ErrorCode] = {
    klass.__name__: code for klass, code in CODES_BY_EXCEPTION.items()
}
# Errors that mean Wix (or the way to it) kept failing, not that it gave a verdict.
WIX_UNREACHABLE_ERROR_NAMES = frozenset(
    {WixUnavailable.__name__, WixRateLimited.__name__, WixBudgetExhausted.__name__}
)
# The error whose message carries its own code ("<CODE>: <explanation>").
IMPORT_ABORTED = ImportAborted.__name__


def info(code: str) -> CodeInfo | None:
    """What a code means, or None for one this table does not know."""
    try:
        return CODES[ErrorCode(code)]
    except ValueError:
        return None


def code_for_exception(exc: Exception, default: ErrorCode = ErrorCode.WIX_ERROR) -> ErrorCode:
    """The record's error code for an exception (its class or a base class)."""
    for klass in type(exc).__mro__:
        if klass in CODES_BY_EXCEPTION:
            return CODES_BY_EXCEPTION[klass]
    return default


def code_for_error_name(name: str) -> ErrorCode:
    """The record's error code for an error a Step Functions Catch reports by class name."""
    return CODES_BY_ERROR_NAME.get(name, ErrorCode.PIPELINE_ERROR)
