"""Wix-style errors: `{"message", "details": {"applicationError": {"code", "description"}}}`."""

from __future__ import annotations

from enum import StrEnum
from typing import Any


class ErrorCode(StrEnum):
    UNAUTHENTICATED = 'UNAUTHENTICATED'
    TOKEN_EXPIRED = 'TOKEN_EXPIRED'  # noqa: S105 - an error code, not a secret
    MISSING_SITE_ID = 'MISSING_SITE_ID'
    PERMISSION_DENIED = 'PERMISSION_DENIED'
    INVALID_CLIENT = 'INVALID_CLIENT'
    INVALID_ARGUMENT = 'INVALID_ARGUMENT'
    NOT_FOUND = 'NOT_FOUND'
    LOYALTY_IMPORT_NOT_FOUND = 'LOYALTY_IMPORT_NOT_FOUND'
    ERROR_FILE_NOT_FOUND = 'ERROR_FILE_NOT_FOUND'
    FILE_NOT_UPLOADED = 'FILE_NOT_UPLOADED'
    UPLOAD_TOKEN_INVALID = 'UPLOAD_TOKEN_INVALID'  # noqa: S105 - an error code, not a secret
    UNEXPECTED_AUTHORIZATION = 'UNEXPECTED_AUTHORIZATION'
    FILE_TOO_LARGE = 'FILE_TOO_LARGE'
    LENGTH_REQUIRED = 'LENGTH_REQUIRED'
    INVALID_LOYALTY_IMPORT_STATUS = 'INVALID_LOYALTY_IMPORT_STATUS'
    INVALID_HEADER_MAPPING = 'INVALID_HEADER_MAPPING'
    INVALID_FILTER = 'INVALID_FILTER'
    INVALID_SORT = 'INVALID_SORT'
    INVALID_CURSOR = 'INVALID_CURSOR'
    INVALID_PAGING = 'INVALID_PAGING'
    METHOD_NOT_ALLOWED = 'METHOD_NOT_ALLOWED'
    TOO_MANY_REQUESTS = 'TOO_MANY_REQUESTS'
    INTERNAL_ERROR = 'INTERNAL_ERROR'
    UNAVAILABLE = 'UNAVAILABLE'


class WixApiError(Exception):
    """Raised by the emulator's logic; the HTTP layer turns it into a Wix-style error response."""

    def __init__(self, status: int, code: ErrorCode, description: str) -> None:
        super().__init__(description)
        self.status = status
        self.code = code
        self.description = description

    def body(self) -> dict[str, Any]:
        return error_body(self.code, self.description)


def error_body(code: ErrorCode, description: str) -> dict[str, Any]:
    return {
        'message': description,
        'details': {'applicationError': {'code': str(code), 'description': description}},
    }


class WixValidationError(WixApiError):
    """A 400 with Wix's request-validation body: `details.validationError.fieldViolations`."""

    def __init__(
        self, field: str, description: str, *, rule: str, data: dict[str, Any] | None = None
    ) -> None:
        super().__init__(400, ErrorCode.INVALID_ARGUMENT, f'{field} {description}')
        self.field = field
        self.violation_description = description
        self.rule = rule
        self.data = data or {}

    def body(self) -> dict[str, Any]:
        violation = {
            'field': self.field,
            'description': self.violation_description,
            'violatedRule': self.rule,
            'data': self.data,
        }
        return {
            'message': f'INVALID_ARGUMENT: {self.description}',
            'details': {'validationError': {'fieldViolations': [violation]}},
        }
