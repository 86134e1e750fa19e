"""The one table of codes: every refusal and failure a record can end with, and what each means."""

from __future__ import annotations

import pytest

from loyalty_import.inspection.models import RefusalCode
from loyalty_import.pipeline import codes
from loyalty_import.pipeline.codes import CODES, ErrorCode
from loyalty_import.pipeline.errors import InvalidCredentials
from loyalty_import.pipeline.models import RecordStatus
from loyalty_import.wix.auth import InvalidWixSecret
from loyalty_import.wix.errors import WixAuthError, WixError, WixRateLimited


def test_every_code_has_its_meaning() -> None:
    assert set(CODES) == set(ErrorCode)


@pytest.mark.parametrize('refusal', list(RefusalCode))
def test_every_refusal_of_the_inspection_is_a_code_that_rejects_the_file(refusal: RefusalCode) -> None:
    meaning = codes.info(refusal.value)
    assert meaning is not None
    assert meaning.status is RecordStatus.REJECTED


def test_only_refusals_about_the_columns_can_be_fixed_by_naming_them() -> None:
    fixable = {code for code, meaning in CODES.items() if meaning.override_fixes}
    assert fixable == {
        ErrorCode.NO_EMAIL_COLUMN,
        ErrorCode.NO_POINTS_COLUMN,
        ErrorCode.AMBIGUOUS_EMAIL,
        ErrorCode.AMBIGUOUS_POINTS,
        ErrorCode.BAD_OVERRIDE,
        ErrorCode.NEEDS_REVIEW,
    }


def test_an_unknown_code_has_no_meaning() -> None:
    assert codes.info('SOMETHING_NEW') is None


@pytest.mark.parametrize(
    ('error', 'code'),
    [
        (WixAuthError('no'), ErrorCode.WIX_AUTH_FAILED),
        (WixRateLimited('slow down'), ErrorCode.WIX_UNAVAILABLE),
        (InvalidWixSecret('malformed'), ErrorCode.WIX_CREDENTIALS_INVALID),
        (InvalidCredentials('not JSON'), ErrorCode.WIX_CREDENTIALS_INVALID),
        (WixError('odd'), ErrorCode.WIX_ERROR),
        (ValueError('odd'), ErrorCode.WIX_ERROR),
    ],
)
def test_exceptions_map_to_codes_by_class_or_base_class(error: Exception, code: ErrorCode) -> None:
    assert codes.code_for_exception(error) is code


def test_a_task_error_is_mapped_by_the_class_name_step_functions_reports() -> None:
    assert codes.code_for_error_name('WixAuthError') is ErrorCode.WIX_AUTH_FAILED
    assert codes.code_for_error_name('InvalidWixSecret') is ErrorCode.WIX_CREDENTIALS_INVALID
    assert codes.code_for_error_name('States.Timeout') is ErrorCode.PIPELINE_ERROR
