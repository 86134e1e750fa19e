"""Shared helpers of the boto3 adapters."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError


def error_code(exc: ClientError) -> str:
    return str(exc.response.get('Error', {}).get('Code', ''))
