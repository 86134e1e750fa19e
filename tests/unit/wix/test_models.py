"""The pydantic models against the contract's field names and statuses."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from loyalty_import.wix import ImportStatus, LoyaltyImport, QueryPage
from loyalty_import.wix.models import ExecuteImportRequest, UploadUrl

SAMPLE_VALUES: dict[str, Any] = {
    'string': 'x',
    'int': 7,
    'bool': True,
}


def sample_from_spec(spec: Any, key: str = '') -> Any:
    """A REST value shaped like the contract's field description (dates and status made valid)."""
    if isinstance(spec, dict):
        return {name: sample_from_spec(value, name) for name, value in spec.items()}
    if isinstance(spec, list):
        return [sample_from_spec(spec[0], key)]
    if key.endswith('Date'):
        return '2026-11-26T09:00:00.000Z'
    if key == 'status':
        return 'PARSED'
    return SAMPLE_VALUES[spec]


def test_import_status_is_the_contracts_enum(wix_contract: dict[str, Any]) -> None:
    # THEN the enum has exactly the contract's statuses, and its terminal ones
    assert [status.value for status in ImportStatus] == wix_contract['statuses']
    assert {s for s in ImportStatus if s.is_terminal} == set(wix_contract['terminal_statuses'])


def test_loyalty_import_reads_every_contract_field(wix_contract: dict[str, Any]) -> None:
    # GIVEN a REST LoyaltyImport with every field the contract lists
    rest = sample_from_spec(wix_contract['loyalty_import_fields'])
    # WHEN it is parsed
    parsed = LoyaltyImport.model_validate(rest)
    # THEN every field lands on its snake_case attribute
    assert parsed.id == 'x'
    assert parsed.status is ImportStatus.PARSED
    assert parsed.async_import_job_id == 'x'
    assert parsed.revision == 'x'
    assert parsed.created_date is not None
    assert parsed.updated_date is not None
    assert parsed.file_metadata is not None
    assert parsed.file_metadata.size == 7
    assert parsed.file_metadata.header is not None
    assert parsed.file_metadata.header.values == ['x']
    assert parsed.file_metadata.header_mapping_info is not None
    assert parsed.file_metadata.header_mapping_info.header_mappings[0].column_index == 7
    assert parsed.file_metadata.sample_data_rows[0].values == ['x']
    assert parsed.parse_result is not None
    assert parsed.parse_result.parsed_row_count == 7
    assert parsed.parse_result.parse_error_reason == 'x'
    assert parsed.import_result is not None
    assert parsed.import_result.error_file_exists is True
    assert parsed.import_result.success_count == 7
    assert parsed.import_result.failure_count == 7
    # AND dumped by alias it has exactly the contract's field names again
    dumped = parsed.model_dump(mode='json', by_alias=True, exclude_none=True)
    assert _keys(dumped) == _keys(rest)


def _keys(value: Any, prefix: str = '') -> set[str]:
    if isinstance(value, dict):
        return {f'{prefix}{k}' for k in value} | {
            key for k, v in value.items() for key in _keys(v, f'{prefix}{k}.')
        }
    if isinstance(value, list) and value:
        return _keys(value[0], prefix)
    return set()


def test_only_id_and_status_are_required() -> None:
    # WHEN a minimal import is parsed
    parsed = LoyaltyImport.model_validate({'id': 'i1', 'status': 'INITIATED'})
    # THEN the optional parts are absent rather than invented
    assert parsed.file_metadata is None
    assert parsed.import_result is None
    with pytest.raises(ValidationError):
        LoyaltyImport.model_validate({'id': 'i1'})


def test_snake_case_names_populate_too() -> None:
    # WHEN a model is built in Python with snake_case names
    upload = UploadUrl(file_path='p', upload_url='https://u')
    # THEN it dumps for the wire with the REST names
    assert upload.model_dump(by_alias=True) == {'filePath': 'p', 'uploadUrl': 'https://u'}


def test_unknown_status_and_numeric_revision_are_tolerated() -> None:
    # GIVEN a status Wix may add later and a revision sent as a number
    parsed = LoyaltyImport.model_validate({'id': 'i1', 'status': 'ARCHIVED', 'revision': 3, 'newField': 1})
    # THEN the import still reads, as UNKNOWN (never "done")
    assert parsed.status is ImportStatus.UNKNOWN
    assert not parsed.status.is_terminal
    assert parsed.revision == '3'


@pytest.mark.parametrize(
    ('email', 'points'),
    [(0, 0), (-1, 2), (1, -3)],
)
def test_execute_mapping_must_be_two_distinct_non_negative_columns(email: int, points: int) -> None:
    with pytest.raises(ValidationError):
        ExecuteImportRequest.for_columns('i1', email, points)


def test_execute_mapping_refuses_anything_but_one_email_and_one_points() -> None:
    # GIVEN three mappings, and then two EMAILs
    three = {
        'loyaltyImportId': 'i1',
        'headerMappingInfo': {
            'headerMappings': [
                {'columnName': 'EMAIL', 'columnIndex': 0},
                {'columnName': 'POINTS', 'columnIndex': 1},
                {'columnName': 'POINTS', 'columnIndex': 2},
            ]
        },
    }
    two_emails = {
        'loyaltyImportId': 'i1',
        'headerMappingInfo': {
            'headerMappings': [
                {'columnName': 'EMAIL', 'columnIndex': 0},
                {'columnName': 'EMAIL', 'columnIndex': 1},
            ]
        },
    }
    # THEN both are refused
    for body in (three, two_emails):
        with pytest.raises(ValidationError):
            ExecuteImportRequest.model_validate(body)


def test_query_page_next_cursor_only_when_there_is_a_next_page() -> None:
    more = QueryPage.model_validate(
        {'loyaltyImports': [], 'pagingMetadata': {'count': 0, 'cursors': {'next': 'c2'}, 'hasNext': True}}
    )
    last = QueryPage.model_validate(
        {'loyaltyImports': [], 'pagingMetadata': {'count': 0, 'cursors': {'next': 'c2'}, 'hasNext': False}}
    )
    assert more.next_cursor == 'c2'
    assert last.next_cursor is None
