from __future__ import annotations

import json
from typing import Any

import pytest

from loyalty_import.inspection import Refusal, RefusalCode, inspect_csv
from loyalty_import.inspection.models import MAX_CELL_CHARS, MAX_COLUMNS, MAX_FILE_BYTES, MAX_SAMPLE_ROWS
from tests.unit.inspection.helpers import BALANCES, REDEEMED, csv_text, inspect_rows, people_rows


def test_the_limits_agree_with_the_wix_contract(wix_contract: dict[str, Any]) -> None:
    assert wix_contract['max_file_bytes'] == MAX_FILE_BYTES
    assert wix_contract['max_header_columns'] == MAX_COLUMNS
    assert wix_contract['max_cell_chars'] == MAX_CELL_CHARS
    assert wix_contract['max_sample_rows'] == MAX_SAMPLE_ROWS


@pytest.mark.parametrize('override', ['Redeemed', 'redeemed', 2, '2'])
def test_an_override_by_name_or_index_wins_over_inference(override: str | int) -> None:
    # GIVEN a file whose inferred POINTS would be the balance
    rows = people_rows(
        ['Email', 'Balance points', 'Redeemed'], {'Balance points': BALANCES, 'Redeemed': REDEEMED}
    )
    # WHEN the merchant names another column / THEN that column is POINTS, with full confidence
    inspection = inspect_rows(rows, points_column=override)
    assert inspection.mapping.points == 2
    assert inspection.points.overridden
    assert inspection.points.confidence == 1.0


def test_an_override_resolves_an_ambiguous_file() -> None:
    rows = people_rows(['Email', 'Points', 'Balance'], {'Points': BALANCES, 'Balance': REDEEMED})
    assert inspect_rows(rows, points_column='Balance').mapping.points == 2


@pytest.mark.parametrize(
    'kwargs',
    [
        {'points_column': 'Nope'},
        {'points_column': 9},
        {'email_column': -1},
        {'email_column': 1, 'points_column': 1},
    ],
)
def test_a_bad_override_is_refused(kwargs: dict[str, Any]) -> None:
    rows = people_rows(['Email', 'Points'], {'Points': BALANCES})
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows, **kwargs)
    assert refused.value.code is RefusalCode.BAD_OVERRIDE


def test_a_file_over_the_limit_is_refused_before_reading_it() -> None:
    with pytest.raises(Refusal) as refused:
        inspect_csv(b'email,points\n' * 10, max_file_bytes=50)
    assert refused.value.code is RefusalCode.FILE_TOO_LARGE


@pytest.mark.parametrize('data', [b'', b'   \n\r\n', b'Email,Points\n'])
def test_empty_files_and_header_only_files_are_refused(data: bytes) -> None:
    with pytest.raises(Refusal) as refused:
        inspect_csv(data)
    assert refused.value.code is RefusalCode.EMPTY_FILE


def test_an_unterminated_quote_is_refused_rather_than_swallowing_rows() -> None:
    text = (
        csv_text(people_rows(['Email', 'Points'], {'Points': BALANCES}))
        + 'late@example.com,"5\nx@example.com,6\n'
    )
    with pytest.raises(Refusal) as refused:
        inspect_csv(text.encode())
    assert refused.value.code is RefusalCode.NOT_A_CSV


def test_to_json_dict_has_the_stable_cli_schema() -> None:
    # GIVEN an inspection / WHEN serialized / THEN JSON-ready with the documented keys
    payload = inspect_rows(people_rows(['Name', 'Email', 'Points'], {'Points': BALANCES})).to_json_dict()
    json.dumps(payload)
    assert payload['mapping'] == {'EMAIL': 1, 'POINTS': 2}
    for key in (
        'confidence',
        'encoding',
        'delimiter',
        'has_header',
        'rows',
        'validation',
        'columns',
        'normalized',
    ):
        assert key in payload
    assert payload['validation']['rows'] == 12


def test_a_refusal_serializes_its_code_message_and_candidates() -> None:
    rows = people_rows(['Email', 'Points', 'Balance'], {'Points': BALANCES, 'Balance': REDEEMED})
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    payload = refused.value.to_dict()
    assert payload['code'] == 'AMBIGUOUS_POINTS'
    assert payload['message']
    assert {c['name'] for c in payload['candidates']} == {'Points', 'Balance'}


def test_a_cell_of_two_megabytes_is_parsed_and_dropped() -> None:
    rows = people_rows(['Email', 'Notes', 'Points'], {'Points': BALANCES, 'Notes': ['ok']})
    rows[3][1] = 'n' * 2_000_000
    inspection = inspect_rows(rows)
    assert inspection.normalized.dropped_columns == [1]
    assert len(inspection.normalized.content) < 2000


def test_a_multi_line_cell_closed_at_the_very_end_is_not_an_unterminated_quote() -> None:
    # GIVEN a UTF-16 file whose last cell is a properly closed multi-line note
    rows = people_rows(['Email', 'Points', 'Note'], {'Points': BALANCES, 'Note': ['ok']})
    rows[-1][2] = 'line one\nline two'
    data = b'\xff\xfe' + csv_text(rows).rstrip('\n').encode('utf-16-le')
    # WHEN inspected / THEN mapped, every row kept
    inspection = inspect_csv(data)
    assert inspection.rows == 12


def test_a_candidate_reads_well_in_a_notification() -> None:
    rows = people_rows(['Email', 'Points', 'Balance'], {'Points': BALANCES, 'Balance': REDEEMED})
    with pytest.raises(Refusal) as refused:
        inspect_rows(rows)
    assert str(refused.value.candidates[0]).startswith(
        "'Points' (column 1, counting from 0): header names points"
    )
