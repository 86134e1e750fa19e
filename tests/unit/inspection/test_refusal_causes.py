"""Refusal codes name the cause, not a symptom: a quote opened and never closed is malformed CSV
(NOT_A_CSV, saying where), not NO_EMAIL_COLUMN or a file that quietly lost its rows; balances too
large for Wix in the chosen column are POINTS_OUT_OF_RANGE, not NO_POINTS_COLUMN or TOO_MANY_INVALID_ROWS.
"""

from __future__ import annotations

import pytest

from loyalty_import.inspection import Refusal, RefusalCode, inspect_csv
from loyalty_import.inspection.models import MAX_POINTS, IssueKind
from loyalty_import.pipeline import codes
from loyalty_import.pipeline.models import RecordStatus
from tests.unit.inspection.helpers import PEOPLE, csv_text

HEADER = ['Name', 'Email', 'Points balance']


def _lines(count: int = len(PEOPLE), line_end: str = '\n', delimiter: str = ',') -> list[str]:
    rows = [HEADER] + [
        [PEOPLE[i % len(PEOPLE)][0], f'm{i}.{PEOPLE[i % len(PEOPLE)][1]}', str(i * 10)] for i in range(count)
    ]
    return csv_text(rows, delimiter=delimiter, line_end=line_end).splitlines(keepends=True)


def _open_quote(lines: list[str], index: int, delimiter: str = ',') -> bytes:
    lines = list(lines)
    lines[index] = lines[index].replace(delimiter, delimiter + '"', 1)  # opens the next cell, never closed
    return ''.join(lines).encode('utf-8')


def _refusal(data: bytes) -> Refusal:
    with pytest.raises(Refusal) as refused:
        inspect_csv(data)
    return refused.value


@pytest.mark.parametrize(
    ('index', 'line'),
    [
        (1, 2),  # the first customer row: inference would find no email column
        (2, 3),
        (6, 7),  # mid-file: the pass would import the rows before and drop the rest
        (12, 13),  # the last row
    ],
)
def test_an_unterminated_quote_is_malformed_csv_wherever_it_opens(index: int, line: int) -> None:
    refusal = _refusal(_open_quote(_lines(), index))
    assert refusal.code is RefusalCode.NOT_A_CSV
    assert f'opened on line {line} is never closed' in refusal.message


def test_an_unterminated_quote_in_the_header_is_malformed_csv_not_an_empty_file() -> None:
    lines = _lines()
    lines[0] = '"' + lines[0]
    refusal = _refusal(''.join(lines).encode())
    assert refusal.code is RefusalCode.NOT_A_CSV
    assert 'opened on line 1 ' in refusal.message


def test_an_unterminated_quote_after_the_rows_inference_reads_is_malformed_csv() -> None:
    # GIVEN 400 rows (inference reads 300) and a quote opened on line 351
    refusal = _refusal(_open_quote(_lines(400), 350))
    assert refusal.code is RefusalCode.NOT_A_CSV
    assert 'opened on line 351 ' in refusal.message


@pytest.mark.parametrize('encoding', ['cp1252', 'utf-16', 'utf-8-sig'])
def test_an_unterminated_quote_in_a_semicolon_crlf_export_is_malformed_csv(encoding: str) -> None:
    lines = _lines(line_end='\r\n', delimiter=';')
    lines[4] = lines[4].replace(';', ';"', 1)
    text = ''.join(lines).replace('Ömer Y\u0131lmaz', 'Omer Yilmaz')  # cp1252 has no dotless i
    refusal = _refusal(text.encode(encoding))
    assert refusal.code is RefusalCode.NOT_A_CSV
    assert 'opened on line 5 ' in refusal.message


@pytest.mark.parametrize(
    'ending',
    [
        'Ann,ann@example.com,10,"a note\nover two lines"\n',  # a closed multi-line cell ends the file
        'Ann,ann@example.com,10,"a note\nover two lines",\n',  # ... followed by a blank cell
    ],
)
def test_a_closed_multi_line_cell_at_the_end_is_not_malformed(ending: str) -> None:
    rows = [[*HEADER, 'Note']] + [[n, e, '5', ''] for n, e in PEOPLE]
    data = (csv_text(rows) + ending).encode()
    assert inspect_csv(data).rows == len(PEOPLE) + 1


def test_a_quote_inside_an_unquoted_cell_is_not_malformed() -> None:
    rows = [[*HEADER, 'Device']] + [[n, e, '5', '27" monitor'] for n, e in PEOPLE]
    text = csv_text(rows).replace('"27"" monitor"', '27" monitor')
    assert inspect_csv(text.encode()).validation.invalid_rows == 0


@pytest.mark.parametrize(
    'balances',
    [
        [str(3_000_000_000 + i) for i in range(12)],  # every balance over 2**31 - 1
        [str(MAX_POINTS + 1)] * 11 + ['500'],
        ['2,500,000,000', '3,000,000,000', '2,147,483,648'],  # grouped
        [str(10**11 + i) for i in range(12)],  # far beyond
    ],
)
def test_balances_too_large_for_wix_are_points_out_of_range(balances: list[str]) -> None:
    rows = [HEADER] + [[n, e, balances[i % len(balances)]] for i, (n, e) in enumerate(PEOPLE)]
    refusal = _refusal(csv_text(rows).encode())
    assert refusal.code is RefusalCode.POINTS_OUT_OF_RANGE
    assert "'Points balance' (column 2, counting from 0)" in refusal.message
    assert f'({MAX_POINTS:,})' in refusal.message


def test_a_few_balances_too_large_are_rows_that_cannot_be_imported_not_a_refusal() -> None:
    rows = [HEADER] + [[n, e, str(i * 10)] for i, (n, e) in enumerate(PEOPLE)]
    rows[3][2] = str(MAX_POINTS + 1)
    inspection = inspect_csv(csv_text(rows).encode())
    assert inspection.validation.count(IssueKind.OVERFLOW_POINTS) == 1
    assert inspection.validation.invalid_rows == 1


def test_the_largest_balance_wix_stores_is_imported() -> None:
    rows = [HEADER] + [[n, e, str(MAX_POINTS - i)] for i, (n, e) in enumerate(PEOPLE)]
    assert inspect_csv(csv_text(rows).encode()).validation.invalid_rows == 0


def test_points_out_of_range_rejects_the_import_and_no_column_override_is_offered() -> None:
    meaning = codes.info('POINTS_OUT_OF_RANGE')
    assert meaning is not None
    assert meaning.status is RecordStatus.REJECTED
    assert not meaning.override_fixes
